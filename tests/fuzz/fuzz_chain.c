/* fuzz_chain.c - libFuzzer target: the read path of a restore without the
 * writing: cc_decompress_auto(), then (for inputs of odd size) the
 * read-ahead thread as restore uses it, then cc_image_open() and
 * cc_image_next() to the end with the checks of fuzz_common.h.  The
 * decompressed stream is cut at 32 MiB (a tiny input may expand to
 * gigabytes); the readers see that as the end of the stream. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "compress.h"
#include "error.h"
#include "fuzz_common.h"
#include "image.h"
#include "stream.h"

#define OUT_MAX ((uint64_t)32 << 20)
#define RA_CHUNK ((size_t)64 << 10)
#define RA_DEPTH 2

/* A stream that ends after `left` bytes of its source. */
static ssize_t limit_read(struct cc_istream *s, void *buf, size_t len)
{
	uint64_t *left = s->priv;
	ssize_t n;

	if (!*left)
		return 0;
	if (len > *left)
		len = (size_t)*left;
	n = cc_istream_read(s->src, buf, len);
	if (n > 0) {
		*left -= (uint64_t)n;
		s->bytes_in += (uint64_t)n;
	}
	return n;
}

static void limit_free(struct cc_istream *s)
{
	free(s->priv);
}

static const struct cc_istream_ops limit_ops = {"limit", limit_read, limit_free};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = {0, 0, ""};
	struct cc_istream *in, *dec, *lim, *ra;
	struct cc_image *img;
	uint64_t *left;
	int ret;

	if (cc_istream_mem(data, size, &err, &in) < 0)
		return 0;
	if ((ret = cc_decompress_auto(in, &err, &dec, NULL)) < 0) {
		fuzz_check_error(&err, ret);
		cc_istream_free(in);
		return 0;
	}
	if (!(left = malloc(sizeof(*left)))) {
		cc_istream_free(dec);
		return 0;
	}
	*left = OUT_MAX;
	if (!(lim = cc_istream_new(&limit_ops, left, dec, dec->err))) {
		free(left);
		cc_istream_free(dec);
		return 0;
	}
	if (size & 1) {
		if (cc_istream_readahead(lim, RA_CHUNK, RA_DEPTH, &ra) < 0) {
			cc_istream_free(lim);
			return 0;
		}
		lim = ra;
	}
	if ((ret = cc_image_open(lim, &err, &img)) < 0) {
		fuzz_check_error(&err, ret);
		cc_istream_free(lim);
		return 0;
	}
	fuzz_drain_image(img, &err);
	cc_image_free(img);
	return 0;
}
