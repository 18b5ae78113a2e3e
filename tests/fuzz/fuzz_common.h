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

/* Read every byte of an extent (ASan checks each one).  Not traced for
 * coverage: a compare per byte would dominate the run time. */
__attribute__((no_sanitize("coverage"), noinline))
static unsigned fuzz_touch(const unsigned char *p, size_t n)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

/* The error convention: a negative return has err filled in. */
static inline void fuzz_check_error(const struct cc_error *err, int ret)
{
	if (ret < 0 && (err->code != -ret || !err->detail[0]))
		abort();
}

/* cc_image_next() until the end or an error.  Extents must be non-empty,
 * ascending, non-overlapping, inside the device (when its size is known)
 * and start at first_block * block_size; partclone extents must be used
 * blocks of the bitmap, and at a clean end all of them, raw extents the
 * whole device_size; after the end or an error the same result comes
 * back. */
static inline void fuzz_drain_image(struct cc_image *img, const struct cc_error *err)
{
	const struct cc_image_info *ii = cc_image_get_info(img);
	const struct cc_bitmap *bm = cc_image_bitmap(img);
	int ptcl = ii->format == CC_FMT_PTCL1 || ii->format == CC_FMT_PTCL2;
	uint64_t end = 0, bytes = 0, b;
	struct cc_extent e;
	unsigned sum = 0;
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
		if (ptcl && (e.len % ii->block_size ||
			     e.first_block + e.len / ii->block_size > ii->total_blocks))
			abort();
		if (ptcl && bm)
			for (b = e.first_block; b < e.first_block + e.len / ii->block_size; b++)
				if (!cc_bitmap_test(bm, b))
					abort();
		sum += fuzz_touch(e.data, e.len);
		end = e.offset + e.len;
		bytes += e.len;
	}
	fuzz_check_error(err, ret);
	if (ret == 0 && ptcl && bytes != ii->used_blocks * ii->block_size)
		abort();
	if (ret == 0 && ii->format == CC_FMT_RAW && bytes != ii->device_size)
		abort();
	if (cc_image_next(img, &e) != ret)
		abort();
	fuzz_sink += sum;
}

#endif
