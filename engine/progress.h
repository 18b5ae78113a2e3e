/*
 * progress.h - how the engine reports to a front end (TUI or command line)
 * without knowing about terminals.
 *
 * The engine calls events->progress from the thread that runs the job, at
 * most every 200 ms, at each phase change and at the end (final = 1).  A
 * non-zero return cancels the job (-CC_E_CANCELED).  events->log receives
 * warnings and notes (translated); it may be NULL.
 */
#ifndef CC_PROGRESS_H
#define CC_PROGRESS_H

#include <stdint.h>

enum cc_phase {
	CC_PHASE_PROBE,
	CC_PHASE_BITMAP,
	CC_PHASE_COPY,
	CC_PHASE_VERIFY,
	CC_PHASE_SYNC,
	CC_PHASE_DONE,
};

enum cc_level { CC_LOG_DEBUG, CC_LOG_INFO, CC_LOG_WARN, CC_LOG_ERROR };

struct cc_progress {
	enum cc_phase phase;
	unsigned part_index, part_count; /* 1-based; 1 of 1 for a single partition */
	const char *part_name; /* "sda1" (a disk job), or the device/file */
	const char *part_fs;   /* "ntfs", "ext4" ... in a disk job; NULL if unknown */
	uint64_t bytes_done;   /* used data read (save) or written (restore) */
	uint64_t bytes_total;  /* used data in all */
	uint64_t bytes_stored; /* compressed bytes in the image so far */
	uint64_t elapsed_ms;
	uint64_t rate_now; /* bytes/s, moving average over ~2 s */
	uint64_t rate_avg; /* bytes/s since the start */
	uint64_t eta_ms;   /* 0 when unknown */
	int final;
};

struct cc_events {
	void *user;
	void (*log)(void *user, enum cc_level lvl, const char *msg);
	int (*progress)(void *user, const struct cc_progress *p);
};

/* Rate meter with an injectable clock (tests drive a fake one). */
struct cc_meter {
	uint64_t (*now_ns)(void *clock_user);
	void *clock_user;
	uint64_t start_ns, last_emit_ns;
	uint64_t win_ns[8];
	uint64_t win_bytes[8];
	unsigned win_n, win_pos;
	enum cc_phase last_phase;
	int emitted;
};

uint64_t cc_clock_monotonic_ns(void *unused);
void cc_meter_init(struct cc_meter *m, uint64_t (*now_ns)(void *), void *clock_user);
/* Fill the time and rate fields of p from bytes_done/bytes_total, and
 * call events->progress if 200 ms passed, the phase changed or p->final.
 * Returns non-zero if the front end asked to cancel. */
int cc_meter_update(struct cc_meter *m, const struct cc_events *ev, struct cc_progress *p);
void cc_log(const struct cc_events *ev, enum cc_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
