/*
 * bitmap.h - one bit per filesystem block, in partclone's on-disk layout:
 * block i is used iff byte[i >> 3] >> (i & 7) & 1 (LSB first).  The bytes
 * are therefore exactly what a partclone image stores after its header.
 */
#ifndef CC_BITMAP_H
#define CC_BITMAP_H

#include <stdint.h>
#include <stddef.h>

struct cc_error;

struct cc_bitmap {
	uint64_t nbits;
	unsigned char *bytes; /* (nbits + 7) / 8 bytes; bits past nbits are 0 */
};

int cc_bitmap_init(struct cc_bitmap *bm, uint64_t nbits, struct cc_error *err);
void cc_bitmap_free(struct cc_bitmap *bm);
size_t cc_bitmap_nbytes(const struct cc_bitmap *bm);

static inline int cc_bitmap_test(const struct cc_bitmap *bm, uint64_t i)
{
	return (bm->bytes[i >> 3] >> (i & 7)) & 1;
}
static inline void cc_bitmap_set(struct cc_bitmap *bm, uint64_t i)
{
	bm->bytes[i >> 3] |= (unsigned char)(1u << (i & 7));
}
static inline void cc_bitmap_clear(struct cc_bitmap *bm, uint64_t i)
{
	bm->bytes[i >> 3] &= (unsigned char)~(1u << (i & 7));
}

/* Set bits [start, start + count). */
void cc_bitmap_set_range(struct cc_bitmap *bm, uint64_t start, uint64_t count);
/* Number of set bits. */
uint64_t cc_bitmap_count(const struct cc_bitmap *bm);
/* Clear any bits at or beyond nbits (for bitmaps read from outside). */
void cc_bitmap_clear_tail(struct cc_bitmap *bm);

/*
 * Find the next run of set bits at or after *from.  Returns 1 and fills
 * *start and *count (count <= max_count) and advances *from past the run,
 * or returns 0 when there are no more set bits.
 */
int cc_bitmap_next_run(const struct cc_bitmap *bm, uint64_t *from, uint64_t *start,
		       uint64_t *count, uint64_t max_count);

#endif
