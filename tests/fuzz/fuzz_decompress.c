/* fuzz_decompress.c - libFuzzer target: the decompression chain (magic
 * detection, gzip, zstd, bzip2, xz, lz4) followed by the image readers. */
#include <stddef.h>
#include <stdint.h>

#include "compress.h"
#include "error.h"
#include "image.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[65536];
	struct cc_error err;
	struct cc_istream *in, *dec;
	enum cc_codec codec;
	uint64_t total = 0;
	ssize_t n;

	if (cc_istream_mem(data, size, &err, &in) < 0)
		return 0;
	if (cc_decompress_auto(in, &err, &dec, &codec) < 0) {
		cc_istream_free(in);
		return 0;
	}
	/* Bound the output: a tiny input may expand enormously. */
	while ((n = cc_istream_read(dec, buf, sizeof(buf))) > 0 && total < (64u << 20))
		total += (uint64_t)n;
	cc_istream_free(dec);
	return 0;
}
