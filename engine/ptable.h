/*
 * ptable.h - a disk's partition table and boot records, saved into and
 * restored from a Clonezilla image directory (CLONEZILLA-FACTS.md §3):
 * <disk>-pt.sf (sfdisk --dump), <disk>-mbr (first 512 bytes),
 * <disk>-hidden-data-after-mbr (MBR: sectors 1 .. first partition - 1;
 * none from 1024 MiB on: Clonezilla's hidden_data_after_mbr_limit is in MB),
 * <disk>-chs.sf, <disk>-pt.parted(.compact), GPT: <disk>-gpt-1st (LBA 0-33),
 * <disk>-gpt-2nd (the last 32 sectors: what Clonezilla 5.3.17 really saves),
 * <disk>-gpt.gdisk (sgdisk -b), <disk>-gpt.sgdisk (sgdisk -p);
 * MBR extended partitions: <part>-ebr.
 */
#ifndef CC_PTABLE_H
#define CC_PTABLE_H

#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct cc_repo;
struct cc_imgdir_writer;

#define CC_PTABLE_MAX 128

struct cc_ptable_part {
	unsigned num;	  /* 1-based partition number */
	char name[64];	  /* kernel-style name on this disk: "sda1", "nvme0n1p2", "loop3p1" */
	uint64_t start;	  /* in sectors */
	uint64_t size;	  /* in sectors */
	char type[40];	  /* sfdisk's type: "7", "83", "c", "5" or a GPT type GUID */
	int extended;	  /* MBR extended partition (container) */
	int bootable;
	char uuid[40];	  /* GPT partition UUID */
	char label[80];	  /* GPT partition name */
};

struct cc_ptable {
	char label[8];	       /* "dos" or "gpt" */
	unsigned sector_size;  /* 512 */
	uint64_t disk_sectors; /* size of the disk in sectors */
	char id[40];	       /* disk identifier */
	struct cc_ptable_part parts[CC_PTABLE_MAX];
	unsigned nparts;
	char *dump; /* sfdisk --dump text, malloc'd */
};

/* "sda" + 1 -> "sda1"; "nvme0n1" + 2 -> "nvme0n1p2" (a name ending in a
 * digit takes a 'p'). */
void cc_part_name(const char *disk, unsigned num, char *out, size_t len);

/* Read the table of disk_path (a block device or a whole-disk file);
 * partition names are made from disk_name. */
int cc_ptable_read(const char *disk_path, const char *disk_name, struct cc_ptable *pt,
		   struct cc_error *err);
void cc_ptable_free(struct cc_ptable *pt);
/* Parse an sfdisk --dump text (as saved in <disk>-pt.sf). */
int cc_ptable_parse_dump(const char *dump, const char *disk_name, struct cc_ptable *pt,
			 struct cc_error *err);

/* Save every file above for one disk into the image being written. */
int cc_ptable_save(struct cc_imgdir_writer *w, const char *disk_path, const char *disk_name,
		   const struct cc_ptable *pt, struct cc_error *err);

/*
 * Restore the partition table and boot records of saved disk `saved_name`
 * from image `image` onto disk_path (named target_name): refuses a disk
 * smaller than the last partition's end, before writing anything; with
 * grow, the last partition is enlarged to the end of the disk.  Writes
 * the table (sfdisk), the 446 bytes of boot code, the hidden data after
 * the MBR, EBRs; then asks the kernel to re-read the table.  *pt receives
 * the table as written (with target_name's partition names).
 */
int cc_ptable_restore(struct cc_repo *r, const char *image, const char *saved_name,
		      const char *disk_path, const char *target_name, int grow,
		      struct cc_ptable *pt, struct cc_error *err);

#endif
