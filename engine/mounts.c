/* mounts.c - see mounts.h. */
#include "mounts.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "error.h"
#include "i18n.h"

/* Find device `rdev` in /proc/self/mountinfo: 1 and the mount point and
 * whether it is read-write, 0 if not mounted. */
static int find_mount(dev_t rdev, char *where, size_t wlen, int *rw)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mp[PATH_MAX], opts[1024];

		/* id parent major:minor root mountpoint options ... */
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s %1023s", &maj, &min, mp, opts) != 4)
			continue;
		if (makedev(maj, min) != rdev)
			continue;
		snprintf(where, wlen, "%s", mp);
		*rw = !strncmp(opts, "rw", 2) && (opts[2] == ',' || !opts[2]);
		found = 1;
	}
	fclose(f);
	return found;
}

static int in_swaps(const char *path)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[4096], dev[PATH_MAX];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%4095s", dev) == 1 && !strcmp(dev, path))
			found = 1;
	fclose(f);
	return found;
}

static int check_blockdev(const char *path, const char *shown, dev_t rdev, int mode,
			  struct cc_error *err)
{
	char where[PATH_MAX];
	int rw = 0;

	if (find_mount(rdev, where, sizeof(where), &rw) &&
	    (mode == CC_MOUNT_FOR_WRITE || rw))
		return cc_fail(err, CC_E_MOUNTED, 0,
			       mode == CC_MOUNT_FOR_WRITE
				       ? _("'%s' is mounted on %s: unmount it before restoring to it")
				       : _("'%s' is mounted read-write on %s: unmount it (or mount it "
					   "read-only) so that the image is consistent"),
			       shown, where);
	if (mode == CC_MOUNT_FOR_WRITE && in_swaps(path))
		return cc_fail(err, CC_E_MOUNTED, 0,
			       _("'%s' is in use as swap: run swapoff first"), shown);
	return 0;
}

/* A regular file may be attached to loop devices that are mounted. */
static int check_loops(const char *real, const char *shown, int mode, struct cc_error *err)
{
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	int ret = 0;

	if (!d)
		return 0;
	while (!ret && (de = readdir(d))) {
		char p[PATH_MAX], back[PATH_MAX], dev[PATH_MAX];
		struct stat st;
		FILE *f;

		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", de->d_name);
		if (!(f = fopen(p, "re")))
			continue;
		if (fgets(back, sizeof(back), f)) {
			back[strcspn(back, "\n")] = '\0';
			snprintf(dev, sizeof(dev), "/dev/%s", de->d_name);
			if (!strcmp(back, real) && stat(dev, &st) == 0 && S_ISBLK(st.st_mode))
				ret = check_blockdev(dev, shown, st.st_rdev, mode, err);
		}
		fclose(f);
	}
	closedir(d);
	return ret;
}

int cc_check_unmounted(const char *path, int mode, struct cc_error *err)
{
	char real[PATH_MAX];
	struct stat st;

	if (stat(path, &st) < 0)
		return 0; /* the caller's open reports it */
	if (S_ISBLK(st.st_mode))
		return check_blockdev(realpath(path, real) ? real : path, path, st.st_rdev, mode,
				      err);
	if (S_ISREG(st.st_mode) && realpath(path, real))
		return check_loops(real, path, mode, err);
	return 0;
}
