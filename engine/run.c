/*
 * run.c - see run.h.
 *
 * posix_spawnp(), never a shell.  The child gets LC_ALL=C (its output is
 * parsed and saved into images, as Clonezilla does), its standard input
 * from a pipe or /dev/null, standard output into a pipe or /dev/null,
 * standard error into a pipe, and no other file descriptor of ours.  One
 * poll() loop feeds the input and drains both outputs, so a child that
 * writes much while we still write to it never deadlocks.  SIGPIPE is
 * blocked in this thread while we write: a child that exits without
 * reading all its input gives EPIPE, not a dead process.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"

extern char **environ;

#define ERR_KEEP   8192 /* bytes of standard error kept for the message */
#define ERR_LINES  3	/* lines of it shown */
#define CMD_SHOWN  200	/* characters of the command line shown */

struct buf {
	char *p;
	size_t len, cap;
	size_t max; /* 0: unlimited; else bytes kept (the rest is read and dropped) */
};

/* Debian packages of the helpers we run, for the "not installed" message. */
static const char *package_of(const char *prog)
{
	static const struct {
		const char *prog, *pkg;
	} t[] = {{"sfdisk", "fdisk"},	  {"sgdisk", "gdisk"},
		 {"parted", "parted"},	  {"partprobe", "parted"},
		 {"blkid", "util-linux"}, {"mkswap", "util-linux"}};
	const char *base = strrchr(prog, '/');
	size_t i;

	base = base ? base + 1 : prog;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(base, t[i].prog))
			return t[i].pkg;
	return NULL;
}

/* "sfdisk --dump /dev/sda", shortened for messages. */
static void cmdline(const char *const argv[], char *out, size_t len)
{
	size_t n = 0;
	int i;

	out[0] = '\0';
	for (i = 0; argv[i] && n + 1 < len; i++) {
		int quote = strpbrk(argv[i], " \t'\"") != NULL || !argv[i][0];
		int w = snprintf(out + n, len - n, quote ? "%s'%s'" : "%s%s", i ? " " : "",
				 argv[i]);

		if (w < 0)
			break;
		n += (size_t)w;
	}
	if (n >= len && len > 4)
		memcpy(out + len - 4, "...", 4);
}

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

/* The environment with LC_ALL=C (and no other LC_ALL). */
static char **c_locale_env(void)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LC_ALL=", 7))
			env[j++] = environ[i];
	env[j++] = (char *)"LC_ALL=C";
	env[j] = NULL;
	return env;
}

struct child {
	pid_t pid;
	int in, out, err; /* our ends; -1 when closed or unused */
};

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int spawn(const char *const argv[], int want_in, int want_out, const sigset_t *mask,
		 struct child *c)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
	char **env = NULL;
	sigset_t def;
	int rc;

	if ((want_in && pipe2(pin, O_CLOEXEC) < 0) || (want_out && pipe2(pout, O_CLOEXEC) < 0) ||
	    pipe2(perr, O_CLOEXEC) < 0) {
		rc = errno;
		goto close_pipes;
	}
	env = c_locale_env();
	if (!env) {
		rc = ENOMEM;
		goto close_pipes;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	if (want_in)
		posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (want_out)
		posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	/* The child starts with our mask (SIGPIPE unblocked) and default
	 * SIGPIPE/SIGINT/SIGTERM handling. */
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	posix_spawnattr_setsigmask(&attr, mask);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&c->pid, argv[0], &fa, &attr, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(env);
	if (rc)
		goto close_pipes;
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	c->in = pin[1];
	c->out = pout[0];
	c->err = perr[0];
	if (c->in >= 0)
		fcntl(c->in, F_SETFL, fcntl(c->in, F_GETFL) | O_NONBLOCK);
	return 0;

close_pipes:
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	return rc;
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
static int pump(struct child *c, const char *in, size_t in_len, struct buf *out, struct buf *err)
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

/* Take a SIGPIPE that arrived while it was blocked, so it is not
 * delivered when the old mask comes back. */
static void eat_sigpipe(const sigset_t *old)
{
	sigset_t pend, one;
	struct timespec zero = {0, 0};

	if (sigismember(old, SIGPIPE))
		return; /* the caller had it blocked: leave it pending */
	sigemptyset(&pend);
	if (sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE)) {
		sigemptyset(&one);
		sigaddset(&one, SIGPIPE);
		sigtimedwait(&one, NULL, &zero);
	}
}

static int result(const char *const argv[], int status, const struct buf *err,
		  struct cc_error *e)
{
	char cmd[CMD_SHOWN], lines[400];

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	cmdline(argv, cmd, sizeof(cmd));
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

static int not_started(const char *const argv[], int rc, struct cc_error *err)
{
	const char *pkg = package_of(argv[0]);
	char cmd[CMD_SHOWN];

	if (rc == ENOENT && pkg)
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("%s is not installed: install the Debian package '%s'"), argv[0],
			       pkg);
	if (rc == ENOENT)
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("%s is not installed (not found in PATH): install it"), argv[0]);
	if (rc == ENOMEM)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	cmdline(argv, cmd, sizeof(cmd));
	return cc_fail(err, rc == EACCES ? CC_E_PERM : CC_E_IO, rc, _("cannot run '%s'"), cmd);
}

int cc_run(const char *const argv[], const void *in, size_t in_len, char **out, size_t *out_len,
	   struct cc_error *err)
{
	struct buf ob = {NULL, 0, 0, 0}, eb = {NULL, 0, 0, ERR_KEEP};
	struct child c = {-1, -1, -1, -1};
	sigset_t block, old;
	int rc, status = 0;

	if (out)
		*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!argv || !argv[0] || !argv[0][0])
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("no program to run"));
	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = spawn(argv, in != NULL, out != NULL, &old, &c);
	if (rc) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return not_started(argv, rc, err);
	}
	rc = pump(&c, in, in ? in_len : 0, &ob, &eb);
	close_fd(&c.in);
	close_fd(&c.out);
	close_fd(&c.err);
	if (reap(c.pid, &status) < 0 && !rc)
		rc = -ECHILD;
	eat_sigpipe(&old);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		char cmd[CMD_SHOWN];

		free(ob.p);
		free(eb.p);
		if (rc == -ENOMEM)
			return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		cmdline(argv, cmd, sizeof(cmd));
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
