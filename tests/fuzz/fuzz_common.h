/* fuzz_common.h - shared by the fuzz targets: read an opened image to its
 * end and check what a restore relies on (abort() = a finding). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "image.h"

/* Sum of every byte handed out, so ASan sees each extent read in full. */
static volatile unsigned fuzz_sink;

/* The error convention: a negative return has err filled in. */
static void fuzz_check_error(const struct cc_error *err, int ret)
{
	if (ret < 0 && (err->code != -ret || !err->detail[0]))
		abort();
}

/* cc_image_next() until the end or an error.  Extents must be non-empty,
 * ascending, non-overlapping, inside the device (when its size is known)
 * and start at first_block * block_size; after the end or an error the
 * same result comes back. */
static void fuzz_drain_image(struct cc_image *img, const struct cc_error *err)
{
	const struct cc_image_info *ii = cc_image_get_info(img);
	struct cc_extent e;
	uint64_t end = 0;
	unsigned sum = 0;
	size_t i;
	int ret;

	if (!ii->block_size)
		abort();
	while ((ret = cc_image_next(img, &e)) > 0) {
		if (!e.len || !e.data || e.offset < end || e.offset + e.len < e.offset)
			abort();
		if (ii->format != CC_FMT_RAW && e.offset + e.len > ii->device_size)
			abort();
		if (e.offset % ii->block_size || e.first_block != e.offset / ii->block_size)
			abort();
		for (i = 0; i < e.len; i++)
			sum += e.data[i];
		end = e.offset + e.len;
	}
	fuzz_check_error(err, ret);
	if (cc_image_next(img, &e) != ret)
		abort();
	fuzz_sink += sum;
}

#endif
