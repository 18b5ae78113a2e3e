/*
 * bootargs.h - the clonecast.* options of the live system's kernel command
 * line (the way Clonezilla's ocs_live_run is used from a PXE menu).
 *
 *   clonecast.lang=LL            en, de, fr, es
 *   clonecast.net=dhcp|off|ADDR/PREFIX   network set-up (default: DHCP when
 *                                a command is given, else left to the wizard)
 *   clonecast.gateway=IP  clonecast.dns=IP[,IP]   with a fixed address
 *   clonecast.iface=NAME|MAC     the network card (default: the one the PXE
 *                                boot used, else the first with a cable)
 *   clonecast.repo=URL           the repository (-r) of the command
 *   clonecast.run="COMMAND ARGS" a clonecast command to run unattended
 *                                ('single quotes' group words)
 *   clonecast.password=URL       the repository password: a file fetched
 *   clonecast.key=URL            an SSH private key         "
 *   clonecast.known_hosts=URL    SSH host keys              "
 *                                URL: tftp://HOST/PATH, tftp:///PATH (the boot
 *                                server), http://HOST[:PORT]/PATH, medium:/PATH
 *                                (on the boot medium), /PATH (in the system)
 *   clonecast.after=wait|reboot|poweroff|shell|wizard   after the command
 *                                (default wait: the result stays on screen)
 *   clonecast.term=TERM clonecast.rows=N clonecast.cols=N   a serial console
 * Also read: ip=CLIENT:SERVER:GW:MASK (pxelinux IPAPPEND 1): the boot server.
 */
#ifndef CC_BOOTARGS_H
#define CC_BOOTARGS_H

#include <stddef.h>

struct cc_error;

enum cc_boot_net { CC_BOOT_NET_AUTO, CC_BOOT_NET_DHCP, CC_BOOT_NET_STATIC, CC_BOOT_NET_OFF };
enum cc_boot_after {
	CC_BOOT_AFTER_WAIT,
	CC_BOOT_AFTER_REBOOT,
	CC_BOOT_AFTER_POWEROFF,
	CC_BOOT_AFTER_SHELL,
	CC_BOOT_AFTER_WIZARD,
};

#define CC_BOOT_MAX_WORDS 64

struct cc_bootargs {
	char lang[8];
	enum cc_boot_net net;
	char addr[64], gateway[48], dns[128]; /* dns: as given (commas) */
	char iface[32];
	char repo[1200];
	char run[2048];		   /* as given */
	char run_buf[2048];	   /* the words of run, NUL-separated */
	char *run_argv[CC_BOOT_MAX_WORDS + 1]; /* into run_buf, NULL-terminated */
	int run_argc;
	char password[512], key[512], known_hosts[512];
	enum cc_boot_after after;
	char term[32];
	unsigned rows, cols;
	char boot_server[48]; /* from ip= */
	char warnings[512];   /* unknown clonecast.* options, newline-separated */
};

/* Parse a kernel command line (as /proc/cmdline shows it).  Unknown
 * clonecast.* options are listed in b->warnings; a bad value is
 * -CC_E_BAD_ARGS naming the option (b holds what was parsed before). */
int cc_bootargs_parse(const char *cmdline, struct cc_bootargs *b, struct cc_error *err);

/* Split s into words at blanks; 'single' and "double" quotes group.  The
 * words go into buf (NUL-separated), pointers into argv (NULL-terminated).
 * Returns the number of words or -CC_E_BAD_ARGS (unclosed quote, too many
 * words, too long). */
int cc_split_words(const char *s, char *buf, size_t buflen, char **argv, int max,
		   struct cc_error *err);

#endif
