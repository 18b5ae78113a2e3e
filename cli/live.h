/*
 * live.h - the console session of the live system (clonecast live): its
 * state, shared by the session (cmd_live.c) and the unattended job of the
 * boot menu (live_job.c).
 */
#ifndef CC_CLI_LIVE_H
#define CC_CLI_LIVE_H

#include "bootargs.h"

#define LIVE_MEDIUM_FILES "/run/live/medium-files"

struct live {
	struct cc_bootargs b;
	const char *state;	 /* where fetched files and the job marker go */
	int no_wizard;		 /* tests: stop where the wizard would open */
	char medium[64];	 /* from boot.env: the device the system came from */
	char boot_iface[32];	 /* from boot.env: the card of a network boot */
	char boot_server[48];	 /* from boot.env */
	char password[1100], key[1100], known_hosts[1100]; /* fetched files */
};

/* clonecast.net: DHCP or a fixed address on the chosen card; an address
 * the first stage already set is kept unless DHCP was asked for.  Says on
 * stdout what it got and on stderr what failed. */
int live_setup_network(const struct live *l);

/* The command of clonecast.run, once per boot (a marker in l->state):
 * network, fetched files, the command on the console, then what
 * clonecast.after says.  Returns the command's exit status, or -1 if it
 * already ran at this boot. */
int live_job(struct live *l);

#endif
