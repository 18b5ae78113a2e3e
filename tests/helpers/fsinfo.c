/*
 * fsinfo - print what the filesystem layer sees on a device and dump its
 * used-block bitmap (partclone's bitmap bytes).
 *
 *   fsinfo [--force] [--raw] [--type=ntfs|ext|fat|raw] DEVICE BITMAP_OUT
 *
 * Exit 0 on success, 1 on an engine error ("error: NAME: detail" on
 * stderr), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "dev.h"
#include "error.h"
#include "fs.h"

static int usage(void)
{
	fprintf(stderr, "usage: fsinfo [--force] [--raw] [--type=TYPE] DEVICE BITMAP_OUT\n");
	return 2;
}

static int fail(const struct cc_error *err)
{
	fprintf(stderr, "error: %s: %s\n", cc_errname(err->code), err->detail);
	return 1;
}

static int write_bitmap(const char *path, const struct cc_bitmap *bm)
{
	FILE *f = fopen(path, "wb");
	size_t n = cc_bitmap_nbytes(bm);

	if (!f || (n && fwrite(bm->bytes, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *type = NULL, *device = NULL, *out = NULL;
	struct cc_error err = {0};
	struct cc_bitmap bm = {0};
	struct cc_dev *dev;
	struct cc_fs *fs;
	unsigned flags = 0;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			flags |= CC_FS_FORCE;
		else if (strcmp(argv[i], "--raw") == 0)
			type = "raw";
		else if (strncmp(argv[i], "--type=", 7) == 0)
			type = argv[i] + 7;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage();
		else if (!device)
			device = argv[i];
		else if (!out)
			out = argv[i];
		else
			return usage();
	}
	if (!device || !out)
		return usage();
	if (cc_dev_open(device, CC_DEV_READ, &dev, &err) < 0)
		return fail(&err);
	if (cc_fs_open(dev, type, flags, &fs, &err) < 0) {
		cc_dev_close(dev);
		return fail(&err);
	}
	if (cc_fs_read_bitmap(fs, &bm, &err) < 0) {
		cc_fs_close(fs);
		cc_dev_close(dev);
		return fail(&err);
	}
	printf("type=%s\ntag=%s\nblock_size=%u\ntotal_blocks=%llu\nused_blocks=%llu\n"
	       "device_size=%llu\nlabel=%s\nuuid=%s\n",
	       fs->info.type, fs->info.ptcl_tag, fs->info.block_size,
	       (unsigned long long)fs->info.total_blocks, (unsigned long long)fs->info.used_blocks,
	       (unsigned long long)fs->info.device_size, fs->info.label, fs->info.uuid);
	rc = write_bitmap(out, &bm);
	cc_bitmap_free(&bm);
	cc_fs_close(fs);
	cc_dev_close(dev);
	return rc;
}
