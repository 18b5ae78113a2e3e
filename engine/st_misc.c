/*
 * st_misc.c - decompressors for images made by other tools: bzip2, xz and
 * lz4 (frame format, and the legacy format `lz4 -l` writes).  Clonecast
 * never writes these.
 *
 * All read concatenated streams/frames as one stream, as the CLIs do.  A
 * stream that ends inside a stream/frame is -CC_E_TRUNCATED, bad data
 * -CC_E_CORRUPT with the compressed offset.  After the last stream, zero
 * bytes are accepted as padding (for xz, liblzma applies the format's own
 * rule: a multiple of 4 zero bytes); other trailing data is corrupt.
 *
 * What each format can detect: bzip2 has a CRC per block and per stream;
 * xz has a CRC64 (the CLI default) per block; an lz4 frame has a content
 * checksum when the writer enabled it (the CLI does by default).  The lz4
 * legacy format has no checksum and no end mark: a flipped literal byte
 * goes unnoticed, and a cut at a block boundary reads as a clean end.
 */
#include <bzlib.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "error.h"
#include "i18n.h"

#define IN_BUF_SIZE (1u << 20)

/* ---- shared input buffer ---- */

struct inbuf {
	unsigned char *buf;
	size_t pos, len;
	int eof;
};

static int inbuf_init(struct inbuf *b)
{
	b->pos = b->len = 0;
	b->eof = 0;
	return (b->buf = malloc(IN_BUF_SIZE)) ? 0 : -1;
}

static size_t inbuf_avail(const struct inbuf *b)
{
	return b->len - b->pos;
}

/* Compressed offset of the next unread byte. */
static unsigned long long inbuf_offset(const struct cc_istream *s, const struct inbuf *b)
{
	return (unsigned long long)(s->bytes_in - inbuf_avail(b));
}

/* Make at least `want` (<= IN_BUF_SIZE) bytes available unless the source
 * ends first; returns 0 or the source's error. */
static int inbuf_need(struct cc_istream *s, struct inbuf *b, size_t want)
{
	while (inbuf_avail(b) < want && !b->eof) {
		ssize_t n;

		if (b->pos) {
			memmove(b->buf, b->buf + b->pos, inbuf_avail(b));
			b->len -= b->pos;
			b->pos = 0;
		}
		n = cc_istream_read(s->src, b->buf + b->len, IN_BUF_SIZE - b->len);
		if (n < 0)
			return (int)n;
		if (n == 0)
			b->eof = 1;
		s->bytes_in += (uint64_t)n;
		b->len += (size_t)n;
	}
	return 0;
}

/* Refill when empty. */
static int inbuf_fill(struct cc_istream *s, struct inbuf *b)
{
	return inbuf_avail(b) ? 0 : inbuf_need(s, b, 1);
}

/* The end of the last stream: only zero padding may follow. */
static int inbuf_zero_tail(struct cc_istream *s, struct inbuf *b, const char *what)
{
	int r = cc_codec_zero_tail(s, b->buf + b->pos, inbuf_avail(b), inbuf_offset(s, b), what);

	b->pos = b->len;
	return r;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- bzip2 ---- */

enum phase { PH_BETWEEN, PH_IN, PH_LEGACY, PH_DONE };

struct bzd {
	bz_stream bz;
	int bz_ready;
	struct inbuf in;
	enum phase phase;
	unsigned long long nr, start; /* current stream: 1-based number, offset */
};

static int bzd_between(struct cc_istream *s)
{
	struct bzd *d = s->priv;
	int r;

	if ((r = inbuf_fill(s, &d->in)) < 0)
		return r;
	if (!inbuf_avail(&d->in)) {
		d->phase = PH_DONE;
		return 0;
	}
	if (d->in.buf[d->in.pos] == 0) {
		d->phase = PH_DONE;
		return inbuf_zero_tail(s, &d->in, "bzip2");
	}
	if (d->in.buf[d->in.pos] != 'B')
		return cc_fail(s->err, CC_E_CORRUPT, 0,
			       _("trailing garbage after bzip2 stream %llu at compressed byte "
				 "%llu"),
			       d->nr, inbuf_offset(s, &d->in));
	memset(&d->bz, 0, sizeof(d->bz));
	if (BZ2_bzDecompressInit(&d->bz, 0, 0) != BZ_OK)
		return cc_fail(s->err, CC_E_NOMEM, 0, _("out of memory"));
	d->bz_ready = 1;
	d->nr++;
	d->start = inbuf_offset(s, &d->in);
	d->phase = PH_IN;
	return 0;
}

static int bzd_error(struct cc_istream *s, int r)
{
	struct bzd *d = s->priv;

	if (r == BZ_MEM_ERROR)
		return cc_fail(s->err, CC_E_NOMEM, 0, _("out of memory"));
	return cc_fail(s->err, CC_E_CORRUPT, 0,
		       _("bzip2 stream %llu (at compressed byte %llu) is corrupt at compressed "
			 "byte %llu (%s)"),
		       d->nr, d->start, inbuf_offset(s, &d->in),
		       r == BZ_DATA_ERROR_MAGIC ? _("not bzip2 data") : _("bad data or CRC"));
}

/* One BZ2_bzDecompress step into buf[*done..len). */
static int bzd_step(struct cc_istream *s, char *buf, size_t len, size_t *done)
{
	struct bzd *d = s->priv;
	size_t room = len - *done, avail;
	unsigned out_room, in_used, out_used;
	int r;

	if ((r = inbuf_fill(s, &d->in)) < 0)
		return r;
	avail = inbuf_avail(&d->in);
	out_room = room > 1u << 30 ? 1u << 30 : (unsigned)room;
	d->bz.next_in = (char *)d->in.buf + d->in.pos;
	d->bz.avail_in = (unsigned)avail;
	d->bz.next_out = buf + *done;
	d->bz.avail_out = out_room;
	r = BZ2_bzDecompress(&d->bz);
	in_used = (unsigned)avail - d->bz.avail_in;
	out_used = out_room - d->bz.avail_out;
	d->in.pos += in_used;
	*done += out_used;
	if (r == BZ_STREAM_END) {
		BZ2_bzDecompressEnd(&d->bz);
		d->bz_ready = 0;
		d->phase = PH_BETWEEN;
		return 0;
	}
	if (r != BZ_OK)
		return bzd_error(s, r);
	if (d->in.eof && !inbuf_avail(&d->in) && !in_used && !out_used)
		return cc_fail(s->err, CC_E_TRUNCATED, 0,
			       _("bzip2 stream %llu (at compressed byte %llu) is truncated: the "
				 "data ends at compressed byte %llu"),
			       d->nr, d->start, inbuf_offset(s, &d->in));
	return 0;
}

static ssize_t bzd_read(struct cc_istream *s, void *buf, size_t len)
{
	struct bzd *d = s->priv;
	size_t done = 0;
	int r;

	while (done < len && d->phase != PH_DONE) {
		r = d->phase == PH_BETWEEN ? bzd_between(s) : bzd_step(s, buf, len, &done);
		if (r < 0)
			return r;
	}
	return (ssize_t)done;
}

static void bzd_free(struct cc_istream *s)
{
	struct bzd *d = s->priv;

	if (d->bz_ready)
		BZ2_bzDecompressEnd(&d->bz);
	free(d->in.buf);
	free(d);
}

static const struct cc_istream_ops bzd_ops = {"bzip2", bzd_read, bzd_free};

int cc_bzip2_decompress_new(struct cc_istream *src, struct cc_istream **out)
{
	struct bzd *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d || inbuf_init(&d->in) < 0 || !(*out = cc_istream_new(&bzd_ops, d, src, src->err))) {
		if (d)
			free(d->in.buf);
		free(d);
		return cc_fail(src->err, CC_E_NOMEM, 0, _("out of memory"));
	}
	d->phase = PH_BETWEEN;
	return 0;
}

/* ---- xz ---- */

/* xz -9 needs 65 MiB to decode; a header asking for more than this is
 * refused rather than allocated. */
#define XZ_MEMLIMIT (1ull << 30)

struct xzd {
	lzma_stream lz;
	struct inbuf in;
	int done;
};

static int xzd_error(struct cc_istream *s, lzma_ret r)
{
	struct xzd *d = s->priv;
	unsigned long long off = inbuf_offset(s, &d->in);

	switch (r) {
	case LZMA_MEM_ERROR:
		return cc_fail(s->err, CC_E_NOMEM, 0, _("out of memory"));
	case LZMA_MEMLIMIT_ERROR:
		return cc_fail(s->err, CC_E_UNSUPPORTED, 0,
			       _("xz data at compressed byte %llu needs more than %llu MiB of memory "
				 "to decompress"),
			       off, (unsigned long long)(XZ_MEMLIMIT >> 20));
	case LZMA_BUF_ERROR:
		return cc_fail(s->err, CC_E_TRUNCATED, 0,
			       _("xz data is truncated: it ends at compressed byte %llu"), off);
	case LZMA_FORMAT_ERROR:
		return cc_fail(s->err, CC_E_CORRUPT, 0,
			       _("xz data is corrupt: no xz stream at compressed byte %llu"), off);
	case LZMA_OPTIONS_ERROR:
		return cc_fail(s->err, CC_E_CORRUPT, 0,
			       _("xz data is corrupt or uses unsupported options at compressed "
				 "byte %llu"),
			       off);
	case LZMA_DATA_ERROR:
		return cc_fail(s->err, CC_E_CORRUPT, 0,
			       _("xz data is corrupt (bad data or CRC) at compressed byte %llu"),
			       off);
	default:
		return cc_fail(s->err, CC_E_CORRUPT, 0,
			       _("xz data is corrupt at compressed byte %llu (liblzma error %d)"),
			       off, (int)r);
	}
}

static ssize_t xzd_read(struct cc_istream *s, void *buf, size_t len)
{
	struct xzd *d = s->priv;
	lzma_ret r;
	int e;

	d->lz.next_out = buf;
	d->lz.avail_out = len;
	while (d->lz.avail_out && !d->done) {
		size_t avail;

		if ((e = inbuf_fill(s, &d->in)) < 0)
			return e;
		avail = inbuf_avail(&d->in);
		d->lz.next_in = d->in.buf + d->in.pos;
		d->lz.avail_in = avail;
		r = lzma_code(&d->lz, d->in.eof ? LZMA_FINISH : LZMA_RUN);
		d->in.pos += avail - d->lz.avail_in;
		if (r == LZMA_STREAM_END)
			d->done = 1;
		else if (r != LZMA_OK)
			return xzd_error(s, r);
	}
	return (ssize_t)(len - d->lz.avail_out);
}

static void xzd_free(struct cc_istream *s)
{
	struct xzd *d = s->priv;

	lzma_end(&d->lz);
	free(d->in.buf);
	free(d);
}

static const struct cc_istream_ops xzd_ops = {"xz", xzd_read, xzd_free};

int cc_xz_decompress_new(struct cc_istream *src, struct cc_istream **out)
{
	static const lzma_stream init = LZMA_STREAM_INIT;
	struct xzd *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (d)
		d->lz = init;
	if (!d || inbuf_init(&d->in) < 0 ||
	    lzma_stream_decoder(&d->lz, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK ||
	    !(*out = cc_istream_new(&xzd_ops, d, src, src->err))) {
		if (d) {
			lzma_end(&d->lz);
			free(d->in.buf);
		}
		free(d);
		return cc_fail(src->err, CC_E_NOMEM, 0, _("out of memory"));
	}
	return 0;
}

/* ---- lz4 ---- */

#define LZ4_FRAME_MAGIC	 0x184d2204u
#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20)
#define LZ4_LEGACY_BOUND LZ4_COMPRESSBOUND(LZ4_LEGACY_BLOCK)

struct lzd {
	LZ4F_dctx *dctx;
	struct inbuf in;
	enum phase phase;
	unsigned long long nr, start; /* current frame: 1-based number, offset */
	/* legacy format: one compressed block and its decoded bytes */
	unsigned char *cblk, *blk;
	size_t blk_pos, blk_len;
};

static int lzd_truncated(struct cc_istream *s)
{
	struct lzd *d = s->priv;

	return cc_fail(s->err, CC_E_TRUNCATED, 0,
		       _("lz4 frame %llu (at compressed byte %llu) is truncated: the data ends at "
			 "compressed byte %llu"),
		       d->nr, d->start, inbuf_offset(s, &d->in));
}

/* At a frame boundary: a frame, a legacy frame, zero padding or the end. */
static int lzd_between(struct cc_istream *s)
{
	struct lzd *d = s->priv;
	uint32_t magic;
	int r;

	if ((r = inbuf_need(s, &d->in, 4)) < 0)
		return r;
	if (!inbuf_avail(&d->in)) {
		d->phase = PH_DONE;
		return 0;
	}
	if (d->in.buf[d->in.pos] == 0) {
		d->phase = PH_DONE;
		return inbuf_zero_tail(s, &d->in, "lz4");
	}
	d->nr++;
	d->start = inbuf_offset(s, &d->in);
	if (inbuf_avail(&d->in) < 4)
		return lzd_truncated(s);
	magic = le32(d->in.buf + d->in.pos);
	if (magic == LZ4_LEGACY_MAGIC) {
		if (!d->cblk && (!(d->cblk = malloc(LZ4_LEGACY_BOUND)) ||
				 !(d->blk = malloc(LZ4_LEGACY_BLOCK))))
			return cc_fail(s->err, CC_E_NOMEM, 0, _("out of memory"));
		d->in.pos += 4;
		d->phase = PH_LEGACY;
		return 0;
	}
	/* LZ4F checks the magic (and skips skippable frames) itself. */
	d->phase = PH_IN;
	return 0;
}

static int lzd_frame_step(struct cc_istream *s, void *buf, size_t len, size_t *done)
{
	struct lzd *d = s->priv;
	size_t src_size, dst_size, hint;
	int r;

	if ((r = inbuf_fill(s, &d->in)) < 0)
		return r;
	src_size = inbuf_avail(&d->in);
	dst_size = len - *done;
	hint = LZ4F_decompress(d->dctx, (char *)buf + *done, &dst_size, d->in.buf + d->in.pos,
			       &src_size, NULL);
	d->in.pos += src_size;
	*done += dst_size;
	if (LZ4F_isError(hint))
		return cc_fail(s->err, CC_E_CORRUPT, 0,
			       _("lz4 frame %llu (at compressed byte %llu) is corrupt after "
				 "compressed byte %llu: %s"),
			       d->nr, d->start, inbuf_offset(s, &d->in), LZ4F_getErrorName(hint));
	if (!hint)
		d->phase = PH_BETWEEN;
	else if (d->in.eof && !inbuf_avail(&d->in) && !src_size && !dst_size)
		return lzd_truncated(s);
	return 0;
}

/* Legacy format: [size LE32][size bytes of LZ4 block] ..., each block
 * decoding to at most 8 MiB; ends at EOF or at a magic number. */
static int lzd_legacy_block(struct cc_istream *s)
{
	struct lzd *d = s->priv;
	size_t size, have, avail;
	int n, r;

	if ((r = inbuf_need(s, &d->in, 4)) < 0)
		return r;
	avail = inbuf_avail(&d->in);
	if (avail < 4) { /* the source has ended: the end, zero padding or a cut */
		if (avail && memcmp(d->in.buf + d->in.pos, "\0\0\0", avail))
			return lzd_truncated(s);
		d->in.pos = d->in.len;
		d->phase = PH_DONE;
		return 0;
	}
	size = le32(d->in.buf + d->in.pos);
	if (size == LZ4_LEGACY_MAGIC) { /* the next legacy frame */
		d->in.pos += 4;
		d->nr++;
		return 0;
	}
	if (size == 0 || size > LZ4_LEGACY_BOUND) { /* not a block: a new frame or padding */
		d->phase = PH_BETWEEN;
		return 0;
	}
	d->in.pos += 4;
	for (have = 0; have < size;) {
		size_t k = inbuf_avail(&d->in);
		if (!k) {
			if ((r = inbuf_fill(s, &d->in)) < 0)
				return r;
			if (!(k = inbuf_avail(&d->in)))
				return lzd_truncated(s);
		}
		if (k > size - have)
			k = size - have;
		memcpy(d->cblk + have, d->in.buf + d->in.pos, k);
		d->in.pos += k;
		have += k;
	}
	n = LZ4_decompress_safe((const char *)d->cblk, (char *)d->blk, (int)size,
				(int)LZ4_LEGACY_BLOCK);
	if (n < 0)
		return cc_fail(s->err, CC_E_CORRUPT, 0,
			       _("lz4 legacy frame %llu is corrupt in the block ending at "
				 "compressed byte %llu"),
			       d->nr, inbuf_offset(s, &d->in));
	d->blk_pos = 0;
	d->blk_len = (size_t)n;
	return 0;
}

static int lzd_legacy_step(struct cc_istream *s, void *buf, size_t len, size_t *done)
{
	struct lzd *d = s->priv;
	size_t k = d->blk_len - d->blk_pos;

	if (!k)
		return lzd_legacy_block(s);
	if (k > len - *done)
		k = len - *done;
	memcpy((char *)buf + *done, d->blk + d->blk_pos, k);
	d->blk_pos += k;
	*done += k;
	return 0;
}

static ssize_t lzd_read(struct cc_istream *s, void *buf, size_t len)
{
	struct lzd *d = s->priv;
	size_t done = 0;
	int r = 0;

	while (done < len && (d->phase != PH_DONE || d->blk_pos < d->blk_len)) {
		if (d->blk_pos < d->blk_len || d->phase == PH_LEGACY)
			r = lzd_legacy_step(s, buf, len, &done);
		else if (d->phase == PH_BETWEEN)
			r = lzd_between(s);
		else
			r = lzd_frame_step(s, buf, len, &done);
		if (r < 0)
			return r;
	}
	return (ssize_t)done;
}

static void lzd_free(struct cc_istream *s)
{
	struct lzd *d = s->priv;

	LZ4F_freeDecompressionContext(d->dctx);
	free(d->cblk);
	free(d->blk);
	free(d->in.buf);
	free(d);
}

static const struct cc_istream_ops lzd_ops = {"lz4", lzd_read, lzd_free};

int cc_lz4_decompress_new(struct cc_istream *src, struct cc_istream **out)
{
	struct lzd *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d || inbuf_init(&d->in) < 0 ||
	    LZ4F_isError(LZ4F_createDecompressionContext(&d->dctx, LZ4F_VERSION)) ||
	    !(*out = cc_istream_new(&lzd_ops, d, src, src->err))) {
		if (d) {
			LZ4F_freeDecompressionContext(d->dctx);
			free(d->in.buf);
		}
		free(d);
		return cc_fail(src->err, CC_E_NOMEM, 0, _("out of memory"));
	}
	d->phase = PH_BETWEEN;
	return 0;
}
