/*
 * imgdir.h - Clonezilla image directories (see CLONEZILLA-FACTS.md §3).
 *
 * Writing: everything goes into "<image>.partial" in the repository, and
 * cc_imgdir_commit() writes the checksum list and the clonezilla-img tag
 * last, then renames the directory into place: an image that did not
 * finish is never listed or restored.
 * Reading: the files Clonezilla writes, partition images made by
 * partclone (<part>.<fs>-ptcl-img.<suffix>[.aa...]), ntfsclone
 * (<part>.ntfs-img[.aa...]) and dd (<part>.dd-img[.aa...]).
 */
#ifndef CC_IMGDIR_H
#define CC_IMGDIR_H

#include <stdint.h>

#include "compress.h"
#include "repo.h"

struct cc_error;

enum cc_part_engine { CC_ENGINE_PTCL, CC_ENGINE_NTFSCLONE, CC_ENGINE_DD, CC_ENGINE_SWAP };

struct cc_imgdir_part {
	char name[64];	   /* "sda1", "nvme0n1p2" (Clonezilla's name, '/' -> '-') */
	char fs[32];	   /* "ntfs", "ext4", "vfat", "swap", "dd" ... as in the file name */
	enum cc_part_engine engine;
	char file[128];	   /* first file of the image: "sda1.ntfs-ptcl-img.zst.aa" */
	unsigned nfiles;   /* split volumes: .aa .ab ... (1 if not split) */
	uint64_t bytes;	   /* total size of its files */
};

struct cc_imgdir {
	char name[256];	    /* directory name in the repository */
	char disks[8][64];  /* from "disk": "sda" (savedisk images) */
	unsigned ndisks;
	struct cc_imgdir_part *parts; /* from "parts", in that order */
	unsigned nparts;
	int64_t mtime;
	uint64_t bytes; /* sum of every file */
	int complete;	/* has clonezilla-img and every partition image */
};

/* Parse an image directory.  Missing partition files leave complete = 0. */
int cc_imgdir_read(struct cc_repo *r, const char *image, struct cc_imgdir **out,
		   struct cc_error *err);
void cc_imgdir_free(struct cc_imgdir *d);
/* Open one partition image for reading: the split volumes joined. */
int cc_imgdir_open_part(struct cc_repo *r, const struct cc_imgdir *d,
			const struct cc_imgdir_part *p, struct cc_istream **out,
			struct cc_error *err);
/* The file name of volume k (0-based) of a partition's image: p->file
 * itself when it is not split, else its .aa, .ab ... (or .aaa ...) volumes. */
int cc_imgdir_part_volume(const struct cc_imgdir_part *p, unsigned k, char *out, size_t len);
/* Every complete image, sorted by name. */
int cc_imgdir_list(struct cc_repo *r, struct cc_imgdir ***out, unsigned *n, struct cc_error *err);
void cc_imgdir_list_free(struct cc_imgdir **v, unsigned n);
/* Verify the checksum list (SHA256SUMS/B2SUMS/MD5SUMS/SHA1SUMS) if there is one:
 * -CC_E_CHECKSUM naming the first file that does not match, 0 when every
 * file matches or when there is no list at all (nothing to check). */
int cc_imgdir_verify_sums(struct cc_repo *r, const char *image, struct cc_error *err);

struct cc_imgdir_writer;

/* Start "<image>.partial" (an old partial one is removed; an existing
 * complete image is -CC_E_EXISTS unless `replace`).  The writer reports
 * every later failure into this err, which must outlive it. */
int cc_imgdir_begin(struct cc_repo *r, const char *image, int replace,
		    struct cc_imgdir_writer **out, struct cc_error *err);
/* A small file of the image (disk, parts, *-pt.sf, Info-*.txt ...).
 * "disk" and "parts" are stored as "disk.pending" and "parts.pending"
 * until the commit (Clonezilla lists any directory that has one of them);
 * cc_imgdir_read() of the .partial directory reads them. */
int cc_imgdir_put(struct cc_imgdir_writer *w, const char *file, const void *data, size_t len);
/* A partition image stream: split into file.aa, .ab ... of split_bytes
 * each when split_bytes > 0 (Clonezilla's -i), hashed for the checksum
 * list as it is written.  The stream is finished by the caller. */
int cc_imgdir_part_stream(struct cc_imgdir_writer *w, const char *file, uint64_t split_bytes,
			  struct cc_ostream **out);
/* Write the checksum list and the tag, rename into place.  Frees the
 * writer on success; on failure it is left for cc_imgdir_abort().  Every
 * part stream must have been finished before (one freed unfinished makes
 * the commit fail). */
int cc_imgdir_commit(struct cc_imgdir_writer *w);
/* Remove the partial directory (after a failure); never fails. */
void cc_imgdir_abort(struct cc_imgdir_writer *w);
const char *cc_imgdir_partial_name(const struct cc_imgdir_writer *w);

#endif
