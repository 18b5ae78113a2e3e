/*
 * job_loop.c - a job in a thread of its own while the screen shows how it
 * goes: wiz_job_loop() starts the thread, redraws every 200 ms, hands keys
 * to the screen, asks before canceling (Esc), and joins the thread.
 */
#include <stdio.h>

#include "i18n.h"
#include "ui.h"
#include "wizard.h"

#define KEY_ESC 27

static int locked_get(pthread_mutex_t *lock, const int *v)
{
	int r;

	pthread_mutex_lock(lock);
	r = *v;
	pthread_mutex_unlock(lock);
	return r;
}

int wiz_job_loop(const struct wiz_job_loop *l)
{
	pthread_t t;

	if (pthread_create(&t, NULL, l->run, l->arg) != 0) {
		ui_msgbox(_("Error"), _("Cannot start the job (out of memory?)."));
		return -1;
	}
	while (!locked_get(l->lock, l->done)) {
		int key;

		l->draw(l->arg);
		key = ui_wait_key(200);
		if (key == KEY_ESC && !locked_get(l->lock, l->cancel)) {
			/* the job goes on while the question is on the screen */
			if (ui_yesno(_("Cancel?"), l->cancel_question, 1) == UI_OK) {
				pthread_mutex_lock(l->lock);
				*l->cancel = 1;
				pthread_mutex_unlock(l->lock);
				ui_infobox(l->title, _("Stopping ..."));
			}
		} else if (key >= 0 && l->key) {
			l->key(l->arg, key);
		}
	}
	pthread_join(t, NULL);
	return 0;
}
