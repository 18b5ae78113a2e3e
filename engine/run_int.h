/*
 * run_int.h - private to run.c and spawn.c: starting a child process and
 * the messages about it.
 */
#ifndef CC_RUN_INT_H
#define CC_RUN_INT_H

#include <signal.h>

#include "run.h"

/* Internal flag: stay in our session and process group (cc_run's short
 * helpers, which a Ctrl-C on our terminal should stop too). */
#define CC_SPAWN_SAME_SESSION 0x100u

/* Start the child with `mask` as its signal mask; 0 or an errno value. */
int cc_spawn_impl(const char *const argv[], unsigned flags, const sigset_t *mask,
		  struct cc_child *c);
/* The error for a child that could not be started (errno rc). */
int cc_spawn_failed(const char *const argv[], int rc, struct cc_error *err);
/* "sfdisk --dump /dev/sda", shortened for messages. */
void cc_cmdline(const char *const argv[], char *out, size_t len);

/* Block SIGPIPE in this thread while writing to a child (a child that
 * stops reading gives EPIPE, not a dead process), and put the old mask
 * back, taking a SIGPIPE that arrived meanwhile. */
void cc_sigpipe_block(sigset_t *old);
void cc_sigpipe_restore(const sigset_t *old);

#endif
