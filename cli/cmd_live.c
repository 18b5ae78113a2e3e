/*
 * cmd_live.c - clonecast live: the console session of the live system.
 *
 * busybox init keeps this running on the console.  It reads the clonecast.*
 * options of the kernel command line (engine/bootargs.h), sets up the
 * terminal (a serial console has no type and no size), the language and,
 * when asked or when there is a job, the network; fetches the password,
 * key and known_hosts files of an unattended job, runs that job once per
 * boot with its output on the console, does what clonecast.after says, and
 * then opens the wizard.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "bootargs.h"
#include "cli.h"
#include "fetch.h"
#include "i18n.h"
#include "sysfile.h"
#include "sysinfo.h"
#include "../tui/wizard.h"

#define BOOT_ENV     "/run/live/boot.env"
#define MEDIUM_FILES "/run/live/medium-files"
#define DHCP_WAIT_S  20
#define AFTER_WAIT_S 10

struct live {
	struct cc_bootargs b;
	const char *state;	 /* where fetched files and the job marker go */
	int no_wizard;		 /* tests: stop where the wizard would open */
	char medium[64];	 /* from boot.env: the device the system came from */
	char boot_iface[32];	 /* from boot.env: the card of a network boot */
	char boot_server[48];	 /* from boot.env */
	char password[1100], key[1100], known_hosts[1100]; /* fetched files */
};

static void usage(FILE *f)
{
	fprintf(f, _("Usage: clonecast live [--cmdline FILE] [--state-dir DIR] [--no-wizard]\n"
		     "The console session of the Clonecast live system: reads the clonecast.*\n"
		     "options of the kernel command line, sets up the network, runs the\n"
		     "unattended command (once per boot), then opens the wizard.\n"
		     "  --cmdline FILE     read the options from FILE (default /proc/cmdline)\n"
		     "  --state-dir DIR    fetched files and the job marker (default\n"
		     "                     /run/clonecast)\n"
		     "  --no-wizard        stop instead of opening the wizard (exit status: the\n"
		     "                     command's)\n"));
}

/* KEY=VALUE lines of the first stage's boot.env. */
static void read_boot_env(struct live *l)
{
	char line[256];
	FILE *f = fopen(BOOT_ENV, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "MEDIUM=", 7))
			cc_fmt(l->medium, sizeof(l->medium), "%s", line + 7);
		else if (!strncmp(line, "IFACE=", 6))
			cc_fmt(l->boot_iface, sizeof(l->boot_iface), "%s", line + 6);
		else if (!strncmp(line, "SERVER=", 7))
			cc_fmt(l->boot_server, sizeof(l->boot_server), "%s", line + 7);
	}
	fclose(f);
}

/* The console is a serial line when the last active console is ttyS0 and the like. */
static int serial_console(void)
{
	char active[256], *last;

	if (cc_read_small("/sys/class/tty/console/active", active, sizeof(active)) < 0)
		return 0;
	last = strrchr(active, ' ');
	last = last ? last + 1 : active;
	return !strncmp(last, "ttyS", 4) || !strncmp(last, "ttyAMA", 6) ||
	       !strncmp(last, "ttyUSB", 6) || !strncmp(last, "hvc", 3);
}

/* The environment the wizard and the jobs expect on the live system. */
static void set_environment(const struct live *l)
{
	const char *term = getenv("TERM");
	struct winsize ws;

	setenv("CLONECAST_LIVE", "1", 1);
	setenv("HOME", getenv("HOME") && strcmp(getenv("HOME"), "/") ? getenv("HOME") : "/root", 1);
	if (!getenv("SHELL"))
		setenv("SHELL", "/bin/sh", 1);
	if (!getenv("LANG") || !strcmp(getenv("LANG"), "C") || !strcmp(getenv("LANG"), "POSIX"))
		setenv("LANG", "C.UTF-8", 1);
	if (l->medium[0] && !getenv("CLONECAST_LIVE_MEDIUM"))
		setenv("CLONECAST_LIVE_MEDIUM", l->medium, 1);
	if (l->b.term[0])
		setenv("TERM", l->b.term, 1);
	else if (serial_console() && (!term || !strcmp(term, "linux")))
		setenv("TERM", "vt100", 1);
	/* Lines as UTF-8 box characters: terminal programs on the other end of
	 * a serial line show vt100's alternate character set as letters when
	 * they run in UTF-8 mode */
	if (serial_console() && !getenv("NCURSES_NO_UTF8_ACS"))
		setenv("NCURSES_NO_UTF8_ACS", "1", 1);
	/* the bytes of an arrow key may arrive apart on a serial line */
	if (serial_console() && !getenv("ESCDELAY"))
		setenv("ESCDELAY", "400", 1);
	if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    (!ws.ws_row || !ws.ws_col || l->b.rows || l->b.cols)) {
		ws.ws_row = (unsigned short)(l->b.rows ? l->b.rows : ws.ws_row ? ws.ws_row : 24);
		ws.ws_col = (unsigned short)(l->b.cols ? l->b.cols : ws.ws_col ? ws.ws_col : 80);
		ioctl(STDIN_FILENO, TIOCSWINSZ, &ws);
	}
}

/* ---- network ---- */

/* The card named by clonecast.iface (a name or a MAC address). */
static int find_iface(const struct cc_netif *v, unsigned n, const char *want)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, want) || !strcasecmp(v[i].mac, want))
			return (int)i;
	return -1;
}

static int setup_network(const struct live *l)
{
	struct cc_netif *v = NULL;
	struct cc_error err;
	unsigned n = 0, i;
	int pick = -1, ret;

	if ((ret = cc_net_list(&v, &n, &err)) < 0) {
		fprintf(stderr, "clonecast: %s\n", err.detail);
		return ret;
	}
	if (l->b.iface[0] && (pick = find_iface(v, n, l->b.iface)) < 0) {
		fprintf(stderr, _("clonecast: clonecast.iface=%s: no such network card\n"),
			l->b.iface);
		free(v);
		return -CC_E_NOTFOUND;
	}
	if (pick < 0 && l->boot_iface[0])
		pick = find_iface(v, n, l->boot_iface);
	if (!n) {
		fprintf(stderr, _("clonecast: this computer has no network card the system knows\n"));
		free(v);
		return -CC_E_NOTFOUND;
	}
	if (l->b.net == CC_BOOT_NET_STATIC) {
		const char *ifn = v[pick < 0 ? 0 : pick].name;

		ret = cc_net_static(ifn, l->b.addr, l->b.gateway, l->b.dns, &err);
		if (ret < 0)
			fprintf(stderr, "clonecast: %s\n", err.detail);
		else
			printf(_("Network: %s has the address %s\n"), ifn, l->b.addr);
		free(v);
		return ret;
	}
	/* an address from the first stage (network boot) is kept unless DHCP was asked for */
	for (i = 0; i < n && l->b.net == CC_BOOT_NET_AUTO; i++)
		if ((pick < 0 || (int)i == pick) && v[i].addr[0]) {
			printf(_("Network: %s has the address %s\n"), v[i].name, v[i].addr);
			free(v);
			return 0;
		}
	ret = -CC_E_NOTFOUND;
	for (i = 0; i < n; i++) {
		struct cc_net_lease lease;

		if (pick >= 0 && (int)i != pick)
			continue;
		printf(_("Network: asking for an address on %s (DHCP) ...\n"), v[i].name);
		fflush(stdout);
		ret = cc_net_dhcp(v[i].name, DHCP_WAIT_S, &lease, &err);
		if (ret == 0) {
			printf(_("Network: %s has the address %s\n"), v[i].name, lease.addr);
			break;
		}
		fprintf(stderr, "clonecast: %s: %s\n", v[i].name, err.detail);
	}
	free(v);
	return ret;
}

/* ---- the unattended job ---- */

static int fetch_one(const struct live *l, const char *what, const char *url, char *dest,
		     size_t len, const char *name)
{
	struct cc_fetch_ctx ctx = {
		.boot_server = l->b.boot_server[0] ? l->b.boot_server : l->boot_server,
		.medium_dir = access(MEDIUM_FILES, F_OK) == 0 ? MEDIUM_FILES : NULL,
	};
	struct cc_error err;

	if (!url[0])
		return 0;
	cc_fmt(dest, len, "%s/%s", l->state, name);
	if (cc_fetch(url, dest, &ctx, &err) < 0) {
		/* TRANSLATORS: %s is "the password", "the SSH key" or "the known hosts" */
		fprintf(stderr, _("clonecast: %s: %s\n"), what, err.detail);
		dest[0] = '\0';
		return -1;
	}
	return 0;
}

static int has_option(char *const argv[], const char *s1, const char *s2)
{
	int i;

	for (i = 1; argv[i]; i++)
		if (!strcmp(argv[i], s1) || (s2 && !strcmp(argv[i], s2)) ||
		    (!strncmp(argv[i], s1, strlen(s1)) && argv[i][strlen(s1)] == '='))
			return 1;
	return 0;
}

/* clonecast SUBCOMMAND [-r REPO] [--password-file F] [-k F] [--known-hosts F] ARGS... */
static int build_argv(const struct live *l, const char **argv, int max)
{
	char *const *run = l->b.run_argv;
	int n = 0, i;

	if (l->b.run_argc + 9 > max)
		return -1;
	argv[n++] = "clonecast";
	argv[n++] = run[0];
	if (l->b.repo[0] && !has_option(run, "-r", "--repo")) {
		argv[n++] = "-r";
		argv[n++] = l->b.repo;
	}
	if (l->password[0] && !has_option(run, "--password-file", NULL)) {
		argv[n++] = "--password-file";
		argv[n++] = l->password;
	}
	if (l->key[0] && !has_option(run, "-k", "--key")) {
		argv[n++] = "-k";
		argv[n++] = l->key;
	}
	if (l->known_hosts[0] && !has_option(run, "--known-hosts", NULL)) {
		argv[n++] = "--known-hosts";
		argv[n++] = l->known_hosts;
	}
	for (i = 1; i < l->b.run_argc; i++)
		argv[n++] = run[i];
	argv[n] = NULL;
	return n;
}

static void print_command(const char *const *argv)
{
	int i;

	printf("%s", _("Running:"));
	for (i = 0; argv[i]; i++)
		printf(strpbrk(argv[i], " '\"") ? " '%s'" : " %s", argv[i]);
	printf("\n");
	fflush(stdout);
}

static int run_command(const char *const *argv)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv("/proc/self/exe", (char *const *)argv);
		execvp("clonecast", (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Wait for Enter; with a timeout (s > 0), 1 if it ran out. */
static int wait_enter(unsigned s)
{
	char line[64];

	if (s) {
		fd_set r;
		struct timeval tv = {.tv_sec = (time_t)s};

		FD_ZERO(&r);
		FD_SET(STDIN_FILENO, &r);
		if (select(STDIN_FILENO + 1, &r, NULL, NULL, &tv) <= 0)
			return 1;
	}
	if (!fgets(line, sizeof(line), stdin))
		sleep(s ? 0 : 3600); /* no input at all: do not spin through respawns */
	return 0;
}

static int job(struct live *l)
{
	const char *argv[CC_BOOT_MAX_WORDS + 16];
	char marker[1100];
	int fd, rc, failed = 0;

	cc_fmt(marker, sizeof(marker), "%s/boot-job.done", l->state);
	if (access(marker, F_OK) == 0)
		return -1; /* done at this boot already (the session was restarted) */
	/* before anything runs: a crash must not start a restore again */
	if ((fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	if (l->b.net != CC_BOOT_NET_OFF && setup_network(l) < 0)
		failed = 1;
	if (!failed && (fetch_one(l, _("the password"), l->b.password, l->password,
				  sizeof(l->password), "password") < 0 ||
			fetch_one(l, _("the SSH key"), l->b.key, l->key, sizeof(l->key),
				  "ssh-key") < 0 ||
			fetch_one(l, _("the known hosts"), l->b.known_hosts, l->known_hosts,
				  sizeof(l->known_hosts), "known_hosts") < 0))
		failed = 1;
	if (failed) {
		printf(_("The command of the boot menu was not run.\n"));
		rc = 1;
	} else if (build_argv(l, argv, (int)(sizeof(argv) / sizeof(argv[0]))) < 0) {
		printf(_("The command of the boot menu has too many words.\n"));
		rc = 1;
	} else {
		print_command(argv);
		rc = run_command(argv);
		if (rc)
			printf(_("The command failed (exit status %d).\n"), rc);
		else
			printf(_("The command finished successfully.\n"));
	}
	fflush(stdout);
	if (l->no_wizard)
		return rc;
	if (!rc && (l->b.after == CC_BOOT_AFTER_REBOOT || l->b.after == CC_BOOT_AFTER_POWEROFF)) {
		int off = l->b.after == CC_BOOT_AFTER_POWEROFF;

		printf(off ? _("Powering off in %d seconds; press Enter to stay.\n")
			   : _("Restarting in %d seconds; press Enter to stay.\n"),
		       AFTER_WAIT_S);
		fflush(stdout);
		if (wait_enter(AFTER_WAIT_S)) {
			sync();
			execlp(off ? "poweroff" : "reboot", off ? "poweroff" : "reboot", (char *)NULL);
		}
	} else if (l->b.after == CC_BOOT_AFTER_SHELL) {
		printf("%s\n", _("Type 'exit' to return to Clonecast."));
		fflush(stdout);
		execl("/bin/sh", "sh", (char *)NULL);
	} else if (l->b.after != CC_BOOT_AFTER_WIZARD || rc) {
		printf("%s\n", _("Press Enter to open the wizard."));
		fflush(stdout);
		wait_enter(0);
	}
	return rc;
}

int cmd_live(int argc, char **argv)
{
	static const struct option lo[] = {
		{"cmdline", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, 's'},
		{"no-wizard", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmdline_file = "/proc/cmdline";
	char cmdline[8192] = "";
	struct live l;
	struct cc_error err;
	int c, rc = 0, fd;
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0); /* in order with stderr, in a log too */
	memset(&l, 0, sizeof(l));
	l.state = "/run/clonecast";
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			cmdline_file = optarg;
			break;
		case 's':
			l.state = optarg;
			break;
		case 'n':
			l.no_wizard = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if ((fd = open(cmdline_file, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (n = read(fd, cmdline, sizeof(cmdline) - 1)) < 0) {
		fprintf(stderr, _("clonecast: cannot read %s: %s\n"), cmdline_file, strerror(errno));
		return 1;
	}
	close(fd);
	cmdline[n] = '\0';
	read_boot_env(&l);
	set_environment(&l);
	if (cc_bootargs_parse(cmdline, &l.b, &err) < 0) {
		fprintf(stderr, _("clonecast: kernel command line: %s\n"), err.detail);
		fprintf(stderr, _("clonecast: the options of the boot menu are not used\n"));
		memset(&l.b, 0, sizeof(l.b));
		rc = 1;
	}
	if (l.b.lang[0])
		wiz_set_language(l.b.lang);
	if (l.b.warnings[0]) {
		char *w = l.b.warnings, *nl;

		for (; w && *w; w = nl ? nl + 1 : NULL) {
			nl = strchr(w, '\n');
			if (nl)
				*nl = '\0';
			fprintf(stderr, _("clonecast: unknown option %s (ignored)\n"), w);
		}
	}
	if (mkdir(l.state, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, _("clonecast: cannot create %s: %s\n"), l.state, strerror(errno));
		return 1;
	}
	if (l.b.run_argc) {
		int j = job(&l);

		if (j >= 0)
			rc = j;
	} else if (l.b.net == CC_BOOT_NET_DHCP || l.b.net == CC_BOOT_NET_STATIC) {
		char marker[1100];

		cc_fmt(marker, sizeof(marker), "%s/boot-net.done", l.state);
		if (access(marker, F_OK) < 0) {
			if (setup_network(&l) < 0)
				rc = 1;
			if ((fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
				close(fd);
		}
	}
	if (l.no_wizard)
		return rc;
	{
		char prog[] = "clonecast", opt[] = "--lang";
		char *wargv[4] = {prog, NULL, NULL, NULL};

		if (l.b.lang[0]) {
			wargv[1] = opt;
			wargv[2] = l.b.lang;
		}
		return tui_main(wargv[1] ? 3 : 1, wargv);
	}
}
