/*
 * loopdev.h - a window of a file or disk as a block device.
 *
 * Partitions of a whole-disk image file (and of a disk whose partition
 * nodes the kernel has not created: no udev) are reached through a loop
 * device over [offset, offset + size).  The loop device is set to clear
 * itself on the last close, so it disappears with the process.
 */
#ifndef CC_LOOPDEV_H
#define CC_LOOPDEV_H

#include <stddef.h>
#include <stdint.h>

struct cc_error;

struct cc_loop {
	int fd;		/* open on the loop device; closing it frees the device */
	char path[32];	/* "/dev/loop7" */
};

int cc_loop_attach(const char *path, uint64_t offset, uint64_t size, int readonly,
		   struct cc_loop *lo, struct cc_error *err);
void cc_loop_detach(struct cc_loop *lo); /* NULL or unattached is fine */

#endif
