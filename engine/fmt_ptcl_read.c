/*
 * fmt_ptcl_read.c - reader of partclone images, formats 0002 and 0001.
 *
 * 0002: 110-byte header with its CRC, the bitmap (BIT: ceil(T/8) bytes,
 * LSB first, then its CRC; NONE: nothing, every block is present), then
 * the used blocks in ascending order with a checksum (none, CRC32, XXH64,
 * XXH128) after every blocks_per_checksum blocks and after a final
 * partial group; reseed = 0 chains the checksum state across groups.
 *
 * 0001: 4160-byte header, one byte per block (1 = used) and "BiTmAgIc",
 * then every used block followed by the CRC of partclone's buggy
 * crc32_0001() (the first byte of the block repeated block_size times,
 * chained from block to block, never reseeded).  Old 64-bit builds stored
 * that CRC in 8 bytes (low 4 = the CRC).  We tell the two apart by looking
 * ahead at the first blocks: the stride (4 or 8) whose CRCs all match
 * wins, the exact length decides when all used blocks fit in the look
 * ahead, and 4 is assumed when neither matches (the mismatch is then
 * reported as a checksum error at the first block).
 *
 * cc_image_next() reads a batch of whole checksum groups (up to 4 MiB, or
 * one group if that is larger), verifies every group before returning any
 * of its data, then returns the runs of consecutive used blocks of the
 * batch as extents.
 */
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "error.h"
#include "i18n.h"
#include "image_fmt.h"

#define V2_HDR 110
#define V2_HDR_CRC_OFF 106
#define V1_HDR 4160
#define ENDIAN_MAGIC 0xC0DE
#define BM_NONE 0x00
#define BM_BIT 0x01
#define BM_BYTE 0x08
#define BITMAP_CHUNK ((size_t)1 << 20)
#define V1_MAGIC "BiTmAgIc"
#define V1_FILL_MAX ((size_t)64 << 10)
#define V1_LOOKAHEAD_BLOCKS 4
#define V1_LOOKAHEAD_BYTES ((uint64_t)16 << 20)

struct run {
	uint64_t start, count;
};

struct ptcl {
	int version;
	uint32_t bs;
	uint64_t used;	/* blocks in the data area */
	size_t cs;	/* bytes of one stored checksum */
	uint32_t bpc;	/* blocks per checksum, 0 = no checksums */
	int reseed;
	int all_used;	/* bitmap mode NONE */
	struct cc_csum csum;
	/* v1 */
	uint32_t crc1;
	int v1_probed;
	unsigned char *fill;
	size_t fill_len;
	int fill_byte;
	/* position */
	uint64_t done;	 /* used blocks read */
	uint64_t cursor; /* bitmap search position */
	/* the current batch */
	size_t batch_blocks;
	size_t alloc_blocks;
	unsigned char *buf;
	struct run *runs;
	size_t nruns, ri, off;
};

/* ---- errors naming blocks ---- */

/* Block number of the i-th used block of the current batch. */
static uint64_t batch_block(const struct ptcl *s, uint64_t i)
{
	size_t r;

	for (r = 0; r < s->nruns; r++) {
		if (i < s->runs[r].count)
			return s->runs[r].start + i;
		i -= s->runs[r].count;
	}
	return s->nruns ? s->runs[s->nruns - 1].start + s->runs[s->nruns - 1].count : 0;
}

static int data_truncated(struct cc_image *img, const struct ptcl *s, uint64_t i)
{
	return cc_fail(img->err, CC_E_TRUNCATED, 0,
		       _("image is truncated at byte %llu: it ends inside block %llu, after %llu "
			 "of %llu used blocks"),
		       (unsigned long long)img->pos, (unsigned long long)batch_block(s, i),
		       (unsigned long long)(s->done + i), (unsigned long long)s->used);
}

static int csum_truncated(struct cc_image *img, const struct ptcl *s, uint64_t i)
{
	return cc_fail(img->err, CC_E_TRUNCATED, 0,
		       _("image is truncated at byte %llu: it ends inside the checksum after "
			 "block %llu (%llu of %llu used blocks read)"),
		       (unsigned long long)img->pos, (unsigned long long)batch_block(s, i),
		       (unsigned long long)(s->done + i + 1), (unsigned long long)s->used);
}

static int csum_mismatch(struct cc_image *img, const struct ptcl *s, uint64_t i, uint64_t k,
			 uint64_t at)
{
	return cc_fail(img->err, CC_E_CHECKSUM, 0,
		       _("checksum mismatch in blocks %llu..%llu (used blocks %llu..%llu of %llu, "
			 "data at image bytes %llu..%llu)"),
		       (unsigned long long)batch_block(s, i),
		       (unsigned long long)batch_block(s, i + k - 1),
		       (unsigned long long)(s->done + i), (unsigned long long)(s->done + i + k - 1),
		       (unsigned long long)s->used, (unsigned long long)at,
		       (unsigned long long)(at + k * s->bs - 1));
}

/* ---- data ---- */

/* partclone's crc32_0001(): the first byte of the block, bs times. */
static uint32_t crc0001(struct ptcl *s, uint32_t crc, const unsigned char *blk)
{
	size_t left = s->bs;

	if (s->fill_byte != blk[0]) {
		memset(s->fill, blk[0], s->fill_len);
		s->fill_byte = blk[0];
	}
	while (left) {
		size_t n = left < s->fill_len ? left : s->fill_len;

		crc = cc_ptcl_crc32(crc, s->fill, n);
		left -= n;
	}
	return crc;
}

/* The runs of the next n used blocks into s->runs. */
static int collect_runs(struct cc_image *img, struct ptcl *s, uint64_t n)
{
	uint64_t start, count;

	s->nruns = s->ri = s->off = 0;
	if (s->all_used) {
		s->runs[0].start = s->done;
		s->runs[0].count = n;
		s->nruns = 1;
		return 0;
	}
	while (n) {
		if (!cc_bitmap_next_run(&img->bm, &s->cursor, &start, &count, n))
			return cc_fail(img->err, CC_E_CORRUPT, 0,
				       _("the bitmap has fewer used blocks than the image (%llu)"),
				       (unsigned long long)s->used);
		s->runs[s->nruns].start = start;
		s->runs[s->nruns].count = count;
		s->nruns++;
		n -= count;
	}
	return 0;
}

static int read_v2(struct cc_image *img, struct ptcl *s, uint64_t n)
{
	unsigned char stored[16], want_cs[16];
	uint64_t i = 0;
	size_t got;
	int ret;

	while (i < n) {
		uint64_t k = s->bpc && s->bpc < n - i ? s->bpc : n - i;
		size_t len = (size_t)(k * s->bs);
		uint64_t at = img->pos;

		if ((ret = cc_img_read(img, s->buf + i * s->bs, len, &got)) < 0)
			return ret;
		if (got < len)
			return data_truncated(img, s, i + got / s->bs);
		if (s->bpc) {
			cc_csum_update(&s->csum, s->buf + i * s->bs, len);
			if ((ret = cc_img_read(img, stored, s->cs, &got)) < 0)
				return ret;
			if (got < s->cs)
				return csum_truncated(img, s, i + k - 1);
			cc_csum_final(&s->csum, want_cs);
			if (memcmp(stored, want_cs, s->cs))
				return csum_mismatch(img, s, i, k, at);
			if (s->reseed)
				cc_csum_reset(&s->csum);
		}
		i += k;
	}
	return 0;
}

static int read_v1(struct cc_image *img, struct ptcl *s, uint64_t n)
{
	unsigned char stored[8];
	uint64_t i;
	size_t got;
	int ret;

	for (i = 0; i < n; i++) {
		unsigned char *blk = s->buf + i * s->bs;
		uint64_t at = img->pos;

		if ((ret = cc_img_read(img, blk, s->bs, &got)) < 0)
			return ret;
		if (got < s->bs)
			return data_truncated(img, s, i);
		if ((ret = cc_img_read(img, stored, s->cs, &got)) < 0)
			return ret;
		if (got < s->cs)
			return csum_truncated(img, s, i);
		s->crc1 = crc0001(s, s->crc1, blk);
		if (cc_get_le32(stored) != s->crc1)
			return csum_mismatch(img, s, i, 1, at);
	}
	return 0;
}

/* How many of the first n used blocks validate with a CRC stride of `cs`
 * bytes.  *all: every one of the n was there and matched; *bad: a stored
 * CRC contradicted the stride. */
static uint64_t v1_try(struct ptcl *s, const unsigned char *la, size_t len, size_t cs,
		       uint64_t n, int *all, int *bad)
{
	uint32_t crc = CC_PTCL_CRC_SEED;
	uint64_t i;

	*all = *bad = 0;
	for (i = 0; i < n; i++) {
		size_t off = (size_t)(i * (s->bs + cs));

		if (off + s->bs + cs > len)
			return i;
		crc = crc0001(s, crc, la + off);
		if (cc_get_le32(la + off + s->bs) != crc) {
			*bad = 1;
			return i;
		}
	}
	*all = 1;
	return i;
}

/* Choose between the 4- and 8-byte CRC layouts of format 0001 from the
 * first blocks: when both validate all of them and they are all the used
 * blocks, the exact length decides; else a stride no stored CRC
 * contradicts, then the one validating more blocks; else 4. */
static int v1_probe(struct cc_image *img, struct ptcl *s)
{
	uint64_t n = s->used < V1_LOOKAHEAD_BLOCKS ? s->used : V1_LOOKAHEAD_BLOCKS, a, b;
	size_t len, got;
	unsigned char *la;
	int a_all, b_all, a_bad, b_bad, ret;

	while (n > 1 && n * (s->bs + 8) > V1_LOOKAHEAD_BYTES)
		n--;
	len = (size_t)(n * (s->bs + 8));
	if (!(la = malloc(len)))
		return cc_fail(img->err, CC_E_NOMEM, 0, _("out of memory"));
	if ((ret = cc_img_read(img, la, len, &got)) < 0) {
		free(la);
		return ret;
	}
	a = v1_try(s, la, got, 4, n, &a_all, &a_bad);
	b = v1_try(s, la, got, 8, n, &b_all, &b_bad);
	if (a_all && b_all)
		s->cs = n == s->used && got == len ? 8 : 4;
	else if (a_bad != b_bad)
		s->cs = a_bad ? 8 : 4;
	else
		s->cs = b > a ? 8 : 4;
	img->info.checksum_size = (unsigned)s->cs;
	s->fill_byte = -1;
	ret = cc_img_unread(img, la, got);
	free(la);
	return ret;
}

static int alloc_batch(struct cc_image *img, struct ptcl *s)
{
	uint64_t n = s->used - s->done < s->batch_blocks ? s->used - s->done : s->batch_blocks;

	s->alloc_blocks = (size_t)n;
	s->buf = malloc((size_t)n * s->bs);
	s->runs = malloc(((size_t)n + 1) * sizeof(*s->runs));
	if (!s->buf || !s->runs)
		return cc_fail(img->err, CC_E_NOMEM, 0, _("out of memory"));
	return 0;
}

static int load_batch(struct cc_image *img, struct ptcl *s)
{
	uint64_t n = s->used - s->done;
	int ret;

	if (!s->buf && (ret = alloc_batch(img, s)) < 0)
		return ret;
	if (n > s->alloc_blocks)
		n = s->alloc_blocks;
	if ((ret = collect_runs(img, s, n)) < 0)
		return ret;
	if (s->version == 1) {
		if (!s->v1_probed) {
			s->v1_probed = 1;
			if ((ret = v1_probe(img, s)) < 0)
				return ret;
		}
		ret = read_v1(img, s, n);
	} else {
		ret = read_v2(img, s, n);
	}
	if (ret < 0)
		return ret;
	s->done += n;
	return 0;
}

static int ptcl_next(struct cc_image *img, struct cc_extent *ext)
{
	struct ptcl *s = img->priv;
	const struct run *r;
	int ret;

	if (s->ri == s->nruns) {
		if (s->done == s->used)
			return cc_img_expect_end(img);
		if ((ret = load_batch(img, s)) < 0)
			return ret;
	}
	r = &s->runs[s->ri++];
	ext->offset = r->start * s->bs;
	ext->len = (size_t)(r->count * s->bs);
	ext->data = s->buf + s->off;
	ext->first_block = r->start;
	s->off += ext->len;
	return 1;
}

static void ptcl_free(struct cc_image *img)
{
	struct ptcl *s = img->priv;

	if (!s)
		return;
	cc_csum_free(&s->csum);
	free(s->fill);
	free(s->buf);
	free(s->runs);
	free(s);
	img->priv = NULL;
}

static const struct cc_image_ops ptcl_ops = {ptcl_next, ptcl_free};

/* ---- header and bitmap ---- */

static int corrupt(struct cc_image *img, const char *what, unsigned long long v)
{
	/* TRANSLATORS: %s names a header field, %llu is its value. */
	return cc_fail(img->err, CC_E_CORRUPT, 0, _("invalid partclone header: %s (%llu)"), what,
		       v);
}

/* Limits shared by both versions, checked before anything is allocated. */
static int check_geometry(struct cc_image *img, uint64_t bs, uint64_t total, uint64_t used_sb)
{
	if (bs < CC_IMG_MIN_BS || bs > CC_IMG_MAX_BS || (bs & (bs - 1)))
		return corrupt(img, _("block size is not a power of two between 512 and 64 MiB"),
			       (unsigned long long)bs);
	if (total > CC_IMG_MAX_BLOCKS)
		return corrupt(img, _("too many blocks"), (unsigned long long)total);
	if (used_sb > total)
		return corrupt(img, _("more used blocks than blocks"), (unsigned long long)used_sb);
	return 0;
}

/* Make room for `need` bytes of bitmap (plus 8 spare, zeroed). */
static int bitmap_grow(struct cc_image *img, size_t *cap, size_t need, size_t max)
{
	size_t ncap = *cap ? *cap : BITMAP_CHUNK;
	unsigned char *p;

	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	if (img->bm.bytes && ncap <= *cap)
		return 0;
	if (!(p = realloc(img->bm.bytes, ncap + 8)))
		return cc_fail(img->err, CC_E_NOMEM, 0,
			       _("cannot allocate a bitmap of %llu blocks"),
			       (unsigned long long)img->bm.nbits);
	memset(p + *cap, 0, ncap + 8 - *cap);
	img->bm.bytes = p;
	*cap = ncap;
	return 0;
}

static int bitmap_truncated(struct cc_image *img, uint64_t have, uint64_t want)
{
	return cc_fail(img->err, CC_E_TRUNCATED, 0,
		       _("image ends inside the bitmap at byte %llu (%llu of %llu bitmap bytes)"),
		       (unsigned long long)img->pos, (unsigned long long)have,
		       (unsigned long long)want);
}

/* BM_BIT: the bitmap bytes and their CRC.  The buffer grows with what the
 * stream really holds, so a header claiming 2^43 blocks costs nothing. */
static int read_bitmap_bits(struct cc_image *img, uint64_t total)
{
	size_t nbytes = (size_t)((total + 7) / 8), cap = 0, have = 0, got;
	uint32_t crc = CC_PTCL_CRC_SEED;
	unsigned char c[4];
	int ret;

	img->bm.nbits = total;
	if ((ret = bitmap_grow(img, &cap, nbytes < BITMAP_CHUNK ? nbytes : BITMAP_CHUNK,
			       nbytes)) < 0)
		return ret;
	while (have < nbytes) {
		if (have == cap && (ret = bitmap_grow(img, &cap, cap + 1, nbytes)) < 0)
			return ret;
		if ((ret = cc_img_read(img, img->bm.bytes + have, cap - have, &got)) < 0)
			return ret;
		crc = cc_ptcl_crc32(crc, img->bm.bytes + have, got);
		have += got;
		if (have < cap)
			return bitmap_truncated(img, have, nbytes);
	}
	if ((ret = cc_img_read(img, c, 4, &got)) < 0)
		return ret;
	if (got < 4)
		return cc_fail(img->err, CC_E_TRUNCATED, 0,
			       _("image ends inside the bitmap checksum (at byte %llu)"),
			       (unsigned long long)img->pos);
	if (cc_get_le32(c) != crc)
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("bitmap checksum mismatch (stored 0x%08X, computed 0x%08X, bitmap "
				 "at image bytes %llu..%llu)"),
			       cc_get_le32(c), crc, (unsigned long long)(img->pos - 4 - nbytes),
			       (unsigned long long)(img->pos - 5));
	cc_bitmap_clear_tail(&img->bm);
	return 0;
}

/* BM_BYTE (format 0001): one byte per block, 1 = used, then "BiTmAgIc". */
static int read_bitmap_bytes(struct cc_image *img, uint64_t total)
{
	size_t cap = 0, got, j, maxb = (size_t)((total + 7) / 8);
	unsigned char *chunk, magic[8];
	uint64_t have = 0;
	int ret = 0;

	img->bm.nbits = total;
	if (!(chunk = malloc(V1_FILL_MAX)))
		return cc_fail(img->err, CC_E_NOMEM, 0, _("out of memory"));
	if ((ret = bitmap_grow(img, &cap, maxb < BITMAP_CHUNK ? maxb : BITMAP_CHUNK, maxb)) < 0)
		goto out;
	while (have < total) {
		size_t want = total - have < V1_FILL_MAX ? (size_t)(total - have) : V1_FILL_MAX;

		if ((ret = cc_img_read(img, chunk, want, &got)) < 0)
			goto out;
		if ((ret = bitmap_grow(img, &cap, (size_t)((have + got + 7) / 8), maxb)) < 0)
			goto out;
		for (j = 0; j < got; j++)
			if (chunk[j] == 1)
				cc_bitmap_set(&img->bm, have + j);
		have += got;
		if (got < want) {
			ret = bitmap_truncated(img, have, total);
			goto out;
		}
	}
	if ((ret = cc_img_read(img, magic, 8, &got)) < 0)
		goto out;
	if (got < 8)
		ret = cc_fail(img->err, CC_E_TRUNCATED, 0,
			      _("image ends inside the bitmap end mark (at byte %llu)"),
			      (unsigned long long)img->pos);
	else if (memcmp(magic, V1_MAGIC, 8))
		ret = cc_fail(img->err, CC_E_CORRUPT, 0,
			      _("bitmap end mark \"BiTmAgIc\" missing at image byte %llu"),
			      (unsigned long long)(img->pos - 8));
out:
	free(chunk);
	return ret;
}

static int read_header(struct cc_image *img, unsigned char *h, size_t len)
{
	size_t got;
	int ret;

	if ((ret = cc_img_read(img, h, len, &got)) < 0)
		return ret;
	if (got < len)
		return cc_fail(img->err, CC_E_TRUNCATED, 0,
			       _("image ends inside the partclone header (at byte %zu of %zu)"),
			       got, len);
	return 0;
}

/* Checksum fields of a 0002 header. */
static int check_v2_options(struct cc_image *img, const unsigned char *h, struct ptcl *s)
{
	struct cc_image_info *ii = &img->info;
	unsigned mode = cc_get_le16(h + 96), size = cc_get_le16(h + 98);
	uint32_t bpc = cc_get_le32(h + 100);
	size_t want;
	int known;

	want = cc_csum_size((int)mode, &known);
	if (!known)
		return cc_fail(img->err, CC_E_UNSUPPORTED, 0,
			       _("partclone image uses unknown checksum mode 0x%02X"), mode);
	if (size != want)
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("invalid partclone header: checksum size %u does not match mode "
				 "%s (%zu)"),
			       size, cc_csum_name((int)mode), want);
	if (mode != CC_CSUM_NONE && !bpc)
		return corrupt(img, _("checksum mode set but 0 blocks per checksum"), 0);
	if (mode == CC_CSUM_NONE)
		bpc = 0;
	if ((uint64_t)bpc * s->bs > CC_IMG_MAX_GROUP_BYTES)
		return cc_fail(img->err, CC_E_UNSUPPORTED, 0,
			       _("partclone image has %u blocks of %u bytes per checksum; more "
				 "than 64 MiB per checksum is not supported"),
			       bpc, s->bs);
	s->bpc = bpc;
	s->cs = want;
	s->reseed = h[104] != 0;
	ii->checksum_mode = (int)mode;
	ii->checksum_size = (unsigned)want;
	ii->blocks_per_checksum = bpc;
	ii->reseed = s->reseed;
	if (cc_csum_init(&s->csum, (int)mode) < 0)
		return cc_fail(img->err, CC_E_NOMEM, 0, _("out of memory"));
	return 0;
}

static int open_v2(struct cc_image *img, struct ptcl *s)
{
	struct cc_image_info *ii = &img->info;
	unsigned char h[V2_HDR];
	uint64_t total, used_sb, used_bm, dev, bytes;
	uint32_t crc;
	int ret, bmode;

	if ((ret = read_header(img, h, V2_HDR)) < 0)
		return ret;
	crc = cc_ptcl_crc32(CC_PTCL_CRC_SEED, h, V2_HDR_CRC_OFF);
	if (crc != cc_get_le32(h + V2_HDR_CRC_OFF))
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("partclone header checksum mismatch (stored 0x%08X, computed "
				 "0x%08X)"),
			       cc_get_le32(h + V2_HDR_CRC_OFF), crc);
	if (cc_get_le16(h + 34) != ENDIAN_MAGIC)
		return cc_fail(img->err, CC_E_UNSUPPORTED, 0,
			       _("partclone image was made on a big-endian machine (marker "
				 "0x%04X); only little-endian images are supported"),
			       cc_get_le16(h + 34));
	cc_img_copy_str(ii->creator, sizeof(ii->creator), h + 16, 14);
	cc_img_copy_str(ii->fs_tag, sizeof(ii->fs_tag), h + 36, 16);
	dev = cc_get_le64(h + 52);
	total = cc_get_le64(h + 60);
	used_sb = cc_get_le64(h + 68);
	used_bm = cc_get_le64(h + 76);
	s->bs = cc_get_le32(h + 84);
	if ((ret = check_geometry(img, s->bs, total, used_sb)) < 0)
		return ret;
	if (used_bm > total)
		return corrupt(img, _("more blocks in the bitmap than blocks"),
			       (unsigned long long)used_bm);
	if (__builtin_mul_overflow(total, (uint64_t)s->bs, &bytes) || bytes > dev)
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("invalid partclone header: %llu blocks of %u bytes do not fit in "
				 "the device size %llu"),
			       (unsigned long long)total, s->bs, (unsigned long long)dev);
	if (cc_get_le16(h + 92) != 2)
		return corrupt(img, _("image version is not 2"), cc_get_le16(h + 92));
	if ((ret = check_v2_options(img, h, s)) < 0)
		return ret;
	bmode = h[105];
	ii->device_size = dev;
	ii->total_blocks = total;
	ii->used_blocks_sb = used_sb;
	ii->block_size = s->bs;
	ii->bitmap_mode = bmode;
	if (bmode == BM_NONE) {
		if (used_bm != total)
			return corrupt(img, _("no bitmap but not every block is used"),
				       (unsigned long long)used_bm);
		s->all_used = 1;
		s->used = total;
	} else if (bmode == BM_BIT) {
		if ((ret = read_bitmap_bits(img, total)) < 0)
			return ret;
		s->used = cc_bitmap_count(&img->bm);
		if (s->used != used_bm)
			return cc_fail(img->err, CC_E_CORRUPT, 0,
				       _("the bitmap has %llu used blocks but the header says "
					 "%llu"),
				       (unsigned long long)s->used, (unsigned long long)used_bm);
	} else {
		return cc_fail(img->err, CC_E_UNSUPPORTED, 0,
			       _("partclone image uses unsupported bitmap mode 0x%02X"), bmode);
	}
	ii->used_blocks = s->used;
	return 0;
}

static int open_v1(struct cc_image *img, struct ptcl *s)
{
	struct cc_image_info *ii = &img->info;
	unsigned char h[V1_HDR];
	uint64_t total, used_sb;
	int ret;

	if ((ret = read_header(img, h, V1_HDR)) < 0)
		return ret;
	cc_img_copy_str(ii->fs_tag, sizeof(ii->fs_tag), h + 15, 15);
	ii->creator[0] = '\0';
	s->bs = cc_get_le32(h + 36);
	total = cc_get_le64(h + 48);
	used_sb = cc_get_le64(h + 56);
	if ((ret = check_geometry(img, s->bs, total, used_sb)) < 0)
		return ret;
	/* As partclone: the device size is what the blocks cover. */
	if (__builtin_mul_overflow(total, (uint64_t)s->bs, &ii->device_size))
		return corrupt(img, _("the blocks overflow a 64-bit device size"),
			       (unsigned long long)total);
	ii->total_blocks = total;
	ii->used_blocks_sb = used_sb;
	ii->block_size = s->bs;
	ii->checksum_mode = CC_CSUM_CRC32;
	ii->checksum_size = 4;
	ii->blocks_per_checksum = 1;
	ii->reseed = 0;
	ii->bitmap_mode = BM_BYTE;
	s->cs = 4;
	s->bpc = 1;
	s->crc1 = CC_PTCL_CRC_SEED;
	s->fill_len = s->bs < V1_FILL_MAX ? s->bs : V1_FILL_MAX;
	s->fill_byte = -1;
	if (!(s->fill = malloc(s->fill_len)))
		return cc_fail(img->err, CC_E_NOMEM, 0, _("out of memory"));
	if ((ret = read_bitmap_bytes(img, total)) < 0)
		return ret;
	s->used = cc_bitmap_count(&img->bm);
	ii->used_blocks = s->used;
	return 0;
}

int cc_fmt_ptcl_open(struct cc_image *img, int version)
{
	struct ptcl *s;
	uint64_t group;
	int ret;

	if (!(s = calloc(1, sizeof(*s))))
		return cc_fail(img->err, CC_E_NOMEM, 0, _("out of memory"));
	img->priv = s;
	img->ops = &ptcl_ops;
	s->version = version;
	img->info.format = version == 1 ? CC_FMT_PTCL1 : CC_FMT_PTCL2;
	ret = version == 1 ? open_v1(img, s) : open_v2(img, s);
	if (ret < 0)
		return ret;
	/* A batch is whole checksum groups: up to 4 MiB, at least one group. */
	group = s->bpc ? s->bpc : 1;
	if (group * s->bs >= CC_IMG_BATCH_BYTES)
		s->batch_blocks = (size_t)group;
	else
		s->batch_blocks = (size_t)(CC_IMG_BATCH_BYTES / s->bs / group * group);
	return 0;
}
