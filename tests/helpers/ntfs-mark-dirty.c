/*
 * ntfs-mark-dirty DEVICE - set the NTFS "dirty" volume flag (as Windows
 * does while the volume is in use or needs chkdsk), to make test fixtures.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define HAVE_STDINT_H	 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_STDIO_H	 1
#define HAVE_STDDEF_H	 1
#define HAVE_STDARG_H	 1
#define HAVE_TIME_H	 1
#define HAVE_SYS_STAT_H	 1
#define HAVE_ENDIAN_H	 1
#define HAVE_BYTESWAP_H	 1
#include <ntfs-3g/types.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/volume.h>

int main(int argc, char **argv)
{
	ntfs_volume *vol;

	if (argc != 2) {
		fprintf(stderr, "usage: ntfs-mark-dirty DEVICE\n");
		return 2;
	}
	ntfs_log_set_handler(ntfs_log_handler_null);
	vol = ntfs_mount(argv[1], NTFS_MNT_NONE);
	if (!vol) {
		fprintf(stderr, "ntfs-mark-dirty: cannot mount '%s': %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (ntfs_volume_write_flags(vol, vol->flags | VOLUME_IS_DIRTY)) {
		fprintf(stderr, "ntfs-mark-dirty: cannot write the flags of '%s': %s\n", argv[1],
			strerror(errno));
		ntfs_umount(vol, FALSE);
		return 1;
	}
	if (ntfs_umount(vol, FALSE)) {
		fprintf(stderr, "ntfs-mark-dirty: cannot unmount '%s': %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	return 0;
}
