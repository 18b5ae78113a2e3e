/*
 * repo_login.c - opening a repository from the command line: the network
 * options, the password (a file, CLONECAST_PASSWORD, or asked on the
 * terminal without echo) and the yes/no for an unknown SSH host key.
 * The password never reaches a message, a log or the image directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "repo.h"

int cli_net_option(int c, const char *arg, struct cli_net_opts *o)
{
	char *end;

	switch (c) {
	case 'k':
		o->key_file = arg;
		return 1;
	case CLI_OPT_PASSWORD_FILE:
		o->password_file = arg;
		return 1;
	case CLI_OPT_KNOWN_HOSTS:
		o->known_hosts = arg;
		return 1;
	case CLI_OPT_ACCEPT_NEW_HOST_KEY:
		o->accept_new_host_key = 1;
		return 1;
	case CLI_OPT_SMB_PROTOCOL:
		if (strcasecmp(arg, "auto") && strcasecmp(arg, "2") && strcasecmp(arg, "3") &&
		    strcasecmp(arg, "SMB2") && strcasecmp(arg, "SMB3")) {
			fprintf(stderr, _("clonecast: --smb-protocol takes auto, 2 or 3\n"));
			return -1;
		}
		o->smb_protocol = !strcasecmp(arg, "2") || !strcasecmp(arg, "SMB2") ? "SMB2"
				  : !strcasecmp(arg, "auto")				? "auto"
											: "SMB3";
		return 1;
	case CLI_OPT_NET_TIMEOUT:
		errno = 0;
		o->timeout_s = (unsigned)strtoul(arg, &end, 10);
		if (errno || *end || o->timeout_s < 1 || o->timeout_s > 3600) {
			fprintf(stderr, _("clonecast: --timeout takes seconds from 1 to 3600\n"));
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

/* The first line of the file, without its newline. */
static int read_password_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		fprintf(stderr, _("clonecast: cannot read the password file %s: %s\n"), path,
			strerror(errno));
		return -1;
	}
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return 0;
}

static int ask_password(void *user, const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+");
	int echo_off = 0, ret = 0;
	size_t n;

	(void)user;
	if (!tty)
		return -1;
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(fileno(tty), TCSANOW, &quiet) == 0; /* keep type-ahead */
	}
	if (!fgets(buf, (int)len, tty))
		ret = -1;
	if (echo_off)
		tcsetattr(fileno(tty), TCSANOW, &old);
	fputs("\n", tty);
	fclose(tty);
	if (ret < 0) {
		buf[0] = '\0';
		return -1;
	}
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return 0;
}

static int confirm_host_key(void *user, const char *host, const char *type, const char *fp)
{
	FILE *tty = fopen("/dev/tty", "r+");
	char answer[32] = "";
	int yes;

	(void)user;
	if (!tty)
		return 0;
	fprintf(tty,
		_("The SSH server %s is not known yet.\n"
		  "Its %s host key fingerprint is %s.\n"
		  "Compare it with the server's (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub).\n"
		  "Accept and remember this key? (yes/no) "),
		host, type, fp);
	fflush(tty);
	if (!fgets(answer, sizeof(answer), tty))
		answer[0] = '\0';
	fclose(tty);
	answer[strcspn(answer, "\r\n")] = '\0';
	/* English always works, and the usual words typed without accents */
	yes = !strcasecmp(answer, "yes") || !strcasecmp(answer, "y") ||
	      !strcasecmp(answer, "ja") || !strcasecmp(answer, "oui") ||
	      !strcasecmp(answer, "si") ||
	      /* TRANSLATORS: the answer that accepts a host key, as typed (lower case) */
	      !strcasecmp(answer, _("yes"));
	return yes;
}

int cli_repo_open(const char *location, const struct cli_net_opts *o, int batch,
		  struct cc_repo **out)
{
	struct cc_repo_auth a;
	struct cc_error err;
	char pw[512];
	const char *env = getenv("CLONECAST_PASSWORD");
	int ret;

	memset(&a, 0, sizeof(a));
	cc_error_clear(&err);
	if (o) {
		a.key_file = o->key_file;
		a.known_hosts = o->known_hosts;
		a.accept_new_host_key = o->accept_new_host_key;
		a.smb_protocol = o->smb_protocol;
		a.timeout_s = o->timeout_s;
		if (o->password_file) {
			if (read_password_file(o->password_file, pw, sizeof(pw)) < 0)
				return 1;
			a.password = pw;
		}
	}
	if (!a.password && env && *env)
		a.password = env;
	a.batch = batch || !isatty(STDIN_FILENO);
	a.ask_password = ask_password;
	a.confirm_host_key = confirm_host_key;
	ret = cc_repo_open_auth(location, &a, out, &err);
	explicit_bzero(pw, sizeof(pw));
	if (ret < 0)
		return cli_report_error(&err, ret);
	return 0;
}
