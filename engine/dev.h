/*
 * dev.h - a block device or a regular file holding one filesystem or disk.
 * Reads and writes are full (they retry short transfers and EINTR) and
 * report errors with the path and the byte offset.
 */
#ifndef CC_DEV_H
#define CC_DEV_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct cc_error;

struct cc_dev {
	int fd;
	char *path;
	uint64_t size;	  /* bytes */
	int is_blockdev;
	int writable;
	unsigned sector_size; /* 512 for files */
};

enum {
	CC_DEV_READ = 0,
	CC_DEV_WRITE = 1,  /* open read-write; block devices are opened O_EXCL */
	CC_DEV_CREATE = 2, /* with WRITE: create a regular file if missing */
};

int cc_dev_open(const char *path, unsigned flags, struct cc_dev **out, struct cc_error *err);
void cc_dev_close(struct cc_dev *dev);
/* Close with fsync/flush of a written device; reports the error. */
int cc_dev_close_sync(struct cc_dev *dev, struct cc_error *err);

int cc_dev_pread(struct cc_dev *dev, void *buf, size_t len, uint64_t off, struct cc_error *err);
int cc_dev_pwrite(struct cc_dev *dev, const void *buf, size_t len, uint64_t off,
		  struct cc_error *err);
/* Make a regular file at least `size` bytes long (sparse); no-op for devices. */
int cc_dev_ensure_size(struct cc_dev *dev, uint64_t size, struct cc_error *err);

#endif
