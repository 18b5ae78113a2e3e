/*
 * st_zstd.c - zstd compressor (ostream) and decompressor (istream).
 *
 * The compressor runs libzstd's own worker threads (ZSTD_c_nbWorkers), so
 * compression overlaps with the caller even with one thread, and sets the
 * content checksum flag so `zstd -t` and our decoder verify the data.
 * Output reaches s->next in OUT_BUF_SIZE writes.
 *
 * The decompressor reads concatenated frames and skips skippable frames
 * (libzstd does both); a stream that ends inside a frame is
 * -CC_E_TRUNCATED, any libzstd error -CC_E_CORRUPT.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader, ZSTD_FRAMEHEADERSIZE_MAX */
#include <zstd.h>
#include <zstd_errors.h>

#include "compress.h"
#include "error.h"
#include "i18n.h"

#define OUT_BUF_SIZE (2u << 20)
#define IN_BUF_SIZE  (1u << 20)

struct zc {
	ZSTD_CCtx *cctx;
	unsigned char *out;
	size_t pos; /* bytes of out not yet written to next */
};

static int zc_flush(struct cc_ostream *s)
{
	struct zc *z = s->priv;
	int r;

	if (!z->pos)
		return 0;
	r = cc_ostream_write(s->next, z->out, z->pos);
	if (r < 0)
		return r;
	s->bytes_out += z->pos;
	z->pos = 0;
	return 0;
}

static int zc_error(struct cc_ostream *s, size_t ret)
{
	return cc_fail(s->err, CC_E_COMPRESSION, 0,
		       _("zstd compression failed after %llu input bytes: %s"),
		       (unsigned long long)s->bytes_in, ZSTD_getErrorName(ret));
}

/* One step of ZSTD_compressStream2; writes the buffer on when it is full. */
static int zc_step(struct cc_ostream *s, ZSTD_inBuffer *in, ZSTD_EndDirective op, size_t *left)
{
	struct zc *z = s->priv;
	ZSTD_outBuffer ob = {z->out, OUT_BUF_SIZE, z->pos};
	size_t ret = ZSTD_compressStream2(z->cctx, &ob, in, op);

	if (ZSTD_isError(ret))
		return zc_error(s, ret);
	z->pos = ob.pos;
	*left = ret;
	if (z->pos == OUT_BUF_SIZE || (op == ZSTD_e_end && !ret))
		return zc_flush(s);
	return 0;
}

static int zc_write(struct cc_ostream *s, const void *buf, size_t len)
{
	ZSTD_inBuffer in = {buf, len, 0};
	size_t left;
	int r;

	while (in.pos < in.size)
		if ((r = zc_step(s, &in, ZSTD_e_continue, &left)) < 0)
			return r;
	return 0;
}

static int zc_finish(struct cc_ostream *s)
{
	ZSTD_inBuffer in = {NULL, 0, 0};
	size_t left;
	int r;

	do {
		if ((r = zc_step(s, &in, ZSTD_e_end, &left)) < 0)
			return r;
	} while (left);
	return cc_ostream_finish(s->next);
}

static void zc_free(struct cc_ostream *s)
{
	struct zc *z = s->priv;

	ZSTD_freeCCtx(z->cctx);
	free(z->out);
	free(z);
}

static const struct cc_ostream_ops zc_ops = {"zstd", zc_write, zc_finish, zc_free};

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static int zc_params(ZSTD_CCtx *cctx, int level, unsigned threads)
{
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)))
		return -1;
	/*
	 * The low levels default to a 2-4 MiB window.  An 8 MiB window costs
	 * no speed on disk data and makes the image about 1% smaller than
	 * `zstd -3` (measured on the 4 GiB benchmark NTFS: 924 vs 932 MB at the
	 * same CPU time).  Every zstd decoder accepts windows up to 128 MiB
	 * without extra options.
	 */
	if (level <= 5)
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 23);
	/* Fails only with a libzstd built without threads: then run in ours. */
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, (int)(threads ? threads : online_cpus()));
	return 0;
}

int cc_zstd_compress_new(int level, unsigned threads, struct cc_ostream *next,
			 struct cc_error *err, struct cc_ostream **out)
{
	struct zc *z = calloc(1, sizeof(*z));
	int r;

	*out = NULL;
	if (!z || !(z->out = malloc(OUT_BUF_SIZE)) || !(z->cctx = ZSTD_createCCtx()))
		r = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	else if (zc_params(z->cctx, level, threads) < 0)
		r = cc_fail(err, CC_E_BAD_ARGS, 0, _("zstd rejected compression level %d"), level);
	else if (!(*out = cc_ostream_new(&zc_ops, z, next, err)))
		r = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	else
		return 0;
	if (z) {
		ZSTD_freeCCtx(z->cctx);
		free(z->out);
		free(z);
	}
	return r;
}

/* ---- decompressor ---- */

struct zd {
	ZSTD_DCtx *dctx;
	unsigned char *in;
	ZSTD_inBuffer ib;
	size_t hint; /* last ZSTD_decompressStream result: 0 = at a frame end */
	int eof;
	int in_frame;		 /* the current frame's header was looked at */
	unsigned long long csize; /* content size the frame declares, or UNKNOWN */
	unsigned long long produced; /* bytes the current frame has decoded */
};

/* Compressed offset of the next byte libzstd will look at.  On an error
 * libzstd does not advance the input: the offset is where the failing
 * ZSTD_decompressStream call started (at most IN_BUF_SIZE before). */
static unsigned long long zd_offset(struct cc_istream *s)
{
	struct zd *z = s->priv;

	return (unsigned long long)(s->bytes_in - (z->ib.size - z->ib.pos));
}

static int zd_fill(struct cc_istream *s)
{
	struct zd *z = s->priv;
	ssize_t n = cc_istream_read(s->src, z->in, IN_BUF_SIZE);

	if (n < 0)
		return (int)n;
	if (n == 0)
		z->eof = 1;
	s->bytes_in += (uint64_t)n;
	z->ib.size = (size_t)n;
	z->ib.pos = 0;
	return 0;
}

/*
 * At the start of a frame, note the content size its header declares.
 * libzstd checks it only when a frame is decoded in one call, not when it
 * is streamed, so a frame that decodes to fewer bytes than it declares
 * would pass unnoticed (found by fuzzing).
 */
static int zd_frame_start(struct cc_istream *s)
{
	struct zd *z = s->priv;
	ZSTD_frameHeader fh;

	while (z->ib.size - z->ib.pos < ZSTD_FRAMEHEADERSIZE_MAX && !z->eof) {
		size_t have = z->ib.size - z->ib.pos;
		ssize_t n;

		memmove(z->in, z->in + z->ib.pos, have);
		z->ib.pos = 0;
		z->ib.size = have;
		n = cc_istream_read(s->src, z->in + have, IN_BUF_SIZE - have);
		if (n < 0)
			return (int)n;
		if (n == 0)
			z->eof = 1;
		s->bytes_in += (uint64_t)n;
		z->ib.size += (size_t)n;
	}
	z->in_frame = 1;
	z->produced = 0;
	z->csize = ZSTD_CONTENTSIZE_UNKNOWN;
	if (ZSTD_getFrameHeader(&fh, z->in + z->ib.pos, z->ib.size - z->ib.pos) == 0 &&
	    fh.frameType == ZSTD_frame)
		z->csize = fh.frameContentSize;
	return 0; /* a bad or short header is libzstd's to report */
}

static int zd_frame_end(struct cc_istream *s)
{
	struct zd *z = s->priv;

	z->in_frame = 0;
	if (z->csize != ZSTD_CONTENTSIZE_UNKNOWN && z->produced != z->csize)
		return cc_fail(s->err, CC_E_CORRUPT, 0,
			       _("zstd frame ending at compressed byte %llu declares %llu bytes "
				 "but holds %llu"),
			       zd_offset(s), z->csize, z->produced);
	return 0;
}

/* Between frames at a zero byte: padding up to the end, or garbage. */
static ssize_t zd_zero_tail(struct cc_istream *s, size_t done)
{
	struct zd *z = s->priv;
	int r = cc_codec_zero_tail(s, z->in + z->ib.pos, z->ib.size - z->ib.pos, zd_offset(s),
				   "zstd");

	if (r < 0)
		return r;
	z->ib.pos = z->ib.size;
	z->eof = 1;
	return (ssize_t)done;
}

static ssize_t zd_read(struct cc_istream *s, void *buf, size_t len)
{
	struct zd *z = s->priv;
	ZSTD_outBuffer ob = {buf, len, 0};
	int r;

	while (ob.pos < ob.size) {
		size_t ret, before;

		if (z->ib.pos == z->ib.size && !z->eof && (r = zd_fill(s)) < 0)
			return r;
		if (!z->hint && z->ib.pos == z->ib.size)
			break; /* the end: the last frame is complete and flushed */
		if (!z->hint && !((const char *)z->ib.src)[z->ib.pos])
			return zd_zero_tail(s, ob.pos);
		if (!z->in_frame && (r = zd_frame_start(s)) < 0)
			return r;
		before = ob.pos;
		ret = ZSTD_decompressStream(z->dctx, &ob, &z->ib);
		if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge)
			return cc_fail(s->err, CC_E_UNSUPPORTED, 0,
				       _("zstd frame at compressed byte %llu needs a window larger "
					 "than 128 MiB (made with --long?)"),
				       zd_offset(s));
		if (ZSTD_isError(ret))
			return cc_fail(s->err, CC_E_CORRUPT, 0,
				       _("zstd data is corrupt after compressed byte %llu: %s"),
				       zd_offset(s), ZSTD_getErrorName(ret));
		z->hint = ret;
		z->produced += ob.pos - before;
		if (!ret && (r = zd_frame_end(s)) < 0)
			return r;
		if (z->eof && z->ib.pos == z->ib.size && ob.pos < ob.size) {
			/* Everything is in and libzstd had room to flush. */
			if (ob.pos)
				break;
			if (!z->hint)
				return 0;
			return cc_fail(s->err, CC_E_TRUNCATED, 0,
				       _("zstd data ends inside a frame at compressed byte %llu"),
				       zd_offset(s));
		}
	}
	return (ssize_t)ob.pos;
}

static void zd_free(struct cc_istream *s)
{
	struct zd *z = s->priv;

	ZSTD_freeDCtx(z->dctx);
	free(z->in);
	free(z);
}

static const struct cc_istream_ops zd_ops = {"zstd", zd_read, zd_free};

int cc_zstd_decompress_new(struct cc_istream *src, struct cc_istream **out)
{
	struct zd *z = calloc(1, sizeof(*z));

	*out = NULL;
	if (!z || !(z->in = malloc(IN_BUF_SIZE)) || !(z->dctx = ZSTD_createDCtx()) ||
	    !(*out = cc_istream_new(&zd_ops, z, src, src->err))) {
		if (z) {
			ZSTD_freeDCtx(z->dctx);
			free(z->in);
		}
		free(z);
		return cc_fail(src->err, CC_E_NOMEM, 0, _("out of memory"));
	}
	z->ib.src = z->in;
	z->hint = 1;
	return 0;
}
