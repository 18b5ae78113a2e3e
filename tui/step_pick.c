/*
 * step_pick.c - what to work on: the disk (or its partitions), the image
 * (a new name, or one of the complete images of the repository) and the
 * compression of a new image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "i18n.h"
#include "imgdir.h"
#include "ui.h"
#include "wizard.h"

/* "  256 MB  image file  [ntfs ext4]" */
static void describe(const struct cc_disk_info *d, char *buf, size_t len)
{
	char size[32], fs[128] = "";

	ui_fmt_bytes(d->size, size, sizeof(size));
	for (unsigned i = 0; i < d->nparts; i++)
		if (d->parts[i].fstype[0] && strlen(fs) + 20 < sizeof(fs))
			snprintf(fs + strlen(fs), sizeof(fs) - strlen(fs), "%s%s", fs[0] ? " " : "",
				 d->parts[i].fstype);
	snprintf(buf, len, "%9s  %-24.24s [%.40s]%s", size, d->model, fs[0] ? fs : _("empty"),
		 d->live_medium ? _(" live medium") : d->mounted ? _(" mounted") : "");
}

static int pick_partitions(struct wiz *w, const struct cc_disk_info *d)
{
	struct ui_item items[CC_MAX_PARTS_INFO];
	char labels[CC_MAX_PARTS_INFO][128];
	int n = (int)d->nparts;

	if (!n) {
		ui_msgbox(_("Partitions"), _("This disk has no partitions."));
		return STEP_BACK;
	}
	for (int i = 0; i < n; i++) {
		char size[32];

		ui_fmt_bytes(d->parts[i].size, size, sizeof(size));
		snprintf(labels[i], sizeof(labels[0]), "%9s  %-6s %s%s", size,
			 d->parts[i].fstype[0] ? d->parts[i].fstype : "-", d->parts[i].label,
			 d->parts[i].mounted ? _(" (mounted)") : "");
		items[i] = (struct ui_item){d->parts[i].name, labels[i],
					    wiz_is_restore(w) && d->parts[i].mounted};
	}
	switch (ui_checklist(_("Partitions"),
			     wiz_is_save(w) ? _("Choose the partitions to save (Space marks one).")
					    : _("Choose the partitions to restore onto, in the "
						"image's order (Space marks one)."),
			     items, n, w->part_on, 0, 0)) {
	case UI_OK:
		return STEP_NEXT;
	case UI_BACK:
		return STEP_BACK;
	default:
		return STEP_CANCEL;
	}
}

int step_disk(struct wiz *w)
{
	struct ui_item items[64];
	char labels[64][160];
	int n, choice = w->disk, restore = wiz_is_restore(w), r;

	if (w->action == ACT_CHECK || w->action == ACT_MCAST_SERVE)
		return STEP_SKIP;
	if (wiz_load_disks(w) < 0)
		return STEP_BACK;
	if (!w->ndisks) {
		ui_msgbox(_("Disks"), _("No disk was found."));
		return STEP_BACK;
	}
	n = w->ndisks < 64 ? (int)w->ndisks : 64;
	for (int i = 0; i < n; i++) {
		describe(&w->disks[i], labels[i], sizeof(labels[0]));
		/* never offer the live medium or a disk in use as a target */
		items[i] = (struct ui_item){w->disks[i].name, labels[i],
					    restore && (w->disks[i].mounted || w->disks[i].live_medium)};
	}
	if (choice >= n || items[choice].disabled || (w->demo && restore && choice == 0))
		choice = w->demo && restore && n > 1 ? 1 : 0;
	while (choice < n - 1 && items[choice].disabled)
		choice++;
	r = ui_menu(wiz_is_save(w) ? _("Source disk") : _("Target disk"),
		    wiz_is_save(w)
			    ? _("The disk to save.")
			    : _("The disk to restore onto. EVERYTHING on it will be overwritten."),
		    items, n, &choice, 0);
	if (r == UI_BACK)
		return STEP_BACK;
	if (r != UI_OK)
		return STEP_CANCEL;
	if (choice != w->disk)
		memset(w->part_on, 0, sizeof(w->part_on));
	w->disk = choice;
	if (wiz_whole_disk(w))
		return STEP_NEXT;
	return pick_partitions(w, &w->disks[choice]);
}

/* ---------------------------------------------------------------- image */

static int valid_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 100)
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+",
			    *s))
			return 0;
	return 1;
}

static int new_image(struct wiz *w)
{
	struct ui_field f = {_("Image name"), w->image, sizeof(w->image), 0, 0};
	int focus = 0;

	if (!w->image[0]) { /* Clonezilla's default: 2026-11-25-10-img */
		time_t t = time(NULL);
		strftime(w->image, sizeof(w->image), "%Y-%m-%d-%H-img", localtime(&t));
	}
	for (;;) {
		struct cc_repo_entry e;
		struct cc_error err;
		int r = ui_form(_("Image name"),
				_("The name of the new image (letters, digits, . - _ +)."), &f, 1,
				&focus, 0);

		if (r == UI_BACK)
			return STEP_BACK;
		if (r != UI_OK)
			return STEP_CANCEL;
		if (!valid_name(w->image)) {
			ui_msgbox(_("Image name"), _("Use letters, digits and . - _ + only, and do "
						     "not start with a dot."));
			continue;
		}
		if (w->repo->ops->stat(w->repo, w->image, &e, &err) == 0) {
			ui_msgbox(_("Image name"), _("An image of this name already exists. Choose "
						     "another name."));
			continue;
		}
		return STEP_NEXT;
	}
}

static int pick_image(struct wiz *w)
{
	struct cc_imgdir **v = NULL;
	struct ui_item *items;
	char (*labels)[200];
	struct cc_error err;
	unsigned n = 0;
	int choice = 0, r;

	ui_infobox(_("Images"), _("Reading the repository ..."));
	if (cc_imgdir_list(w->repo, &v, &n, &err) < 0) {
		ui_msgbox(_("Images"), err.detail);
		return STEP_BACK;
	}
	if (!n) {
		ui_msgbox(_("Images"), _("There is no complete image in this repository."));
		cc_imgdir_list_free(v, n);
		return STEP_BACK;
	}
	items = calloc(n, sizeof(*items));
	labels = calloc(n, sizeof(*labels));
	if (!items || !labels) {
		free(items);
		free(labels);
		cc_imgdir_list_free(v, n);
		return STEP_CANCEL;
	}
	for (unsigned i = 0; i < n; i++) {
		char when[32], size[32], what[100] = "";
		time_t t = (time_t)v[i]->mtime;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
		ui_fmt_bytes(v[i]->bytes, size, sizeof(size));
		for (unsigned k = 0; k < v[i]->ndisks; k++)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%s",
				 k ? " " : "", v[i]->disks[k]);
		if (!v[i]->ndisks)
			snprintf(what, sizeof(what), _("%u partitions"), v[i]->nparts);
		snprintf(labels[i], sizeof(labels[0]), "%s %9s %s", when, size, what);
		items[i] = (struct ui_item){v[i]->name, labels[i], 0};
		if (!strcmp(v[i]->name, w->image))
			choice = (int)i;
	}
	for (;;) {
		const struct cc_imgdir *d;
		unsigned on = 0;

		r = ui_menu(_("Images"), _("Choose the image."), items, (int)n, &choice, 0);
		if (r != UI_OK)
			break;
		d = v[choice];
		for (int i = 0; i < CC_MAX_PARTS_INFO; i++)
			on += w->part_on[i] != 0;
		if (w->action == ACT_RESTOREDISK && d->ndisks != 1) {
			ui_msgbox(_("Images"), d->ndisks ? _("This image holds several disks: restore "
							     "it with the clonecast command.")
							 : _("This image holds partitions, not a "
							     "disk: restore it to partitions."));
			continue;
		}
		if (w->action == ACT_RESTOREPARTS && on != d->nparts) {
			char msg[200];

			snprintf(msg, sizeof(msg),
				 _("This image holds %u partitions, and %u are marked: go back "
				   "and mark as many."),
				 d->nparts, on);
			ui_msgbox(_("Images"), msg);
			continue;
		}
		snprintf(w->image, sizeof(w->image), "%s", d->name);
		snprintf(w->image_desc, sizeof(w->image_desc), "%s", labels[choice]);
		break;
	}
	free(items);
	free(labels);
	cc_imgdir_list_free(v, n);
	return r == UI_OK ? STEP_NEXT : r == UI_BACK ? STEP_BACK : STEP_CANCEL;
}

int step_image(struct wiz *w)
{
	if (w->action == ACT_MCAST_RESTORE)
		return STEP_SKIP; /* the stream names it */
	return wiz_is_save(w) ? new_image(w) : pick_image(w);
}

/* ---------------------------------------------------------- compression */

static int expert(struct wiz *w)
{
	char level[8], threads[8], split[16], check[8];
	struct ui_field f[] = {
		{_("Level (zstd 1-19, gzip 1-9, 0=auto)"), level, sizeof(level), 0, 0},
		{_("Threads (0: every core)"), threads, sizeof(threads), 0, 0},
		{_("Split files every N MB (0: no)"), split, sizeof(split), 0, 0},
		{_("Check after saving (yes/no)"), check, sizeof(check), 0, 0},
	};
	int focus = 0;

	snprintf(level, sizeof(level), "%d", w->level);
	snprintf(threads, sizeof(threads), "%u", w->threads);
	snprintf(split, sizeof(split), "%u", w->split_mb);
	snprintf(check, sizeof(check), "%s", w->check_after ? _("yes") : _("no"));
	for (;;) {
		char *e1, *e2, *e3;
		long l, t, s;
		int r = ui_form(_("Expert settings"), _("Leave a value as it is if unsure."), f, 4,
				&focus, 0);

		if (r != UI_OK)
			return r == UI_BACK ? -1 : -2;
		l = strtol(level, &e1, 10);
		t = strtol(threads, &e2, 10);
		s = strtol(split, &e3, 10);
		if (*e1 || *e2 || *e3 || l < 0 || l > 19 || t < 0 || t > 256 || s < 0) {
			ui_msgbox(_("Expert settings"), _("Please give whole numbers in the ranges shown."));
			continue;
		}
		w->level = (int)l;
		w->threads = (unsigned)t;
		w->split_mb = (unsigned)s;
		w->check_after = check[0] == 'y' || check[0] == 'Y' || check[0] == 'j' ||
				 check[0] == 'o' || check[0] == 's' || !strcmp(check, _("yes"));
		return 0;
	}
}

int step_compression(struct wiz *w)
{
	struct ui_item items[] = {
		{"zstd", _("zstd: fast and small (recommended; Clonezilla 3 reads it)"), 0},
		{"gzip", _("gzip: compatible with every Clonezilla and partclone"), 0},
		{"none", _("none: largest image, for fast networks"), 0},
		{"expert", _("Expert: level, threads, split size, check"), 0},
	};
	int choice = w->codec == CC_CODEC_GZIP ? 1 : w->codec == CC_CODEC_NONE ? 2 : 0;

	if (!wiz_is_save(w))
		return STEP_SKIP;
	for (;;) {
		int r = ui_menu(_("Compression"), _("How to compress the image."), items, 4, &choice,
				0);

		if (r == UI_BACK)
			return STEP_BACK;
		if (r != UI_OK)
			return STEP_CANCEL;
		if (choice == 3) {
			if (expert(w) == -2)
				return STEP_CANCEL;
			choice = w->codec == CC_CODEC_GZIP ? 1 : w->codec == CC_CODEC_NONE ? 2 : 0;
			continue;
		}
		w->codec = choice == 0 ? CC_CODEC_ZSTD : choice == 1 ? CC_CODEC_GZIP : CC_CODEC_NONE;
		return STEP_NEXT;
	}
}
