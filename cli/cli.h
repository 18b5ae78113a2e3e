/* cli.h - the clonecast command line: shared helpers of the subcommands. */
#ifndef CC_CLI_H
#define CC_CLI_H

#include "error.h"
#include "progress.h"

enum cli_progress_mode { CLI_PROGRESS_AUTO, CLI_PROGRESS_LINE, CLI_PROGRESS_PLAIN, CLI_PROGRESS_NONE };

struct cli_render {
	enum cli_progress_mode mode;
	int line_open;	       /* a \r line is on the terminal */
	uint64_t last_plain_ms; /* plain mode prints every few seconds */
	const char *verb;       /* "saving", "restoring", "checking" */
};

/* Events that render progress on stderr and log warnings there. */
void cli_events_init(struct cc_events *ev, struct cli_render *r, enum cli_progress_mode mode,
		     const char *verb);
/* Ctrl-C, SIGTERM and SIGHUP cancel the running job through the progress
 * callback, so that it cleans up (a partial output file is removed). */
#include <signal.h>
extern volatile sig_atomic_t cli_interrupted;
void cli_catch_signals(void);

/* --progress auto|line|plain|none; -1 (with a message) for anything else. */
int cli_parse_progress(const char *s, enum cli_progress_mode *m);

/* A number for option opt, from min to max; -1 (with a message) if not. */
int cli_parse_number(const char *opt, const char *s, unsigned long min, unsigned long max,
		     unsigned long *out);

/* End an open progress line before printing anything else. */
void cli_render_end(struct cli_render *r);

/* "12.3 MB", "1.23 GB" (decimal units, as disks are sold). */
const char *cli_fmt_bytes(uint64_t b, char *buf, size_t len);
const char *cli_fmt_duration(uint64_t ms, char *buf, size_t len);

/* Print "clonecast: <detail>" (and a hint) for a failed engine call. */
int cli_report_error(const struct cc_error *err, int ret);

/* Network repository options (repo_login.c), shared by every command
 * that takes -r.  Their getopt values: */
enum {
	CLI_OPT_PASSWORD_FILE = 400,
	CLI_OPT_KNOWN_HOSTS,
	CLI_OPT_ACCEPT_NEW_HOST_KEY,
	CLI_OPT_SMB_PROTOCOL,
	CLI_OPT_NET_TIMEOUT,
};
#define CLI_NET_LONGOPTS                                                                   \
	{"password-file", required_argument, NULL, CLI_OPT_PASSWORD_FILE},                 \
	{"key", required_argument, NULL, 'k'},                                             \
	{"known-hosts", required_argument, NULL, CLI_OPT_KNOWN_HOSTS},                     \
	{"accept-new-host-key", no_argument, NULL, CLI_OPT_ACCEPT_NEW_HOST_KEY},           \
	{"smb-protocol", required_argument, NULL, CLI_OPT_SMB_PROTOCOL},                   \
	{"timeout", required_argument, NULL, CLI_OPT_NET_TIMEOUT}
#define CLI_NET_SHORTOPTS "k:"
/* The usage lines for them (translated). */
#define CLI_NET_USAGE                                                                      \
	N_("  -r, --repo REPO         DIR, ssh://USER@HOST[:PORT]/DIR or\n"                     \
	   "                          smb://[DOMAIN;]USER@HOST[:PORT]/SHARE/DIR\n"             \
	   "                          (default /home/partimag)\n"                               \
	   "      --password-file F   the password is the first line of F (else\n"            \
	   "                          CLONECAST_PASSWORD, else it is asked for)\n"            \
	   "  -k, --key KEYFILE       SSH private key (default: the agent, ~/.ssh/id_*)\n"    \
	   "      --known-hosts FILE  SSH host keys (default ~/.ssh/known_hosts)\n"           \
	   "      --accept-new-host-key  trust and record an unknown SSH host key\n"          \
	   "      --smb-protocol auto|2|3  SMB version (default auto: SMB2 or SMB3)\n"        \
	   "      --timeout SECONDS   a server silent this long is an error (default 20)\n")

struct cli_net_opts {
	const char *password_file, *key_file, *known_hosts, *smb_protocol;
	int accept_new_host_key;
	unsigned timeout_s;
};
struct cc_repo;
/* 1 if c was a network option (stored in o), 0 if not, -1 (with a message) if bad. */
int cli_net_option(int c, const char *arg, struct cli_net_opts *o);
/* Open a repository; 0, or the exit status after printing the error.  o may be NULL. */
int cli_repo_open(const char *location, const struct cli_net_opts *o, int batch,
		  struct cc_repo **out);

/* Multicast (cmd_mcast.c): the options restoredisk/restoreparts take for
 * a client, and their getopt values. */
enum {
	CLI_OPT_MULTICAST = 420,
	CLI_OPT_MSTREAM,
	CLI_OPT_INTERFACE,
	CLI_OPT_PORTBASE,
};
#define CLI_MCAST_LONGOPTS                                                                 \
	{"multicast", no_argument, NULL, CLI_OPT_MULTICAST},                               \
	{"multicast-stream", required_argument, NULL, CLI_OPT_MSTREAM},                    \
	{"interface", required_argument, NULL, CLI_OPT_INTERFACE},                         \
	{"portbase", required_argument, NULL, CLI_OPT_PORTBASE}
struct cli_mcast_args {
	int on;		    /* --multicast or --multicast-stream */
	const char *stream; /* --multicast-stream FILE|- */
	const char *iface;  /* --interface */
	unsigned portbase;  /* --portbase; 0: the default */
};
/* 1 if c was a multicast option (stored in m), 0 if not, -1 (with a message) if bad. */
int cli_mcast_option(int c, const char *arg, struct cli_mcast_args *m);
/* restoredisk/restoreparts --multicast onto devs: the exit status.
 * timeout_s: no transfer started within it is an error (0: wait for ever). */
int cli_mcast_restore(const struct cli_mcast_args *m, const char *const *devs, unsigned n,
		      int whole, int grow, unsigned timeout_s, enum cli_progress_mode pm);
int cmd_mcast_serve(int argc, char **argv);

int cmd_save_part(int argc, char **argv);
int cmd_restore_part(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_savedisk(int argc, char **argv);
int cmd_saveparts(int argc, char **argv);
int cmd_restoredisk(int argc, char **argv);
int cmd_restoreparts(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_check_imgdir(const char *repo_dir, const struct cli_net_opts *net, int batch,
		     const char *image, enum cli_progress_mode pm);

#endif
