/*
 * filepart.c - "disk.img#2": partition 2 of a whole-disk image file, as a
 * block device (a loop window over its bytes), so that saveparts and
 * restoreparts work on the partitions of image files (the demo's disks)
 * as they do on /dev/sda2.
 */
#include "filepart.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "disk_job.h"
#include "i18n.h"
#include "loopdev.h"
#include "ptable.h"
#include "sysinfo.h"

int cc_is_file_part(const char *spec, char *file, size_t len, unsigned *num)
{
	const char *hash = strrchr(spec, '#');
	struct stat st;
	char *end;
	unsigned long n;

	if (!hash || hash == spec || !hash[1] || (size_t)(hash - spec) >= len)
		return 0;
	n = strtoul(hash + 1, &end, 10);
	if (*end || !n || n > 256)
		return 0;
	memcpy(file, spec, (size_t)(hash - spec));
	file[hash - spec] = '\0';
	if (stat(file, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	*num = (unsigned)n;
	return 1;
}

int cc_file_part_attach(const char *spec, int readonly, struct cc_loop *lo, char *name,
			size_t namelen, struct cc_error *err)
{
	struct cc_disk_info *d;
	char file[4096];
	unsigned num, i;
	int ret;

	if (!cc_is_file_part(spec, file, sizeof(file), &num))
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("%s is not FILE#N (a partition of a disk image file)"), spec);
	if (!(d = calloc(1, sizeof(*d))))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	if ((ret = cc_describe_disk_file(file, d, err)) < 0) {
		free(d);
		return ret;
	}
	for (i = 0; i < d->nparts; i++) {
		const char *h = strrchr(d->parts[i].path, '#');

		if (h && strtoul(h + 1, NULL, 10) == num)
			break;
	}
	if (i == d->nparts) {
		ret = cc_fail(err, CC_E_NOTFOUND, 0, _("%s has no partition %u"), file, num);
	} else {
		ret = cc_loop_attach(file, d->parts[i].start, d->parts[i].size, readonly, lo, err);
	}
	if (!ret && name) {
		char disk[32];

		cc_disk_name(file, 0, disk, sizeof(disk));
		cc_part_name(disk, num, name, namelen);
	}
	free(d);
	return ret;
}
