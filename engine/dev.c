/* dev.c - see dev.h. */
#include "dev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"

int cc_dev_open(const char *path, unsigned flags, struct cc_dev **out, struct cc_error *err)
{
	struct cc_dev *dev;
	struct stat st;
	int oflags = O_CLOEXEC, fd;

	*out = NULL;
	if (flags & CC_DEV_WRITE) {
		oflags |= O_RDWR;
		if (flags & CC_DEV_CREATE)
			oflags |= O_CREAT;
		if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
			oflags |= O_EXCL; /* fails if mounted or otherwise in use */
	} else {
		oflags |= O_RDONLY;
	}
	fd = open(path, oflags, 0644);
	if (fd < 0) {
		if (errno == EBUSY)
			return cc_fail(err, CC_E_MOUNTED, errno, _("cannot open '%s' for writing"),
				       path);
		return cc_fail(err, errno == EACCES ? CC_E_PERM : errno == ENOENT ? CC_E_NOTFOUND : CC_E_IO,
			       errno, _("cannot open '%s'"), path);
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return cc_fail(err, CC_E_IO, e, _("cannot stat '%s'"), path);
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev || !(dev->path = strdup(path))) {
		free(dev);
		close(fd);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	dev->fd = fd;
	dev->writable = !!(flags & CC_DEV_WRITE);
	dev->sector_size = 512;
	if (S_ISBLK(st.st_mode)) {
		uint64_t sz = 0;
		int ss = 512;
		dev->is_blockdev = 1;
		if (ioctl(fd, BLKGETSIZE64, &sz) < 0) {
			int e = errno;
			cc_dev_close(dev);
			return cc_fail(err, CC_E_IO, e, _("cannot get the size of '%s'"), path);
		}
		if (ioctl(fd, BLKSSZGET, &ss) == 0 && ss > 0)
			dev->sector_size = (unsigned)ss;
		dev->size = sz;
	} else if (S_ISREG(st.st_mode)) {
		dev->size = (uint64_t)st.st_size;
	} else {
		cc_dev_close(dev);
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("'%s' is neither a block device nor a regular file"), path);
	}
	*out = dev;
	return 0;
}

void cc_dev_close(struct cc_dev *dev)
{
	if (!dev)
		return;
	if (dev->fd >= 0)
		close(dev->fd);
	free(dev->path);
	free(dev);
}

int cc_dev_close_sync(struct cc_dev *dev, struct cc_error *err)
{
	int ret = 0;

	if (!dev)
		return 0;
	if (dev->writable && fsync(dev->fd) < 0 && errno != EINVAL)
		ret = cc_fail(err, errno == ENOSPC ? CC_E_NOSPACE : CC_E_IO, errno,
			      _("cannot flush '%s'"), dev->path);
	if (close(dev->fd) < 0 && !ret)
		ret = cc_fail(err, CC_E_IO, errno, _("cannot close '%s'"), dev->path);
	dev->fd = -1;
	cc_dev_close(dev);
	return ret;
}

int cc_dev_pread(struct cc_dev *dev, void *buf, size_t len, uint64_t off, struct cc_error *err)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(dev->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cc_fail(err, CC_E_IO, errno, _("cannot read '%s' at byte %llu"),
				       dev->path, (unsigned long long)off);
		}
		if (n == 0)
			return cc_fail(err, CC_E_IO, 0,
				       _("unexpected end of '%s' at byte %llu"), dev->path,
				       (unsigned long long)off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int cc_dev_pwrite(struct cc_dev *dev, const void *buf, size_t len, uint64_t off,
		  struct cc_error *err)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(dev->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cc_fail(err, errno == ENOSPC ? CC_E_NOSPACE : CC_E_IO, errno,
				       _("cannot write '%s' at byte %llu"), dev->path,
				       (unsigned long long)off);
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int cc_dev_ensure_size(struct cc_dev *dev, uint64_t size, struct cc_error *err)
{
	if (dev->is_blockdev || dev->size >= size)
		return 0;
	if (ftruncate(dev->fd, (off_t)size) < 0)
		return cc_fail(err, errno == ENOSPC || errno == EFBIG ? CC_E_NOSPACE : CC_E_IO, errno,
			       _("cannot extend '%s' to %llu bytes"), dev->path,
			       (unsigned long long)size);
	dev->size = size;
	return 0;
}
