/*
 * disk_job.h - whole disks and sets of partitions to and from Clonezilla
 * image directories: savedisk, saveparts, restoredisk, restoreparts, and
 * the check of a whole image directory.
 */
#ifndef CC_DISK_JOB_H
#define CC_DISK_JOB_H

#include <stdint.h>

#include "compress.h"
#include "progress.h"
#include "repo.h"

struct cc_error;

struct cc_disk_save_opts {
	struct cc_repo *repo;
	const char *image;
	const char *const *devices; /* disks (savedisk) or partitions (saveparts) */
	const char *const *names;   /* saveparts: the partitions' names in the image
				     * ("sda1"); NULL or a NULL entry: the device's name */
	unsigned ndevices;
	int whole_disks;	    /* 1: savedisk, 0: saveparts */
	struct cc_compress_opts comp;
	uint64_t split_bytes;	    /* 0: no split */
	int check_after;	    /* verify every partition image before committing */
	unsigned fs_flags;	    /* CC_FS_FORCE */
	int replace;		    /* replace an existing image of that name */
	const char *cmdline;	    /* the equivalent command line (no secrets) */
};

struct cc_disk_restore_opts {
	struct cc_repo *repo;
	const char *image;
	const char *const *devices; /* target disks, or target partitions */
	unsigned ndevices;
	int whole_disks;
	int grow; /* enlarge the last partition and its filesystem */
	uint64_t bytes_total; /* data in use, for the progress; 0: summed from the
			       * partition images' headers (a multicast stream
			       * gives it, its images can be read only once) */
};

int cc_savedisk(const struct cc_disk_save_opts *o, const struct cc_events *ev,
		struct cc_error *err);
int cc_restoredisk(const struct cc_disk_restore_opts *o, const struct cc_events *ev,
		   struct cc_error *err);
/* Verify the checksum list and every partition image of an image directory. */
int cc_check_imgdir(struct cc_repo *repo, const char *image, const struct cc_events *ev,
		    struct cc_error *err);

struct cc_imgdir;
/* Data in use in every partition image of d (read from their headers). */
uint64_t cc_imgdir_used_bytes(struct cc_repo *repo, const struct cc_imgdir *d);
/* The partitions of d (indexes into d->parts, no swap) in the order a
 * restore reads their images: disk by disk as in "disk", in "parts" order
 * on each, then any not on those disks; returns how many (order has room
 * for d->nparts). */
unsigned cc_restore_order(const struct cc_imgdir *d, unsigned *order);

/* Kernel name of a disk: "/dev/sda" -> "sda"; a regular file -> "sda". */
void cc_disk_name(const char *path, unsigned index, char *out, size_t len);

#endif
