/*
 * run.c - cc_run(); see run.h.
 *
 * The child is started by spawn.c (LC_ALL=C, pipes, no other descriptor
 * of ours) in our process group.  One poll() loop feeds the input and
 * drains both outputs, so a child that writes much while we still write
 * to it never deadlocks.  SIGPIPE is blocked in this thread while we
 * write: a child that exits without reading all its input gives EPIPE,
 * not a dead process.
 */
#include "run_int.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"

#define ERR_KEEP   8192 /* bytes of standard error kept for the message */
#define ERR_LINES  3	/* lines of it shown */
#define CMD_SHOWN  200	/* characters of the command line shown */

struct buf {
	char *p;
	size_t len, cap;
	size_t max; /* 0: unlimited; else bytes kept (the rest is read and dropped) */
};

/* The first ERR_LINES non-empty lines of standard error, joined by " / ". */
static void first_lines(const struct buf *b, char *out, size_t len)
{
	const char *p = b->p ? b->p : "", *end = p + b->len;
	size_t n = 0;
	int lines = 0;

	out[0] = '\0';
	while (p < end && lines < ERR_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t l;

		while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		l = (size_t)(e - p);
		while (l && (p[l - 1] == ' ' || p[l - 1] == '\r'))
			l--;
		if (l && n + 4 < len) {
			int w = snprintf(out + n, len - n, "%s%.*s", lines ? " / " : "", (int)l, p);

			if (w < 0)
				break;
			n += (size_t)w < len - n ? (size_t)w : len - n - 1;
			lines++;
		}
		p = nl ? nl + 1 : end;
	}
}

static int buf_add(struct buf *b, const char *data, size_t len)
{
	if (b->max && b->len + len > b->max)
		len = b->len < b->max ? b->max - b->len : 0;
	if (!len)
		return 0;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Read what is there from *fd into b; close it at the end. */
static int drain(int *fd, struct buf *b)
{
	char tmp[65536];
	ssize_t n = read(*fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0) {
		close_fd(fd);
		return 0;
	}
	return buf_add(b, tmp, (size_t)n) < 0 ? -ENOMEM : 0;
}

/* Feed the input, collect the outputs, until every pipe is closed. */
static int pump(struct cc_child *c, const char *in, size_t in_len, struct buf *out, struct buf *err)
{
	size_t done = 0;

	if (c->in >= 0 && !in_len)
		close_fd(&c->in);
	while (c->in >= 0 || c->out >= 0 || c->err >= 0) {
		struct pollfd p[3];
		int n = 0, i, r;

		if (c->in >= 0)
			p[n++] = (struct pollfd){c->in, POLLOUT, 0};
		if (c->out >= 0)
			p[n++] = (struct pollfd){c->out, POLLIN, 0};
		if (c->err >= 0)
			p[n++] = (struct pollfd){c->err, POLLIN, 0};
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			if (!p[i].revents)
				continue;
			if (p[i].fd == c->in) {
				ssize_t w = write(c->in, in + done, in_len - done);

				if (w < 0 && errno != EINTR && errno != EAGAIN) {
					close_fd(&c->in); /* EPIPE: the child stopped reading */
					continue;
				}
				if (w > 0)
					done += (size_t)w;
				if (done == in_len)
					close_fd(&c->in);
			} else if (p[i].fd == c->out) {
				r = drain(&c->out, out);
				if (r < 0)
					return r;
			} else if (p[i].fd == c->err) {
				r = drain(&c->err, err);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

static int reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int result(const char *const argv[], int status, const struct buf *err,
		  struct cc_error *e)
{
	char cmd[CMD_SHOWN], lines[400];

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	cc_cmdline(argv, cmd, sizeof(cmd));
	first_lines(err, lines, sizeof(lines));
	if (WIFSIGNALED(status))
		return cc_fail(e, CC_E_IO, 0, _("'%s' was killed by signal %d%s%s"), cmd,
			       WTERMSIG(status), lines[0] ? ": " : "", lines);
	if (lines[0])
		return cc_fail(e, CC_E_IO, 0, _("'%s' failed (exit status %d): %s"), cmd,
			       WEXITSTATUS(status), lines);
	return cc_fail(e, CC_E_IO, 0, _("'%s' failed (exit status %d) without a message"), cmd,
		       WEXITSTATUS(status));
}

int cc_run(const char *const argv[], const void *in, size_t in_len, char **out, size_t *out_len,
	   struct cc_error *err)
{
	struct buf ob = {NULL, 0, 0, 0}, eb = {NULL, 0, 0, ERR_KEEP};
	struct cc_child c;
	sigset_t old;
	int rc, status = 0;

	if (out)
		*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!argv || !argv[0] || !argv[0][0])
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("no program to run"));
	cc_sigpipe_block(&old);
	rc = cc_spawn_impl(argv,
			   CC_SPAWN_SAME_SESSION | (in ? CC_SPAWN_STDIN : 0) | (out ? CC_SPAWN_STDOUT : 0),
			   &old, &c);
	if (rc) {
		cc_sigpipe_restore(&old);
		return cc_spawn_failed(argv, rc, err);
	}
	rc = pump(&c, in, in ? in_len : 0, &ob, &eb);
	close_fd(&c.in);
	close_fd(&c.out);
	close_fd(&c.err);
	if (reap(c.pid, &status) < 0 && !rc)
		rc = -ECHILD;
	cc_sigpipe_restore(&old);
	if (rc) {
		char cmd[CMD_SHOWN];

		free(ob.p);
		free(eb.p);
		if (rc == -ENOMEM)
			return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		cc_cmdline(argv, cmd, sizeof(cmd));
		return cc_fail(err, CC_E_IO, -rc, _("cannot talk to '%s'"), cmd);
	}
	rc = result(argv, status, &eb, err);
	free(eb.p);
	if (rc || !out) {
		free(ob.p);
		return rc;
	}
	if (!ob.p && !(ob.p = calloc(1, 1)))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	*out = ob.p;
	if (out_len)
		*out_len = ob.len;
	return 0;
}
