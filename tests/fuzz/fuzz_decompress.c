/* fuzz_decompress.c - libFuzzer target: the decompression chain (magic
 * detection, gzip, zstd, bzip2, xz, lz4, pass-through) read to its end in
 * reads of varying sizes from a source that itself hands out the input in
 * pieces of varying sizes (by input size: whole, 1-16 bytes, 1-8192 bytes),
 * so every decoder meets headers and frames split anywhere.
 *
 * Differential check: the same input is decoded by a plain reference
 * decoder on the library alone (zlib for gzip, libzstd, liblzma, libbz2,
 * LZ4F; the lz4 legacy format has none) with the rules of compress.h
 * (concatenated members/frames, zero bytes after the last one).  Both must
 * agree on every byte they both produced; if either finished cleanly the
 * other must have too, with the same length.  fuzz_chain.c puts the image
 * readers behind the chain. */
#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "compress.h"
#include "error.h"
#include "fuzz_common.h"
#include "stream.h"

/* A tiny input may expand enormously: decode at most this much. */
#define OUT_MAX ((size_t)16 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char ours[OUT_MAX], ref[OUT_MAX];

/* ---- the source: memory in pieces ---- */

struct pieces {
	const uint8_t *p;
	size_t len, pos;
	uint32_t rng, max; /* max = 0: whole reads */
};

static ssize_t pieces_read(struct cc_istream *s, void *buf, size_t len)
{
	struct pieces *m = s->priv;
	size_t n = m->len - m->pos;

	if (m->max) {
		m->rng = m->rng * 1103515245u + 12345u;
		if (n > 1 + (m->rng >> 8) % m->max)
			n = 1 + (m->rng >> 8) % m->max;
	}
	if (n > len)
		n = len;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	s->bytes_in += n;
	return (ssize_t)n;
}

static void pieces_free(struct cc_istream *s)
{
	free(s->priv);
}

static const struct cc_istream_ops pieces_ops = {"pieces", pieces_read, pieces_free};

/* ---- reference decoders: 1 clean end, 0 error, -1 no opinion ---- */

static int all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static int ref_gzip(const uint8_t *in, size_t size, size_t *outlen)
{
	size_t pos = 0, members = 0;

	*outlen = 0;
	for (;;) {
		z_stream z;
		int r;

		if (pos == size)
			return members > 0;
		if (members && in[pos] == 0)
			return all_zero(in + pos, size - pos);
		if (members && in[pos] != 0x1f)
			return 0;
		memset(&z, 0, sizeof(z));
		if (inflateInit2(&z, 16 + 15) != Z_OK)
			return -1;
		z.next_in = (Bytef *)(in + pos);
		z.avail_in = (uInt)(size - pos);
		do {
			if (*outlen == OUT_MAX) {
				inflateEnd(&z);
				return -1;
			}
			z.next_out = ref + *outlen;
			z.avail_out = (uInt)(OUT_MAX - *outlen);
			r = inflate(&z, Z_NO_FLUSH);
			*outlen = OUT_MAX - z.avail_out;
		} while (r == Z_OK);
		pos = size - z.avail_in;
		inflateEnd(&z);
		if (r != Z_STREAM_END)
			return *outlen == OUT_MAX ? -1 : 0;
		members++;
	}
}

/* piece: feed the input this many bytes at a time (0: all at once). */
static int ref_zstd(const uint8_t *in, size_t size, size_t *outlen, size_t piece)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib = {in, piece && piece < size ? piece : size, 0};
	size_t r = 1;
	int ret = 0;

	*outlen = 0;
	if (!d)
		return -1;
	for (;;) {
		ZSTD_outBuffer ob = {ref, OUT_MAX, *outlen};

		if (ib.pos == ib.size && ib.size < size)
			ib.size = piece && size - ib.size > piece ? ib.size + piece : size;
		if (r == 0 && (ib.pos == size || all_zero(in + ib.pos, size - ib.pos))) {
			ret = 1;
			break;
		}
		if (*outlen == OUT_MAX) {
			ret = -1;
			break;
		}
		r = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(r))
			break;
		if (r && ib.pos == size && ob.pos == *outlen)
			break; /* truncated */
		*outlen = ob.pos;
	}
	ZSTD_freeDCtx(d);
	return ret;
}

static int ref_xz(const uint8_t *in, size_t size, size_t *outlen)
{
	lzma_stream z = LZMA_STREAM_INIT;
	lzma_ret r;

	*outlen = 0;
	if (lzma_stream_decoder(&z, (uint64_t)1 << 30, LZMA_CONCATENATED) != LZMA_OK)
		return -1;
	z.next_in = in;
	z.avail_in = size;
	z.next_out = ref;
	z.avail_out = OUT_MAX;
	do
		r = lzma_code(&z, LZMA_FINISH);
	while (r == LZMA_OK && z.avail_out);
	*outlen = OUT_MAX - z.avail_out;
	lzma_end(&z);
	if (r == LZMA_MEMLIMIT_ERROR || r == LZMA_MEM_ERROR || (r == LZMA_OK && !z.avail_out))
		return -1;
	return r == LZMA_STREAM_END;
}

static int ref_bzip2(const uint8_t *in, size_t size, size_t *outlen)
{
	size_t pos = 0, streams = 0;

	*outlen = 0;
	for (;;) {
		bz_stream z;
		int r;

		if (pos == size)
			return streams > 0;
		if (streams && in[pos] == 0)
			return all_zero(in + pos, size - pos);
		memset(&z, 0, sizeof(z));
		if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK)
			return -1;
		z.next_in = (char *)(in + pos);
		z.avail_in = (unsigned)(size - pos);
		do {
			if (*outlen == OUT_MAX) {
				BZ2_bzDecompressEnd(&z);
				return -1;
			}
			z.next_out = (char *)ref + *outlen;
			z.avail_out = (unsigned)(OUT_MAX - *outlen);
			r = BZ2_bzDecompress(&z);
			*outlen = OUT_MAX - z.avail_out;
		} while (r == BZ_OK && (z.avail_in || !z.avail_out));
		pos = size - z.avail_in;
		BZ2_bzDecompressEnd(&z);
		if (r == BZ_MEM_ERROR)
			return -1;
		if (r != BZ_STREAM_END)
			return 0;
		streams++;
	}
}

static int ref_lz4(const uint8_t *in, size_t size, size_t *outlen)
{
	LZ4F_dctx *d;
	size_t pos = 0, hint = 0;
	int ret = 0;

	*outlen = 0;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
		return -1;
	for (;;) {
		size_t src = size - pos, dst = OUT_MAX - *outlen;

		if (hint == 0 && pos) {
			if (pos == size || all_zero(in + pos, size - pos)) {
				ret = 1;
				break;
			}
			if (size - pos >= 4 && !memcmp(in + pos, "\x02\x21\x4c\x18", 4)) {
				ret = -1; /* a legacy frame: no reference */
				break;
			}
		}
		if (*outlen == OUT_MAX) {
			ret = -1;
			break;
		}
		hint = LZ4F_decompress(d, ref + *outlen, &dst, in + pos, &src, NULL);
		pos += src;
		*outlen += dst;
		if (LZ4F_isError(hint))
			break;
		if (hint && pos == size && !src && !dst)
			break; /* truncated */
	}
	LZ4F_freeDecompressionContext(d);
	return ret;
}

static int reference(enum cc_codec c, const uint8_t *in, size_t size, size_t *outlen)
{
	*outlen = 0;
	switch (c) {
	case CC_CODEC_NONE:
		*outlen = size < OUT_MAX ? size : OUT_MAX;
		memcpy(ref, in, *outlen);
		return 1;
	case CC_CODEC_GZIP:
		return ref_gzip(in, size, outlen);
	case CC_CODEC_ZSTD:
		return ref_zstd(in, size, outlen, 0);
	case CC_CODEC_XZ:
		return ref_xz(in, size, outlen);
	case CC_CODEC_BZIP2:
		return ref_bzip2(in, size, outlen);
	case CC_CODEC_LZ4:
		if (size >= 4 && !memcmp(in, "\x02\x21\x4c\x18", 4))
			return -1;
		return ref_lz4(in, size, outlen);
	}
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* read sizes: the image readers ask for 1, 8, 110 bytes, 4 MiB... */
	static const size_t lens[] = {65536, 1, 7, 4096, 110, 65536, 3, 30000};
	static const uint32_t piece_max[] = {0, 16, 8192};
	struct cc_error err = {0, 0, ""};
	struct cc_istream *in, *dec;
	struct pieces *m;
	enum cc_codec codec;
	size_t total = 0, reflen;
	unsigned k = 0;
	ssize_t n;
	int rs;

	if (!(m = calloc(1, sizeof(*m))))
		return 0;
	m->p = data;
	m->len = size;
	m->rng = (uint32_t)size * 2654435761u;
	m->max = piece_max[size % 3];
	if (!(in = cc_istream_new(&pieces_ops, m, NULL, &err))) {
		free(m);
		return 0;
	}
	if ((n = cc_decompress_auto(in, &err, &dec, &codec)) < 0) {
		fuzz_check_error(&err, (int)n);
		cc_istream_free(in);
		return 0;
	}
	for (;;) {
		size_t want = lens[k++ % (sizeof(lens) / sizeof(lens[0]))];

		if (want > OUT_MAX - total)
			want = OUT_MAX - total;
		if (!want)
			break;
		n = cc_istream_read(dec, ours + total, want);
		if (n <= 0)
			break;
		if ((size_t)n > want)
			abort();
		total += (size_t)n;
	}
	if (total < OUT_MAX) {
		fuzz_check_error(&err, (int)n);
		/* the end and errors are sticky */
		if (cc_istream_read(dec, ours + total, 1) != n)
			abort();
	}
	cc_istream_free(dec);

	rs = reference(codec, data, size, &reflen);
	if (memcmp(ours, ref, total < reflen ? total : reflen))
		abort(); /* different bytes */
	if (rs == 1 && total < OUT_MAX && (n != 0 || total != reflen))
		abort(); /* the reference read it all, we failed or stopped early */
	if (rs == 0 && total < OUT_MAX && n == 0)
		abort(); /* we accepted what the reference rejects */
	return 0;
}
