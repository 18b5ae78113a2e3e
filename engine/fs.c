/*
 * fs.c - the filesystem registry: probe by signature, open, read the
 * used-block bitmap and cross-check it against the filesystem's own count.
 */
#include "fs.h"

#include <stdlib.h>
#include <string.h>

#include "dev.h"
#include "error.h"
#include "i18n.h"

/* Bytes handed to every probe (less if the device is smaller). */
#define PROBE_LEN (64 * 1024)

static const struct cc_fs_ops *const registry[] = {
	&cc_fs_ntfs,
	&cc_fs_ext,
	&cc_fs_fat,
	&cc_fs_raw,
};

#define NR_FS (sizeof(registry) / sizeof(registry[0]))

static const struct cc_fs_ops *find_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NR_FS; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

/* The best-scoring filesystem for dev, or raw when nothing matches. */
static int probe(struct cc_dev *dev, const struct cc_fs_ops **out, struct cc_error *err)
{
	size_t len = dev->size < PROBE_LEN ? (size_t)dev->size : PROBE_LEN;
	unsigned char *head;
	int best = 0, ret;
	size_t i;

	*out = &cc_fs_raw;
	if (len == 0)
		return 0;
	head = malloc(len);
	if (!head)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory while probing '%s'"),
			       dev->path);
	ret = cc_dev_pread(dev, head, len, 0, err);
	if (ret < 0) {
		free(head);
		return ret;
	}
	for (i = 0; i < NR_FS; i++) {
		int score = registry[i]->probe(head, len, dev->size);

		if (score > best) {
			best = score;
			*out = registry[i];
		}
	}
	free(head);
	return 0;
}

/* Geometry every module must respect; a violation is a bug in the module. */
static void check_info(const struct cc_fs *fs)
{
	const struct cc_fs_info *in = &fs->info;

	if (!in->type || !in->ptcl_tag || in->block_size == 0)
		BUG("filesystem module left type, tag or block size unset");
	if (in->total_blocks > in->device_size / in->block_size)
		BUG("filesystem module reports more blocks than the device holds");
	if (in->used_blocks > in->total_blocks)
		BUG("filesystem module reports more used blocks than blocks");
}

int cc_fs_open(struct cc_dev *dev, const char *force_type, unsigned flags, struct cc_fs **out,
	       struct cc_error *err)
{
	const struct cc_fs_ops *ops;
	struct cc_fs *fs;
	int ret;

	*out = NULL;
	if (force_type) {
		ops = find_by_name(force_type);
		if (!ops)
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("unknown filesystem type '%s' for '%s': use one of ntfs, ext, fat or raw"),
				       force_type, dev->path);
	} else {
		ret = probe(dev, &ops, err);
		if (ret < 0)
			return ret;
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory while opening '%s'"),
			       dev->path);
	fs->ops = ops;
	fs->dev = dev;
	fs->info.device_size = dev->size;
	ret = ops->open(fs, flags, err);
	if (ret < 0) {
		free(fs);
		return ret;
	}
	fs->info.device_size = dev->size;
	check_info(fs);
	*out = fs;
	return 0;
}

static int mismatch(const struct cc_fs *fs, uint64_t bits, struct cc_error *err)
{
	const char *path = fs->dev->path;
	unsigned long long b = bits, u = fs->info.used_blocks;

	if (strcmp(fs->ops->name, "ntfs") == 0)
		return cc_fail(err, CC_E_FS_INCONSISTENT, 0,
			       _("the cluster bitmap of the NTFS filesystem on '%s' marks %llu clusters used but the volume counts %llu: boot Windows and run 'chkdsk /f' on it (or 'ntfsfix' from Linux), then try again"),
			       path, b, u);
	if (strcmp(fs->ops->name, "ext") == 0)
		return cc_fail(err, CC_E_FS_INCONSISTENT, 0,
			       _("the block bitmap of the %s filesystem on '%s' marks %llu blocks used but the superblock counts %llu: run 'e2fsck -f %s', then try again"),
			       fs->info.type, path, b, u, path);
	if (strcmp(fs->ops->name, "fat") == 0)
		return cc_fail(err, CC_E_FS_INCONSISTENT, 0,
			       _("the allocation table of the %s filesystem on '%s' marks %llu sectors used but its own count is %llu: run 'fsck.fat -a %s' (or 'chkdsk /f' in Windows), then try again"),
			       fs->info.type, path, b, u, path);
	return cc_fail(err, CC_E_FS_INCONSISTENT, 0,
		       _("the used-block bitmap of '%s' marks %llu blocks used but the filesystem counts %llu: check the filesystem with its repair tool, or copy it with --raw"),
		       path, b, u);
}

int cc_fs_read_bitmap(struct cc_fs *fs, struct cc_bitmap *bm, struct cc_error *err)
{
	uint64_t bits;
	int ret;

	ret = cc_bitmap_init(bm, fs->info.total_blocks, err);
	if (ret < 0)
		return ret;
	ret = fs->ops->read_bitmap(fs, bm, err);
	if (ret < 0) {
		cc_bitmap_free(bm);
		return ret;
	}
	cc_bitmap_clear_tail(bm);
	bits = cc_bitmap_count(bm);
	if (bits != fs->info.used_blocks) {
		ret = mismatch(fs, bits, err);
		cc_bitmap_free(bm);
		return ret;
	}
	return 0;
}

void cc_fs_close(struct cc_fs *fs)
{
	if (!fs)
		return;
	if (fs->ops && fs->ops->close)
		fs->ops->close(fs);
	free(fs);
}
