/*
 * filepart.h - partitions of whole-disk image files named "FILE#N".
 */
#ifndef CC_FILEPART_H
#define CC_FILEPART_H

#include <stddef.h>

#include "loopdev.h"

struct cc_error;

/* 1 if spec is "FILE#N" with FILE an existing regular file (file and num
 * filled), else 0. */
int cc_is_file_part(const char *spec, char *file, size_t len, unsigned *num);
/* Attach a loop window over partition N of FILE; lo->path is the device.
 * name (may be NULL) gets the partition's name in an image, as savedisk
 * names the partitions of a file ("sda2").  Detach with cc_loop_detach (it
 * also goes away when the process exits). */
int cc_file_part_attach(const char *spec, int readonly, struct cc_loop *lo, char *name,
			size_t namelen, struct cc_error *err);

#endif
