/*
 * job.h - saving one filesystem to an image stream and restoring or
 * checking one image stream: the building blocks of every front end
 * (command line, wizard, whole-disk jobs).
 *
 * Save pipeline:    reader thread (pread of used blocks into 4 MiB buffers)
 *                   -> partclone writer (checksums) -> compressor (threads)
 *                   -> sink
 * Restore pipeline: source -> decompressor in a read-ahead thread
 *                   -> image reader (verifies checksums) -> pwrite of runs
 */
#ifndef CC_JOB_H
#define CC_JOB_H

#include <stdint.h>

#include "compress.h"
#include "image.h"
#include "progress.h"
#include "stream.h"

struct cc_error;

/* Progress of a whole job that may span several partitions. */
struct cc_tracker {
	const struct cc_events *ev;
	struct cc_meter meter;
	struct cc_progress p;
	uint64_t stored_base; /* compressed bytes of earlier partitions */
	int total_known;      /* p.bytes_total is the whole job's already: a restore
			       * does not add each partition's used bytes to it */
};

void cc_tracker_init(struct cc_tracker *t, const struct cc_events *ev, uint64_t bytes_total);
/* Report the end of the job (always delivered, final = 1). */
void cc_tracker_done(struct cc_tracker *t);
/* Report progress (throttled); -CC_E_CANCELED if the front end asked to stop. */
int cc_tracker_report(struct cc_tracker *t, struct cc_error *err);

struct cc_save_opts {
	const char *source;	       /* block device or file with one filesystem */
	const char *force_fs;	       /* NULL: probe; "raw", "ntfs", "ext", "fat" */
	unsigned fs_flags;	       /* CC_FS_FORCE */
	struct cc_compress_opts comp;  /* codec NONE/GZIP/ZSTD, level, threads */
	int checksum_mode;	       /* CC_CSUM_CRC32 unless set (-1 = default) */
	uint32_t blocks_per_checksum;  /* 0: 1 MiB / block size, as partclone */
	int plain_raw;		       /* with force_fs "raw": no partclone header, just the
					* bytes (what partclone.dd writes, and Clonezilla
					* expects in <part>.dd-ptcl-img.*) */
};

struct cc_part_result {
	char fs_type[20];      /* "ntfs", "ext4", ... (save) or the image's fs tag */
	struct cc_image_info info;
	enum cc_codec codec;
	uint64_t used_bytes;   /* used data read or written */
	uint64_t stored_bytes; /* image bytes (compressed) */
	uint64_t elapsed_ms;
	int backup_boot_fixed; /* restore: NTFS backup boot sector regenerated */
};

/* Save: takes ownership of `sink` (finished on success, freed always).
 * `tracker` may be NULL (a private one is used with ev). */
int cc_save_part(const struct cc_save_opts *o, struct cc_ostream *sink,
		 const struct cc_events *ev, struct cc_tracker *tracker,
		 struct cc_part_result *res, struct cc_error *err);

enum {
	CC_RESTORE_CHECK_ONLY = 1, /* verify everything, write nothing */
	CC_RESTORE_ALLOW_RAW = 2,  /* accept a raw stream with no known filesystem in it */
};

/* Restore or check: takes ownership of `src` (a raw image byte stream,
 * possibly compressed).  target: a block device or regular file; a file
 * that does not exist is created sparse at the image's device size.
 * Refuses a target smaller than the image's device before writing. */
int cc_restore_part(struct cc_istream *src, const char *target, unsigned flags,
		    const struct cc_events *ev, struct cc_tracker *tracker,
		    struct cc_part_result *res, struct cc_error *err);

/* Open a possibly compressed image stream and read its header only. */
int cc_probe_image(struct cc_istream *src, struct cc_image_info *info, enum cc_codec *codec,
		   struct cc_error *err);

#endif
