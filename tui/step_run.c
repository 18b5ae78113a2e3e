/*
 * step_run.c - the last screens: the summary with the equivalent command
 * line (for the next forty machines, in batch), the confirmation(s), the
 * progress screen while the engine works in its own thread, and the
 * result.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "disk_job.h"
#include "error.h"
#include "filepart.h"
#include "i18n.h"
#include "mcast.h"
#include "ui.h"
#include "wizard.h"

void wiz_put_word(char *buf, size_t len, const char *s)
{
	size_t o = strlen(buf);
	int plain = *s && !strpbrk(s, " \t'\"\\$`;&|<>()*?[]#~!{}");

	if (o && o + 1 < len)
		buf[o++] = ' ';
	if (plain) {
		snprintf(buf + o, len - o, "%s", s);
		return;
	}
	if (o + 1 < len)
		buf[o++] = '\'';
	for (; *s && o + 5 < len; s++) {
		if (*s == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *s;
		}
	}
	if (o + 1 < len)
		buf[o++] = '\'';
	buf[o < len ? o : len - 1] = '\0';
}

/* The devices of the job: the disk, or the marked partitions. */
static unsigned job_devices(const struct wiz *w, const char **devs, unsigned max)
{
	const struct cc_disk_info *d = &w->disks[w->disk];
	unsigned n = 0;

	if (wiz_whole_disk(w)) {
		devs[n++] = d->path;
		return n;
	}
	for (unsigned i = 0; i < d->nparts && n < max; i++)
		if (w->part_on[i])
			devs[n++] = d->parts[i].path;
	return n;
}

void wiz_command_line(const struct wiz *w, char *buf, size_t len)
{
	static const char *const verbs[] = {"savedisk", "saveparts", "restoredisk",
					    "restoreparts", "check"};
	const char *devs[CC_MAX_PARTS_INFO];
	char tmp[32];
	unsigned n;

	buf[0] = '\0';
	wiz_put_word(buf, len, "clonecast");
	if (w->action == ACT_MCAST_SERVE) {
		wiz_mcast_serve_command(w, buf, len);
		return;
	}
	wiz_put_word(buf, len, w->action == ACT_MCAST_RESTORE ? "restoredisk"
			   : w->action <= ACT_CHECK   ? verbs[w->action]
						      : "?");
	wiz_put_word(buf, len, "-b");
	if (w->action == ACT_MCAST_RESTORE) {
		wiz_put_word(buf, len, "--multicast");
		n = job_devices(w, devs, CC_MAX_PARTS_INFO);
		for (unsigned i = 0; i < n; i++)
			wiz_put_word(buf, len, devs[i]);
		return;
	}
	wiz_put_word(buf, len, "-r");
	wiz_put_word(buf, len, w->repo_url);
	if (w->repo_kind == REPO_SMB && w->smb_proto[0] && strcmp(w->smb_proto, "auto")) {
		wiz_put_word(buf, len, "--smb-protocol");
		wiz_put_word(buf, len, w->smb_proto);
	}
	if (wiz_is_save(w)) {
		wiz_put_word(buf, len, "-z");
		snprintf(tmp, sizeof(tmp), "%s", cc_codec_name(w->codec));
		if (w->level && w->codec != CC_CODEC_NONE)
			snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), ":%d", w->level);
		wiz_put_word(buf, len, tmp);
		if (w->threads) {
			snprintf(tmp, sizeof(tmp), "%u", w->threads);
			wiz_put_word(buf, len, "-j");
			wiz_put_word(buf, len, tmp);
		}
		if (w->split_mb) {
			snprintf(tmp, sizeof(tmp), "%u", w->split_mb);
			wiz_put_word(buf, len, "-i");
			wiz_put_word(buf, len, tmp);
		}
		if (w->check_after)
			wiz_put_word(buf, len, "--check");
	}
	wiz_put_word(buf, len, w->image);
	if (w->action == ACT_CHECK)
		return;
	n = job_devices(w, devs, CC_MAX_PARTS_INFO);
	for (unsigned i = 0; i < n; i++)
		wiz_put_word(buf, len, devs[i]);
}

int step_summary(struct wiz *w)
{
	static const char *verbs[ACT_MCAST_SERVE + 1];
	char text[3000], cmd[1600], what[400] = "", size[32];
	const char *devs[CC_MAX_PARTS_INFO];
	unsigned n = 0;

	verbs[ACT_SAVEDISK] = _("Save the disk");
	verbs[ACT_SAVEPARTS] = _("Save partitions");
	verbs[ACT_RESTOREDISK] = _("Restore onto the disk");
	verbs[ACT_RESTOREPARTS] = _("Restore onto partitions");
	verbs[ACT_CHECK] = _("Check the image");
	verbs[ACT_MCAST_RESTORE] = _("Restore onto the disk from a multicast sender");
	verbs[ACT_MCAST_SERVE] = _("Send the image by multicast");
	if (w->action != ACT_CHECK && w->action != ACT_MCAST_SERVE) {
		const struct cc_disk_info *d = &w->disks[w->disk];

		n = job_devices(w, devs, CC_MAX_PARTS_INFO);
		ui_fmt_bytes(d->size, size, sizeof(size));
		for (unsigned i = 0; i < n; i++)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%s",
				 i ? ", " : "", devs[i]);
		snprintf(what + strlen(what), sizeof(what) - strlen(what), " (%s%s%s)", size,
			 d->model[0] ? ", " : "", d->model);
	}
	wiz_command_line(w, cmd, sizeof(cmd));
	if (w->action == ACT_MCAST_RESTORE)
		snprintf(text, sizeof(text), "%s: %s\n%s: %s\n", _("Action"), verbs[w->action],
			 _("Image"), _("the one the sender sends (it names it)"));
	else
		snprintf(text, sizeof(text), "%s: %s\n%s: %s\n%s: %s\n", _("Action"),
			 verbs[w->action], _("Repository"), w->repo_url, _("Image"), w->image);
	if (w->action == ACT_MCAST_SERVE)
		wiz_mcast_summary(w, text + strlen(text), sizeof(text) - strlen(text));
	if (n)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s: %s\n",
			 wiz_is_save(w) ? _("Source") : _("Target"), what);
	if (wiz_is_save(w))
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s: %s%s\n",
			 _("Compression"), cc_codec_name(w->codec),
			 w->check_after ? _(", checked after saving") : "");
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
		 "\n%s\n%s\n", _("The same as a command (for the next machines):"), cmd);
	if (w->repo_kind == REPO_SSH || w->repo_kind == REPO_SMB)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\n",
			 _("(give the password with --password-file FILE or CLONECAST_PASSWORD)"));
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "\n%s",
		 _("Start now?"));
	if (ui_yesno(_("Summary"), text, 0) != UI_OK)
		return STEP_BACK;
	if (wiz_is_restore(w)) {
		char warn[800];

		if (w->action == ACT_MCAST_RESTORE)
			snprintf(warn, sizeof(warn),
				 _("LAST WARNING: everything on %s will be overwritten by the image "
				   "that the multicast sender sends.\n\nReally restore?"),
				 what);
		else
			snprintf(warn, sizeof(warn),
				 _("LAST WARNING: everything on %s will be overwritten by the image "
				   "%s.\n\nReally restore?"),
				 what, w->image);
		if (ui_yesno(_("Overwrite the disk?"), warn, 1) != UI_OK)
			return STEP_BACK;
	}
	return STEP_NEXT;
}

/* ------------------------------------------------------------- progress */

struct job {
	struct wiz *w;
	pthread_mutex_t lock;
	struct cc_progress p; /* the latest report (names copied below) */
	char part_name[64], part_fs[32];
	int have_p;
	int cancel; /* set by the UI, read by the engine's callback */
	int done, ret;
	struct cc_error err;
	char cmd[1600];
	char image[256]; /* multicast: the image the sender named; "" until then */
	const char *title;
};

static int on_progress(void *user, const struct cc_progress *p)
{
	struct job *j = user;
	int cancel;

	pthread_mutex_lock(&j->lock);
	j->p = *p;
	snprintf(j->part_name, sizeof(j->part_name), "%s", p->part_name ? p->part_name : "");
	snprintf(j->part_fs, sizeof(j->part_fs), "%s", p->part_fs ? p->part_fs : "");
	j->p.part_name = NULL;
	j->p.part_fs = NULL;
	j->have_p = 1;
	cancel = j->cancel;
	pthread_mutex_unlock(&j->lock);
	return cancel;
}

/* Multicast: the stream's header arrived (the job's thread). */
static void on_arrived(void *user, const char *image, const char *sender, uint64_t bytes)
{
	struct job *j = user;

	(void)sender;
	(void)bytes;
	pthread_mutex_lock(&j->lock);
	snprintf(j->image, sizeof(j->image), "%s", image);
	pthread_mutex_unlock(&j->lock);
}

static int run_mcast_restore(struct job *j, const char *const *devs, unsigned n,
			     const struct cc_events *ev)
{
	struct cc_mcast_recv_opts o;

	memset(&o, 0, sizeof(o));
	o.devices = devs;
	o.ndevices = n;
	o.whole_disks = 1;
	o.arrived = on_arrived;
	o.user = j;
	return cc_mcast_restore(&o, ev, &j->err);
}

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct wiz *w = j->w;
	struct cc_events ev = {.user = j, .progress = on_progress};
	const char *devs[CC_MAX_PARTS_INFO], *names[CC_MAX_PARTS_INFO] = {NULL};
	struct cc_loop loops[CC_MAX_PARTS_INFO];
	char pnames[CC_MAX_PARTS_INFO][64];
	unsigned n = job_devices(w, devs, CC_MAX_PARTS_INFO);
	int ret = 0;

	cc_error_clear(&j->err);
	memset(loops, 0, sizeof(loops));
	for (unsigned i = 0; i < n; i++)
		loops[i].fd = -1;
	/* partitions of an image file (the demo's disks): loop windows, named
	 * as savedisk names them (sda1, sda2) */
	for (unsigned i = 0; i < n && !ret; i++) {
		char file[4096];
		unsigned num;

		if (!cc_is_file_part(devs[i], file, sizeof(file), &num))
			continue;
		ret = cc_file_part_attach(devs[i], wiz_is_save(w) || w->action == ACT_CHECK,
					  &loops[i], pnames[i], sizeof(pnames[i]), &j->err);
		devs[i] = loops[i].path;
		names[i] = pnames[i];
	}
	if (ret < 0) {
		/* reported below */
	} else if (w->action == ACT_MCAST_RESTORE) {
		ret = run_mcast_restore(j, devs, n, &ev);
	} else if (wiz_is_save(w)) {
		struct cc_disk_save_opts o;

		memset(&o, 0, sizeof(o));
		o.repo = w->repo;
		o.image = w->image;
		o.devices = devs;
		o.names = names;
		o.ndevices = n;
		o.whole_disks = wiz_whole_disk(w);
		o.comp.codec = w->codec;
		o.comp.level = w->level;
		o.comp.threads = w->threads;
		o.split_bytes = (uint64_t)w->split_mb * 1000000;
		o.check_after = w->check_after;
		o.cmdline = j->cmd;
		ret = cc_savedisk(&o, &ev, &j->err);
	} else if (wiz_is_restore(w)) {
		struct cc_disk_restore_opts o;

		memset(&o, 0, sizeof(o));
		o.repo = w->repo;
		o.image = w->image;
		o.devices = devs;
		o.ndevices = n;
		o.whole_disks = wiz_whole_disk(w);
		ret = cc_restoredisk(&o, &ev, &j->err);
	} else {
		ret = cc_check_imgdir(w->repo, w->image, &ev, &j->err);
	}
	for (unsigned i = 0; i < n; i++)
		cc_loop_detach(&loops[i]);
	pthread_mutex_lock(&j->lock);
	j->ret = ret;
	j->done = 1;
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static void draw(void *arg)
{
	struct job *j = arg;
	const char *title = j->title;
	char l[8][300], a[32], b[32], c[32], d[32], img[256];
	const char *lines[8];
	struct cc_progress p;
	double frac = 0;
	int n = 0;

	pthread_mutex_lock(&j->lock);
	p = j->p;
	snprintf(l[7], sizeof(l[7]), "%s%s%s%s", j->part_name, j->part_fs[0] ? " (" : "",
		 j->part_fs, j->part_fs[0] ? ")" : "");
	snprintf(img, sizeof(img), "%s", j->w->action == ACT_MCAST_RESTORE ? j->image : j->w->image);
	pthread_mutex_unlock(&j->lock);
	if (j->w->action == ACT_MCAST_RESTORE && !img[0]) {
		ui_fmt_duration(p.elapsed_ms, c, sizeof(c));
		snprintf(l[n], sizeof(l[0]), "%s", _("Waiting for a multicast sender ...")), n++;
		snprintf(l[n], sizeof(l[0]), _("Waiting for: %s"), c), n++;
		snprintf(l[n], sizeof(l[0]), "%s",
			 _("Nothing is written before the sender starts the transfer.")), n++;
		for (int i = 0; i < n; i++)
			lines[i] = l[i];
		ui_gauge(title, lines, n, 0, _("Esc: cancel"));
		return;
	}
	snprintf(l[n], sizeof(l[0]), "%s %s", _("Image:"), img), n++;
	if (p.part_count)
		snprintf(l[n], sizeof(l[0]), _("Partition %u of %u: %s"), p.part_index,
			 p.part_count, l[7]), n++;
	else
		snprintf(l[n], sizeof(l[0]), "%s", _("Preparing ...")), n++;
	ui_fmt_bytes(p.bytes_done, a, sizeof(a));
	ui_fmt_bytes(p.bytes_total, b, sizeof(b));
	snprintf(l[n], sizeof(l[0]), _("Done: %s of %s (data in use)"), a, b), n++;
	ui_fmt_bytes(p.rate_now, a, sizeof(a));
	ui_fmt_bytes(p.rate_avg, b, sizeof(b));
	snprintf(l[n], sizeof(l[0]), _("Rate: %s/s now, %s/s on average"), a, b), n++;
	ui_fmt_duration(p.elapsed_ms, c, sizeof(c));
	if (p.eta_ms)
		ui_fmt_duration(p.eta_ms, d, sizeof(d));
	else
		snprintf(d, sizeof(d), "--:--");
	snprintf(l[n], sizeof(l[0]), _("Elapsed: %s   Remaining: %s"), c, d), n++;
	if (wiz_is_save(j->w) && p.bytes_stored) {
		ui_fmt_bytes(p.bytes_stored, a, sizeof(a));
		snprintf(l[n], sizeof(l[0]), _("Image so far: %s (ratio %.1f:1)"), a,
			 (double)p.bytes_done / (double)p.bytes_stored), n++;
	}
	for (int i = 0; i < n; i++)
		lines[i] = l[i];
	if (p.bytes_total)
		frac = (double)p.bytes_done / (double)p.bytes_total;
	ui_gauge(title, lines, n, frac > 1 ? 1 : frac, _("Esc: cancel"));
}

int step_progress(struct wiz *w)
{
	struct job j;
	struct wiz_job_loop loop;
	int r;
	const char *title;

	w->job_report[0] = '\0';
	if (w->action == ACT_MCAST_SERVE)
		return step_mcast_serve(w);
	title = wiz_is_save(w)			? _("Saving")
		: wiz_is_restore(w)		? _("Restoring")
						: _("Checking");

	memset(&j, 0, sizeof(j));
	j.w = w;
	j.title = title;
	pthread_mutex_init(&j.lock, NULL);
	wiz_command_line(w, j.cmd, sizeof(j.cmd));
	loop = (struct wiz_job_loop){
		.run = run_job,
		.arg = &j,
		.lock = &j.lock,
		.done = &j.done,
		.cancel = &j.cancel,
		.draw = draw,
		.title = title,
		.cancel_question = wiz_is_save(w) ? _("Stop saving? The unfinished image is removed.")
						  : _("Stop now? The target is left incomplete and "
						      "must be restored again."),
	};
	r = wiz_job_loop(&loop);
	pthread_mutex_destroy(&j.lock);
	if (r < 0)
		return STEP_BACK;
	w->job_ret = j.ret;
	snprintf(w->job_error, sizeof(w->job_error), "%s", j.ret < 0 ? j.err.detail : "");
	w->job_ms = j.p.elapsed_ms;
	w->job_bytes = j.p.bytes_done;
	w->job_stored = j.p.bytes_stored;
	return STEP_NEXT;
}

int step_result(struct wiz *w)
{
	struct ui_item items[] = {
		{"1", _("Start again"), 0},
		{"2", _("Quit"), 0},
		{"3", _("Open a shell"), 0},
		{"4", _("Reboot"), !w->live},
		{"5", _("Power off"), !w->live},
	};
	char text[2600], a[32], b[32], c[32];
	int choice = 0, r;

	ui_fmt_duration(w->job_ms, a, sizeof(a));
	ui_fmt_bytes(w->job_bytes, b, sizeof(b));
	if (w->job_ret == 0) {
		snprintf(text, sizeof(text), "%s\n\n%s %s\n%s %s\n",
			 wiz_is_save(w)	     ? _("The image was saved and is complete.")
			 : wiz_is_restore(w) ? _("The image was restored.")
			 : w->action == ACT_MCAST_SERVE
				 ? _("The image was sent.")
				 : _("The image is good: every checksum verified."),
			 _("Time:"), a, _("Data:"), b);
		if (w->job_ms) {
			ui_fmt_bytes(w->job_bytes * 1000 / w->job_ms, c, sizeof(c));
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s %s/s\n",
				 _("Average rate:"), c);
		}
		if (wiz_is_save(w) && w->job_stored) {
			ui_fmt_bytes(w->job_stored, c, sizeof(c));
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 _("Image size: %s (ratio %.1f:1)\n"), c,
				 (double)w->job_bytes / (double)w->job_stored);
		}
	} else if (w->job_ret == -CC_E_CANCELED) {
		snprintf(text, sizeof(text), "%s",
			 wiz_is_save(w) ? _("Cancelled. No image was left behind.")
					: _("Cancelled. The target disk is incomplete: restore it "
					    "again before using it."));
	} else {
		snprintf(text, sizeof(text), "%s\n\n%s", _("It did not work:"), w->job_error);
	}
	if (w->job_report[0])
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "\n%s", w->job_report);
	for (;;) {
		r = ui_menu(w->job_ret == 0 ? _("Done") : _("Not done"), text, items, 5, &choice,
			    UI_NO_BACK | UI_NO_CANCEL);
		if (r != UI_OK)
			return STEP_QUIT;
		switch (choice) {
		case 0:
			memset(w->image, 0, sizeof(w->image));
			return STEP_RESTART;
		case 2: /* the shell, then this screen again */
			wiz_run_shell();
			continue;
		case 3:
		case 4: /* the confirmation at once; No: this screen again */
			if ((r = wiz_leave(w, choice == 4)) >= 0)
				return r;
			continue;
		default:
			return STEP_QUIT;
		}
	}
}
