/*
 * fs.h - filesystems as sources of used blocks.
 *
 * Each filesystem module (fs_ntfs.c, fs_ext.c, fs_fat.c, fs_raw.c) fills a
 * struct cc_fs_ops; fs.c holds the registry, probes by signature and
 * cross-checks the bitmap against the filesystem's own used count.
 * Filesystem code only computes geometry and the used-block bitmap: the
 * engine reads block data generically from the cc_dev (block i lives at
 * byte i * block_size), so no filesystem module does data I/O.
 */
#ifndef CC_FS_H
#define CC_FS_H

#include <stdint.h>

#include "bitmap.h"

struct cc_dev;
struct cc_error;
struct cc_fs;

enum {
	CC_FS_FORCE = 1, /* open a dirty or hibernated filesystem anyway */
};

struct cc_fs_info {
	const char *type;      /* "ntfs", "ext2", "ext3", "ext4", "fat12", "fat16", "fat32", "raw" */
	const char *ptcl_tag;  /* partclone's header tag: "NTFS", "EXTFS", "FAT16", "raw" ... */
	uint32_t block_size;   /* bytes per bitmap bit */
	uint64_t total_blocks; /* bits in the bitmap; total_blocks * block_size <= device_size */
	uint64_t used_blocks;  /* used count as the filesystem itself reports it */
	uint64_t device_size;  /* bytes of the partition/file */
	char label[64];
	char uuid[40];
};

struct cc_fs_ops {
	const char *name; /* "ntfs", "ext", "fat", "raw" */
	/* Score 0..100 from the first `len` bytes of the device (len >= 64 KiB
	 * unless the device is smaller); highest wins, 0 = not mine. */
	int (*probe)(const unsigned char *head, size_t len, uint64_t device_size);
	/* Open: fill fs->info and fs->priv.  Refuse (-CC_E_DIRTY_FS,
	 * -CC_E_HIBERNATED) unless flags has CC_FS_FORCE, with a message
	 * telling the operator what to do. */
	int (*open)(struct cc_fs *fs, unsigned flags, struct cc_error *err);
	/* Fill bm (already initialised to info.total_blocks zero bits). */
	int (*read_bitmap)(struct cc_fs *fs, struct cc_bitmap *bm, struct cc_error *err);
	void (*close)(struct cc_fs *fs); /* release priv */
};

struct cc_fs {
	const struct cc_fs_ops *ops;
	struct cc_dev *dev; /* borrowed */
	struct cc_fs_info info;
	void *priv;
};

extern const struct cc_fs_ops cc_fs_ntfs, cc_fs_ext, cc_fs_fat, cc_fs_raw;

/* Open dev with the filesystem whose probe scores highest (or the one
 * named `force_type`, e.g. "raw" for --raw; NULL = probe). */
int cc_fs_open(struct cc_dev *dev, const char *force_type, unsigned flags, struct cc_fs **out,
	       struct cc_error *err);
/* Read the used-block bitmap into bm (initialised here) and cross-check
 * its population count against info.used_blocks: a mismatch is
 * -CC_E_FS_INCONSISTENT naming both counts. */
int cc_fs_read_bitmap(struct cc_fs *fs, struct cc_bitmap *bm, struct cc_error *err);
void cc_fs_close(struct cc_fs *fs);

#endif
