/*
 * step_start.c - the first two screens: the language, and what to do
 * (save, restore, check, or leave: shell, reboot, power off).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "ui.h"
#include "wizard.h"

int step_language(struct wiz *w)
{
	/* each language names itself: the operator may not read the current one */
	static const struct ui_item items[] = {
		{"en", "English", 0},
		{"de", "Deutsch", 0},
		{"fr", "Français", 0},
		{"es", "Español", 0},
	};
	int choice = 0;

	if (w->lang_fixed)
		return STEP_SKIP;
	for (int i = 0; i < 4; i++)
		if (!strcmp(items[i].tag, w->lang))
			choice = i;
	switch (ui_menu(_("Language"), _("Choose the language of the screens and messages."),
			items, 4, &choice, UI_NO_BACK)) {
	case UI_OK:
		snprintf(w->lang, sizeof(w->lang), "%s", items[choice].tag);
		wiz_set_language(w->lang);
		return STEP_NEXT;
	case UI_BACK:
		return STEP_BACK;
	default:
		return STEP_CANCEL;
	}
}

/* Leave curses for a shell; back to the wizard when it exits. */
void wiz_run_shell(void)
{
	const char *sh = getenv("SHELL");
	pid_t pid;

	ui_end();
	printf("%s\n", _("Type 'exit' to return to Clonecast."));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(sh && *sh ? sh : "/bin/sh", sh && *sh ? sh : "/bin/sh", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	ui_init();
}

/* Reboot or power off: only on the live medium (never the machine of a
 * developer trying the demo). */
int wiz_leave(struct wiz *w, int poweroff)
{
	const char *cmd = poweroff ? "poweroff" : "reboot";

	if (!w->live) {
		ui_msgbox(poweroff ? _("Power off") : _("Reboot"),
			  _("This is not the Clonecast live system, so the computer is left "
			    "running. Clonecast quits now."));
		return STEP_QUIT;
	}
	if (ui_yesno(poweroff ? _("Power off") : _("Reboot"),
		     poweroff ? _("Power the computer off now?") : _("Restart the computer now?"),
		     1) != UI_OK)
		return -1;
	ui_end();
	sync();
	execlp(cmd, cmd, (char *)NULL);
	ui_init();
	ui_msgbox(_("Error"), _("The command failed."));
	return -1;
}

int step_action(struct wiz *w)
{
	struct ui_item items[] = {
		{"1", _("Save a whole disk to an image"), 0},
		{"2", _("Save partitions to an image"), 0},
		{"3", _("Restore an image to a whole disk"), 0},
		{"4", _("Restore an image to partitions"), 0},
		{"5", _("Check an image (writes nothing)"), 0},
		{"6", _("Restore a whole disk from multicast (many computers at once)"), 0},
		{"7", _("Send an image to many computers (multicast server)"), 0},
		{"8", _("Open a shell"), 0},
		{"9", _("Reboot"), 0},
		{"0", _("Power off"), 0},
	};
	static const enum wiz_action acts[] = {ACT_SAVEDISK,	  ACT_SAVEPARTS,     ACT_RESTOREDISK,
					       ACT_RESTOREPARTS,  ACT_CHECK,	     ACT_MCAST_RESTORE,
					       ACT_MCAST_SERVE,	  ACT_SHELL,	     ACT_REBOOT,
					       ACT_POWEROFF};
	const int nitems = (int)(sizeof(items) / sizeof(items[0]));
	int choice = 0;

	for (int i = 0; i < nitems; i++)
		if (acts[i] == w->action)
			choice = i;
	for (;;) {
		int r;

		switch (ui_menu(_("What to do"),
				w->demo ? _("Demo: the disks are files in the demo folder; no real "
					    "disk is touched.")
					: _("Choose what to do."),
				items, nitems, &choice, w->lang_fixed ? UI_NO_BACK : 0)) {
		case UI_OK:
			break;
		case UI_BACK:
			return STEP_BACK;
		default:
			return STEP_CANCEL;
		}
		w->action = acts[choice];
		switch (w->action) {
		case ACT_SHELL:
			wiz_run_shell();
			continue;
		case ACT_REBOOT:
		case ACT_POWEROFF:
			if ((r = wiz_leave(w, w->action == ACT_POWEROFF)) >= 0)
				return r;
			continue;
		default:
			return STEP_NEXT;
		}
	}
}
