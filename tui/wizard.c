/*
 * wizard.c - `clonecast` with no command: the wizard.  Walks the steps in
 * order, remembers which were shown so that Back returns to the previous
 * one, and owns start-up (language, demo files) and shutdown.
 */
#include "wizard.h"

#include <getopt.h>
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"
#include "ui.h"

#ifndef CC_VERSION
#define CC_VERSION "0.1.0"
#endif

static const char *const shipped[] = {"en", "de", "fr", "es"};

void wiz_set_language(const char *ll)
{
	/* C.UTF-8 keeps UTF-8 for the screen and, unlike "C", lets gettext
	 * follow LANGUAGE, so no generated locales are needed */
	setenv("LANGUAGE", ll, 1);
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "");
	textdomain(textdomain(NULL)); /* drop gettext's cached translations */
}

const char *wiz_env_language(void)
{
	static const char *const vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};

	for (size_t v = 0; v < sizeof(vars) / sizeof(vars[0]); v++) {
		const char *s = getenv(vars[v]);

		if (!s || !*s)
			continue;
		for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++)
			if (!strncmp(s, shipped[i], 2))
				return shipped[i];
		if (strcmp(s, "C") && strncmp(s, "C.", 2) && strcmp(s, "POSIX"))
			return "en"; /* a language we do not ship */
	}
	return "en";
}

int wiz_is_save(const struct wiz *w)
{
	return w->action == ACT_SAVEDISK || w->action == ACT_SAVEPARTS;
}

int wiz_is_restore(const struct wiz *w)
{
	return w->action == ACT_RESTOREDISK || w->action == ACT_RESTOREPARTS ||
	       w->action == ACT_MCAST_RESTORE;
}

int wiz_whole_disk(const struct wiz *w)
{
	return w->action == ACT_SAVEDISK || w->action == ACT_RESTOREDISK ||
	       w->action == ACT_MCAST_RESTORE;
}

int wiz_is_mcast(const struct wiz *w)
{
	return w->action == ACT_MCAST_RESTORE || w->action == ACT_MCAST_SERVE;
}

void wiz_close_repo(struct wiz *w)
{
	cc_repo_close(w->repo);
	w->repo = NULL;
}

int wiz_load_disks(struct wiz *w)
{
	struct cc_error err;
	int ret;

	free(w->disks);
	w->disks = NULL;
	w->ndisks = 0;
	if (w->demo) {
		static const char *const files[] = {"demo-disk.img", "demo-target.img"};

		w->disks = calloc(2, sizeof(*w->disks));
		if (!w->disks)
			return -CC_E_NOMEM;
		for (unsigned i = 0; i < 2; i++) {
			char path[600];

			snprintf(path, sizeof(path), "%s/%s", w->demo_dir, files[i]);
			if ((ret = cc_describe_disk_file(path, &w->disks[w->ndisks], &err)) < 0) {
				ui_msgbox(_("Disks"), err.detail);
				continue;
			}
			w->ndisks++;
		}
		return 0;
	}
	if ((ret = cc_list_disks(&w->disks, &w->ndisks, &err)) < 0) {
		ui_msgbox(_("Disks"), err.detail);
		return ret;
	}
	return 0;
}

typedef int (*step_fn)(struct wiz *w);

static const step_fn steps[] = {
	step_language, step_action,	 step_repo_kind, step_network,	step_repo_details,
	step_disk,     step_image,	 step_compression, step_mcast_options, step_summary,
	step_progress, step_result,
};
#define NSTEPS ((int)(sizeof(steps) / sizeof(steps[0])))
#define STEP_ACTION 1

/* Run the steps; returns the exit status. */
static int run(struct wiz *w)
{
	int shown[64], nshown = 0, i = 0;

	while (i >= 0 && i < NSTEPS) {
		int r = steps[i](w);

		switch (r) {
		case STEP_NEXT:
			if (nshown < 64)
				shown[nshown++] = i;
			i++;
			break;
		case STEP_SKIP:
			i++;
			break;
		case STEP_BACK:
			if (!nshown)
				break; /* the first screen has no Back */
			i = shown[--nshown];
			break;
		case STEP_RESTART: /* "start again": keep language and repository */
			nshown = 0;
			shown[nshown++] = 0;
			i = STEP_ACTION;
			break;
		case STEP_QUIT:
			return 0;
		case STEP_CANCEL:
		default:
			if (ui_yesno(_("Quit"), _("Quit Clonecast? Nothing has been written."), 1) ==
			    UI_OK)
				return 1;
			break;
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, _("Usage: clonecast [--lang LL] [--demo [--demo-dir DIR]]\n"
		     "The wizard: save disks or partitions to an image, restore an image, check\n"
		     "an image, step by step on an 80x25 console.\n"
		     "  --lang LL        the language (en, de, fr, es); skips the language screen\n"
		     "  --demo           try it on a generated demo disk and a local folder,\n"
		     "                   without touching a real disk\n"
		     "  --demo-dir DIR   where the demo's files are made (default ./clonecast-demo)\n"
		     "Commands for scripts and batch work: clonecast --help-commands\n"));
}

int tui_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"demo", no_argument, NULL, 'D'},
		{"demo-dir", required_argument, NULL, 'd'},
		{"lang", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct wiz w;
	struct cc_error err;
	char title[128];
	int c, ret;

	memset(&w, 0, sizeof(w));
	snprintf(w.demo_dir, sizeof(w.demo_dir), "clonecast-demo");
	snprintf(w.lang, sizeof(w.lang), "%s", wiz_env_language());
	w.live = getenv("CLONECAST_LIVE") != NULL;
	w.codec = CC_CODEC_ZSTD;
	w.mc_max_wait = 300;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'D':
			w.demo = 1;
			break;
		case 'd':
			snprintf(w.demo_dir, sizeof(w.demo_dir), "%s", optarg);
			break;
		case 'l': {
			size_t i;

			for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++)
				if (!strcmp(optarg, shipped[i]))
					break;
			if (i == sizeof(shipped) / sizeof(shipped[0])) {
				fprintf(stderr, _("clonecast: --lang takes en, de, fr or es\n"));
				return 2;
			}
			snprintf(w.lang, sizeof(w.lang), "%s", optarg);
			w.lang_fixed = 1;
			break;
		}
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
	wiz_set_language(w.lang); /* from here on, even the errors below */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, _("clonecast: the wizard needs a terminal; for scripts use the "
				  "commands (clonecast --help-commands)\n"));
		return 2;
	}
	if (w.demo) {
		fprintf(stderr, _("clonecast: preparing the demo disk in %s ...\n"), w.demo_dir);
		if ((ret = cc_demo_prepare(w.demo_dir, &err)) < 0) {
			fprintf(stderr, "clonecast: %s\n", err.detail);
			return 1;
		}
		w.repo_kind = REPO_MOUNTED;
		snprintf(w.repo_dir, sizeof(w.repo_dir), "%s/repo", w.demo_dir);
	} else {
		w.repo_kind = REPO_SSH; /* a lab: the images are on a server */
		snprintf(w.repo_dir, sizeof(w.repo_dir), "/home/partimag");
	}
	ui_init();
	snprintf(title, sizeof(title), "Clonecast %s%s", CC_VERSION, w.demo ? " - demo" : "");
	ui_set_backtitle(title);
	ret = run(&w);
	ui_end();
	wiz_close_repo(&w);
	free(w.disks);
	explicit_bzero(w.password, sizeof(w.password));
	return ret;
}
