/*
 * mounts.h - is a device (or the file behind a loop device) in use?
 * Saving a filesystem that is mounted read-write gives an inconsistent
 * image; writing to a mounted one destroys it.
 */
#ifndef CC_MOUNTS_H
#define CC_MOUNTS_H

struct cc_error;

enum {
	CC_MOUNT_FOR_READ = 0,	/* refuse only a read-write mount */
	CC_MOUNT_FOR_WRITE = 1, /* refuse any mount or swap use */
};

/* 0 if `path` may be used, or -CC_E_MOUNTED naming the mount point. */
int cc_check_unmounted(const char *path, int mode, struct cc_error *err);

#endif
