/* bitmap.c - see bitmap.h. */
#include "bitmap.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"

size_t cc_bitmap_nbytes(const struct cc_bitmap *bm)
{
	return (size_t)((bm->nbits + 7) / 8);
}

int cc_bitmap_init(struct cc_bitmap *bm, uint64_t nbits, struct cc_error *err)
{
	bm->nbits = nbits;
	bm->bytes = calloc(1, (size_t)((nbits + 7) / 8) + 8);
	if (!bm->bytes)
		return cc_fail(err, CC_E_NOMEM, 0, _("cannot allocate a bitmap of %llu blocks"),
			       (unsigned long long)nbits);
	return 0;
}

void cc_bitmap_free(struct cc_bitmap *bm)
{
	if (!bm)
		return;
	free(bm->bytes);
	bm->bytes = NULL;
	bm->nbits = 0;
}

void cc_bitmap_set_range(struct cc_bitmap *bm, uint64_t start, uint64_t count)
{
	uint64_t end = start + count;

	if (end > bm->nbits)
		end = bm->nbits;
	while (start < end && (start & 7))
		cc_bitmap_set(bm, start++);
	if (end - start >= 8) {
		memset(bm->bytes + (start >> 3), 0xff, (size_t)((end - start) >> 3));
		start += (end - start) & ~(uint64_t)7;
	}
	while (start < end)
		cc_bitmap_set(bm, start++);
}

uint64_t cc_bitmap_count(const struct cc_bitmap *bm)
{
	size_t n = cc_bitmap_nbytes(bm), i = 0;
	uint64_t c = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, bm->bytes + i, 8);
		c += (uint64_t)__builtin_popcountll(w);
	}
	for (; i < n; i++)
		c += (uint64_t)__builtin_popcount(bm->bytes[i]);
	return c;
}

void cc_bitmap_clear_tail(struct cc_bitmap *bm)
{
	size_t n = cc_bitmap_nbytes(bm);

	if (bm->nbits & 7)
		bm->bytes[n - 1] &= (unsigned char)((1u << (bm->nbits & 7)) - 1);
}

/* First set bit at or after i, or nbits. */
static uint64_t next_set(const struct cc_bitmap *bm, uint64_t i)
{
	while (i < bm->nbits) {
		if ((i & 63) == 0 && i + 64 <= bm->nbits) {
			uint64_t w;
			memcpy(&w, bm->bytes + (i >> 3), 8);
			if (!w) {
				i += 64;
				continue;
			}
			return i + (uint64_t)__builtin_ctzll(w);
		}
		if (cc_bitmap_test(bm, i))
			return i;
		i++;
	}
	return bm->nbits;
}

/* First clear bit at or after i, or nbits. */
static uint64_t next_clear(const struct cc_bitmap *bm, uint64_t i, uint64_t limit)
{
	while (i < limit) {
		if ((i & 63) == 0 && i + 64 <= limit) {
			uint64_t w;
			memcpy(&w, bm->bytes + (i >> 3), 8);
			if (w == ~(uint64_t)0) {
				i += 64;
				continue;
			}
			return i + (uint64_t)__builtin_ctzll(~w);
		}
		if (!cc_bitmap_test(bm, i))
			return i;
		i++;
	}
	return limit;
}

int cc_bitmap_next_run(const struct cc_bitmap *bm, uint64_t *from, uint64_t *start,
		       uint64_t *count, uint64_t max_count)
{
	uint64_t s = next_set(bm, *from), limit, e;

	if (s >= bm->nbits) {
		*from = bm->nbits;
		return 0;
	}
	limit = bm->nbits;
	if (max_count && limit - s > max_count)
		limit = s + max_count;
	e = next_clear(bm, s, limit);
	*start = s;
	*count = e - s;
	*from = e;
	return 1;
}
