/*
 * image_fmt.h - private to the image readers: struct cc_image, the ops
 * each format implements and the read helpers image.c gives them.
 *
 * A format's open function is called with img->in positioned at byte 0 of
 * the image; it reads and checks the header (and bitmap), fills img->info
 * and img->ops and may set img->priv.  next() returns one extent (1), the
 * verified end (0) or an error (< 0); image.c remembers the end and the
 * first error, so next() is not called again after either.
 */
#ifndef CC_IMAGE_FMT_H
#define CC_IMAGE_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "bitmap.h"
#include "image.h"
#include "stream.h"

struct cc_error;

/* Largest buffer a reader fills for one cc_image_next() batch. */
#define CC_IMG_BATCH_BYTES ((size_t)4 << 20)
/* Largest checksum group (blocks_per_checksum * block_size) we accept. */
#define CC_IMG_MAX_GROUP_BYTES ((uint64_t)64 << 20)
/* Sanity limits for hostile headers. */
#define CC_IMG_MAX_BLOCKS ((uint64_t)1 << 43)
#define CC_IMG_MIN_BS 512u
#define CC_IMG_MAX_BS (64u << 20)

struct cc_image_ops {
	int (*next)(struct cc_image *img, struct cc_extent *ext);
	void (*free)(struct cc_image *img); /* private state only */
};

struct cc_image {
	const struct cc_image_ops *ops;
	struct cc_istream *in; /* owned */
	struct cc_error *err;
	struct cc_image_info info;
	struct cc_bitmap bm; /* bytes == NULL when the format has none */
	uint64_t pos;	     /* image bytes consumed so far */
	int state;	     /* 0 running, 1 at the end, < 0 the error returned */
	void *priv;
};

/* Read up to len bytes; stops early only at the end of the stream.
 * *got receives the count (pos advances by it).  0 or a stream error. */
int cc_img_read(struct cc_image *img, void *buf, size_t len, size_t *got);
/* Give back the last `len` bytes read (held in buf) so they are read
 * again: used to look ahead. */
int cc_img_unread(struct cc_image *img, const void *buf, size_t len);
/* After the last block: 0 at the end of the stream, -CC_E_CORRUPT if any
 * byte follows. */
int cc_img_expect_end(struct cc_image *img);

uint16_t cc_get_le16(const unsigned char *p);
uint32_t cc_get_le32(const unsigned char *p);
uint64_t cc_get_le64(const unsigned char *p);
void cc_put_le16(unsigned char *p, uint16_t v);
void cc_put_le32(unsigned char *p, uint32_t v);
void cc_put_le64(unsigned char *p, uint64_t v);

/* Copy a NUL-padded on-disk string of n bytes into dst (size dst_size),
 * always NUL-terminated. */
void cc_img_copy_str(char *dst, size_t dst_size, const unsigned char *src, size_t n);

int cc_fmt_ptcl_open(struct cc_image *img, int version);
int cc_fmt_ntfsclone_open(struct cc_image *img);
int cc_fmt_raw_open(struct cc_image *img);

#endif
