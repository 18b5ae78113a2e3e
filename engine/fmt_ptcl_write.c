/*
 * fmt_ptcl_write.c - writer of partclone image format 0002, byte for byte
 * what partclone 0.3.x writes: the 110-byte header (creator string
 * CC_PTCL_CREATOR, which partclone.info/chkimg/restore 0.3.23 accept and
 * print), the BIT bitmap and its CRC (also with checksum mode NONE), then
 * the used blocks with a checksum after every blocks_per_checksum blocks
 * and after a final partial group.  With mode NONE the header says
 * blocks_per_checksum 0 and reseed 1, as partclone -a0 writes.
 *
 * The data goes to the output stream in the pieces the caller passes
 * (split only at checksum group boundaries); the checksum of a group is
 * computed over its whole range, never block by block.
 */
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "error.h"
#include "i18n.h"
#include "image.h"
#include "image_fmt.h"

#ifndef CC_PTCL_CREATOR
#define CC_PTCL_CREATOR "clonecast-0.1" /* at most 13 characters */
#endif

#define HDR_SIZE 110
#define CREATOR_FIELD 14
#define FS_FIELD 16
#define FEATURE_SIZE 18
#define DEFAULT_BUFFER ((uint32_t)1 << 20) /* partclone's -z default */

struct cc_ptcl_writer {
	struct cc_ostream *out;
	struct cc_error *err;
	uint32_t bs;
	uint32_t bpc; /* 0: no checksums */
	int reseed;
	size_t cs;
	struct cc_csum csum;
	uint64_t expected; /* used blocks in the bitmap */
	uint64_t written;
	uint64_t in_group;
	int failed;
	int finished;
};

/* The stream failed: make sure w->err holds its message. */
static int out_error(struct cc_ptcl_writer *w, int r)
{
	struct cc_error *se = w->out->err;

	if (se && se->code == -r) {
		if (w->err && se != w->err)
			*w->err = *se;
	} else {
		cc_fail(w->err, r, 0, _("cannot write the image"));
	}
	w->failed = r;
	return r;
}

static int put(struct cc_ptcl_writer *w, const void *buf, size_t len)
{
	int r = cc_ostream_write(w->out, buf, len);

	return r < 0 ? out_error(w, r) : 0;
}

static int bad_param(struct cc_error *err, const char *what, unsigned long long v)
{
	/* TRANSLATORS: %s names a partclone header field, %llu is its value. */
	return cc_fail(err, CC_E_BAD_ARGS, 0, _("cannot write a partclone image: %s (%llu)"), what,
		       v);
}

static int check_params(const struct cc_ptcl_params *p, const struct cc_bitmap *bm,
			struct cc_error *err)
{
	uint64_t bytes;
	int known;

	if (p->block_size < CC_IMG_MIN_BS || p->block_size > CC_IMG_MAX_BS ||
	    (p->block_size & (p->block_size - 1)))
		return bad_param(err, _("block size is not a power of two between 512 and 64 MiB"),
				 p->block_size);
	if (!p->fs_tag[0] || !memchr(p->fs_tag, '\0', sizeof(p->fs_tag)))
		return bad_param(err, _("filesystem tag is empty or too long"), 0);
	if (p->total_blocks != bm->nbits)
		return bad_param(err, _("the bitmap does not have one bit per block"), bm->nbits);
	if (p->total_blocks > CC_IMG_MAX_BLOCKS)
		return bad_param(err, _("too many blocks"), p->total_blocks);
	if (p->used_blocks_sb > p->total_blocks)
		return bad_param(err, _("more used blocks than blocks"), p->used_blocks_sb);
	if (__builtin_mul_overflow(p->total_blocks, (uint64_t)p->block_size, &bytes) ||
	    bytes > p->device_size)
		return bad_param(err, _("the blocks do not fit in the device size"),
				 p->device_size);
	cc_csum_size(p->checksum_mode, &known);
	if (!known)
		return bad_param(err, _("unknown checksum mode"), (unsigned)p->checksum_mode);
	return 0;
}

/* blocks_per_checksum as partclone chooses it: buffer_size / block_size. */
static uint32_t pick_bpc(const struct cc_ptcl_params *p)
{
	if (p->checksum_mode == CC_CSUM_NONE)
		return 0;
	if (p->blocks_per_checksum)
		return p->blocks_per_checksum;
	return DEFAULT_BUFFER > p->block_size ? DEFAULT_BUFFER / p->block_size : 1;
}

static void build_header(unsigned char *h, const struct cc_ptcl_params *p,
			 const struct cc_ptcl_writer *w, uint64_t used)
{
	memset(h, 0, HDR_SIZE);
	memcpy(h, "partclone-image", 16); /* with its NUL */
	memcpy(h + 16, CC_PTCL_CREATOR, strlen(CC_PTCL_CREATOR));
	memcpy(h + 30, "0002", 4);
	cc_put_le16(h + 34, 0xC0DE);
	memcpy(h + 36, p->fs_tag, strnlen(p->fs_tag, FS_FIELD - 1));
	cc_put_le64(h + 52, p->device_size);
	cc_put_le64(h + 60, p->total_blocks);
	cc_put_le64(h + 68, p->used_blocks_sb);
	cc_put_le64(h + 76, used);
	cc_put_le32(h + 84, p->block_size);
	cc_put_le32(h + 88, FEATURE_SIZE);
	cc_put_le16(h + 92, 2);
	cc_put_le16(h + 94, 64);
	cc_put_le16(h + 96, (uint16_t)p->checksum_mode);
	cc_put_le16(h + 98, (uint16_t)w->cs);
	cc_put_le32(h + 100, w->bpc);
	h[104] = (unsigned char)w->reseed;
	h[105] = 0x01; /* BM_BIT */
	cc_put_le32(h + 106, cc_ptcl_crc32(CC_PTCL_CRC_SEED, h, 106));
}

/* Header, bitmap (bits past the last block cleared) and the bitmap CRC. */
static int write_head(struct cc_ptcl_writer *w, const struct cc_ptcl_params *p,
		      const struct cc_bitmap *bm)
{
	size_t n = cc_bitmap_nbytes(bm);
	unsigned char h[HDR_SIZE], last = 0, c[4];
	uint32_t crc = CC_PTCL_CRC_SEED;
	uint64_t used = cc_bitmap_count(bm);
	int ret;

	if (n) {
		last = bm->bytes[n - 1];
		if (bm->nbits & 7)
			last &= (unsigned char)((1u << (bm->nbits & 7)) - 1);
		used -= (uint64_t)(__builtin_popcount(bm->bytes[n - 1]) - __builtin_popcount(last));
	}
	w->expected = used;
	build_header(h, p, w, used);
	if ((ret = put(w, h, HDR_SIZE)) < 0)
		return ret;
	if (n) {
		crc = cc_ptcl_crc32(crc, bm->bytes, n - 1);
		crc = cc_ptcl_crc32(crc, &last, 1);
		if ((ret = put(w, bm->bytes, n - 1)) < 0 || (ret = put(w, &last, 1)) < 0)
			return ret;
	}
	cc_put_le32(c, crc);
	return put(w, c, 4);
}

int cc_ptcl_writer_new(const struct cc_ptcl_params *p, const struct cc_bitmap *bm,
		       struct cc_ostream *out, struct cc_error *err, struct cc_ptcl_writer **wp)
{
	struct cc_ptcl_writer *w;
	int ret;

	*wp = NULL;
	if ((ret = check_params(p, bm, err)) < 0)
		return ret;
	if (!(w = calloc(1, sizeof(*w))))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	w->out = out;
	w->err = err;
	w->bs = p->block_size;
	w->bpc = pick_bpc(p);
	w->reseed = p->checksum_mode == CC_CSUM_NONE || p->reseed ? 1 : 0;
	w->cs = cc_csum_size(p->checksum_mode, NULL);
	if ((uint64_t)w->bpc * w->bs > CC_IMG_MAX_GROUP_BYTES) {
		ret = bad_param(err, _("more than 64 MiB per checksum"), w->bpc);
		goto fail;
	}
	if (cc_csum_init(&w->csum, p->checksum_mode) < 0) {
		ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		goto fail;
	}
	if ((ret = write_head(w, p, bm)) < 0)
		goto fail;
	*wp = w;
	return 0;
fail:
	cc_ptcl_writer_free(w);
	return ret;
}

/* Append the checksum of the current group. */
static int put_csum(struct cc_ptcl_writer *w)
{
	unsigned char c[16];

	cc_csum_final(&w->csum, c);
	if (w->reseed)
		cc_csum_reset(&w->csum);
	w->in_group = 0;
	return put(w, c, w->cs);
}

static int count_mismatch(struct cc_ptcl_writer *w, uint64_t written)
{
	w->failed = cc_fail(w->err, CC_E_IO, 0,
			    _("internal error: %llu blocks were written to the image but its "
			      "bitmap has %llu used blocks"),
			    (unsigned long long)written, (unsigned long long)w->expected);
	return w->failed;
}

int cc_ptcl_writer_blocks(struct cc_ptcl_writer *w, const void *data, uint64_t nblocks)
{
	const unsigned char *p = data;
	int ret;

	if (w->failed)
		return w->failed;
	if (w->finished || nblocks > w->expected - w->written)
		return count_mismatch(w, w->written + nblocks);
	while (nblocks) {
		uint64_t k = nblocks;
		size_t len;

		if (w->bpc && k > w->bpc - w->in_group)
			k = w->bpc - w->in_group;
		len = (size_t)(k * w->bs);
		if (w->bpc)
			cc_csum_update(&w->csum, p, len);
		if ((ret = put(w, p, len)) < 0)
			return ret;
		w->written += k;
		w->in_group += k;
		p += len;
		nblocks -= k;
		if (w->bpc && w->in_group == w->bpc && (ret = put_csum(w)) < 0)
			return ret;
	}
	return 0;
}

int cc_ptcl_writer_finish(struct cc_ptcl_writer *w)
{
	int ret;

	if (w->failed)
		return w->failed;
	if (w->finished)
		return 0;
	if (w->written != w->expected)
		return count_mismatch(w, w->written);
	if (w->bpc && w->in_group && (ret = put_csum(w)) < 0)
		return ret;
	w->finished = 1;
	return 0;
}

void cc_ptcl_writer_free(struct cc_ptcl_writer *w)
{
	if (!w)
		return;
	cc_csum_free(&w->csum);
	free(w);
}
