/*
 * disk_job.c - savedisk, saveparts, restoredisk, restoreparts and the
 * check of an image directory (see disk_job.h).
 *
 * Partitions are reached through loop devices over their byte ranges, so
 * a disk image file works like a disk and no partition nodes are needed.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dev.h"
#include "disk_job.h"
#include "error.h"
#include "fs.h"
#include "i18n.h"
#include "imgdir.h"
#include "job.h"
#include "loopdev.h"
#include "mounts.h"
#include "ptable.h"
#include "run.h"

#define SECTOR 512u

void cc_disk_name(const char *path, unsigned index, char *out, size_t len)
{
	struct stat st;
	const char *base = strrchr(path, '/');

	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode)) {
		snprintf(out, len, "%s", base ? base + 1 : path);
		return;
	}
	/* A disk image file: call it as the first disk would be called. */
	snprintf(out, len, "sd%c", 'a' + (int)(index % 26));
}

/* Clonezilla's name of a filesystem in image file names. */
static const char *clonezilla_fs(const char *type)
{
	if (!strncmp(type, "fat", 3))
		return "vfat";
	if (!strcmp(type, "raw"))
		return "dd";
	return type;
}

struct swap_info {
	int is_swap;
	char uuid[40];
	char label[17];
};

/* Linux swap: "SWAPSPACE2" at the end of the first page; UUID at 1036,
 * label at 1052. */
static int probe_swap(const char *path, struct swap_info *si, struct cc_error *err)
{
	unsigned char b[4096];
	struct cc_dev *dev;
	int ret, i;

	memset(si, 0, sizeof(*si));
	if ((ret = cc_dev_open(path, CC_DEV_READ, &dev, err)) < 0)
		return ret;
	if (dev->size < sizeof(b) || cc_dev_pread(dev, b, sizeof(b), 0, NULL) < 0) {
		cc_dev_close(dev);
		return 0;
	}
	cc_dev_close(dev);
	if (memcmp(b + 4086, "SWAPSPACE2", 10))
		return 0;
	si->is_swap = 1;
	for (i = 0; i < 16; i++)
		snprintf(si->uuid + strlen(si->uuid), sizeof(si->uuid) - strlen(si->uuid),
			 "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", b[1036 + i]);
	memcpy(si->label, b + 1052, 16);
	return 0;
}

/* ---- save ---- */

struct save_part {
	char name[64];	  /* "sda1" */
	char source[64];  /* the device or loop device read */
	struct cc_loop lo;
	struct swap_info swap;
	char fs_type[20]; /* "ntfs", "ext4", "fat32", "raw" */
	uint64_t used_bytes;
	uint64_t size;
};

struct save_ctx {
	const struct cc_disk_save_opts *o;
	const struct cc_events *ev;
	struct cc_imgdir_writer *w;
	struct cc_tracker tracker;
	struct save_part *parts;
	unsigned nparts;
	char parts_line[4096];
	char devfs[8192];
	char blkid[8192];
	char blkdev[8192]; /* lsblk-style list, as Clonezilla's blkdev.list */
	char disks_line[1024];
};

/* Open a partition (attach a loop for a window of a disk) and find what
 * it holds; add its used bytes to the job's total. */
static int plan_part(struct save_ctx *c, struct save_part *p, const char *disk, uint64_t start,
		     uint64_t size, struct cc_error *err)
{
	struct cc_dev *dev = NULL;
	struct cc_fs *fs = NULL;
	struct cc_bitmap bm = {0, NULL};
	int ret;

	p->lo.fd = -1;
	p->size = size;
	if (disk) {
		if ((ret = cc_loop_attach(disk, start, size, 1, &p->lo, err)) < 0)
			return ret;
		snprintf(p->source, sizeof(p->source), "%s", p->lo.path);
	}
	if ((ret = probe_swap(p->source, &p->swap, err)) < 0 || p->swap.is_swap)
		return ret;
	if ((ret = cc_dev_open(p->source, CC_DEV_READ, &dev, err)) < 0)
		return ret;
	ret = cc_fs_open(dev, NULL, c->o->fs_flags, &fs, err);
	if (!ret)
		ret = cc_fs_read_bitmap(fs, &bm, err);
	if (!ret) {
		snprintf(p->fs_type, sizeof(p->fs_type), "%s", fs->info.type);
		p->used_bytes = cc_bitmap_count(&bm) * fs->info.block_size;
		c->tracker.p.bytes_total += p->used_bytes;
	} else {
		/* Name the partition: the filesystem's message names the loop device. */
		char detail[sizeof(err->detail)];
		snprintf(detail, sizeof(detail), "%s", err->detail);
		cc_fail(err, err->code, 0, _("partition %s: %s"), p->name, detail);
	}
	cc_bitmap_free(&bm);
	cc_fs_close(fs);
	cc_dev_close(dev);
	return ret;
}

static void append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static int save_swap_info(struct save_ctx *c, struct save_part *p)
{
	char file[128], text[256];

	snprintf(file, sizeof(file), "swappt-%s.info", p->name);
	snprintf(text, sizeof(text), "UUID=\"%s\"\nLABEL=\"%s\"\n", p->swap.uuid, p->swap.label);
	append(c->devfs, sizeof(c->devfs), "/dev/%s swap %lluM\n", p->name,
	       (unsigned long long)(p->size >> 20));
	return cc_imgdir_put(c->w, file, text, strlen(text));
}

static int save_one(struct save_ctx *c, struct save_part *p, unsigned idx, struct cc_error *err)
{
	struct cc_save_opts so;
	struct cc_part_result res;
	struct cc_ostream *sink;
	char file[160];
	int ret;

	if (p->swap.is_swap)
		return save_swap_info(c, p);
	snprintf(file, sizeof(file), "%s.%s-ptcl-img.%s", p->name, clonezilla_fs(p->fs_type),
		 cc_codec_suffix(c->o->comp.codec));
	if ((ret = cc_imgdir_part_stream(c->w, file, c->o->split_bytes, &sink)) < 0)
		return ret;
	memset(&so, 0, sizeof(so));
	so.source = p->source;
	so.fs_flags = c->o->fs_flags;
	if (!strcmp(p->fs_type, "raw")) {
		/* Clonezilla reads <part>.dd-ptcl-img.* as partclone.dd output:
		 * the bytes of the partition, no header. */
		so.force_fs = "raw";
		so.plain_raw = 1;
	}
	so.comp = c->o->comp;
	so.checksum_mode = -1;
	c->tracker.p.part_index = idx + 1;
	c->tracker.p.part_count = c->nparts;
	c->tracker.p.part_name = p->name;
	c->tracker.p.part_fs = p->fs_type;
	c->tracker.p.bytes_total -= p->used_bytes; /* cc_save_part adds it again */
	ret = cc_save_part(&so, sink, c->ev, &c->tracker, &res, err);
	if (ret < 0) {
		char detail[sizeof(err->detail)];
		snprintf(detail, sizeof(detail), "%s", err->detail);
		return cc_fail(err, err->code, 0, _("partition %s: %s"), p->name, detail);
	}
	append(c->devfs, sizeof(c->devfs), "/dev/%s %s %lluM\n", p->name,
	       clonezilla_fs(p->fs_type), (unsigned long long)(p->size >> 20));
	append(c->blkdev, sizeof(c->blkdev), "%-10s `-%-10s %8lluM part %s\n", p->name, p->name,
	       (unsigned long long)(p->size >> 20), clonezilla_fs(p->fs_type));
	return 0;
}

static void collect_blkid(struct save_ctx *c, const struct save_part *p)
{
	const char *argv[] = {"blkid", p->source, NULL};
	char *out = NULL, *colon;
	size_t len;

	if (cc_run(argv, NULL, 0, &out, &len, NULL) < 0 || !out)
		return;
	colon = strchr(out, ':');
	if (colon)
		append(c->blkid, sizeof(c->blkid), "/dev/%s%s", p->name, colon);
	free(out);
}

static int add_parts_of_disk(struct save_ctx *c, const char *path, const char *name,
			     struct cc_ptable *pt, struct cc_error *err)
{
	unsigned i;
	int ret;

	for (i = 0; i < pt->nparts; i++) {
		struct cc_ptable_part *pp = &pt->parts[i];
		struct save_part *p = &c->parts[c->nparts];

		if (pp->extended || !pp->size)
			continue;
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", pp->name);
		c->nparts++;
		if ((ret = plan_part(c, p, path, pp->start * pt->sector_size,
				     pp->size * pt->sector_size, err)) < 0)
			return ret;
	}
	(void)name;
	return 0;
}

static int write_metadata(struct save_ctx *c)
{
	char text[8400];
	time_t now = time(NULL);
	int ret;

	snprintf(text, sizeof(text), "%s\n", c->parts_line);
	if ((ret = cc_imgdir_put(c->w, "parts", text, strlen(text))) < 0)
		return ret;
	if (c->o->whole_disks) {
		snprintf(text, sizeof(text), "%s\n", c->disks_line);
		if ((ret = cc_imgdir_put(c->w, "disk", text, strlen(text))) < 0)
			return ret;
	}
	snprintf(text, sizeof(text), "# <Device name>   <File system>   <Size>\n%s", c->devfs);
	if ((ret = cc_imgdir_put(c->w, "dev-fs.list", text, strlen(text))) < 0)
		return ret;
	if ((ret = cc_imgdir_put(c->w, "blkid.list", c->blkid, strlen(c->blkid))) < 0)
		return ret;
	snprintf(text, sizeof(text), "KNAME      NAME            SIZE TYPE FSTYPE\n%s", c->blkdev);
	if ((ret = cc_imgdir_put(c->w, "blkdev.list", text, strlen(text))) < 0)
		return ret;
	snprintf(text, sizeof(text), "%s\n", c->o->cmdline ? c->o->cmdline : "clonecast");
	if ((ret = cc_imgdir_put(c->w, "Info-saved-by-cmd.txt", text, strlen(text))) < 0)
		return ret;
	strftime(text, sizeof(text), "Image saved by Clonecast on %Y-%m-%d %H:%M:%S %Z\n",
		 localtime(&now));
	return cc_imgdir_put(c->w, "Info-clonecast.txt", text, strlen(text));
}

static int check_partial(struct save_ctx *c, struct cc_error *err)
{
	return cc_check_imgdir(c->o->repo, cc_imgdir_partial_name(c->w), c->ev, err);
}

int cc_savedisk(const struct cc_disk_save_opts *o, const struct cc_events *ev,
		struct cc_error *err)
{
	struct save_ctx *c = calloc(1, sizeof(*c));
	struct cc_ptable *pts = NULL;
	unsigned i, ndisks = 0;
	int ret = 0;

	if (!c || !(c->parts = calloc(CC_PTABLE_MAX * (o->ndevices + 1), sizeof(*c->parts))) ||
	    !(pts = calloc(o->ndevices, sizeof(*pts)))) {
		ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		goto out;
	}
	c->o = o;
	c->ev = ev;
	cc_tracker_init(&c->tracker, ev, 0);
	c->tracker.p.phase = CC_PHASE_PROBE;
	/* Plan: every partition opened and its used blocks counted before
	 * anything is written, so a problem shows at once and the progress
	 * knows the total. */
	for (i = 0; i < o->ndevices; i++) {
		char name[64];

		if (o->whole_disks) {
			cc_disk_name(o->devices[i], i, name, sizeof(name));
			if ((ret = cc_check_unmounted(o->devices[i], CC_MOUNT_FOR_READ, err)) < 0 ||
			    (ret = cc_ptable_read(o->devices[i], name, &pts[i], err)) < 0)
				goto out;
			ndisks++;
			append(c->disks_line, sizeof(c->disks_line), "%s%s", i ? " " : "", name);
			append(c->blkdev, sizeof(c->blkdev), "%-10s %-12s %8lluM disk\n", name, name,
			       (unsigned long long)((pts[i].disk_sectors * pts[i].sector_size) >> 20));
			if ((ret = add_parts_of_disk(c, o->devices[i], name, &pts[i], err)) < 0)
				goto out;
		} else {
			struct save_part *p = &c->parts[c->nparts++];
			const char *base = strrchr(o->devices[i], '/');

			memset(p, 0, sizeof(*p));
			snprintf(p->name, sizeof(p->name), "%s",
				 o->names && o->names[i] ? o->names[i] : base ? base + 1 : o->devices[i]);
			snprintf(p->source, sizeof(p->source), "%s", o->devices[i]);
			if ((ret = cc_check_unmounted(o->devices[i], CC_MOUNT_FOR_READ, err)) < 0 ||
			    (ret = plan_part(c, p, NULL, 0, 0, err)) < 0)
				goto out;
		}
	}
	/* Clonezilla's savedisk lists swap partitions only as swappt-*.info */
	for (i = 0; i < c->nparts; i++)
		if (!(o->whole_disks && c->parts[i].swap.is_swap))
			append(c->parts_line, sizeof(c->parts_line), "%s%s",
			       c->parts_line[0] ? " " : "", c->parts[i].name);
	if ((ret = cc_imgdir_begin(o->repo, o->image, o->replace, &c->w, err)) < 0)
		goto out;
	for (i = 0; i < ndisks; i++) {
		char name[64];
		cc_disk_name(o->devices[i], i, name, sizeof(name));
		if ((ret = cc_ptable_save(c->w, o->devices[i], name, &pts[i], err)) < 0)
			goto out;
	}
	for (i = 0; i < c->nparts; i++) {
		if ((ret = save_one(c, &c->parts[i], i, err)) < 0)
			goto out;
		collect_blkid(c, &c->parts[i]);
	}
	if ((ret = write_metadata(c)) < 0)
		goto out;
	if (o->check_after && (ret = check_partial(c, err)) < 0)
		goto out;
	ret = cc_imgdir_commit(c->w);
	if (!ret) {
		c->w = NULL;
		cc_tracker_done(&c->tracker);
	}
out:
	if (c && c->w)
		cc_imgdir_abort(c->w);
	if (c && c->parts)
		for (i = 0; i < c->nparts; i++)
			cc_loop_detach(&c->parts[i].lo);
	if (pts)
		for (i = 0; i < o->ndevices; i++)
			cc_ptable_free(&pts[i]);
	free(pts);
	if (c)
		free(c->parts);
	free(c);
	return ret;
}

/* ---- check ---- */

/* Check every partition image of an image directory (complete or not:
 * savedisk --check runs this on the partial directory). */
int cc_check_imgdir(struct cc_repo *repo, const char *image, const struct cc_events *ev,
		    struct cc_error *err)
{
	struct cc_imgdir *d = NULL;
	struct cc_tracker t;
	unsigned i;
	int ret;

	if ((ret = cc_imgdir_read(repo, image, &d, err)) < 0)
		return ret;
	if ((ret = cc_imgdir_verify_sums(repo, image, err)) < 0)
		goto out;
	cc_tracker_init(&t, ev, 0);
	for (i = 0; i < d->nparts && !ret; i++) {
		struct cc_imgdir_part *p = &d->parts[i];
		struct cc_istream *in;
		unsigned flags = CC_RESTORE_CHECK_ONLY;

		if (p->engine == CC_ENGINE_SWAP)
			continue;
		if (!p->nfiles) {
			ret = cc_fail(err, CC_E_INCOMPLETE_IMAGE, 0,
				      _("image '%s' has no image file for partition %s"), image,
				      p->name);
			break;
		}
		if (p->engine == CC_ENGINE_DD || !strcmp(p->fs, "dd"))
			flags |= CC_RESTORE_ALLOW_RAW;
		if ((ret = cc_imgdir_open_part(repo, d, p, &in, err)) < 0)
			break;
		t.p.part_index = i + 1;
		t.p.part_count = d->nparts;
		t.p.part_name = p->name;
		t.p.part_fs = p->fs;
		ret = cc_restore_part(in, NULL, flags, ev, &t, NULL, err);
		if (ret < 0) {
			char detail[sizeof(err->detail)];
			snprintf(detail, sizeof(detail), "%s", err->detail);
			ret = cc_fail(err, err->code, 0, _("partition %s (%s): %s"), p->name, p->file,
				      detail);
		}
	}
	if (!ret)
		cc_tracker_done(&t);
out:
	cc_imgdir_free(d);
	return ret;
}

/* ---- restore ---- */

/* A disk and every partition the kernel knows on it must be free. */
static int check_disk_free(const char *path, struct cc_error *err)
{
	char name[64], dir[128];
	struct dirent *de;
	DIR *dd;
	int ret;

	if ((ret = cc_check_unmounted(path, CC_MOUNT_FOR_WRITE, err)) < 0)
		return ret;
	cc_disk_name(path, 0, name, sizeof(name));
	snprintf(dir, sizeof(dir), "/sys/block/%s", name);
	if (!(dd = opendir(dir)))
		return 0;
	while (!ret && (de = readdir(dd))) {
		char dev[300];
		if (strncmp(de->d_name, name, strlen(name)) || !de->d_name[strlen(name)])
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", de->d_name);
		ret = cc_check_unmounted(dev, CC_MOUNT_FOR_WRITE, err);
	}
	closedir(dd);
	return ret;
}

/* Partition number of "sda5" / "nvme0n1p5" on disk "sda" / "nvme0n1"; 0 if
 * the partition is not on that disk. */
static unsigned part_number(const char *part, const char *disk)
{
	size_t n = strlen(disk);
	const char *p = part + n;

	if (strncmp(part, disk, n))
		return 0;
	if (*p == 'p' && isdigit((unsigned char)p[1]))
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	return (unsigned)strtoul(p, NULL, 10);
}

/* Recreate a swap partition with the UUID and label of swappt-<part>.info
 * (returns 1 if there is no such file for that partition). */
static int restore_swap(const struct cc_imgdir *d, const char *part, struct cc_repo *repo,
			const char *dev, struct cc_error *err)
{
	char path[512], *text = NULL, uuid[64] = "", label[64] = "";
	const char *argv[8];
	size_t len;
	int n = 0, ret;

	snprintf(path, sizeof(path), "%s/swappt-%s.info", d->name, part);
	if (cc_repo_get(repo, path, 4096, &text, &len, NULL) < 0)
		return 1;
	{
		char *u = strstr(text, "UUID=\""), *l = strstr(text, "LABEL=\"");
		if (u)
			sscanf(u + 6, "%63[^\"]", uuid);
		if (l)
			sscanf(l + 7, "%63[^\"]", label);
	}
	free(text);
	argv[n++] = "mkswap";
	if (uuid[0]) {
		argv[n++] = "-U";
		argv[n++] = uuid;
	}
	if (label[0]) {
		argv[n++] = "-L";
		argv[n++] = label;
	}
	argv[n++] = dev;
	argv[n] = NULL;
	ret = cc_run(argv, NULL, 0, NULL, NULL, err);
	return ret;
}

/* Grow the filesystem of a restored partition to fill it. */
static int grow_fs(const char *fs, const char *dev, const struct cc_events *ev,
		   struct cc_error *err)
{
	if (!strcmp(fs, "ntfs")) {
		const char *argv[] = {"ntfsresize", "--force", "--force", "--no-progress-bar", dev,
				      NULL};
		return cc_run(argv, NULL, 0, NULL, NULL, err);
	}
	if (!strncmp(fs, "ext", 3)) {
		const char *fsck[] = {"e2fsck", "-f", "-y", dev, NULL};
		const char *resize[] = {"resize2fs", "-f", dev, NULL};
		int ret = cc_run(fsck, NULL, 0, NULL, NULL, NULL);
		(void)ret; /* e2fsck exits 1 when it fixed something */
		return cc_run(resize, NULL, 0, NULL, NULL, err);
	}
	cc_log(ev, CC_LOG_WARN,
	       _("the %s filesystem on %s keeps its size; only the partition was enlarged"), fs,
	       dev);
	return 0;
}

static int restore_part_to(struct cc_repo *repo, const struct cc_imgdir *d,
			   const struct cc_imgdir_part *p, const char *dev, unsigned idx,
			   const struct cc_events *ev, struct cc_tracker *t, struct cc_error *err)
{
	struct cc_istream *in;
	unsigned flags = 0;
	int ret;

	if (p->engine == CC_ENGINE_SWAP)
		return (ret = restore_swap(d, p->name, repo, dev, err)) < 0 ? ret : 0;
	if (p->engine == CC_ENGINE_DD || !strcmp(p->fs, "dd"))
		flags |= CC_RESTORE_ALLOW_RAW;
	if ((ret = cc_imgdir_open_part(repo, d, p, &in, err)) < 0)
		return ret;
	t->p.part_index = idx + 1;
	t->p.part_count = d->nparts;
	t->p.part_name = p->name;
	t->p.part_fs = p->fs;
	ret = cc_restore_part(in, dev, flags, ev, t, NULL, err);
	if (ret < 0) {
		char detail[sizeof(err->detail)];
		snprintf(detail, sizeof(detail), "%s", err->detail);
		return cc_fail(err, err->code, 0, _("partition %s: %s"), p->name, detail);
	}
	return 0;
}

/* Everything that can be checked before the first byte is written. */
static int restore_precheck(const struct cc_disk_restore_opts *o, const struct cc_imgdir *d,
			    struct cc_error *err)
{
	unsigned i;
	int ret;

	if (!d->complete)
		return cc_fail(err, CC_E_INCOMPLETE_IMAGE, 0,
			       _("image '%s' is incomplete (a save that did not finish, or files "
				 "are missing); it cannot be restored"),
			       o->image);
	if (o->whole_disks && d->ndisks != o->ndevices)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("image '%s' holds %u disk(s) but %u target disk(s) were given"),
			       o->image, d->ndisks, o->ndevices);
	if (!o->whole_disks && d->nparts != o->ndevices)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("image '%s' holds %u partition(s) but %u target partition(s) were "
				 "given"),
			       o->image, d->nparts, o->ndevices);
	for (i = 0; i < o->ndevices; i++) {
		if ((ret = check_disk_free(o->devices[i], err)) < 0)
			return ret;
		if (o->whole_disks) {
			struct cc_ptable pt;
			struct cc_dev *dev;
			char path[512], *dump = NULL;
			size_t len;
			uint64_t need = 0;
			unsigned k;

			snprintf(path, sizeof(path), "%s/%s-pt.sf", d->name, d->disks[i]);
			if ((ret = cc_repo_get(o->repo, path, 1 << 20, &dump, &len, err)) < 0)
				return ret;
			memset(&pt, 0, sizeof(pt));
			ret = cc_ptable_parse_dump(dump, d->disks[i], &pt, err);
			free(dump);
			if (ret < 0)
				return ret;
			for (k = 0; k < pt.nparts; k++)
				if ((pt.parts[k].start + pt.parts[k].size) * pt.sector_size > need)
					need = (pt.parts[k].start + pt.parts[k].size) * pt.sector_size;
			cc_ptable_free(&pt);
			if ((ret = cc_dev_open(o->devices[i], CC_DEV_READ, &dev, err)) < 0)
				return ret;
			if (dev->size < need) {
				ret = cc_fail(err, CC_E_TOOSMALL, 0,
					      _("target disk '%s' has %llu bytes (%.1f GB) but the "
						"partitions of %s in image '%s' need %llu bytes (%.1f "
						"GB); nothing was written"),
					      o->devices[i], (unsigned long long)dev->size,
					      (double)dev->size / 1e9, d->disks[i], o->image,
					      (unsigned long long)need, (double)need / 1e9);
			}
			cc_dev_close(dev);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static int restore_disk(const struct cc_disk_restore_opts *o, const struct cc_imgdir *d,
			unsigned di, const struct cc_events *ev, struct cc_tracker *t,
			struct cc_error *err)
{
	const char *target = o->devices[di];
	char tname[64];
	struct cc_ptable pt;
	unsigned i, last = 0;
	int ret;

	cc_disk_name(target, di, tname, sizeof(tname));
	memset(&pt, 0, sizeof(pt));
	t->p.phase = CC_PHASE_PROBE;
	if ((ret = cc_ptable_restore(o->repo, d->name, d->disks[di], target, tname, o->grow, &pt,
				     err)) < 0)
		return ret;
	for (i = 0; i < pt.nparts; i++)
		if (!pt.parts[i].extended && pt.parts[i].start > pt.parts[last].start)
			last = i;
	for (i = 0; i < d->nparts && !ret; i++) {
		const struct cc_imgdir_part *p = &d->parts[i];
		unsigned num = part_number(p->name, d->disks[di]), k;
		struct cc_loop lo;

		if (!num)
			continue;
		for (k = 0; k < pt.nparts && pt.parts[k].num != num; k++)
			;
		if (k == pt.nparts) {
			ret = cc_fail(err, CC_E_CORRUPT, 0,
				      _("partition %s of image '%s' is not in its partition table"),
				      p->name, d->name);
			break;
		}
		if ((ret = cc_loop_attach(target, pt.parts[k].start * pt.sector_size,
					  pt.parts[k].size * pt.sector_size, 0, &lo, err)) < 0)
			break;
		ret = restore_part_to(o->repo, d, p, lo.path, i, ev, t, err);
		if (!ret && o->grow && k == last && p->engine != CC_ENGINE_SWAP)
			ret = grow_fs(p->fs, lo.path, ev, err);
		cc_loop_detach(&lo);
	}
	/* Swap partitions: Clonezilla lists them not in "parts" but only as
	 * swappt-<part>.info. */
	for (i = 0; i < pt.nparts && !ret; i++) {
		char saved[64];
		struct cc_loop lo;
		unsigned k;

		if (pt.parts[i].extended)
			continue;
		cc_part_name(d->disks[di], pt.parts[i].num, saved, sizeof(saved));
		for (k = 0; k < d->nparts && strcmp(d->parts[k].name, saved); k++)
			;
		if (k < d->nparts)
			continue; /* restored above */
		if ((ret = cc_loop_attach(target, pt.parts[i].start * pt.sector_size,
					  pt.parts[i].size * pt.sector_size, 0, &lo, err)) < 0)
			break;
		ret = restore_swap(d, saved, o->repo, lo.path, err);
		if (ret > 0)
			ret = 0; /* not a swap partition: nothing was saved for it */
		cc_loop_detach(&lo);
	}
	cc_ptable_free(&pt);
	return ret;
}

uint64_t cc_imgdir_used_bytes(struct cc_repo *repo, const struct cc_imgdir *d)
{
	uint64_t total = 0;
	unsigned i;

	for (i = 0; i < d->nparts; i++) {
		struct cc_image_info ii;
		struct cc_istream *in;
		struct cc_error e;

		if (d->parts[i].engine == CC_ENGINE_SWAP ||
		    cc_imgdir_open_part(repo, d, &d->parts[i], &in, &e) < 0)
			continue;
		if (cc_probe_image(in, &ii, NULL, &e) == 0)
			total += ii.used_blocks * ii.block_size;
	}
	return total;
}

unsigned cc_restore_order(const struct cc_imgdir *d, unsigned *order)
{
	unsigned n = 0, i, k;
	unsigned char *used = calloc(d->nparts ? d->nparts : 1, 1);

	if (!used) /* parts order: what restoreparts reads */
		for (i = 0; i < d->nparts; i++)
			if (d->parts[i].engine != CC_ENGINE_SWAP)
				order[n++] = i;
	for (k = 0; used && k < d->ndisks; k++)
		for (i = 0; i < d->nparts; i++)
			if (!used[i] && part_number(d->parts[i].name, d->disks[k])) {
				used[i] = 1;
				if (d->parts[i].engine != CC_ENGINE_SWAP)
					order[n++] = i;
			}
	for (i = 0; used && i < d->nparts; i++)
		if (!used[i] && d->parts[i].engine != CC_ENGINE_SWAP)
			order[n++] = i;
	free(used);
	return n;
}

int cc_restoredisk(const struct cc_disk_restore_opts *o, const struct cc_events *ev,
		   struct cc_error *err)
{
	struct cc_imgdir *d = NULL;
	struct cc_tracker t;
	unsigned i;
	int ret;

	if ((ret = cc_imgdir_read(o->repo, o->image, &d, err)) < 0)
		return ret;
	if ((ret = restore_precheck(o, d, err)) < 0)
		goto out;
	cc_tracker_init(&t, ev, 0);
	t.p.bytes_total = o->bytes_total ? o->bytes_total : cc_imgdir_used_bytes(o->repo, d);
	t.total_known = 1;
	t.stored_base = 0;
	if (o->whole_disks) {
		for (i = 0; i < o->ndevices && !ret; i++)
			ret = restore_disk(o, d, i, ev, &t, err);
	} else {
		for (i = 0; i < d->nparts && !ret; i++)
			ret = restore_part_to(o->repo, d, &d->parts[i], o->devices[i], i, ev, &t,
					      err);
	}
	if (!ret)
		cc_tracker_done(&t);
out:
	cc_imgdir_free(d);
	return ret;
}
