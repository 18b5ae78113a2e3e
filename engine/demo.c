/*
 * demo.c - the demo's files (cc_demo_prepare in sysinfo.h).
 *
 * demo-disk.img is a 256 MiB sparse whole-disk image: a GPT (sfdisk)
 * with p1 = 128 MiB "Microsoft basic data" from sector 2048 holding an
 * NTFS labelled DEMO-WIN, p2 = "Linux filesystem" for the rest holding an
 * ext4 labelled demo-linux.  Each filesystem is made in a temporary file
 * of the partition's size and copied in at the partition's offset,
 * skipping all-zero 64 KiB blocks so the image stays sparse:
 *  - NTFS: `mkntfs -F -Q -L DEMO-WIN -p 2048 -H 255 -S 63 -s 512 -c 4096`
 *    (-p: the partition's start goes into the boot sector, as Windows
 *    wants it), then files copied into its root with ntfscp (which cannot
 *    make directories);
 *  - ext4: `mkfs.ext4 -F -q -L demo-linux -d STAGING` from a staging
 *    directory with a small tree of files (e2fsprogs >= 1.43).
 * The file contents are generated from fixed seeds: every preparation
 * makes the same files.  Nothing is mounted, no loop device is used.
 *
 * Everything is written under temporary names (hidden, ".demo-*.tmp") and
 * demo-disk.img appears last, by rename: an interrupted preparation is
 * never taken for a finished one.  A demo-disk.img of the right size with
 * the expected table and both filesystem signatures is reused as it is,
 * and so is a demo-target.img of the right size and the repo directory
 * (which keeps the images saved in earlier runs).
 */
#include "sysinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"
#include "ptable.h"
#include "run.h"
#include "sysfile.h"

#define MiB		(1024ull * 1024)
#define DEMO_SIZE	(256 * MiB)
#define SECTOR		512
#define P1_START	2048ull	  /* sectors: 1 MiB */
#define P1_SECTORS	262144ull /* 128 MiB */
#define P2_START	(P1_START + P1_SECTORS)
#define BLOCK		(64 * 1024)
#define TYPE_MSDATA	"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
#define TYPE_LINUX	"0FC63DAF-8483-4772-8E79-3D477DE47984"

#define DISK_NAME	"demo-disk.img"
#define TARGET_NAME	"demo-target.img"
#define REPO_NAME	"repo"
#define TMP_DISK	".demo-disk.img.tmp"
#define TMP_TARGET	".demo-target.img.tmp"
#define TMP_NTFS	".demo-ntfs.tmp"
#define TMP_EXT		".demo-ext4.tmp"
#define TMP_STAGE	".demo-staging.tmp"

struct paths {
	char disk[PATH_MAX], target[PATH_MAX], repo[PATH_MAX];
	char tdisk[PATH_MAX], ttarget[PATH_MAX], tntfs[PATH_MAX], text[PATH_MAX],
		stage[PATH_MAX];
};

static int join(char *out, const char *dir, const char *name, struct cc_error *err)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX - 64)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("the demo folder's path '%s' is too long: choose a shorter one"),
			       dir);
	return 0;
}

static int errcode(int e)
{
	return e == ENOSPC || e == EDQUOT ? CC_E_NOSPACE
	       : e == EACCES || e == EPERM || e == EROFS ? CC_E_PERM
	       : e == ENOENT ? CC_E_NOTFOUND
			      : CC_E_IO;
}

/* ---- tools ---- */

static int need_tools(struct cc_error *err)
{
	static const struct {
		const char *prog, *pkg;
	} t[] = {{"sfdisk", "fdisk"}, {"mkntfs", "ntfs-3g"}, {"ntfscp", "ntfs-3g"},
		 {"mkfs.ext4", "e2fsprogs"}};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!cc_in_path(t[i].prog))
			return cc_fail(err, CC_E_NOTFOUND, 0,
				       _("%s is not installed: install the Debian package '%s'"),
				       t[i].prog, t[i].pkg);
	return 0;
}

/* ---- files ---- */

/* mkdir -p */
static int make_dirs(const char *dir, struct cc_error *err)
{
	char p[PATH_MAX];
	size_t i, n = strlen(dir);
	struct stat st;

	if (n >= sizeof(p))
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("the demo folder's path '%s' is too long: choose a shorter one"),
			       dir);
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return cc_fail(err, errcode(errno), errno, _("cannot create the folder %s"),
				       p);
		p[i] = i < n ? '/' : '\0';
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return cc_fail(err, CC_E_EXISTS, 0,
			       _("'%s' exists and is not a folder: choose another demo folder"),
			       dir);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode))
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		unlink(path);
}

static void remove_temps(const struct paths *p)
{
	unlink(p->tdisk);
	unlink(p->ttarget);
	unlink(p->tntfs);
	unlink(p->text);
	rm_tree(p->stage);
}

/* A new sparse file of `size` bytes; its descriptor, or -CC_E_*. */
static int make_sparse(const char *path, uint64_t size, struct cc_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return cc_fail(err, errcode(errno), errno, _("cannot create %s"), path);
	if (ftruncate(fd, (off_t)size) < 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return cc_fail(err, errcode(e), e, _("cannot make %s %llu bytes long"), path,
			       (unsigned long long)size);
	}
	return fd;
}

static int full_write(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int full_read(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
	char *p = buf;

	*got = 0;
	while (len) {
		ssize_t r = pread(fd, p, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
		*got += (size_t)r;
	}
	return 0;
}

static int all_zero(const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return 0;
	return 1;
}

/* Copy the file src into dst_fd at byte `off`, leaving holes where src
 * has all-zero 64 KiB blocks (dst is a fresh sparse file). */
static int copy_into(int dst_fd, const char *dst, const char *src, uint64_t off, uint64_t max,
		     struct cc_error *err)
{
	unsigned char *buf = malloc(BLOCK);
	uint64_t pos = 0;
	int fd, rc = 0;

	if (!buf)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return cc_fail(err, errcode(errno), errno, _("cannot open %s"), src);
	}
	while (pos < max) {
		size_t want = max - pos < BLOCK ? (size_t)(max - pos) : BLOCK, got;
		int r = full_read(fd, buf, want, pos, &got);

		if (r < 0) {
			rc = cc_fail(err, CC_E_IO, -r, _("cannot read %s at byte %llu"), src,
				     (unsigned long long)pos);
			break;
		}
		if (!got)
			break;
		if (!all_zero(buf, got) && (r = full_write(dst_fd, buf, got, off + pos)) < 0) {
			rc = cc_fail(err, errcode(-r), -r, _("cannot write %s at byte %llu"), dst,
				     (unsigned long long)(off + pos));
			break;
		}
		pos += got;
	}
	close(fd);
	free(buf);
	return rc;
}

/* ---- generated content ---- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

enum kind { RANDOM, TEXT };

/* `size` bytes: pseudo-random (photos, music: incompressible) or log-like
 * text lines (compressible), from `seed`. */
static int gen_file(const char *path, uint64_t size, uint64_t seed, enum kind kind,
		    struct cc_error *err)
{
	static const char *const words[] = {"disk",  "image", "backup", "restore", "sector",
					    "block", "NTFS",  "ext4",	"GPT",	   "partition",
					    "demo",  "saved", "clone",	"check",   "ok"};
	unsigned char *buf = malloc(BLOCK);
	uint64_t s = seed, done = 0, line = 0;
	size_t fill = 0;
	int fd, r;

	if (!buf)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(buf);
		return cc_fail(err, errcode(errno), errno, _("cannot create %s"), path);
	}
	while (done < size) {
		size_t want = size - done < BLOCK ? (size_t)(size - done) : BLOCK;

		if (kind == RANDOM) {
			for (fill = 0; fill < want; fill += 8) {
				uint64_t v = splitmix(&s);

				memcpy(buf + fill, &v, want - fill < 8 ? want - fill : 8);
			}
		} else {
			char l[160];

			for (fill = 0; fill < want;) {
				uint64_t v = splitmix(&s);
				int n = snprintf(l, sizeof(l), "%08llu %s %s %s: %llu\n",
						 (unsigned long long)++line, words[v % 15],
						 words[(v >> 8) % 15], words[(v >> 16) % 15],
						 (unsigned long long)((v >> 24) % 100000));
				size_t c = (size_t)n < want - fill ? (size_t)n : want - fill;

				memcpy(buf + fill, l, c);
				fill += c;
			}
		}
		if ((r = full_write(fd, buf, want, done)) < 0) {
			close(fd);
			free(buf);
			return cc_fail(err, errcode(-r), -r, _("cannot write %s"), path);
		}
		done += want;
	}
	free(buf);
	if (close(fd) < 0)
		return cc_fail(err, errcode(errno), errno, _("cannot write %s"), path);
	return 0;
}

static int put_text(const char *path, const char *text, struct cc_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r;

	if (fd < 0)
		return cc_fail(err, errcode(errno), errno, _("cannot create %s"), path);
	if ((r = full_write(fd, text, strlen(text), 0)) < 0) {
		close(fd);
		return cc_fail(err, errcode(-r), -r, _("cannot write %s"), path);
	}
	if (close(fd) < 0)
		return cc_fail(err, errcode(errno), errno, _("cannot write %s"), path);
	return 0;
}

/* The files of the demo, made in the staging directory: "win/..." go
 * into the NTFS root, "linux/..." into the ext4. */
struct gen {
	const char *name;
	uint64_t size; /* 0: `text` */
	enum kind kind;
	const char *text;
};

static const char readme_win[] =
	"Clonecast demo disk\r\n"
	"===================\r\n"
	"\r\n"
	"This NTFS filesystem (label DEMO-WIN) is the first partition of\r\n"
	"demo-disk.img, a disk image file made by `clonecast --demo`.\r\n"
	"Save the disk into the demo repository, restore it onto\r\n"
	"demo-target.img and compare: every file comes back the same.\r\n";

static const char readme_linux[] =
	"Clonecast demo disk: the ext4 filesystem (label demo-linux), second\n"
	"partition of demo-disk.img.  Nothing here is real data.\n";

static const struct gen ntfs_files[] = {
	{"README.txt", 0, TEXT, readme_win},
	{"report-2024.txt", 1536 * 1024, TEXT, NULL},
	{"photo-0001.jpg", 3584 * 1024, RANDOM, NULL},
	{"photo-0002.jpg", 2304 * 1024, RANDOM, NULL},
	{"photo-0003.jpg", 4096 * 1024, RANDOM, NULL},
	{"holiday.mp4", 3840 * 1024, RANDOM, NULL},
	{"setup.exe", 1280 * 1024, RANDOM, NULL},
	{"archive.zip", 2560 * 1024, RANDOM, NULL},
	{"budget.xlsx", 1024 * 1024, RANDOM, NULL},
};

static const char *const ext_dirs[] = {"etc", "home", "home/demo", "home/demo/Pictures",
				       "home/demo/Music", "var", "var/log", "usr", "usr/share",
				       "usr/share/demo", "tmp"};

static const struct gen ext_files[] = {
	{"README", 0, TEXT, readme_linux},
	{"etc/hostname", 0, TEXT, "clonecast-demo\n"},
	{"etc/fstab", 0, TEXT, "LABEL=demo-linux / ext4 defaults 0 1\n"},
	{"home/demo/notes.txt", 512 * 1024, TEXT, NULL},
	{"home/demo/Pictures/cat.png", 2048 * 1024, RANDOM, NULL},
	{"home/demo/Pictures/dog.png", 1536 * 1024, RANDOM, NULL},
	{"home/demo/Music/song.ogg", 3072 * 1024, RANDOM, NULL},
	{"var/log/demo.log", 1024 * 1024, TEXT, NULL},
	{"usr/share/demo/data.bin", 2304 * 1024, RANDOM, NULL},
};

static uint64_t seed_of(const char *name)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	while (*name)
		h = (h ^ (unsigned char)*name++) * 1099511628211ull;
	return h;
}

static int gen_one(const char *dir, const struct gen *g, struct cc_error *err)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = join(path, dir, g->name, err)) < 0)
		return rc;
	return g->size ? gen_file(path, g->size, seed_of(g->name), g->kind, err)
		       : put_text(path, g->text, err);
}

/* ---- the filesystems ---- */

static int make_ntfs(const struct paths *p, uint64_t start_sector, uint64_t bytes,
		     struct cc_error *err)
{
	char win[PATH_MAX], sect[32];
	const char *mk[] = {"mkntfs", "-F", "-Q", "-q", "-L", "DEMO-WIN", "-p", sect, "-H", "255",
			    "-S", "63", "-s", "512", "-c", "4096", p->tntfs, NULL};
	size_t i;
	int fd, rc;

	snprintf(sect, sizeof(sect), "%llu", (unsigned long long)start_sector);
	if ((fd = make_sparse(p->tntfs, bytes, err)) < 0)
		return fd;
	close(fd);
	if ((rc = cc_run(mk, NULL, 0, NULL, NULL, err)) < 0)
		return rc;
	if ((rc = join(win, p->stage, "win", err)) < 0)
		return rc;
	if (mkdir(win, 0755) < 0)
		return cc_fail(err, errcode(errno), errno, _("cannot create the folder %s"), win);
	for (i = 0; i < sizeof(ntfs_files) / sizeof(ntfs_files[0]); i++) {
		char src[PATH_MAX];
		const char *cp[] = {"ntfscp", "-q", p->tntfs, src, ntfs_files[i].name, NULL};

		if ((rc = gen_one(win, &ntfs_files[i], err)) < 0 ||
		    (rc = join(src, win, ntfs_files[i].name, err)) < 0 ||
		    (rc = cc_run(cp, NULL, 0, NULL, NULL, err)) < 0)
			return rc;
		unlink(src);
	}
	return 0;
}

static int make_ext4(const struct paths *p, uint64_t bytes, struct cc_error *err)
{
	char root[PATH_MAX];
	const char *mk[] = {"mkfs.ext4", "-F", "-q", "-L", "demo-linux", "-d", root, p->text, NULL};
	size_t i;
	int fd, rc;

	if ((rc = join(root, p->stage, "linux", err)) < 0)
		return rc;
	if (mkdir(root, 0755) < 0)
		return cc_fail(err, errcode(errno), errno, _("cannot create the folder %s"), root);
	for (i = 0; i < sizeof(ext_dirs) / sizeof(ext_dirs[0]); i++) {
		char d[PATH_MAX];

		if ((rc = join(d, root, ext_dirs[i], err)) < 0)
			return rc;
		if (mkdir(d, 0755) < 0)
			return cc_fail(err, errcode(errno), errno, _("cannot create the folder %s"),
				       d);
	}
	for (i = 0; i < sizeof(ext_files) / sizeof(ext_files[0]); i++)
		if ((rc = gen_one(root, &ext_files[i], err)) < 0)
			return rc;
	{
		char link[PATH_MAX];

		if ((rc = join(link, root, "home/demo/latest-notes", err)) < 0)
			return rc;
		if (symlink("notes.txt", link) < 0)
			return cc_fail(err, errcode(errno), errno, _("cannot create %s"), link);
	}
	if ((fd = make_sparse(p->text, bytes, err)) < 0)
		return fd;
	close(fd);
	return cc_run(mk, NULL, 0, NULL, NULL, err);
}

/* ---- checking an existing demo disk ---- */

static int has_bytes(int fd, uint64_t off, const void *want, size_t len)
{
	unsigned char b[16];
	size_t got;

	return len <= sizeof(b) && full_read(fd, b, len, off, &got) == 0 && got == len &&
	       !memcmp(b, want, len);
}

/* 1 if path is a finished demo disk: size, table, both filesystems. */
static int disk_looks_right(const char *path)
{
	struct cc_ptable *pt;
	struct stat st;
	int ok = 0, fd;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != DEMO_SIZE)
		return 0;
	if (!(pt = calloc(1, sizeof(*pt))))
		return 0;
	if (cc_ptable_read(path, "demo", pt, NULL) == 0) {
		ok = !strcmp(pt->label, "gpt") && pt->sector_size == SECTOR && pt->nparts == 2 &&
		     pt->parts[0].start == P1_START && pt->parts[0].size == P1_SECTORS &&
		     pt->parts[1].start == P2_START && pt->parts[1].size >= 2048;
		cc_ptable_free(pt);
	}
	free(pt);
	if (ok && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		ok = has_bytes(fd, P1_START * SECTOR + 3, "NTFS    ", 8) &&
		     has_bytes(fd, P2_START * SECTOR + 1024 + 56, "\x53\xef", 2);
		close(fd);
	} else {
		ok = 0;
	}
	return ok;
}

/* ---- the whole ---- */

static int make_disk(const struct paths *p, struct cc_error *err)
{
	static const char script[] = "label: gpt\n"
				     "start=2048, size=262144, type=" TYPE_MSDATA ", name=\"DEMO-WIN\"\n"
				     "start=264192, type=" TYPE_LINUX ", name=\"demo-linux\"\n";
	const char *sf[] = {"sfdisk", "-q", p->tdisk, NULL};
	struct cc_ptable *pt = NULL;
	uint64_t p2_sectors;
	int fd, rc;

	if ((fd = make_sparse(p->tdisk, DEMO_SIZE, err)) < 0)
		return fd;
	if ((rc = cc_run(sf, script, sizeof(script) - 1, NULL, NULL, err)) < 0)
		goto out;
	if (!(pt = calloc(1, sizeof(*pt)))) {
		rc = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		goto out;
	}
	if ((rc = cc_ptable_read(p->tdisk, "demo", pt, err)) < 0)
		goto out;
	if (pt->nparts != 2 || pt->parts[0].start != P1_START ||
	    pt->parts[0].size != P1_SECTORS || pt->parts[1].start != P2_START) {
		cc_ptable_free(pt);
		rc = cc_fail(err, CC_E_IO, 0,
			     _("sfdisk did not make the demo's partition table as asked in %s"),
			     p->tdisk);
		goto out;
	}
	p2_sectors = pt->parts[1].size;
	cc_ptable_free(pt);
	if ((rc = make_ntfs(p, P1_START, P1_SECTORS * SECTOR, err)) < 0 ||
	    (rc = copy_into(fd, p->tdisk, p->tntfs, P1_START * SECTOR, P1_SECTORS * SECTOR,
			    err)) < 0)
		goto out;
	unlink(p->tntfs);
	if ((rc = make_ext4(p, p2_sectors * SECTOR, err)) < 0 ||
	    (rc = copy_into(fd, p->tdisk, p->text, P2_START * SECTOR, p2_sectors * SECTOR,
			    err)) < 0)
		goto out;
	unlink(p->text);
	if (fsync(fd) < 0)
		rc = cc_fail(err, errcode(errno), errno, _("cannot write %s"), p->tdisk);
out:
	free(pt);
	if (close(fd) < 0 && !rc)
		rc = cc_fail(err, errcode(errno), errno, _("cannot write %s"), p->tdisk);
	return rc;
}

static int make_target(const struct paths *p, struct cc_error *err)
{
	int fd = make_sparse(p->ttarget, DEMO_SIZE, err);

	if (fd < 0)
		return fd;
	close(fd);
	if (rename(p->ttarget, p->target) < 0)
		return cc_fail(err, errcode(errno), errno, _("cannot rename %s to %s"), p->ttarget,
			       p->target);
	return 0;
}

int cc_demo_prepare(const char *dir, struct cc_error *err)
{
	struct paths p;
	struct stat st;
	int rc, reuse;

	if (!dir || !*dir)
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("no folder given for the demo's files"));
	if ((rc = make_dirs(dir, err)) < 0)
		return rc;
	if ((rc = join(p.disk, dir, DISK_NAME, err)) < 0 ||
	    (rc = join(p.target, dir, TARGET_NAME, err)) < 0 ||
	    (rc = join(p.repo, dir, REPO_NAME, err)) < 0 ||
	    (rc = join(p.tdisk, dir, TMP_DISK, err)) < 0 ||
	    (rc = join(p.ttarget, dir, TMP_TARGET, err)) < 0 ||
	    (rc = join(p.tntfs, dir, TMP_NTFS, err)) < 0 ||
	    (rc = join(p.text, dir, TMP_EXT, err)) < 0 ||
	    (rc = join(p.stage, dir, TMP_STAGE, err)) < 0)
		return rc;
	if ((rc = need_tools(err)) < 0)
		return rc;
	remove_temps(&p); /* what an interrupted preparation left */
	reuse = disk_looks_right(p.disk);
	if (!reuse) {
		if (mkdir(p.stage, 0700) < 0)
			return cc_fail(err, errcode(errno), errno,
				       _("cannot create the folder %s"), p.stage);
		rc = make_disk(&p, err);
		if (!rc)
			rc = make_target(&p, err); /* a new source: a blank target too */
	} else if (stat(p.target, &st) < 0 || !S_ISREG(st.st_mode) ||
		   (uint64_t)st.st_size != DEMO_SIZE) {
		rc = make_target(&p, err);
	}
	if (!rc && mkdir(p.repo, 0755) < 0 && errno != EEXIST)
		rc = cc_fail(err, errcode(errno), errno, _("cannot create the folder %s"), p.repo);
	if (!rc && (stat(p.repo, &st) < 0 || !S_ISDIR(st.st_mode)))
		rc = cc_fail(err, CC_E_EXISTS, 0,
			     _("'%s' exists and is not a folder: remove it and start the demo "
			       "again"),
			     p.repo);
	if (!rc && !reuse && rename(p.tdisk, p.disk) < 0)
		rc = cc_fail(err, errcode(errno), errno, _("cannot rename %s to %s"), p.tdisk,
			     p.disk);
	remove_temps(&p);
	return rc;
}
