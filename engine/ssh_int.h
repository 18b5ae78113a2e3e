/*
 * ssh_int.h - what the SSH repository's files share (repo_sftp.c,
 * ssh_conn.c, sftp_stream.c).  Not part of the engine's interface.
 *
 * One struct cc_ssh per repository: one SSH connection with one libssh
 * SFTP session for the small operations (mkdir, rename, list ...), and a
 * separate SFTP channel per open file that sftp_stream.c drives itself,
 * so that many requests are in flight at once (libssh 0.10's sftp_write
 * waits for each answer, which limits a 128 KiB write to one round trip).
 *
 * libssh is not thread-safe per session: every call runs between
 * cc_ssh_enter() and cc_ssh_leave(), which also arm a watchdog: a call
 * that gets no answer for timeout_s seconds has its socket shut down, so
 * it fails at once instead of hanging, and the repository is marked dead
 * (every later call fails at once too, with the same explanation).
 */
#ifndef CC_SSH_INT_H
#define CC_SSH_INT_H

#include <pthread.h>
#include <stdint.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "repo.h"

struct cc_error;

struct cc_ssh {
	pthread_mutex_t lock; /* held around every libssh call */
	ssh_session ssh;
	sftp_session sftp;
	char *location; /* as the user gave it: for messages */
	char *host;	/* "host" or "host port N": for messages */
	char *root;	/* the repository's absolute directory on the server */
	unsigned timeout_s;
	int has_fsync; /* fsync@openssh.com */

	/* watchdog */
	pthread_t wd;
	int wd_started;
	pthread_mutex_t wd_lock;
	pthread_cond_t wd_cond;
	int64_t deadline_ms; /* 0: no call running */
	int stop;
	int timed_out; /* the watchdog shut the socket down */
	int dead;      /* the connection is gone: fail fast */
};

int cc_ssh_connect(const struct cc_repo_url *u, const char *location,
		   const struct cc_repo_auth *auth, struct cc_ssh **out, struct cc_error *err);
void cc_ssh_free(struct cc_ssh *s);

/* Lock the session and arm the watchdog; -CC_E_CONN_LOST/-CC_E_TIMEOUT
 * (with the message, lock not held) if the connection is already gone. */
int cc_ssh_enter(struct cc_ssh *s, struct cc_error *err);
void cc_ssh_leave(struct cc_ssh *s);
/* Data moved: push the deadline back (long transfers are not timeouts). */
void cc_ssh_touch(struct cc_ssh *s);
/* After a failed libssh call: if the connection is gone (closed, reset,
 * timed out) fill err with that and return its code, else return 0. */
int cc_ssh_check_lost(struct cc_ssh *s, struct cc_error *err);

/* "<root>/<rel>" (rel "" or "." is the root); malloc'd, NULL if no memory. */
char *cc_ssh_path(const struct cc_ssh *s, const char *rel);

/* Streams over their own SFTP channel with requests in flight. `shown`
 * names the file in messages. */
int cc_sftp_open_write(struct cc_ssh *s, const char *abspath, const char *shown,
		       struct cc_ostream **out, struct cc_error *err);
int cc_sftp_open_read(struct cc_ssh *s, const char *abspath, const char *shown,
		      struct cc_istream **out, struct cc_error *err);

#endif
