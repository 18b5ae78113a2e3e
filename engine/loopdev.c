/* loopdev.c - see loopdev.h. */
#include "loopdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"

/* /dev/loopN may be missing without udev: create the node. */
static int loop_node(int n, char *path, size_t len)
{
	struct stat st;

	snprintf(path, len, "/dev/loop%d", n);
	if (stat(path, &st) == 0)
		return 0;
	return mknod(path, S_IFBLK | 0660, makedev(7, (unsigned)n));
}

static int setup(int lfd, int ffd, uint64_t offset, uint64_t size, int readonly)
{
	struct loop_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (uint32_t)ffd;
	cfg.info.lo_offset = offset;
	cfg.info.lo_sizelimit = size;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (readonly ? LO_FLAGS_READ_ONLY : 0);
	if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return -1;
	/* Kernels before 5.8: the two-step way. */
	if (ioctl(lfd, LOOP_SET_FD, ffd) < 0)
		return -1;
	if (ioctl(lfd, LOOP_SET_STATUS64, &cfg.info) < 0) {
		int e = errno;
		ioctl(lfd, LOOP_CLR_FD, 0);
		errno = e;
		return -1;
	}
	return 0;
}

int cc_loop_attach(const char *path, uint64_t offset, uint64_t size, int readonly,
		   struct cc_loop *lo, struct cc_error *err)
{
	int ctl, ffd, tries;

	lo->fd = -1;
	lo->path[0] = '\0';
	ffd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (ffd < 0)
		return cc_fail(err, errno == ENOENT ? CC_E_NOTFOUND : CC_E_IO, errno,
			       _("cannot open '%s'"), path);
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		int e = errno;
		close(ffd);
		return cc_fail(err, CC_E_UNSUPPORTED, e,
			       _("cannot use loop devices to reach the partitions of '%s' (are you "
				 "root? is the loop module loaded?)"),
			       path);
	}
	/* Another process may take the free device first: try again. */
	for (tries = 0; tries < 20; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE), lfd;

		if (n < 0 || loop_node(n, lo->path, sizeof(lo->path)) < 0)
			break;
		lfd = open(lo->path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (lfd < 0)
			break;
		if (setup(lfd, ffd, offset, size, readonly) == 0) {
			lo->fd = lfd;
			close(ctl);
			close(ffd); /* the loop device holds its own reference */
			return 0;
		}
		close(lfd);
		if (errno != EBUSY)
			break;
	}
	{
		int e = errno;
		close(ctl);
		close(ffd);
		lo->path[0] = '\0';
		return cc_fail(err, CC_E_IO, e,
			       _("cannot set up a loop device for bytes %llu-%llu of '%s'"),
			       (unsigned long long)offset, (unsigned long long)(offset + size), path);
	}
}

void cc_loop_detach(struct cc_loop *lo)
{
	if (!lo || lo->fd < 0)
		return;
	/* Autoclear frees it on this last close; clear explicitly too in
	 * case someone else still holds it open. */
	ioctl(lo->fd, LOOP_CLR_FD, 0);
	close(lo->fd);
	lo->fd = -1;
}
