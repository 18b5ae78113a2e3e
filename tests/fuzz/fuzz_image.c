/* fuzz_image.c - libFuzzer target: every image reader (partclone 0001 and
 * 0002 headers, bitmaps and checksummed data, ntfsclone, raw) on
 * uncompressed input. */
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "image.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err;
	struct cc_istream *in;
	struct cc_image *img;
	struct cc_extent e;
	int n = 0;

	if (cc_istream_mem(data, size, &err, &in) < 0)
		return 0;
	if (cc_image_open(in, &err, &img) < 0) {
		cc_istream_free(in);
		return 0;
	}
	while (cc_image_next(img, &e) > 0 && n++ < 100000)
		;
	cc_image_free(img);
	return 0;
}
