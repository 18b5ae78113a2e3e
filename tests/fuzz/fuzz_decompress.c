/* fuzz_decompress.c - libFuzzer target: the decompression chain (magic
 * detection, gzip, zstd, bzip2, xz, lz4, pass-through) read to its end in
 * reads of varying sizes.  fuzz_chain.c puts the image readers behind it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "compress.h"
#include "error.h"
#include "fuzz_common.h"
#include "stream.h"

/* A tiny input may expand enormously: read at most this much. */
#define OUT_MAX ((uint64_t)16 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[65536];
	/* read sizes: the image readers ask for 1, 8, 110 bytes, 4 MiB... */
	static const size_t lens[] = {65536, 1, 7, 4096, 110, 65536, 3, 30000};
	struct cc_error err = {0, 0, ""};
	struct cc_istream *in, *dec;
	enum cc_codec codec;
	uint64_t total = 0;
	unsigned k = 0;
	ssize_t n;

	if (cc_istream_mem(data, size, &err, &in) < 0)
		return 0;
	if ((n = cc_decompress_auto(in, &err, &dec, &codec)) < 0) {
		fuzz_check_error(&err, (int)n);
		cc_istream_free(in);
		return 0;
	}
	while (total < OUT_MAX) {
		size_t want = lens[k++ % (sizeof(lens) / sizeof(lens[0]))];

		n = cc_istream_read(dec, buf, want);
		if (n <= 0)
			break;
		if ((size_t)n > want)
			abort();
		total += (uint64_t)n;
	}
	fuzz_check_error(&err, (int)n);
	/* the end and errors are sticky */
	if (total < OUT_MAX && n <= 0 && cc_istream_read(dec, buf, 1) != n)
		abort();
	cc_istream_free(dec);
	return 0;
}
