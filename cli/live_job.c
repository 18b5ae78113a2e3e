/*
 * live_job.c - the unattended part of the live system's console session:
 * the network set-up that clonecast.net asks for, and the command of
 * clonecast.run with its password, key and known_hosts files fetched
 * first, run once per boot, then clonecast.after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "fetch.h"
#include "i18n.h"
#include "live.h"
#include "sysfile.h"
#include "sysinfo.h"

#define DHCP_WAIT_S  20
#define AFTER_WAIT_S 10

/* The card named by clonecast.iface (a name or a MAC address). */
static int find_iface(const struct cc_netif *v, unsigned n, const char *want)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, want) || !strcasecmp(v[i].mac, want))
			return (int)i;
	return -1;
}

int live_setup_network(const struct live *l)
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
		.medium_dir = access(LIVE_MEDIUM_FILES, F_OK) == 0 ? LIVE_MEDIUM_FILES : NULL,
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

int live_job(struct live *l)
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
	if (l->b.net != CC_BOOT_NET_OFF && live_setup_network(l) < 0)
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
