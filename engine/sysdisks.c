/*
 * sysdisks.c - the disks of the machine and of image files (sysinfo.h).
 *
 * Disks come from /sys/block, their partitions from the table sfdisk
 * reads (cc_ptable_read), each partition's filesystem from a low-level
 * probe of blkid at the partition's offset on the whole disk:
 * `blkid -p -o export -O OFFSET --size SIZE DISK`.  That needs neither
 * udev (lsblk's FSTYPE comes from the udev database, empty without it)
 * nor partition nodes, and works the same on image files.  Checked with
 * util-linux 2.38.1: exit status 0 with TYPE=/LABEL= lines, 2 when
 * nothing is recognised.
 *
 * "mounted" is by device number: /proc/self/mountinfo holds the
 * major:minor of every mounted filesystem; /sys/block/X/dev and
 * /sys/block/X/<part>/dev those of the disk and its partitions.  A
 * partition in use as swap (/proc/swaps) or held by another device
 * (/sys/block/X/<part>/holders: LVM, RAID, dm-crypt) counts as mounted.
 */
#include "sysinfo.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"
#include "mounts.h"
#include "ptable.h"
#include "run.h"
#include "sysfile.h"

#define LIVE_MOUNT "/run/live/medium"

/* Devices that are never disks of the machine (prefixes of /sys/block names). */
static const char *const skipped[] = {"loop", "ram", "zram", "sr", "fd", "md", "dm-"};

/* ---- small file helpers ---- */

/* "8:0" of /sys/block/<rel>/dev, 0 if none. */
static dev_t sys_devnum(const char *rel)
{
	char p[PATH_MAX], v[32];
	unsigned maj, min;

	cc_fmt(p, sizeof(p), "/sys/block/%s/dev", rel);
	if (cc_read_small(p, v, sizeof(v)) < 0 || sscanf(v, "%u:%u", &maj, &min) != 2)
		return 0;
	return makedev(maj, min);
}

static void copy_str(char *dst, size_t len, const char *src)
{
	cc_fmt(dst, len, "%s", src);
}

/* ---- what is mounted ---- */

struct mnt {
	dev_t dev;
	int live; /* mounted at /run/live/medium */
};

struct mounts {
	struct mnt *m;
	size_t n;
	dev_t *swaps;
	size_t nswaps;
};

static void mounts_free(struct mounts *ms)
{
	free(ms->m);
	free(ms->swaps);
	memset(ms, 0, sizeof(*ms));
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape_octal(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

static int mounts_load(struct mounts *ms, struct cc_error *err)
{
	char line[8192];
	size_t cap = 0, scap = 0;
	FILE *f;

	memset(ms, 0, sizeof(*ms));
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return cc_fail(err, CC_E_IO, errno,
			       _("cannot read /proc/self/mountinfo (is /proc mounted?)"));
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mp[4096];

		/* id parent major:minor root mountpoint ... */
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &maj, &min, mp) != 3 || !maj)
			continue;
		unescape_octal(mp);
		if (ms->n == cap) {
			struct mnt *m = realloc(ms->m, (cap = cap ? cap * 2 : 32) * sizeof(*m));

			if (!m) {
				fclose(f);
				mounts_free(ms);
				return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
			}
			ms->m = m;
		}
		ms->m[ms->n].dev = makedev(maj, min);
		ms->m[ms->n].live = !strcmp(mp, LIVE_MOUNT);
		ms->n++;
	}
	fclose(f);
	f = fopen("/proc/swaps", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char dev[4096];
		struct stat st;

		if (sscanf(line, "%4095s", dev) != 1 || stat(dev, &st) < 0 || !S_ISBLK(st.st_mode))
			continue;
		if (ms->nswaps == scap) {
			dev_t *s = realloc(ms->swaps, (scap = scap ? scap * 2 : 8) * sizeof(*s));

			if (!s) {
				fclose(f);
				mounts_free(ms);
				return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
			}
			ms->swaps = s;
		}
		ms->swaps[ms->nswaps++] = st.st_rdev;
	}
	fclose(f);
	return 0;
}

/* 1 if dev is mounted or swap; *live set when it is the live medium. */
static int dev_in_use(const struct mounts *ms, dev_t dev, int *live)
{
	int used = 0;
	size_t i;

	if (!dev)
		return 0;
	for (i = 0; i < ms->n; i++)
		if (ms->m[i].dev == dev) {
			used = 1;
			if (ms->m[i].live)
				*live = 1;
		}
	for (i = 0; i < ms->nswaps; i++)
		if (ms->swaps[i] == dev)
			used = 1;
	return used;
}

/* Does /sys/block/<rel>/holders list anything? */
static int has_holders(const char *rel)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int any = 0;

	cc_fmt(p, sizeof(p), "/sys/block/%s/holders", rel);
	if (!(d = opendir(p)))
		return 0;
	while (!any && (de = readdir(d)))
		any = de->d_name[0] != '.';
	closedir(d);
	return any;
}

/* ---- $CLONECAST_LIVE_MEDIUM ---- */

/* The device named in $CLONECAST_LIVE_MEDIUM ("/dev/sdb", "sdb1", or an
 * image file's path): its device number (0 if not a block device) and
 * its name. */
struct live_env {
	const char *name; /* NULL if unset */
	dev_t dev;
};

static void live_env_get(struct live_env *le)
{
	struct stat st;
	char p[PATH_MAX];

	le->name = getenv("CLONECAST_LIVE_MEDIUM");
	le->dev = 0;
	if (!le->name || !*le->name) {
		le->name = NULL;
		return;
	}
	if (!strchr(le->name, '/'))
		cc_fmt(p, sizeof(p), "/dev/%s", le->name);
	else
		copy_str(p, sizeof(p), le->name);
	if (stat(p, &st) == 0 && S_ISBLK(st.st_mode))
		le->dev = st.st_rdev;
}

static int live_env_is(const struct live_env *le, const char *path, const char *name, dev_t dev)
{
	if (!le->name)
		return 0;
	if (dev && le->dev == dev)
		return 1;
	return !strcmp(le->name, path) || !strcmp(le->name, name);
}

/* ---- partitions and filesystems ---- */

/* Undo blkid's export escaping (a backslash before special characters). */
static void unescape_backslash(char *s)
{
	char *d = s;

	while (*s) {
		if (*s == '\\' && s[1])
			s++;
		*d++ = *s++;
	}
	*d = '\0';
}

/* The filesystem type and label at [off, off+size) of path; "" when
 * blkid does not recognise one (or is not there: the listing goes on). */
static void probe_fs(const char *path, uint64_t off, uint64_t size, char *type, size_t tlen,
		     char *label, size_t llen)
{
	char soff[32], ssize[32];
	const char *argv[] = {"blkid", "-p", "-o", "export", "-O", soff, "--size", ssize, path,
			      NULL};
	char *out = NULL, *line, *save = NULL;
	size_t len;

	type[0] = label[0] = '\0';
	cc_fmt(soff, sizeof(soff), "%llu", (unsigned long long)off);
	cc_fmt(ssize, sizeof(ssize), "%llu", (unsigned long long)size);
	if (cc_run(argv, NULL, 0, &out, &len, NULL) < 0) {
		free(out);
		return;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "TYPE=", 5)) {
			unescape_backslash(line + 5);
			/* the one common type longer than the field */
			copy_str(type, tlen,
				 !strcmp(line + 5, "linux_raid_member") ? "linux_raid" : line + 5);
		} else if (!strncmp(line, "LABEL=", 6)) {
			unescape_backslash(line + 6);
			copy_str(label, llen, line + 6);
		}
	}
	free(out);
}

/*
 * Fill d->table and d->parts from the partition table of d->path.  A disk
 * that cannot be read or has no table is listed without partitions.
 * nums[i] receives the partition number of parts[i].
 */
static void read_parts(struct cc_disk_info *d, unsigned *nums)
{
	struct cc_ptable *pt = calloc(1, sizeof(*pt));
	unsigned i;

	d->table[0] = '\0';
	d->nparts = 0;
	if (!pt)
		return;
	if (cc_ptable_read(d->path, d->name, pt, NULL) < 0) {
		free(pt);
		return;
	}
	copy_str(d->table, sizeof(d->table), pt->label);
	for (i = 0; i < pt->nparts && d->nparts < CC_MAX_PARTS_INFO; i++) {
		const struct cc_ptable_part *pp = &pt->parts[i];
		struct cc_part_info *p = &d->parts[d->nparts];

		memset(p, 0, sizeof(*p));
		p->start = pp->start * pt->sector_size;
		p->size = pp->size * pt->sector_size;
		if (d->is_file) {
			cc_fmt(p->path, sizeof(p->path), "%s#%u", d->path, pp->num);
			cc_fmt(p->name, sizeof(p->name), "%s#%u", d->name, pp->num);
		} else {
			cc_fmt(p->path, sizeof(p->path), "/dev/%s", pp->name);
			copy_str(p->name, sizeof(p->name), pp->name);
		}
		if (!pp->extended)
			probe_fs(d->path, p->start, p->size, p->fstype, sizeof(p->fstype),
				 p->label, sizeof(p->label));
		nums[d->nparts++] = pp->num;
	}
	cc_ptable_free(pt);
	free(pt);
}

/* Mounted / live state of a disk of /sys/block and its partitions. */
static void mark_usage(struct cc_disk_info *d, const unsigned *nums, const struct mounts *ms,
		       const struct live_env *le)
{
	char p[PATH_MAX], v[32];
	struct dirent *de;
	DIR *dir;
	int live = 0;
	dev_t ddev = sys_devnum(d->name);
	unsigned i;

	if (dev_in_use(ms, ddev, &live) || has_holders(d->name))
		d->mounted = 1;
	if (live_env_is(le, d->path, d->name, ddev))
		live = 1;
	/* partitions the kernel knows: /sys/block/X/<part>/partition */
	cc_fmt(p, sizeof(p), "/sys/block/%s", d->name);
	dir = opendir(p);
	while (dir && (de = readdir(dir))) {
		char rel[PATH_MAX], pname[300];
		unsigned long num;
		dev_t pdev;
		int used;

		if (de->d_name[0] == '.')
			continue;
		cc_fmt(rel, sizeof(rel), "/sys/block/%s/%s/partition", d->name, de->d_name);
		if (cc_read_small(rel, v, sizeof(v)) < 0)
			continue;
		num = strtoul(v, NULL, 10);
		cc_fmt(rel, sizeof(rel), "%s/%s", d->name, de->d_name);
		pdev = sys_devnum(rel);
		cc_fmt(pname, sizeof(pname), "/dev/%s", de->d_name);
		used = dev_in_use(ms, pdev, &live) || has_holders(rel);
		if (live_env_is(le, pname, de->d_name, pdev))
			live = 1;
		if (!used)
			continue;
		d->mounted = 1;
		for (i = 0; i < d->nparts; i++)
			if (nums[i] == num)
				d->parts[i].mounted = 1;
	}
	if (dir)
		closedir(dir);
	d->live_medium = live;
}

/* "ATA Samsung SSD 860" from device/vendor and device/model, else the
 * serial number. */
static void disk_model(const char *name, char *out, size_t len)
{
	char p[PATH_MAX], vendor[64], model[64];

	cc_fmt(p, sizeof(p), "/sys/block/%s/device/vendor", name);
	if (cc_read_small(p, vendor, sizeof(vendor)) == 0 && !strncmp(vendor, "0x", 2))
		vendor[0] = '\0'; /* virtio: a PCI vendor id, not a name */
	cc_fmt(p, sizeof(p), "/sys/block/%s/device/model", name);
	cc_read_small(p, model, sizeof(model));
	if (vendor[0] && model[0])
		cc_fmt(out, len, "%s %s", vendor, model);
	else
		copy_str(out, len, vendor[0] ? vendor : model);
	if (!out[0]) { /* virtio and some NVMe: no model, but a serial number */
		char serial[64];

		cc_fmt(p, sizeof(p), "/sys/block/%s/serial", name);
		if (cc_read_small(p, serial, sizeof(serial)) < 0 || !serial[0]) {
			cc_fmt(p, sizeof(p), "/sys/block/%s/device/serial", name);
			cc_read_small(p, serial, sizeof(serial));
		}
		if (serial[0])
			/* TRANSLATORS: a disk without a model name, by its serial number */
			cc_fmt(out, len, _("serial %s"), serial);
	}
}

/* Removable: the kernel's flag, or anything on USB (USB hard disks say 0). */
static int disk_removable(const char *name)
{
	char p[PATH_MAX], v[16], real[PATH_MAX];

	cc_fmt(p, sizeof(p), "/sys/block/%s/removable", name);
	if (cc_read_small(p, v, sizeof(v)) == 0 && v[0] == '1')
		return 1;
	cc_fmt(p, sizeof(p), "/sys/block/%s", name);
	return realpath(p, real) && strstr(real, "/usb") != NULL;
}

static int need_sfdisk(struct cc_error *err)
{
	if (cc_in_path("sfdisk"))
		return 0;
	return cc_fail(err, CC_E_NOTFOUND, 0,
		       _("sfdisk is not installed: install the Debian package '%s'"), "fdisk");
}

static int by_name(const void *a, const void *b)
{
	return strverscmp(((const struct cc_disk_info *)a)->name,
			  ((const struct cc_disk_info *)b)->name);
}

int cc_list_disks(struct cc_disk_info **out, unsigned *n, struct cc_error *err)
{
	struct cc_disk_info *v = NULL;
	struct live_env le;
	struct mounts ms;
	struct dirent *de;
	unsigned cnt = 0, cap = 0;
	DIR *dir;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = need_sfdisk(err)) < 0)
		return rc;
	dir = opendir("/sys/block");
	if (!dir)
		return cc_fail(err, CC_E_IO, errno,
			       _("cannot list the disks in /sys/block (is sysfs mounted?)"));
	if ((rc = mounts_load(&ms, err)) < 0) {
		closedir(dir);
		return rc;
	}
	live_env_get(&le);
	while ((de = readdir(dir))) {
		unsigned nums[CC_MAX_PARTS_INFO];
		struct cc_disk_info *d;
		char p[PATH_MAX], v_size[32];
		unsigned long long sectors;
		size_t i;
		int skip = de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(d->name);

		for (i = 0; !skip && i < sizeof(skipped) / sizeof(skipped[0]); i++)
			skip = !strncmp(de->d_name, skipped[i], strlen(skipped[i]));
		if (skip)
			continue;
		/* /sys/block/X/size is in 512-byte units whatever the sector size */
		cc_fmt(p, sizeof(p), "/sys/block/%s/size", de->d_name);
		if (cc_read_small(p, v_size, sizeof(v_size)) < 0 ||
		    !(sectors = strtoull(v_size, NULL, 10)))
			continue;
		if (cnt == cap) {
			struct cc_disk_info *nv = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*nv));

			if (!nv) {
				rc = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
				break;
			}
			v = nv;
		}
		d = &v[cnt++];
		memset(d, 0, sizeof(*d));
		copy_str(d->name, sizeof(d->name), de->d_name);
		cc_fmt(d->path, sizeof(d->path), "/dev/%s", de->d_name);
		d->size = (uint64_t)sectors * 512;
		disk_model(d->name, d->model, sizeof(d->model));
		d->removable = disk_removable(d->name);
		read_parts(d, nums);
		mark_usage(d, nums, &ms, &le);
	}
	closedir(dir);
	mounts_free(&ms);
	if (rc < 0) {
		free(v);
		return rc;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), by_name);
	*out = v;
	*n = cnt;
	return 0;
}

int cc_describe_disk_file(const char *path, struct cc_disk_info *out, struct cc_error *err)
{
	unsigned nums[CC_MAX_PARTS_INFO];
	struct live_env le;
	const char *base;
	struct stat st;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	if (!path || !*path)
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("no disk image file given"));
	if (strlen(path) >= sizeof(out->path))
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("the path of the disk image '%s' is too long (at most %zu "
				 "characters): move the file to a shorter path"),
			       path, sizeof(out->path) - 1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_fail(err,
			       errno == ENOENT	  ? CC_E_NOTFOUND
			       : errno == EACCES ? CC_E_PERM
						 : CC_E_IO,
			       errno, _("cannot open the disk image '%s'"), path);
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return cc_fail(err, CC_E_IO, e, _("cannot stat the disk image '%s'"), path);
	}
	close(fd);
	if (!S_ISREG(st.st_mode))
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("'%s' is not a regular file: give the path of a disk image file"),
			       path);
	if ((rc = need_sfdisk(err)) < 0)
		return rc;
	base = strrchr(path, '/');
	base = base && base[1] ? base + 1 : path;
	copy_str(out->path, sizeof(out->path), path);
	copy_str(out->name, sizeof(out->name), base);
	copy_str(out->model, sizeof(out->model), _("image file"));
	out->size = (uint64_t)st.st_size;
	out->is_file = 1;
	read_parts(out, nums);
	/* a file in use through a mounted (or swap) loop device */
	out->mounted = cc_check_unmounted(path, CC_MOUNT_FOR_WRITE, NULL) == -CC_E_MOUNTED;
	live_env_get(&le);
	out->live_medium = live_env_is(&le, out->path, out->name, 0);
	return 0;
}
