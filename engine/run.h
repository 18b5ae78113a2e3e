/*
 * run.h - run helper programs (sfdisk, sgdisk, parted, blkid, mkswap,
 * udp-sender, udp-receiver) with an argv, never through a shell.
 */
#ifndef CC_RUN_H
#define CC_RUN_H

#include <stddef.h>
#include <sys/types.h>

struct cc_error;

/*
 * Run argv[0] (searched in PATH) with argv.  `in` (may be NULL) is fed to
 * its standard input.  If `out` is not NULL, standard output is captured
 * into a malloc'd, NUL-terminated buffer (*out_len bytes without the NUL).
 * Standard error is captured; a non-zero exit status is -CC_E_IO with the
 * command and the first lines of its standard error in the message.  A
 * program that is not installed is -CC_E_NOTFOUND naming it.
 */
int cc_run(const char *const argv[], const void *in, size_t in_len, char **out, size_t *out_len,
	   struct cc_error *err);

/*
 * A helper that runs alongside the job (spawn.c): its standard input and
 * output may be pipes to us, standard error always is; with CC_SPAWN_PTY it
 * runs in a session of its own whose controlling terminal is a pseudo
 * terminal we hold the master of (what it reads from /dev/tty we write to
 * `pty`; it gets SIGHUP when we close it, or die).  Without a pty it still
 * runs in a session of its own, so a Ctrl-C on our terminal reaches only
 * us, and we decide how to stop it.  Our ends are close-on-exec; `in` is
 * non-blocking.  Every fd is -1 when not used.
 */
enum {
	CC_SPAWN_STDIN = 1u,  /* pipe to its standard input (else /dev/null) */
	CC_SPAWN_STDOUT = 2u, /* pipe from its standard output (else /dev/null) */
	CC_SPAWN_PTY = 4u,    /* a controlling terminal (pseudo terminal) */
};

struct cc_child {
	pid_t pid;
	int in, out, err, pty;
	const char *name; /* argv[0], for messages (borrowed) */
};

/* Start argv[0] (searched in PATH; LC_ALL=C).  Not installed: -CC_E_NOTFOUND
 * naming the Debian package when we know it. */
int cc_spawn(const char *const argv[], unsigned flags, struct cc_child *c, struct cc_error *err);
/* Is the program installed (in PATH)?  -CC_E_NOTFOUND with the package to
 * install, as cc_spawn would say. */
int cc_check_installed(const char *prog, struct cc_error *err);
/* Close our ends of its pipes and pty (idempotent). */
void cc_child_close(struct cc_child *c);
/* Reap it, waiting at most timeout_ms (< 0: for ever).  1 with *status
 * filled when it ended, 0 when it still runs, < 0 on error. */
int cc_child_wait(struct cc_child *c, int *status, int timeout_ms);
/* Stop it: send sig, wait up to grace_ms, then SIGKILL (a stalled
 * udp-sender ignores SIGTERM), reap it and close our ends.  *status (may
 * be NULL) gets its wait status.  Does nothing for a child already reaped. */
void cc_child_stop(struct cc_child *c, int sig, unsigned grace_ms, int *status);

/* Split a helper's output into lines (at '\n' or '\r', as progress lines
 * end), calling cb with each non-empty line, NUL-terminated, without the
 * end; a line longer than the buffer is cut. */
struct cc_lines {
	char buf[512];
	size_t len;
};
void cc_lines_feed(struct cc_lines *l, const char *data, size_t n,
		   void (*cb)(void *u, const char *line), void *u);

/* Read what the child wrote on standard error (one read) into lines;
 * 1 at its end (or on an error), else 0. */
int cc_child_read_lines(struct cc_child *c, struct cc_lines *l,
			void (*cb)(void *u, const char *line), void *u);

/* The last few lines a helper printed, leaving out those that start like
 * one of noise[] (NULL-terminated; may be NULL), for an error message. */
struct cc_lastlines {
	char v[3][200];
	unsigned n;
};
void cc_lastlines_add(struct cc_lastlines *l, const char *line, const char *const *noise);
/* "line 1 / line 2 / line 3" ("" if none). */
void cc_lastlines_join(const struct cc_lastlines *l, char *out, size_t len);

#endif
