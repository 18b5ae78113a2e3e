/*
 * fs_raw.c - no filesystem: every block of the device is used.
 *
 * partclone.dd always uses 512-byte blocks (PART_SECTOR_SIZE) and writes no
 * partclone header at all.  We use 4096-byte blocks when the size allows it
 * (eight times fewer bitmap bits and per-block checksums) and 512 otherwise,
 * so that every byte of a size that is a multiple of 512 is covered: the
 * partclone format cannot express a block shorter than block_size.  A size
 * that is not even a multiple of 512 (only regular files can have one) is
 * rounded down; its last size % 512 bytes are not part of the image.
 */
#include "fs.h"

#include "dev.h"
#include "error.h"

#define RAW_BIG_BLOCK	4096u
#define RAW_SMALL_BLOCK 512u

static int raw_probe(const unsigned char *head, size_t len, uint64_t device_size)
{
	(void)head;
	(void)len;
	(void)device_size;
	return 1; /* anything is raw, but any real filesystem wins */
}

static int raw_open(struct cc_fs *fs, unsigned flags, struct cc_error *err)
{
	uint64_t size = fs->dev->size;
	struct cc_fs_info *in = &fs->info;

	(void)flags;
	(void)err;
	in->type = "raw";
	in->ptcl_tag = "raw";
	in->block_size = size && size % RAW_BIG_BLOCK == 0 ? RAW_BIG_BLOCK : RAW_SMALL_BLOCK;
	in->total_blocks = size / in->block_size;
	in->used_blocks = in->total_blocks;
	in->device_size = size;
	return 0;
}

static int raw_read_bitmap(struct cc_fs *fs, struct cc_bitmap *bm, struct cc_error *err)
{
	(void)fs;
	(void)err;
	cc_bitmap_set_range(bm, 0, bm->nbits);
	return 0;
}

static void raw_close(struct cc_fs *fs)
{
	(void)fs;
}

const struct cc_fs_ops cc_fs_raw = {
	.name = "raw",
	.probe = raw_probe,
	.open = raw_open,
	.read_bitmap = raw_read_bitmap,
	.close = raw_close,
};
