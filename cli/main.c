/* main.c - clonecast: dispatch to subcommands. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "../tui/wizard.h"

#ifndef CC_VERSION
#define CC_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fprintf(f, _("Usage: clonecast [--lang LL] [--demo]   the wizard (a text screen, step by step)\n"
		     "       clonecast COMMAND [OPTIONS] ARGS   one job, for scripts and batch work\n"
		     "\n"
		     "Partitions:\n"
		     "  save-part [-z zstd|gzip|none[:LEVEL]] [-j THREADS] SOURCE OUTPUT|-\n"
		     "                          save the used blocks of a filesystem\n"
		     "  restore-part INPUT|- TARGET\n"
		     "                          restore an image onto a partition or file\n"
		     "  check INPUT|-           verify every checksum of an image, write nothing\n"
		     "  info INPUT              show what an image holds\n"
		     "\n"
		     "Disks and image directories (Clonezilla's layout, in a repository):\n"
		     "  savedisk [-r REPO] [-z ALGO] [-i SPLIT_MB] [--check] IMAGE DISK...\n"
		     "  saveparts [-r REPO] [-z ALGO] [-i SPLIT_MB] [--check] IMAGE PART...\n"
		     "  restoredisk [-r REPO] [-b] [--grow] IMAGE DISK...\n"
		     "  restoreparts [-r REPO] [-b] IMAGE PART...\n"
		     "  check -r REPO IMAGE     verify a whole image directory\n"
		     "  list [-r REPO]          complete images with date, size and disks\n"
		     "\n"
		     "Many computers at once (multicast, udpcast):\n"
		     "  mcast-serve [-b] [-r REPO] [--interface IF] [--clients N] [--max-wait S] IMAGE\n"
		     "                          send an image to every client that joins\n"
		     "  restoredisk [-b] --multicast [--interface IF] DISK...\n"
		     "                          restore what a server sends (also restoreparts)\n"
		     "\n"
		     "The live system (its boot menu starts it on the console):\n"
		     "  live [--cmdline FILE] [--no-wizard]\n"
		     "                          the unattended job of the clonecast.* kernel\n"
		     "                          options, then the wizard\n"
		     "\n"
		     "Run 'clonecast COMMAND --help' for the options of a command.\n"));
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{"save-part", cmd_save_part},
		{"restore-part", cmd_restore_part},
		{"check", cmd_check},
		{"info", cmd_info},
		{"savedisk", cmd_savedisk},
		{"saveparts", cmd_saveparts},
		{"restoredisk", cmd_restoredisk},
		{"restoreparts", cmd_restoreparts},
		{"list", cmd_list},
		{"live", cmd_live},
		{"mcast-serve", cmd_mcast_serve},
	};
	size_t i;

	setlocale(LC_ALL, "");
	bindtextdomain(CC_TEXTDOMAIN, LOCALEDIR);
	bind_textdomain_codeset(CC_TEXTDOMAIN, "UTF-8");
	cli_catch_signals();
	/* no command: the wizard */
	if (argc < 2 || !strncmp(argv[1], "--demo", 6) || !strncmp(argv[1], "--lang", 6))
		return tui_main(argc, argv);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help") ||
	    !strcmp(argv[1], "--help-commands")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("clonecast %s\n", CC_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, _("clonecast: unknown command '%s'\n"), argv[1]);
	usage(stderr);
	return 2;
}
