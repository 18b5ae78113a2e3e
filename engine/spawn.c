/*
 * spawn.c - starting helper programs; see run.h.
 *
 * posix_spawnp(), never a shell.  The child gets LC_ALL=C (its output is
 * parsed and saved into images, as Clonezilla does), pipes or /dev/null
 * for its standard input and output, a pipe for standard error, and no
 * other file descriptor of ours.  A pseudo terminal, when asked for, is
 * opened by the child after setsid(), which makes it its controlling
 * terminal (udp-sender reads its "start now" key from /dev/tty).
 */
#include "run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"

extern char **environ;

/* Debian packages of the helpers we run, for the "not installed" message. */
static const char *package_of(const char *prog)
{
	static const struct {
		const char *prog, *pkg;
	} t[] = {{"sfdisk", "fdisk"},	   {"sgdisk", "gdisk"},
		 {"parted", "parted"},	   {"partprobe", "parted"},
		 {"blkid", "util-linux"},  {"mkswap", "util-linux"},
		 {"udp-sender", "udpcast"}, {"udp-receiver", "udpcast"}};
	const char *base = strrchr(prog, '/');
	size_t i;

	base = base ? base + 1 : prog;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(base, t[i].prog))
			return t[i].pkg;
	return NULL;
}

void cc_cmdline(const char *const argv[], char *out, size_t len)
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

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* A pseudo terminal in raw mode (any key reaches the reader at once):
 * the master in *master, the slave's name in name.  Any failure is ENOTTY
 * (not "not installed"). */
static int open_pty(int *master, char *name, size_t len)
{
	struct termios t;
	int m, s;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return ENOTTY;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, len) != 0 ||
	    (s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		close(m);
		return ENOTTY;
	}
	if (tcgetattr(s, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(s, TCSANOW, &t);
	}
	close(s);
	*master = m;
	return 0;
}

int cc_spawn_impl(const char *const argv[], unsigned flags, const sigset_t *mask,
		  struct cc_child *c)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1}, pty = -1;
	char **env = NULL, ptyname[128];
	short sflags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	sigset_t def;
	int rc;

	c->pid = -1;
	c->in = c->out = c->err = c->pty = -1;
	c->name = argv[0];
	if (((flags & CC_SPAWN_STDIN) && pipe2(pin, O_CLOEXEC) < 0) ||
	    ((flags & CC_SPAWN_STDOUT) && pipe2(pout, O_CLOEXEC) < 0) ||
	    pipe2(perr, O_CLOEXEC) < 0) {
		rc = errno;
		goto close_pipes;
	}
	if ((flags & CC_SPAWN_PTY) && (rc = open_pty(&pty, ptyname, sizeof(ptyname))) != 0)
		goto close_pipes;
	env = c_locale_env();
	if (!env) {
		rc = ENOMEM;
		goto close_pipes;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	if (flags & CC_SPAWN_STDIN)
		posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (flags & CC_SPAWN_STDOUT)
		posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	/* after setsid(): opening the terminal makes it the controlling one;
	 * the descriptor itself is not needed (closed just below) */
	if (pty >= 0)
		posix_spawn_file_actions_addopen(&fa, 3, ptyname, O_RDWR, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	/* The child starts with `mask` and default SIGPIPE/SIGINT/SIGTERM/SIGHUP. */
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_setsigmask(&attr, mask);
	posix_spawnattr_setsigdefault(&attr, &def);
	if (!(flags & CC_SPAWN_SAME_SESSION))
		sflags |= POSIX_SPAWN_SETSID;
	posix_spawnattr_setflags(&attr, sflags);
	rc = posix_spawnp(&c->pid, argv[0], &fa, &attr, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(env);
	if (rc) {
		c->pid = -1;
		goto close_pipes;
	}
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	c->in = pin[1];
	c->out = pout[0];
	c->err = perr[0];
	c->pty = pty;
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
	close_fd(&pty);
	return rc;
}

static int not_installed(const char *prog, struct cc_error *err)
{
	const char *pkg = package_of(prog);

	if (pkg)
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("%s is not installed: install the Debian package '%s'"), prog, pkg);
	return cc_fail(err, CC_E_NOTFOUND, 0,
		       _("%s is not installed (not found in PATH): install it"), prog);
}

int cc_spawn_failed(const char *const argv[], int rc, struct cc_error *err)
{
	char cmd[200];

	if (rc == ENOENT)
		return not_installed(argv[0], err);
	if (rc == ENOMEM)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	cc_cmdline(argv, cmd, sizeof(cmd));
	return cc_fail(err, rc == EACCES ? CC_E_PERM : CC_E_IO, rc, _("cannot run '%s'"), cmd);
}

int cc_spawn(const char *const argv[], unsigned flags, struct cc_child *c, struct cc_error *err)
{
	sigset_t none;
	int rc;

	if (!argv || !argv[0] || !argv[0][0])
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("no program to run"));
	sigemptyset(&none);
	rc = cc_spawn_impl(argv, flags & ~CC_SPAWN_SAME_SESSION, &none, c);
	return rc ? cc_spawn_failed(argv, rc, err) : 0;
}

int cc_check_installed(const char *prog, struct cc_error *err)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? 0 : not_installed(prog, err);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		struct stat st;

		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", prog) <
			    (int)sizeof(buf) &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return 0;
		path += n;
		if (*path == ':')
			path++;
	}
	return not_installed(prog, err);
}

void cc_child_close(struct cc_child *c)
{
	close_fd(&c->in);
	close_fd(&c->out);
	close_fd(&c->err);
	close_fd(&c->pty);
}

int cc_child_wait(struct cc_child *c, int *status, int timeout_ms)
{
	struct timespec ten_ms = {0, 10000000};
	int waited = 0;

	if (c->pid <= 0)
		return -ECHILD;
	for (;;) {
		pid_t r = waitpid(c->pid, status, timeout_ms < 0 ? 0 : WNOHANG);

		if (r == c->pid) {
			c->pid = -1;
			return 1;
		}
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0) {
			if (waited >= timeout_ms)
				return 0;
			nanosleep(&ten_ms, NULL);
			waited += 10;
		}
	}
}

void cc_child_stop(struct cc_child *c, int sig, unsigned grace_ms, int *status)
{
	int st = 0;

	if (c->pid > 0) {
		if (cc_child_wait(c, &st, 0) == 0) {
			kill(c->pid, sig);
			if (cc_child_wait(c, &st, (int)grace_ms) == 0) {
				kill(c->pid, SIGKILL);
				cc_child_wait(c, &st, -1);
			}
		}
	}
	cc_child_close(c);
	if (status)
		*status = st;
}

void cc_sigpipe_block(sigset_t *old)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, old);
}

void cc_sigpipe_restore(const sigset_t *old)
{
	sigset_t pend, one;
	struct timespec zero = {0, 0};

	if (!sigismember(old, SIGPIPE)) {
		sigemptyset(&pend);
		if (sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE)) {
			sigemptyset(&one);
			sigaddset(&one, SIGPIPE);
			sigtimedwait(&one, NULL, &zero);
		}
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

void cc_lines_feed(struct cc_lines *l, const char *data, size_t n,
		   void (*cb)(void *u, const char *line), void *u)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = data[i];

		if (ch == '\n' || ch == '\r') {
			if (l->len) {
				l->buf[l->len] = '\0';
				cb(u, l->buf);
			}
			l->len = 0;
		} else if (l->len + 1 < sizeof(l->buf)) {
			l->buf[l->len++] = ch;
		}
	}
}

int cc_child_read_lines(struct cc_child *c, struct cc_lines *l,
			void (*cb)(void *u, const char *line), void *u)
{
	char buf[4096];
	ssize_t n = read(c->err, buf, sizeof(buf));

	if (n > 0) {
		cc_lines_feed(l, buf, (size_t)n, cb, u);
		return 0;
	}
	return n == 0 || (errno != EINTR && errno != EAGAIN);
}

void cc_lastlines_add(struct cc_lastlines *l, const char *line, const char *const *noise)
{
	for (; noise && *noise; noise++)
		if (!strncmp(line, *noise, strlen(*noise)))
			return;
	if (l->n == 3) {
		memmove(l->v[0], l->v[1], sizeof(l->v[0]) * 2);
		l->n = 2;
	}
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", line);
}

void cc_lastlines_join(const struct cc_lastlines *l, char *out, size_t len)
{
	out[0] = '\0';
	for (unsigned i = 0; i < l->n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " / " : "", l->v[i]);
}
