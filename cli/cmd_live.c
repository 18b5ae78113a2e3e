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
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "bootargs.h"
#include "cli.h"
#include "i18n.h"
#include "live.h"
#include "sysfile.h"
#include "../tui/wizard.h"

#define BOOT_ENV "/run/live/boot.env"

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
	int serial = serial_console();
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
	else if (serial && (!term || !strcmp(term, "linux")))
		setenv("TERM", "vt100", 1);
	if (serial) {
		/* Lines as UTF-8 box characters: terminal programs on the other
		 * end of a serial line show vt100's alternate character set as
		 * letters when they run in UTF-8 mode */
		setenv("NCURSES_NO_UTF8_ACS", "1", 0);
		/* the bytes of an arrow key may arrive apart on a serial line */
		setenv("ESCDELAY", "400", 0);
	}
	if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    (!ws.ws_row || !ws.ws_col || l->b.rows || l->b.cols)) {
		ws.ws_row = (unsigned short)(l->b.rows ? l->b.rows : ws.ws_row ? ws.ws_row : 24);
		ws.ws_col = (unsigned short)(l->b.cols ? l->b.cols : ws.ws_col ? ws.ws_col : 80);
		ioctl(STDIN_FILENO, TIOCSWINSZ, &ws);
	}
}

/* ---- network ---- */


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
		int j = live_job(&l);

		if (j >= 0)
			rc = j;
	} else if (l.b.net == CC_BOOT_NET_DHCP || l.b.net == CC_BOOT_NET_STATIC) {
		char marker[1100];

		cc_fmt(marker, sizeof(marker), "%s/boot-net.done", l.state);
		if (access(marker, F_OK) < 0) {
			if (live_setup_network(&l) < 0)
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
