/*
 * step_mcast.c - the multicast server in the wizard: how many clients to
 * wait for and how long (a form), then its own screens while the engine
 * (cc_mcast_send) runs in a thread: waiting (the clients that joined, when
 * it starts by itself, Enter starts now), sending (the progress and the
 * clients), and the list of the clients with their results for the result
 * screen.  The client side uses the ordinary progress screen (step_run.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"
#include "mcast.h"
#include "ui.h"
#include "wizard.h"

#define SHOW_CLIENTS 8 /* client lines on the screen; the rest as "and N more" */

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || *s == '-' || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int step_mcast_options(struct wiz *w)
{
	char clients[8], wait[8];
	struct ui_field f[] = {
		{_("Clients to wait for (0: no count)"), clients, sizeof(clients), 0, 0},
		{_("Time limit in seconds (0: none)"), wait, sizeof(wait), 0, 0},
	};
	int focus = 0;

	if (w->action != ACT_MCAST_SERVE)
		return STEP_SKIP;
	snprintf(clients, sizeof(clients), "%u", w->mc_clients);
	snprintf(wait, sizeof(wait), "%u", w->mc_max_wait);
	for (;;) {
		int r = ui_form(_("Multicast"),
				_("Start each client with \"Restore a whole disk from multicast\" (or "
				  "clonecast restoredisk --multicast DISK). The transfer starts when "
				  "enough clients joined, when the time is up, or when you press Enter, "
				  "whichever comes first."),
				f, 2, &focus, 0);

		if (r == UI_BACK)
			return STEP_BACK;
		if (r != UI_OK)
			return STEP_CANCEL;
		if (parse_uint(clients, 1000, &w->mc_clients) < 0) {
			ui_msgbox(_("Multicast"), _("The number of clients is a whole number from 0 to 1000."));
			focus = 0;
			continue;
		}
		if (parse_uint(wait, 86400, &w->mc_max_wait) < 0) {
			ui_msgbox(_("Multicast"), _("The time is a whole number of seconds from 0 to 86400."));
			focus = 1;
			continue;
		}
		return STEP_NEXT;
	}
}

void wiz_mcast_serve_command(const struct wiz *w, char *buf, size_t len)
{
	char tmp[16];

	wiz_put_word(buf, len, "mcast-serve");
	wiz_put_word(buf, len, "-b");
	wiz_put_word(buf, len, "-r");
	wiz_put_word(buf, len, w->repo_url);
	if (w->mc_clients) {
		snprintf(tmp, sizeof(tmp), "%u", w->mc_clients);
		wiz_put_word(buf, len, "--clients");
		wiz_put_word(buf, len, tmp);
	}
	snprintf(tmp, sizeof(tmp), "%u", w->mc_max_wait);
	wiz_put_word(buf, len, "--max-wait");
	wiz_put_word(buf, len, tmp);
	wiz_put_word(buf, len, w->image);
}

void wiz_mcast_summary(const struct wiz *w, char *buf, size_t len)
{
	char n[64], t[64];

	if (w->mc_clients)
		snprintf(n, sizeof(n), _("when %u have joined"), w->mc_clients);
	else
		snprintf(n, sizeof(n), "%s", _("not by count"));
	if (w->mc_max_wait)
		snprintf(t, sizeof(t), _("%u s after the first joined"), w->mc_max_wait);
	else
		snprintf(t, sizeof(t), "%s", _("no time limit"));
	/* TRANSLATORS: the multicast server's summary: "when 8 have joined", "300 s after
	 * the first joined" (or "not by count", "no time limit") */
	snprintf(buf, len, _("Starts: %s; %s; or when you press Enter\n"), n, t);
}

/* ------------------------------------------------------------ the job */

struct serve {
	struct wiz *w;
	pthread_mutex_t lock;
	struct cc_mcast_status st; /* copied; clients below */
	struct cc_mcast_client cl[SHOW_CLIENTS];
	struct cc_progress p;
	int start_now, cancel, done, ret;
	struct cc_mcast_result res;
	struct cc_error err;
};

static int on_status(void *user, const struct cc_mcast_status *s)
{
	struct serve *j = user;
	unsigned first = s->nclients > SHOW_CLIENTS ? s->nclients - SHOW_CLIENTS : 0;
	int r;

	pthread_mutex_lock(&j->lock);
	j->st = *s;
	j->st.clients = NULL;
	j->st.nclients = s->nclients - first; /* the last ones */
	if (j->st.nclients) /* no client yet: clients may be NULL */
		memcpy(j->cl, s->clients + first, j->st.nclients * sizeof(*j->cl));
	r = j->cancel ? CC_MCAST_STOP : j->start_now ? CC_MCAST_START_NOW : CC_MCAST_GO_ON;
	j->start_now = 0;
	pthread_mutex_unlock(&j->lock);
	return r;
}

static int on_progress(void *user, const struct cc_progress *p)
{
	struct serve *j = user;
	int cancel;

	pthread_mutex_lock(&j->lock);
	j->p = *p;
	j->p.part_name = j->p.part_fs = NULL;
	cancel = j->cancel;
	pthread_mutex_unlock(&j->lock);
	return cancel;
}

static void *run_serve(void *arg)
{
	struct serve *j = arg;
	struct cc_events ev = {.user = j, .progress = on_progress};
	struct cc_mcast_send_opts o;
	int ret;

	memset(&o, 0, sizeof(o));
	o.repo = j->w->repo;
	o.image = j->w->image;
	o.clients = j->w->mc_clients;
	o.max_wait_s = (int)j->w->mc_max_wait;
	o.status = on_status;
	o.user = j;
	ret = cc_mcast_send(&o, &ev, &j->res, &j->err);
	pthread_mutex_lock(&j->lock);
	j->ret = ret;
	j->done = 1;
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* ------------------------------------------------------------ the screens */

/* Enter: start now (honoured once a client joined). */
static void on_key(void *arg, int key)
{
	struct serve *j = arg;

	if (key != '\n')
		return;
	pthread_mutex_lock(&j->lock);
	j->start_now = 1;
	pthread_mutex_unlock(&j->lock);
}

static void draw(void *arg)
{
	struct serve *j = arg;
	char l[8 + SHOW_CLIENTS][600], a[32], b[32];
	const char *lines[8 + SHOW_CLIENTS];
	struct cc_mcast_status s;
	struct cc_mcast_client cl[SHOW_CLIENTS];
	struct cc_progress p;
	double frac = 0;
	int n = 0;

	pthread_mutex_lock(&j->lock);
	s = j->st;
	p = j->p;
	memcpy(cl, j->cl, sizeof(cl));
	pthread_mutex_unlock(&j->lock);
	snprintf(l[n], sizeof(l[0]), "%s %s", _("Image:"), j->w->image), n++;
	if (s.phase == CC_MCAST_WAITING) {
		snprintf(l[n], sizeof(l[0]), _("Round %u of %u: waiting for clients, %u joined"),
			 s.round, s.rounds, s.joined), n++;
		if (s.starts_in_s) {
			ui_fmt_duration((unsigned long long)s.starts_in_s * 1000, a, sizeof(a));
			snprintf(l[n], sizeof(l[0]), _("Starts by itself in %s"), a), n++;
		}
	} else {
		ui_fmt_bytes(s.bytes_done, a, sizeof(a));
		ui_fmt_bytes(s.bytes_total, b, sizeof(b));
		snprintf(l[n], sizeof(l[0]), _("Round %u of %u: sending to %u client(s)"), s.round,
			 s.rounds, s.joined), n++;
		snprintf(l[n], sizeof(l[0]), _("Sent: %s of %s (every client confirmed)"), a, b),
			n++;
		ui_fmt_bytes(p.rate_avg, a, sizeof(a));
		snprintf(l[n], sizeof(l[0]), _("Rate: %s/s on average, %u.%u%% sent again"), a,
			 s.rexmit_permille / 10, s.rexmit_permille % 10), n++;
		if (s.bytes_total)
			frac = (double)s.bytes_done / (double)s.bytes_total;
	}
	for (unsigned i = 0; i < s.nclients && i < SHOW_CLIENTS; i++)
		snprintf(l[n], sizeof(l[0]), "  %-15s  %s", cl[i].addr, cc_mcast_state_name(cl[i].state)),
			n++;
	for (int i = 0; i < n; i++)
		lines[i] = l[i];
	ui_gauge(_("Multicast"), lines, n, frac > 1 ? 1 : frac,
		 s.phase == CC_MCAST_WAITING && s.can_start ? _("Enter: start now   Esc: cancel")
							    : _("Esc: cancel"));
}

/* Every client and its result, for the result screen. */
static void report(struct wiz *w, const struct cc_mcast_result *res)
{
	size_t o;

	snprintf(w->job_report, sizeof(w->job_report),
		 _("%u of %u client(s) received all of it:\n"), res->finished, res->nclients);
	for (unsigned i = 0; i < res->nclients; i++) {
		o = strlen(w->job_report);
		if (i == 12) {
			snprintf(w->job_report + o, sizeof(w->job_report) - o, _("  and %u more\n"),
				 res->nclients - i);
			break;
		}
		snprintf(w->job_report + o, sizeof(w->job_report) - o, "  %-15s  %s\n",
			 res->clients[i].addr, cc_mcast_state_name(res->clients[i].state));
	}
}

int step_mcast_serve(struct wiz *w)
{
	struct serve j;
	struct wiz_job_loop loop;
	int r;

	memset(&j, 0, sizeof(j));
	j.w = w;
	pthread_mutex_init(&j.lock, NULL);
	loop = (struct wiz_job_loop){
		.run = run_serve,
		.arg = &j,
		.lock = &j.lock,
		.done = &j.done,
		.cancel = &j.cancel,
		.draw = draw,
		.key = on_key,
		.title = _("Multicast"),
		.cancel_question = _("Stop sending? The clients that are receiving are left with "
				     "an incomplete disk."),
	};
	r = wiz_job_loop(&loop);
	pthread_mutex_destroy(&j.lock);
	if (r < 0)
		return STEP_BACK;
	w->job_ret = j.ret;
	snprintf(w->job_error, sizeof(w->job_error), "%s", j.ret < 0 ? j.err.detail : "");
	w->job_ms = j.res.elapsed_ms;
	w->job_bytes = j.res.stream_bytes;
	w->job_stored = 0;
	if (j.res.nclients)
		report(w, &j.res);
	cc_mcast_result_free(&j.res);
	return STEP_NEXT;
}
