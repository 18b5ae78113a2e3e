/*
 * restore_part.c - cc_restore_part(): one image stream (partclone v1/v2,
 * ntfsclone or raw, any supported compression) onto a block device or a
 * file, or only verified (CC_RESTORE_CHECK_ONLY).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dev.h"
#include "error.h"
#include "fs.h"
#include "i18n.h"
#include "job.h"
#include "mounts.h"

#define RA_CHUNK (4u << 20)
#define RA_DEPTH 4

/* Open the decompressor, the read-ahead thread and the image reader. */
static int open_image(struct cc_istream *src, struct cc_image **img, enum cc_codec *codec,
		      struct cc_error *err)
{
	struct cc_istream *dec = NULL, *ra = NULL;
	int ret;

	*img = NULL;
	if ((ret = cc_decompress_auto(src, err, &dec, codec)) < 0) {
		cc_istream_free(src);
		return ret;
	}
	if ((ret = cc_istream_readahead(dec, RA_CHUNK, RA_DEPTH, &ra)) < 0) {
		cc_istream_free(dec);
		return ret;
	}
	if ((ret = cc_image_open(ra, err, img)) < 0) {
		cc_istream_free(ra);
		return ret;
	}
	return 0;
}

int cc_probe_image(struct cc_istream *src, struct cc_image_info *info, enum cc_codec *codec,
		   struct cc_error *err)
{
	struct cc_istream *dec = NULL;
	struct cc_image *img = NULL;
	int ret;

	if ((ret = cc_decompress_auto(src, err, &dec, codec)) < 0) {
		cc_istream_free(src);
		return ret;
	}
	if ((ret = cc_image_open(dec, err, &img)) < 0) {
		cc_istream_free(dec);
		return ret;
	}
	*info = *cc_image_get_info(img);
	cc_image_free(img);
	return 0;
}

/* Open (or create, sparse) the target and check it is large enough. */
static int open_target(const char *path, const struct cc_image_info *ii, struct cc_dev **dev,
		       struct cc_error *err)
{
	struct stat st;
	int exists = stat(path, &st) == 0;
	int ret;

	if ((ret = cc_check_unmounted(path, CC_MOUNT_FOR_WRITE, err)) < 0)
		return ret;
	if ((ret = cc_dev_open(path, CC_DEV_WRITE | (exists ? 0 : CC_DEV_CREATE), dev, err)) < 0)
		return ret;
	if (!exists)
		return cc_dev_ensure_size(*dev, ii->device_size, err);
	if (ii->device_size && (*dev)->size < ii->device_size) {
		ret = cc_fail(err, CC_E_TOOSMALL, 0,
			      _("target '%s' has %llu bytes but the image needs %llu (the size of "
				"the partition it was saved from); choose a larger target"),
			      path, (unsigned long long)(*dev)->size,
			      (unsigned long long)ii->device_size);
		cc_dev_close(*dev);
		*dev = NULL;
	}
	return ret;
}

/*
 * NTFS keeps a copy of its boot sector in the last sector of the volume.
 * partclone drops it; if the image did not carry it, write the primary
 * boot sector there, as ntfsclone and ntfsfix would.
 */
struct ntfs_backup {
	int have_primary;
	unsigned char primary[512];
	uint64_t offset; /* where the backup goes */
	unsigned size;
	int covered;
};

static void ntfs_backup_seen(struct ntfs_backup *b, const struct cc_extent *e)
{
	if (e->offset == 0 && e->len >= 512 && !b->have_primary &&
	    !memcmp(e->data + 3, "NTFS    ", 8)) {
		uint64_t nsec = 0;
		unsigned bps = (unsigned)e->data[11] | (unsigned)e->data[12] << 8;
		int i;

		for (i = 7; i >= 0; i--)
			nsec = nsec << 8 | e->data[0x28 + i];
		memcpy(b->primary, e->data, 512);
		b->have_primary = 1;
		b->size = bps >= 256 && bps <= 4096 && !(bps & (bps - 1)) ? bps : 512;
		b->offset = nsec * b->size;
	}
	if (b->have_primary && e->offset <= b->offset && e->offset + e->len >= b->offset + b->size)
		b->covered = 1;
}

static int ntfs_backup_fix(struct ntfs_backup *b, struct cc_dev *dev, const char *fs_tag,
			   struct cc_part_result *res, struct cc_error *err)
{
	unsigned char sec[4096];
	int ret;

	if (strcmp(fs_tag, "NTFS") || !b->have_primary || b->covered ||
	    b->offset + b->size > dev->size || b->offset == 0)
		return 0;
	memset(sec, 0, sizeof(sec));
	memcpy(sec, b->primary, 512);
	if ((ret = cc_dev_pwrite(dev, sec, b->size, b->offset, err)) < 0)
		return ret;
	res->backup_boot_fixed = 1;
	return 0;
}

/*
 * Anything without a partclone or ntfsclone header reads as a raw stream.
 * Restore it only if it starts like a filesystem or a disk, unless the
 * caller said it is raw: a text file or a photo must not be written over
 * a partition by mistake.
 */
static int raw_looks_valid(const struct cc_extent *e)
{
	const struct cc_fs_ops *probes[] = {&cc_fs_ntfs, &cc_fs_ext, &cc_fs_fat};
	size_t i;

	if (e->offset != 0)
		return 0;
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		if (probes[i]->probe(e->data, e->len, 0) > 0)
			return 1;
	/* a partition table or boot record: 55 AA at byte 510 */
	return e->len >= 512 && e->data[510] == 0x55 && e->data[511] == 0xaa;
}

static int first_raw_extent(struct cc_image *img, unsigned flags, struct cc_extent *e,
			    struct cc_error *err)
{
	int ret = cc_image_next(img, e);

	if (ret < 0)
		return ret;
	if (ret == 0)
		return cc_fail(err, CC_E_TRUNCATED, 0, _("the image is empty"));
	if (!(flags & CC_RESTORE_ALLOW_RAW) && !raw_looks_valid(e))
		return cc_fail(err, CC_E_FORMAT, 0,
			       _("this is not a partclone or ntfsclone image and holds no known "
				 "filesystem; if it is a raw (dd) image of a partition, add --raw"));
	return 1;
}

static int copy_extents(struct cc_image *img, struct cc_dev *dev, struct cc_tracker *t,
			struct ntfs_backup *bb, const struct cc_extent *first, struct cc_error *err)
{
	struct cc_extent e;
	int ret = 1;

	if (first)
		e = *first;
	else
		ret = cc_image_next(img, &e);
	while (ret > 0) {
		if (dev) {
			if (e.offset + e.len > dev->size && dev->is_blockdev)
				return cc_fail(err, CC_E_TOOSMALL, 0,
					       _("the image holds data at byte %llu, beyond the end "
						 "of '%s' (%llu bytes)"),
					       (unsigned long long)(e.offset + e.len), dev->path,
					       (unsigned long long)dev->size);
			if ((ret = cc_dev_pwrite(dev, e.data, e.len, e.offset, err)) < 0)
				return ret;
		}
		ntfs_backup_seen(bb, &e);
		t->p.bytes_done += e.len;
		if ((ret = cc_tracker_report(t, err)) < 0)
			return ret;
		ret = cc_image_next(img, &e);
	}
	return ret;
}

int cc_restore_part(struct cc_istream *src, const char *target, unsigned flags,
		    const struct cc_events *ev, struct cc_tracker *tracker,
		    struct cc_part_result *res, struct cc_error *err)
{
	struct cc_tracker own;
	struct cc_part_result dummy;
	struct ntfs_backup bb;
	struct cc_extent first;
	struct cc_image *img = NULL;
	struct cc_dev *dev = NULL;
	const struct cc_image_info *ii;
	uint64_t t0 = cc_clock_monotonic_ns(NULL);
	int check_only = !!(flags & CC_RESTORE_CHECK_ONLY);
	int ret;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	memset(&bb, 0, sizeof(bb));
	if (!tracker) {
		cc_tracker_init(&own, ev, 0);
		tracker = &own;
		tracker->p.part_name = target; /* a disk job names its partitions itself */
	}
	tracker->p.phase = CC_PHASE_PROBE;
	if ((ret = open_image(src, &img, &res->codec, err)) < 0)
		goto out;
	ii = cc_image_get_info(img);
	res->info = *ii;
	snprintf(res->fs_type, sizeof(res->fs_type), "%s", ii->fs_tag);
	if (!tracker->total_known)
		tracker->p.bytes_total += ii->used_blocks * ii->block_size;
	if (ii->format == CC_FMT_RAW && (ret = first_raw_extent(img, flags, &first, err)) < 0)
		goto out;
	if (!check_only && (ret = open_target(target, ii, &dev, err)) < 0)
		goto out;
	tracker->p.phase = check_only ? CC_PHASE_VERIFY : CC_PHASE_COPY;
	ret = copy_extents(img, dev, tracker, &bb, ii->format == CC_FMT_RAW ? &first : NULL, err);
	res->used_bytes = tracker->p.bytes_done;
	if (ret < 0)
		goto out;
	res->info = *cc_image_get_info(img); /* raw streams learn their size at the end */
	if (dev) {
		if ((ret = ntfs_backup_fix(&bb, dev, ii->fs_tag, res, err)) < 0)
			goto out;
		tracker->p.phase = CC_PHASE_SYNC;
		cc_tracker_report(tracker, NULL);
		ret = cc_dev_close_sync(dev, err);
		dev = NULL;
	}
out:
	cc_image_free(img);
	cc_dev_close(dev);
	res->elapsed_ms = (cc_clock_monotonic_ns(NULL) - t0) / 1000000;
	if (!ret && tracker == &own)
		cc_tracker_done(tracker);
	return ret;
}
