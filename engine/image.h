/*
 * image.h - partition image formats.
 *
 * Writing: partclone image format 0002, byte-compatible with partclone
 * 0.3.x (fmt_ptcl_write.c).
 * Reading: partclone 0001 and 0002 (all checksum modes), ntfsclone
 * --save-image (format 10.x) and a plain raw stream (partclone.dd, dd),
 * chosen by magic bytes (cc_image_open).  The reader verifies every
 * checksum before it returns the data it covers, so restore never writes
 * a block whose checksum failed.  Errors name the block and the byte
 * offset in the (uncompressed) image.
 */
#ifndef CC_IMAGE_H
#define CC_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "bitmap.h"
#include "stream.h"

struct cc_error;

enum cc_imgfmt {
	CC_FMT_PTCL1 = 1,
	CC_FMT_PTCL2 = 2,
	CC_FMT_NTFSCLONE = 3,
	CC_FMT_RAW = 4,
};

struct cc_image_info {
	enum cc_imgfmt format;
	char fs_tag[17];     /* "NTFS", "EXTFS", "FAT32", "raw" (ntfsclone: "NTFS") */
	char creator[15];    /* partclone version string, "ntfsclone 10.1", "" */
	uint64_t device_size; /* 0 if unknown (raw stream) */
	uint64_t total_blocks;
	uint64_t used_blocks;	 /* blocks with data in the image (bitmap count) */
	uint64_t used_blocks_sb; /* as the filesystem said (partclone header) */
	uint32_t block_size;
	int checksum_mode;	 /* CC_CSUM_* (v1: CC_CSUM_CRC32) */
	unsigned checksum_size;
	uint32_t blocks_per_checksum;
	int reseed;
	int bitmap_mode; /* 0 none, 1 bit, 8 byte */
};

/* One piece of data to write at a byte offset of the target. */
struct cc_extent {
	uint64_t offset;
	size_t len;
	const unsigned char *data; /* valid until the next cc_image_next() */
	uint64_t first_block;	   /* block number of data[0] (raw: offset / block_size) */
};

struct cc_image;

/* Read the header (and bitmap) of the image in `in`; takes ownership of
 * `in` on success. */
int cc_image_open(struct cc_istream *in, struct cc_error *err, struct cc_image **out);
const struct cc_image_info *cc_image_get_info(const struct cc_image *img);
/* The used-block bitmap, or NULL where the format has none up front
 * (ntfsclone, raw). */
const struct cc_bitmap *cc_image_bitmap(const struct cc_image *img);
/* Next extent: 1 and *ext filled, 0 at the verified end, < 0 on error
 * (truncated, checksum mismatch with block numbers, trailing garbage). */
int cc_image_next(struct cc_image *img, struct cc_extent *ext);
void cc_image_free(struct cc_image *img); /* also frees the input stream */
const char *cc_imgfmt_name(enum cc_imgfmt f); /* "partclone v2", "ntfsclone", "raw" */

/* --- partclone v2 writer --- */
struct cc_ptcl_params {
	char fs_tag[16];
	uint64_t device_size;
	uint64_t total_blocks;
	uint64_t used_blocks_sb;
	uint32_t block_size;
	int checksum_mode;	      /* CC_CSUM_CRC32 by default */
	uint32_t blocks_per_checksum; /* 0 = 1 MiB / block_size, as partclone */
	int reseed;		      /* 1 as partclone's default */
};

struct cc_ptcl_writer;

/* Write the header, the bitmap and its CRC to out (not owned). */
int cc_ptcl_writer_new(const struct cc_ptcl_params *p, const struct cc_bitmap *bm,
		       struct cc_ostream *out, struct cc_error *err, struct cc_ptcl_writer **w);
/* Append nblocks used blocks (block_size each), in ascending order. */
int cc_ptcl_writer_blocks(struct cc_ptcl_writer *w, const void *data, uint64_t nblocks);
/* Write the last partial checksum; fails unless exactly the bitmap's
 * number of blocks was written.  Does not finish `out`. */
int cc_ptcl_writer_finish(struct cc_ptcl_writer *w);
void cc_ptcl_writer_free(struct cc_ptcl_writer *w);

#endif
