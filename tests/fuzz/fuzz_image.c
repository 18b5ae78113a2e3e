/* fuzz_image.c - libFuzzer target: every image reader (partclone 0001 and
 * 0002 headers, bitmaps and checksummed data, ntfsclone, raw) on
 * uncompressed input, read to the end with the checks of fuzz_common.h. */
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "fuzz_common.h"
#include "image.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = {0, 0, ""};
	struct cc_istream *in;
	struct cc_image *img;
	int ret;

	if (cc_istream_mem(data, size, &err, &in) < 0)
		return 0;
	if ((ret = cc_image_open(in, &err, &img)) < 0) {
		fuzz_check_error(&err, ret);
		cc_istream_free(in);
		return 0;
	}
	fuzz_drain_image(img, &err);
	cc_image_free(img);
	return 0;
}
