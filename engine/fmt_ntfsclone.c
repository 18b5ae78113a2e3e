/*
 * fmt_ntfsclone.c - reader of `ntfsclone --save-image` images (format
 * 10.x; the older host-endian format is read as little-endian).
 *
 * Header (10.x, little-endian, packed): magic "\0ntfsclone-image" @0,
 * major @16, minor @17, cluster_size u32 @18, device_size u64 @22,
 * nr_clusters s64 @30, inuse u64 @38, offset_to_image_data u32 @46 (56).
 * Then commands: 0x00 GAP + s64 count (skip clusters), 0x01 NEXT + one
 * cluster.  Clusters lcn = 0 .. nr_clusters inclusive: a cluster whose end
 * reaches device_size holds device_size - lcn * cluster_size bytes (the
 * partial cluster at lcn == nr_clusters with the backup boot sector), as
 * ntfsclone's copy_cluster() does.  There are no checksums.
 *
 * Stricter than ntfsclone: a 10.1 image (which always saves the backup
 * boot sector) that ends at lcn == nr_clusters is TRUNCATED, and bytes
 * after the last cluster are CORRUPT.  10.0 and older images may end at
 * lcn == nr_clusters ("no alternate boot sector in image").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "error.h"
#include "i18n.h"
#include "image_fmt.h"

#define NC_HDR_OLD 46 /* up to offset_to_image_data */
#define NC_HDR_MIN 50
#define NC_MAX_OFFSET 65536u
#define NC_MAX_CS (2u << 20)
#define CMD_GAP 0x00
#define CMD_NEXT 0x01

struct nc {
	uint32_t cs;
	uint64_t nr_clusters;
	uint64_t device_size;
	int need_bootsector; /* 10.1+: the stream must cover lcn == nr_clusters */
	uint64_t lcn;	     /* next cluster the stream describes */
	int pending;	     /* a command byte read ahead, or -1 */
	unsigned char *buf;
	size_t cap;
};

/* Bytes stored for cluster lcn (ntfsclone's rule for the last one). */
static uint64_t cluster_len(const struct nc *s, uint64_t lcn)
{
	uint64_t start = lcn * s->cs;

	if (start >= s->device_size)
		return 0;
	return s->device_size - start < s->cs ? s->device_size - start : s->cs;
}

static int truncated(struct cc_image *img, const struct nc *s, const char *what)
{
	if (s->lcn == s->nr_clusters)
		return cc_fail(img->err, CC_E_TRUNCATED, 0,
			       _("ntfsclone image ends at byte %llu %s, before the backup boot "
				 "sector (cluster %llu)"),
			       (unsigned long long)img->pos, what,
			       (unsigned long long)s->nr_clusters);
	return cc_fail(img->err, CC_E_TRUNCATED, 0,
		       _("ntfsclone image ends at byte %llu %s, at cluster %llu of %llu"),
		       (unsigned long long)img->pos, what, (unsigned long long)s->lcn,
		       (unsigned long long)s->nr_clusters + 1);
}

/* Next command byte, or -1 at the end of the stream (< -1: error). */
static int read_cmd(struct cc_image *img, struct nc *s, int *cmd)
{
	unsigned char c;
	size_t got;
	int ret;

	if (s->pending >= 0) {
		*cmd = s->pending;
		s->pending = -1;
		return 0;
	}
	if ((ret = cc_img_read(img, &c, 1, &got)) < 0)
		return ret;
	*cmd = got ? c : -1;
	return 0;
}

static int do_gap(struct cc_image *img, struct nc *s)
{
	unsigned char b[8];
	uint64_t at = img->pos - 1;
	int64_t count;
	size_t got;
	int ret;

	if ((ret = cc_img_read(img, b, 8, &got)) < 0)
		return ret;
	if (got < 8)
		return truncated(img, s, _("inside a gap command"));
	count = (int64_t)cc_get_le64(b);
	if (count < 0 || (uint64_t)count > s->nr_clusters - s->lcn)
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("ntfsclone gap of %lld clusters at cluster %llu (image byte %llu) "
				 "goes past the end of the volume (%llu clusters)"),
			       (long long)count, (unsigned long long)s->lcn, (unsigned long long)at,
			       (unsigned long long)s->nr_clusters);
	s->lcn += (uint64_t)count;
	return 0;
}

/* Read the cluster of a NEXT command at s->lcn into buf + *fill. */
static int do_next(struct cc_image *img, struct nc *s, size_t *fill)
{
	uint64_t len;
	size_t got;
	int ret;

	if (s->lcn > s->nr_clusters)
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("ntfsclone image has data past the end of the volume (cluster "
				 "%llu, image byte %llu)"),
			       (unsigned long long)s->lcn, (unsigned long long)img->pos - 1);
	len = cluster_len(s, s->lcn);
	if ((ret = cc_img_read(img, s->buf + *fill, (size_t)len, &got)) < 0)
		return ret;
	if (got < len)
		return truncated(img, s, _("inside a cluster"));
	*fill += got;
	s->lcn++;
	return 0;
}

static int nc_finish(struct cc_image *img, struct nc *s)
{
	if (s->lcn < s->nr_clusters || (s->lcn == s->nr_clusters && s->need_bootsector))
		return truncated(img, s, _("between commands"));
	return 0;
}

static int nc_next(struct cc_image *img, struct cc_extent *ext)
{
	struct nc *s = img->priv;
	uint64_t first = 0;
	size_t fill = 0;
	int cmd, ret;

	if (!s->buf && !(s->buf = malloc(s->cap)))
		return cc_fail(img->err, CC_E_NOMEM, 0, _("out of memory"));
	for (;;) {
		if ((ret = read_cmd(img, s, &cmd)) < 0)
			return ret;
		if (cmd < 0) {
			if (fill)
				break;
			if ((ret = nc_finish(img, s)) < 0)
				return ret;
			return 0;
		}
		if (fill && (cmd != CMD_NEXT || s->lcn > s->nr_clusters ||
			     fill + cluster_len(s, s->lcn) > s->cap)) {
			s->pending = cmd;
			break;
		}
		if (cmd == CMD_GAP) {
			if ((ret = do_gap(img, s)) < 0)
				return ret;
		} else if (cmd == CMD_NEXT) {
			if (!fill)
				first = s->lcn;
			if ((ret = do_next(img, s, &fill)) < 0)
				return ret;
			if (s->lcn > s->nr_clusters) {
				/* the backup boot sector was the last cluster */
				if ((ret = cc_img_expect_end(img)) < 0)
					return ret;
				break;
			}
		} else {
			return cc_fail(img->err, CC_E_CORRUPT, 0,
				       _("unknown ntfsclone command byte 0x%02x at image byte %llu "
					 "(cluster %llu)"),
				       cmd, (unsigned long long)img->pos - 1,
				       (unsigned long long)s->lcn);
		}
	}
	if (!fill) {
		/* a zero-length last cluster: nothing more to write */
		return 0;
	}
	ext->offset = first * s->cs;
	ext->len = fill;
	ext->data = s->buf;
	ext->first_block = first;
	return 1;
}

static void nc_free(struct cc_image *img)
{
	struct nc *s = img->priv;

	if (s)
		free(s->buf);
	free(s);
	img->priv = NULL;
}

static const struct cc_image_ops nc_ops = {nc_next, nc_free};

static int bad_header(struct cc_image *img, const char *what)
{
	return cc_fail(img->err, CC_E_CORRUPT, 0, _("invalid ntfsclone image header: %s"), what);
}

static int check_header(struct cc_image *img, struct nc *s, uint64_t inuse)
{
	uint64_t fs_bytes;

	if (s->cs < CC_IMG_MIN_BS || s->cs > NC_MAX_CS || (s->cs & (s->cs - 1)))
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("invalid ntfsclone image header: cluster size %u is not a power "
				 "of two between 512 and 2 MiB"),
			       s->cs);
	if (s->nr_clusters > CC_IMG_MAX_BLOCKS)
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("invalid ntfsclone image header: %llu clusters"),
			       (unsigned long long)s->nr_clusters);
	if (inuse > s->nr_clusters)
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("invalid ntfsclone image header: %llu clusters in use of %llu"),
			       (unsigned long long)inuse, (unsigned long long)s->nr_clusters);
	if (__builtin_mul_overflow(s->nr_clusters, (uint64_t)s->cs, &fs_bytes) ||
	    s->device_size < fs_bytes || s->device_size > (uint64_t)INT64_MAX)
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("invalid ntfsclone image header: device size %llu does not hold "
				 "%llu clusters of %u bytes"),
			       (unsigned long long)s->device_size,
			       (unsigned long long)s->nr_clusters, s->cs);
	return 0;
}

/* Skip the header bytes up to offset_to_image_data. */
static int skip_to_data(struct cc_image *img, uint32_t offset)
{
	unsigned char tmp[256];

	while (img->pos < offset) {
		size_t want = offset - img->pos < sizeof(tmp) ? (size_t)(offset - img->pos)
							       : sizeof(tmp);
		size_t got;
		int ret = cc_img_read(img, tmp, want, &got);

		if (ret < 0)
			return ret;
		if (got < want)
			return cc_fail(img->err, CC_E_TRUNCATED, 0,
				       _("image ends inside the ntfsclone header (at byte %llu)"),
				       (unsigned long long)img->pos);
	}
	return 0;
}

int cc_fmt_ntfsclone_open(struct cc_image *img)
{
	struct cc_image_info *ii = &img->info;
	unsigned char h[NC_HDR_MIN];
	char ver[32];
	uint32_t offset = NC_HDR_OLD;
	unsigned major, minor;
	uint64_t inuse;
	struct nc *s;
	size_t got, hlen;
	int ret;

	if ((ret = cc_img_read(img, h, NC_HDR_OLD, &got)) < 0)
		return ret;
	if (got < NC_HDR_OLD)
		return cc_fail(img->err, CC_E_TRUNCATED, 0,
			       _("image ends inside the ntfsclone header (at byte %zu)"), got);
	major = h[16];
	minor = h[17];
	if (major > 10)
		return cc_fail(img->err, CC_E_UNSUPPORTED, 0,
			       _("ntfsclone image format %u.%u is not supported (newest known: "
				 "10.1)"),
			       major, minor);
	if (major == 10) {
		if ((ret = cc_img_read(img, h + NC_HDR_OLD, 4, &hlen)) < 0)
			return ret;
		if (hlen < 4)
			return cc_fail(img->err, CC_E_TRUNCATED, 0,
				       _("image ends inside the ntfsclone header (at byte %llu)"),
				       (unsigned long long)img->pos);
		offset = cc_get_le32(h + NC_HDR_OLD);
		if (offset < NC_HDR_MIN || offset > NC_MAX_OFFSET)
			return bad_header(img, _("offset to the image data is out of range"));
	}
	if (!(s = calloc(1, sizeof(*s))))
		return cc_fail(img->err, CC_E_NOMEM, 0, _("out of memory"));
	img->priv = s;
	img->ops = &nc_ops;
	s->pending = -1;
	s->cs = cc_get_le32(h + 18);
	s->device_size = cc_get_le64(h + 22);
	s->nr_clusters = cc_get_le64(h + 30);
	inuse = cc_get_le64(h + 38);
	s->need_bootsector = major == 10 && minor >= 1;
	if ((ret = check_header(img, s, inuse)) < 0)
		return ret;
	if ((ret = skip_to_data(img, offset)) < 0)
		return ret;
	s->cap = CC_IMG_BATCH_BYTES < s->cs ? s->cs : CC_IMG_BATCH_BYTES;

	ii->format = CC_FMT_NTFSCLONE;
	strcpy(ii->fs_tag, "NTFS");
	snprintf(ver, sizeof(ver), "ntfsclone %u.%u", major, minor);
	cc_img_copy_str(ii->creator, sizeof(ii->creator), (const unsigned char *)ver, sizeof(ver));
	ii->device_size = s->device_size;
	ii->total_blocks = s->nr_clusters;
	ii->used_blocks = inuse;
	ii->used_blocks_sb = inuse;
	ii->block_size = s->cs;
	ii->checksum_mode = CC_CSUM_NONE;
	ii->checksum_size = 0;
	ii->blocks_per_checksum = 0;
	ii->reseed = 0;
	ii->bitmap_mode = 0;
	return 0;
}
