/*
 * t-imgdir.c - the local repository and Clonezilla image directories:
 * writing (split volumes named as GNU split names them, checksum lists
 * that sha256sum -c and b2sum -c accept, the tag), reading back, listing,
 * incomplete images, replacing, corruption, path traversal, a full
 * filesystem, and a directory laid out by hand as Clonezilla writes it.
 *
 * Everything lives in a mkdtemp directory under /dev/shm.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "imgdir.h"
#include "repo.h"
#include "stream.h"
#include "tap.h"

static char tmpdir[64];

static unsigned char *make_data(size_t len, unsigned seed)
{
	unsigned char *d = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		d[i] = (unsigned char)x;
	}
	return d;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *pathf(const char *fmt, ...)
{
	static char buf[4][512];
	static int k;
	va_list ap;

	k = (k + 1) % 4;
	va_start(ap, fmt);
	vsnprintf(buf[k], sizeof(buf[k]), fmt, ap);
	va_end(ap);
	return buf[k];
}

static int exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static long long fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static void write_text(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

/* Write data to a stream in uneven chunks. */
static int feed(struct cc_ostream *s, const unsigned char *d, size_t len)
{
	static const size_t steps[] = {1, 7, 999, 1000, 1001, 4096, 300000};
	size_t pos = 0, k = 0;
	int r = 0;

	while (!r && pos < len) {
		size_t n = steps[k++ % (sizeof(steps) / sizeof(steps[0]))];
		if (n > len - pos)
			n = len - pos;
		r = cc_ostream_write(s, d + pos, n);
		pos += n;
	}
	return r ? r : cc_ostream_finish(s);
}

/* Read a whole partition image back. */
static unsigned char *read_part(struct cc_repo *r, const struct cc_imgdir *d, unsigned i,
				size_t *len, int *ret, struct cc_error *err)
{
	struct cc_istream *s;
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;

	*len = 0;
	if ((*ret = cc_imgdir_open_part(r, d, &d->parts[i], &s, err)) < 0)
		return NULL;
	for (;;) {
		ssize_t k;
		if (n + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
		}
		k = cc_istream_read(s, buf + n, 65536);
		if (k <= 0) {
			*ret = (int)k;
			break;
		}
		n += (size_t)k;
	}
	cc_istream_free(s);
	*len = n;
	return buf;
}

#define P1_LEN	 2500
#define P1_SPLIT 1000
#define P2_LEN	 (700u << 10)

/* An image: disk sda, parts sda1 (split in 3) sda2 (one file) sda5 (swap). */
static int save_image(struct cc_repo *r, const char *name, int replace, unsigned seed,
		      struct cc_error *err)
{
	static const char parts[] = "sda1 sda2 sda5\n";
	unsigned char *p1 = make_data(P1_LEN, seed), *p2 = make_data(P2_LEN, seed + 1);
	struct cc_imgdir_writer *w;
	struct cc_ostream *s;
	int ret;

	if ((ret = cc_imgdir_begin(r, name, replace, &w, err)) < 0)
		goto out;
	if ((ret = cc_imgdir_put(w, "disk", "sda\n", 4)) < 0 ||
	    (ret = cc_imgdir_put(w, "parts", parts, strlen(parts))) < 0 ||
	    (ret = cc_imgdir_put(w, "sda-pt.sf", "label: dos\n", 11)) < 0 ||
	    (ret = cc_imgdir_put(w, "swappt-sda5.info", "UUID=\"1234\"\n", 12)) < 0)
		goto fail;
	if ((ret = cc_imgdir_part_stream(w, "sda1.ext4-ptcl-img.zst", P1_SPLIT, &s)) < 0)
		goto fail;
	ret = feed(s, p1, P1_LEN);
	cc_ostream_free(s);
	if (ret < 0)
		goto fail;
	if ((ret = cc_imgdir_part_stream(w, "sda2.ntfs-ptcl-img.zst", 0, &s)) < 0)
		goto fail;
	ret = feed(s, p2, P2_LEN);
	cc_ostream_free(s);
	if (ret < 0)
		goto fail;
	ret = cc_imgdir_commit(w);
	goto out;
fail:
	cc_imgdir_abort(w);
out:
	free(p1);
	free(p2);
	return ret;
}

static void test_repo_open(void)
{
	struct cc_error err;
	struct cc_repo *r;
	int ret;

	ret = cc_repo_open(pathf("%s/nonexistent", tmpdir), &r, &err);
	is_int(ret, -CC_E_NOTFOUND, "repo_open: missing directory -> NOTFOUND");
	ok(strstr(err.detail, "does not exist") != NULL, "  message says so: %s", err.detail);
	write_text(pathf("%s/afile", tmpdir), "x", 1);
	ret = cc_repo_open(pathf("%s/afile", tmpdir), &r, &err);
	is_int(ret, -CC_E_NOTFOUND, "repo_open: a file -> NOTFOUND");
	ok(strstr(err.detail, "not a directory") != NULL, "  message says so: %s", err.detail);
	unlink(pathf("%s/afile", tmpdir));
	is_int(cc_repo_open("ftp://host/x", &r, &err), -CC_E_UNSUPPORTED,
	       "repo_open: ftp:// -> UNSUPPORTED");
	is_int(cc_repo_open("", &r, &err), -CC_E_BAD_ARGS, "repo_open: empty -> BAD_ARGS");
	ret = cc_repo_open(pathf("file://%s", tmpdir), &r, &err);
	is_int(ret, 0, "repo_open: file:// prefix");
	if (!ret) {
		is_str(r->ops->scheme, "file", "  scheme file");
		cc_repo_close(r);
	}
}

static void test_repo_ops(struct cc_repo *r)
{
	struct cc_repo_entry e;
	struct cc_error err;
	struct cc_ostream *s;
	struct cc_istream *is;
	char *data;
	size_t len;
	uint64_t fr = 0;

	is_int(r->ops->mkdir(r, "ops", &err), 0, "mkdir");
	is_int(r->ops->mkdir(r, "ops", &err), -CC_E_EXISTS, "mkdir again -> EXISTS");
	is_int(cc_repo_put(r, "ops/a", "hello", 5, &err), 0, "put");
	is_int(cc_repo_put(r, "ops/a", "hello", 5, &err), -CC_E_EXISTS, "put again -> EXISTS");
	is_int(cc_repo_get(r, "ops/a", 100, &data, &len, &err), 0, "get");
	ok(len == 5 && data && !strcmp(data, "hello"), "  content and NUL");
	free(data);
	is_int(cc_repo_get(r, "ops/a", 4, &data, &len, &err), -CC_E_CORRUPT,
	       "get: larger than max -> CORRUPT");
	is_int(cc_repo_get(r, "ops/none", 4, &data, &len, &err), -CC_E_NOTFOUND,
	       "get: missing -> NOTFOUND");
	is_int(r->ops->stat(r, "ops/a", &e, &err), 0, "stat");
	ok(!e.is_dir && e.size == 5 && e.mtime > 0, "  size 5, a file");
	is_int(r->ops->stat(r, "", &e, &err), 0, "stat of the root");
	ok(e.is_dir, "  a directory");
	is_int(r->ops->stat(r, "ops/none", &e, &err), -CC_E_NOTFOUND, "stat missing -> NOTFOUND");
	is_int(cc_repo_put(r, "ops/b", "x", 1, &err), 0, "put b");
	is_int(r->ops->rename(r, "ops/a", "ops/b", &err), -CC_E_EXISTS,
	       "rename onto an existing file -> EXISTS");
	ok(fsize(pathf("%s/repo/ops/b", tmpdir)) == 1, "  b untouched");
	is_int(r->ops->rename(r, "ops/a", "ops/c", &err), 0, "rename");
	ok(!exists(pathf("%s/repo/ops/a", tmpdir)) && fsize(pathf("%s/repo/ops/c", tmpdir)) == 5,
	   "  moved");
	is_int(r->ops->free_space(r, &fr, &err), 0, "free_space");
	ok(fr > 0, "  %llu bytes free", (unsigned long long)fr);
	is_int(r->ops->open_read(r, "ops", &is, &err), -CC_E_BAD_ARGS,
	       "open_read of a directory -> BAD_ARGS");

	/* traversal */
	is_int(r->ops->open_write(r, "../x", &s, &err), -CC_E_BAD_ARGS,
	       "open_write ../x -> BAD_ARGS");
	ok(strstr(err.detail, "..") != NULL, "  message: %s", err.detail);
	ok(!exists(pathf("%s/../x", tmpdir)), "  nothing created outside");
	is_int(r->ops->open_read(r, "ops/../../etc/passwd", &is, &err), -CC_E_BAD_ARGS,
	       "open_read ops/../../etc/passwd -> BAD_ARGS");
	is_int(r->ops->open_read(r, "/etc/passwd", &is, &err), -CC_E_BAD_ARGS,
	       "open_read /etc/passwd -> BAD_ARGS");
	is_int(r->ops->remove(r, "..", &err), -CC_E_BAD_ARGS, "remove .. -> BAD_ARGS");
	is_int(r->ops->remove(r, "", &err), -CC_E_BAD_ARGS, "remove of the root -> BAD_ARGS");
	is_int(r->ops->mkdir(r, "a/../../y", &err), -CC_E_BAD_ARGS, "mkdir a/../../y -> BAD_ARGS");
	is_int(r->ops->rename(r, "ops/c", "../c", &err), -CC_E_BAD_ARGS,
	       "rename to ../c -> BAD_ARGS");
	ok(fsize(pathf("%s/repo/ops/c", tmpdir)) == 5, "  c still there");

	/* remove does not follow symlinks out of the tree */
	sh("mkdir -p %s/outside && echo keep > %s/outside/keep", tmpdir, tmpdir);
	sh("mkdir -p %s/repo/ops/sub && ln -s %s/outside %s/repo/ops/sub/link && "
	   "ln -s %s/outside/keep %s/repo/ops/filelink",
	   tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	is_int(r->ops->remove(r, "ops", &err), 0, "remove a tree with symlinks out of it");
	ok(!exists(pathf("%s/repo/ops", tmpdir)), "  the tree is gone");
	ok(fsize(pathf("%s/outside/keep", tmpdir)) == 5, "  the symlinks' targets are not");
	is_int(r->ops->remove(r, "ops", &err), -CC_E_NOTFOUND, "remove again -> NOTFOUND");
}

static void check_image(struct cc_repo *r, const char *name, unsigned seed)
{
	unsigned char *p1 = make_data(P1_LEN, seed), *p2 = make_data(P2_LEN, seed + 1), *got;
	struct cc_imgdir *d = NULL;
	struct cc_error err;
	size_t len;
	int ret;

	ret = cc_imgdir_read(r, name, &d, &err);
	is_int(ret, 0, "read the image back");
	if (ret < 0) {
		diag("%s", err.detail);
		goto out;
	}
	is_str(d->name, name, "  name");
	ok(d->complete, "  complete");
	is_int(d->ndisks, 1, "  one disk");
	is_str(d->disks[0], "sda", "  disk sda");
	is_int(d->nparts, 3, "  three parts");
	if (d->nparts != 3)
		goto out;
	is_str(d->parts[0].name, "sda1", "  sda1");
	is_str(d->parts[0].fs, "ext4", "  sda1: ext4");
	is_int(d->parts[0].engine, CC_ENGINE_PTCL, "  sda1: partclone");
	is_str(d->parts[0].file, "sda1.ext4-ptcl-img.zst.aa", "  sda1: first file .aa");
	is_int(d->parts[0].nfiles, 3, "  sda1: 3 volumes");
	is_uint(d->parts[0].bytes, P1_LEN, "  sda1: bytes");
	is_str(d->parts[1].file, "sda2.ntfs-ptcl-img.zst", "  sda2: one file, no suffix");
	is_str(d->parts[1].fs, "ntfs", "  sda2: ntfs");
	is_int(d->parts[1].nfiles, 1, "  sda2: 1 file");
	is_uint(d->parts[1].bytes, P2_LEN, "  sda2: bytes");
	is_int(d->parts[2].engine, CC_ENGINE_SWAP, "  sda5: swap");
	is_str(d->parts[2].file, "swappt-sda5.info", "  sda5: swappt-sda5.info");
	ok(d->bytes > P1_LEN + P2_LEN, "  bytes of every file: %llu", (unsigned long long)d->bytes);
	ok(d->mtime > 0, "  mtime");

	got = read_part(r, d, 0, &len, &ret, &err);
	ok(ret == 0 && len == P1_LEN && !memcmp(got, p1, P1_LEN),
	   "  sda1 reads back byte for byte");
	free(got);
	got = read_part(r, d, 1, &len, &ret, &err);
	ok(ret == 0 && len == P2_LEN && !memcmp(got, p2, P2_LEN),
	   "  sda2 reads back byte for byte");
	free(got);
	got = read_part(r, d, 2, &len, &ret, &err);
	is_int(ret, -CC_E_BAD_ARGS, "  open_part of swap -> BAD_ARGS");
	free(got);
out:
	cc_imgdir_free(d);
	free(p1);
	free(p2);
}

static void test_write_read(struct cc_repo *r)
{
	char dir[256];
	unsigned char *p1 = make_data(P1_LEN, 1);
	struct cc_error err;
	char *tag;
	size_t len;
	int ret;

	snprintf(dir, sizeof(dir), "%s/repo/img1", tmpdir);
	ret = save_image(r, "img1", 0, 1, &err);
	is_int(ret, 0, "save an image (3 volumes + 1 file)");
	if (ret < 0) {
		diag("%s", err.detail);
		return;
	}
	ok(!exists(pathf("%s/repo/img1.partial", tmpdir)), "  no .partial left");
	ok(fsize(pathf("%s/sda1.ext4-ptcl-img.zst.aa", dir)) == 1000 &&
		   fsize(pathf("%s/sda1.ext4-ptcl-img.zst.ab", dir)) == 1000 &&
		   fsize(pathf("%s/sda1.ext4-ptcl-img.zst.ac", dir)) == 500 &&
		   !exists(pathf("%s/sda1.ext4-ptcl-img.zst.ad", dir)),
	   "  volumes of exactly 1000, 1000, 500 bytes");
	ok(!exists(pathf("%s/sda2.ntfs-ptcl-img.zst.aa", dir)) &&
		   fsize(pathf("%s/sda2.ntfs-ptcl-img.zst", dir)) == P2_LEN,
	   "  unsplit: the name itself");
	/* the same as GNU split makes them */
	write_text(pathf("%s/p1", tmpdir), p1, P1_LEN);
	is_int(sh("cd %s && split -a 2 -b 1000 p1 p1. && cmp -s p1.aa %s/sda1.ext4-ptcl-img.zst.aa "
		  "&& cmp -s p1.ab %s/sda1.ext4-ptcl-img.zst.ab && cmp -s p1.ac "
		  "%s/sda1.ext4-ptcl-img.zst.ac && [ ! -e p1.ad ]",
		  tmpdir, dir, dir, dir),
	       0, "  volumes identical to GNU split -a 2 -b 1000");
	is_int(sh("cd %s && cat sda1.ext4-ptcl-img.zst.* | cmp -s - %s/p1", dir, tmpdir), 0,
	       "  cat FILE.* (Clonezilla's restore) gives the stream back");
	is_int(sh("cd %s && sha256sum -c --quiet --strict SHA256SUMS", dir), 0,
	       "  sha256sum -c SHA256SUMS passes");
	is_int(sh("cd %s && b2sum -c --quiet --strict B2SUMS", dir), 0,
	       "  b2sum -c B2SUMS passes (Clonezilla -cb)");
	is_int(sh("cd %s && [ $(wc -l < SHA256SUMS) = 8 ] && LC_ALL=C sort -c -k2 SHA256SUMS && "
		  "grep -q '  disk$' SHA256SUMS && grep -q '  parts$' SHA256SUMS && "
		  "grep -q '  sda-pt.sf$' SHA256SUMS && ! grep -q clonezilla-img SHA256SUMS",
		  dir),
	       0, "  SHA256SUMS: every file written, sorted by name");
	is_int(sh("cd %s && for f in *; do case $f in SHA256SUMS|B2SUMS|clonezilla-img|"
		  "Info-img-id.txt) ;; *) grep -q \"  $f\\$\" SHA256SUMS || exit 1;; esac; done",
		  dir),
	       0, "  no file missing from it");
	ret = cc_repo_get(r, "img1/clonezilla-img", 4096, &tag, &len, &err);
	ok(!ret && !strncmp(tag, "This image was saved by Clonecast at ", 37), "  the tag file");
	ok(!ret && strstr(tag, "\n### Image created time: 20"),
	   "  with the \"Image created time\" line Clonezilla lists");
	free(tag);
	is_int(sh("cd %s && grep -q \"^IMG_ID=$(sha512sum clonezilla-img | cut -d' ' -f1)$\" "
		  "Info-img-id.txt",
		  dir),
	       0, "  Info-img-id.txt is the sha512 of the tag, as Clonezilla writes it");
	is_int(sh("[ $(stat -c %%a %s/sda2.ntfs-ptcl-img.zst) = 600 ]", dir), 0,
	       "  files are mode 600");
	check_image(r, "img1", 1);
	is_int(cc_imgdir_verify_sums(r, "img1", &err), 0, "verify_sums: all match");
	free(p1);
}

static void test_list_partial_abort(struct cc_repo *r)
{
	struct cc_imgdir_writer *w;
	struct cc_imgdir **v, *d;
	struct cc_error err;
	struct cc_ostream *s;
	unsigned n;
	int ret;

	ret = cc_imgdir_begin(r, "img2", 0, &w, &err);
	is_int(ret, 0, "begin img2");
	if (ret < 0)
		return;
	is_str(cc_imgdir_partial_name(w), "img2.partial", "  partial name");
	ok(exists(pathf("%s/repo/img2.partial", tmpdir)), "  img2.partial exists");
	cc_imgdir_put(w, "disk", "sda\n", 4);
	cc_imgdir_put(w, "parts", "sda1\n", 5);
	cc_imgdir_put(w, "Info-x.txt", "x\n", 2);
	ok(!exists(pathf("%s/repo/img2.partial/disk", tmpdir)) &&
		   !exists(pathf("%s/repo/img2.partial/parts", tmpdir)) &&
		   exists(pathf("%s/repo/img2.partial/disk.pending", tmpdir)) &&
		   exists(pathf("%s/repo/img2.partial/parts.pending", tmpdir)),
	   "  disk and parts are *.pending (Clonezilla lists any dir that has them)");
	is_int(cc_imgdir_put(w, "parts.pending", "x", 1), -CC_E_BAD_ARGS,
	       "  parts.pending is reserved");
	is_int(cc_imgdir_put(w, "disk", "sdb\n", 4), -CC_E_EXISTS, "  disk twice -> EXISTS");
	is_int(cc_imgdir_put(w, "SHA256SUMS", "x", 1), -CC_E_BAD_ARGS,
	       "  reserved name -> BAD_ARGS");
	is_int(cc_imgdir_put(w, "a/b", "x", 1), -CC_E_BAD_ARGS, "  name with / -> BAD_ARGS");
	is_int(cc_imgdir_put(w, "..", "x", 1), -CC_E_BAD_ARGS, "  .. -> BAD_ARGS");
	is_int(cc_imgdir_part_stream(w, "../evil", 0, &s), -CC_E_BAD_ARGS,
	       "  part stream ../evil -> BAD_ARGS");
	ret = cc_imgdir_part_stream(w, "sda1.ext4-ptcl-img.zst", 0, &s);
	if (!ret) {
		is_int(feed(s, (const unsigned char *)"abc", 3), 0, "  a part stream");
		is_int(s->ops->write(s, "d", 1), -CC_E_BAD_ARGS,
		       "  write after finish -> BAD_ARGS");
		cc_ostream_free(s);
	}
	/* savedisk --check reads the partial directory before the commit */
	if (!cc_imgdir_read(r, "img2.partial", &d, &err)) {
		unsigned char *got;
		size_t len;

		ok(!d->complete && d->ndisks == 1 && d->nparts == 1 &&
			   !strcmp(d->parts[0].file, "sda1.ext4-ptcl-img.zst"),
		   "  the partial directory reads: disk, parts, its image, not complete");
		got = read_part(r, d, 0, &len, &ret, &err);
		ok(!ret && len == 3 && !memcmp(got, "abc", 3), "  and its partition image opens");
		free(got);
		cc_imgdir_free(d);
	} else {
		ok(0, "read the partial directory: %s", err.detail);
	}
	ret = cc_imgdir_list(r, &v, &n, &err);
	ok(ret == 0 && n == 1 && !strcmp(v[0]->name, "img1"), "list: only img1, not img2.partial");
	if (!ret)
		cc_imgdir_list_free(v, n);
	cc_imgdir_abort(w);
	ok(!exists(pathf("%s/repo/img2.partial", tmpdir)), "abort removes the partial directory");
	ok(!exists(pathf("%s/repo/img2", tmpdir)), "  and leaves no image");

	/* a part stream freed without finish makes the commit fail */
	ret = cc_imgdir_begin(r, "img2", 0, &w, &err);
	if (!ret) {
		cc_imgdir_put(w, "parts", "sda1\n", 5);
		if (!cc_imgdir_part_stream(w, "sda1.ext4-ptcl-img.zst", 0, &s)) {
			cc_ostream_write(s, "abc", 3);
			cc_ostream_free(s);
		}
		ret = cc_imgdir_commit(w);
		is_int(ret, -CC_E_INCOMPLETE_IMAGE,
		       "commit after an unfinished stream -> INCOMPLETE");
		ok(strstr(err.detail, "sda1.ext4-ptcl-img.zst") != NULL, "  names it: %s",
		   err.detail);
		ok(exists(pathf("%s/repo/img2.partial", tmpdir)) &&
			   !exists(pathf("%s/repo/img2.partial/parts", tmpdir)) &&
			   !exists(pathf("%s/repo/img2", tmpdir)),
		   "  the partial directory is left for abort, still without parts");
		cc_imgdir_abort(w);
		ok(!exists(pathf("%s/repo/img2.partial", tmpdir)), "  abort: nothing left");
	}

	/* a stale partial directory is replaced by begin */
	sh("mkdir -p %s/repo/img2.partial && echo old > %s/repo/img2.partial/junk", tmpdir, tmpdir);
	ret = cc_imgdir_begin(r, "img2", 0, &w, &err);
	is_int(ret, 0, "begin over a stale .partial");
	ok(!exists(pathf("%s/repo/img2.partial/junk", tmpdir)), "  the stale one was removed");
	if (!ret)
		cc_imgdir_abort(w);

	is_int(cc_imgdir_begin(r, "../x", 0, &w, &err), -CC_E_BAD_ARGS, "begin ../x -> BAD_ARGS");
	is_int(cc_imgdir_begin(r, "a b", 0, &w, &err), -CC_E_BAD_ARGS, "begin \"a b\" -> BAD_ARGS");
	is_int(cc_imgdir_begin(r, "x.partial", 0, &w, &err), -CC_E_BAD_ARGS,
	       "begin x.partial -> BAD_ARGS");
}

static void test_missing_volume(struct cc_repo *r)
{
	struct cc_imgdir *d = NULL;
	struct cc_imgdir **v;
	struct cc_error err;
	unsigned char *got;
	unsigned n, i;
	size_t len;
	int ret, found = 0;

	ret = save_image(r, "img3", 0, 3, &err);
	is_int(ret, 0, "save img3");
	unlink(pathf("%s/repo/img3/sda1.ext4-ptcl-img.zst.ab", tmpdir));
	ret = cc_imgdir_read(r, "img3", &d, &err);
	is_int(ret, 0, "read img3 without its .ab");
	if (ret < 0)
		return;
	ok(!d->complete, "  incomplete");
	is_int(d->parts[0].nfiles, 1, "  sda1: one volume before the gap");
	if (!cc_imgdir_list(r, &v, &n, &err)) {
		for (i = 0; i < n; i++)
			found |= !strcmp(v[i]->name, "img3");
		cc_imgdir_list_free(v, n);
	}
	ok(!found, "  not listed");
	got = read_part(r, d, 0, &len, &ret, &err);
	is_int(ret, -CC_E_INCOMPLETE_IMAGE, "  open_part -> INCOMPLETE_IMAGE");
	ok(strstr(err.detail, "sda1.ext4-ptcl-img.zst.ab is missing") != NULL, "  %s", err.detail);
	free(got);
	got = read_part(r, d, 1, &len, &ret, &err);
	is_int(ret, 0, "  the other partition still reads");
	free(got);
	cc_imgdir_free(d);

	/* a volume cut short in the middle */
	sh("cd %s/repo/img3 && printf x > sda1.ext4-ptcl-img.zst.ab && "
	   "truncate -s 10 sda1.ext4-ptcl-img.zst.ab",
	   tmpdir);
	if (!cc_imgdir_read(r, "img3", &d, &err)) {
		ok(!d->complete, "a short middle volume: incomplete");
		got = read_part(r, d, 0, &len, &ret, &err);
		is_int(ret, -CC_E_INCOMPLETE_IMAGE, "  open_part -> INCOMPLETE_IMAGE");
		ok(strstr(err.detail, ".ab has a different size") != NULL, "  %s", err.detail);
		free(got);
		cc_imgdir_free(d);
	}
	/* a volume that shrinks after the read */
	sh("cd %s/repo/img3 && head -c 1000 /dev/zero > sda1.ext4-ptcl-img.zst.ab", tmpdir);
	if (!cc_imgdir_read(r, "img3", &d, &err)) {
		struct cc_istream *s;
		unsigned char buf[4096];
		ssize_t k = 0;

		ok(d->complete, "all volumes again: complete");
		ret = cc_imgdir_open_part(r, d, &d->parts[0], &s, &err);
		if (!ret) {
			if (truncate(pathf("%s/repo/img3/sda1.ext4-ptcl-img.zst.ac", tmpdir), 100))
				diag("truncate failed");
			while ((k = cc_istream_read(s, buf, sizeof(buf))) > 0)
				;
			cc_istream_free(s);
		}
		is_int(k, -CC_E_TRUNCATED, "  a volume cut short while reading -> TRUNCATED");
		cc_imgdir_free(d);
	}
	sh("rm -rf %s/repo/img3", tmpdir);
}

static void test_replace(struct cc_repo *r)
{
	struct cc_imgdir_writer *w;
	struct cc_error err;
	int ret;

	ret = cc_imgdir_begin(r, "img1", 0, &w, &err);
	is_int(ret, -CC_E_EXISTS, "begin on an existing image, replace=0 -> EXISTS");
	ok(strstr(err.detail, "img1") != NULL, "  %s", err.detail);
	ret = cc_imgdir_begin(r, "img1", 1, &w, &err);
	is_int(ret, 0, "begin with replace=1");
	if (!ret) {
		cc_imgdir_put(w, "parts", "sda9\n", 5);
		ok(exists(pathf("%s/repo/img1/clonezilla-img", tmpdir)),
		   "  the old image is still there while saving");
		cc_imgdir_abort(w);
		check_image(r, "img1", 1);
	}
	ret = save_image(r, "img1", 1, 7, &err);
	is_int(ret, 0, "save img1 again with replace=1 and other data");
	check_image(r, "img1", 7);
	ok(!exists(pathf("%s/repo/img1.replaced", tmpdir)) &&
		   !exists(pathf("%s/repo/img1.partial", tmpdir)),
	   "  nothing else left");
}

static void test_corrupt(struct cc_repo *r)
{
	struct cc_error err;
	int ret;

	sh("cd %s/repo/img1 && printf 'X' | dd of=sda1.ext4-ptcl-img.zst.ab bs=1 seek=500 "
	   "conv=notrunc status=none",
	   tmpdir);
	ret = cc_imgdir_verify_sums(r, "img1", &err);
	is_int(ret, -CC_E_CHECKSUM, "a changed byte -> CHECKSUM");
	ok(strstr(err.detail, "sda1.ext4-ptcl-img.zst.ab") != NULL, "  names the file: %s",
	   err.detail);
	unlink(pathf("%s/repo/img1/sda1.ext4-ptcl-img.zst.ab", tmpdir));
	ret = cc_imgdir_verify_sums(r, "img1", &err);
	is_int(ret, -CC_E_INCOMPLETE_IMAGE, "a listed file missing -> INCOMPLETE_IMAGE");
	ok(strstr(err.detail, "sda1.ext4-ptcl-img.zst.ab") != NULL, "  names it: %s", err.detail);
	sh("cd %s/repo/img1 && echo 'garbage' >> SHA256SUMS", tmpdir);
	is_int(cc_imgdir_verify_sums(r, "img1", &err), -CC_E_CORRUPT, "a bad line -> CORRUPT");
	sh("cd %s/repo/img1 && rm -f SHA256SUMS B2SUMS", tmpdir);
	is_int(cc_imgdir_verify_sums(r, "img1", &err), 0, "no checksum list: 0 (nothing to check)");
	is_int(cc_imgdir_verify_sums(r, "nothere", &err), -CC_E_NOTFOUND,
	       "verify of a missing image -> NOTFOUND");
}

static void test_too_many_volumes(struct cc_repo *r)
{
	unsigned char *d = make_data(700, 5);
	struct cc_imgdir_writer *w;
	struct cc_error err;
	struct cc_ostream *s;
	int ret;

	if (cc_imgdir_begin(r, "many", 0, &w, &err) < 0)
		return;
	ret = cc_imgdir_part_stream(w, "sda1.dd-img", 1, &s);
	if (!ret) {
		ret = cc_ostream_write(s, d, 676);
		is_int(ret, 0, "676 volumes (.aa to .zz) are fine");
		ok(exists(pathf("%s/repo/many.partial/sda1.dd-img.zz", tmpdir)),
		   "  the last is .zz");
		ret = cc_ostream_write(s, d, 1);
		is_int(ret, -CC_E_BAD_ARGS, "a 677th -> BAD_ARGS");
		ok(strstr(err.detail, "676") != NULL, "  %s", err.detail);
		cc_ostream_free(s);
	}
	cc_imgdir_abort(w);
	free(d);
}

static void test_full_fs(void)
{
	char mnt[256];
	unsigned char *d = make_data(256 << 10, 9);
	struct cc_imgdir_writer *w;
	struct cc_repo *r;
	struct cc_error err;
	struct cc_ostream *s;
	int ret;

	snprintf(mnt, sizeof(mnt), "%s/full", tmpdir);
	if (geteuid() != 0) {
		tap_skip("full filesystem: needs root to mount a tmpfs");
		free(d);
		return;
	}
	mkdir(mnt, 0755);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") < 0) {
		tap_skip("full filesystem: cannot mount a tmpfs here");
		free(d);
		return;
	}
	if (cc_repo_open(mnt, &r, &err) == 0) {
		ret = cc_imgdir_begin(r, "full", 0, &w, &err);
		is_int(ret, 0, "begin on a 64 KiB tmpfs");
		if (!ret) {
			ret = cc_imgdir_part_stream(w, "sda1.ext4-ptcl-img.zst", 0, &s);
			if (!ret) {
				ret = cc_ostream_write(s, d, 256 << 10);
				if (!ret)
					ret = cc_ostream_finish(s);
				cc_ostream_free(s);
			}
			is_int(ret, -CC_E_NOSPACE, "writing 256 KiB -> NOSPACE");
			ok(strstr(err.detail, "sda1.ext4-ptcl-img.zst") != NULL, "  %s",
			   err.detail);
			cc_imgdir_abort(w);
			is_int(sh("[ -z \"$(ls -A %s)\" ]", mnt), 0,
			       "  abort leaves the tmpfs empty");
		}
		cc_repo_close(r);
	}
	umount(mnt);
	rmdir(mnt);
	free(d);
}

/* A directory laid out by hand as Clonezilla's savedisk writes it (facts §3.1). */
static void test_clonezilla_layout(struct cc_repo *r)
{
	static const char *const small[] = {
		"Info-dmi.txt",
		"Info-img-id.txt",
		"Info-img-size.txt",
		"Info-packages.txt",
		"Info-saved-by-cmd.txt",
		"blkdev.list",
		"blkid.list",
		"dev-fs.list",
		"loop2-chs.sf",
		"loop2-hidden-data-after-mbr",
		"loop2-mbr",
		"loop2-pt.parted",
		"loop2-pt.parted.compact",
		"loop2-pt.sf",
	};
	char dir[256];
	unsigned char *p1 = make_data(5000, 11), *p2 = make_data(3000, 12), *got;
	struct cc_imgdir *d = NULL;
	struct cc_error err;
	size_t i, len;
	int ret;

	snprintf(dir, sizeof(dir), "%s/repo/2024-01-01-10-img", tmpdir);
	mkdir(dir, 0755);
	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		write_text(pathf("%s/%s", dir, small[i]), small[i], strlen(small[i]));
	write_text(pathf("%s/disk", dir), "loop2\n", 6);
	write_text(pathf("%s/parts", dir), "loop2p1 loop2p2\n", 16);
	write_text(pathf("%s/loop2p1.ntfs-ptcl-img.zst", dir), p1, 5000);
	write_text(pathf("%s/loop2p2.ext4-ptcl-img.zst", dir), p2, 3000);
	sh("cd %s && (echo 'This image was saved by Clonezilla at 2024-01-01 10:00:00 UTC.'; "
	   "echo '### Image created time: 2024-0101-1000') > clonezilla-img && "
	   "md5sum * > MD5SUMS && sha1sum * > SHA1SUMS && b2sum * > B2SUMS",
	   dir);
	ret = cc_imgdir_read(r, "2024-01-01-10-img", &d, &err);
	is_int(ret, 0, "a Clonezilla savedisk directory");
	if (ret < 0) {
		diag("%s", err.detail);
		goto out;
	}
	ok(d->complete, "  complete");
	ok(d->ndisks == 1 && !strcmp(d->disks[0], "loop2"), "  disk loop2");
	ok(d->nparts == 2 && !strcmp(d->parts[0].name, "loop2p1") &&
		   !strcmp(d->parts[1].name, "loop2p2"),
	   "  parts loop2p1 loop2p2");
	if (d->nparts != 2)
		goto out;
	ok(d->parts[0].engine == CC_ENGINE_PTCL && !strcmp(d->parts[0].fs, "ntfs") &&
		   d->parts[0].nfiles == 1 && d->parts[0].bytes == 5000,
	   "  loop2p1: partclone ntfs, 5000");
	ok(d->parts[1].engine == CC_ENGINE_PTCL && !strcmp(d->parts[1].fs, "ext4") &&
		   !strcmp(d->parts[1].file, "loop2p2.ext4-ptcl-img.zst"),
	   "  loop2p2: partclone ext4");
	got = read_part(r, d, 0, &len, &ret, &err);
	ok(!ret && len == 5000 && !memcmp(got, p1, 5000), "  loop2p1 reads");
	free(got);
	is_int(cc_imgdir_verify_sums(r, "2024-01-01-10-img", &err), 0,
	       "  MD5SUMS, SHA1SUMS and B2SUMS from md5sum/sha1sum/b2sum verify");
	sh("cd %s && printf Z | dd of=loop2p2.ext4-ptcl-img.zst bs=1 seek=10 conv=notrunc "
	   "status=none",
	   dir);
	ret = cc_imgdir_verify_sums(r, "2024-01-01-10-img", &err);
	ok(ret == -CC_E_CHECKSUM && strstr(err.detail, "loop2p2.ext4-ptcl-img.zst") &&
		   strstr(err.detail, "B2SUMS"),
	   "  a changed byte: the first list that fails, %s", err.detail);
	cc_imgdir_free(d);
	d = NULL;

	/* other engines, split, swap, 3-letter suffixes */
	mkdir(pathf("%s/repo/engines", tmpdir), 0755);
	sh("cd %s/repo/engines && echo 'sda1 sda2 sda3 sda5 sda6 sda10' > parts && "
	   "echo tag > clonezilla-img && head -c 100 /dev/zero > sda1.ntfs-img.aa && "
	   "head -c 50 /dev/zero > sda1.ntfs-img.ab && head -c 7 /dev/zero > sda2.dd-img && "
	   "echo 'partition=BSD_slice' > sda2.dd-img.info && "
	   "head -c 9 /dev/zero > sda3.dd-ptcl-img.gz && echo 'UUID=x' > swappt-sda5.info && "
	   "head -c 10 /dev/zero > sda6.vfat-ptcl-img.gz.aaa && "
	   "head -c 10 /dev/zero > sda6.vfat-ptcl-img.gz.aab && "
	   "head -c 1 /dev/zero > sda6.vfat-ptcl-img.gz.aac && "
	   "head -c 3 /dev/zero > sda10.ext4-ptcl-img.uncomp",
	   tmpdir);
	ret = cc_imgdir_read(r, "engines", &d, &err);
	is_int(ret, 0, "a saveparts directory with every engine");
	if (ret < 0 || d->nparts != 6)
		goto out;
	ok(d->complete, "  complete");
	is_int(d->ndisks, 0, "  no disk file: no disks");
	ok(d->parts[0].engine == CC_ENGINE_NTFSCLONE && d->parts[0].nfiles == 2 &&
		   d->parts[0].bytes == 150 && !strcmp(d->parts[0].file, "sda1.ntfs-img.aa"),
	   "  sda1: ntfsclone, 2 volumes");
	ok(d->parts[1].engine == CC_ENGINE_DD && d->parts[1].nfiles == 1 &&
		   d->parts[1].bytes == 7 && !strcmp(d->parts[1].file, "sda2.dd-img"),
	   "  sda2: dd (its .info is not a volume)");
	ok(d->parts[2].engine == CC_ENGINE_DD && !strcmp(d->parts[2].fs, "dd") &&
		   !strcmp(d->parts[2].file, "sda3.dd-ptcl-img.gz"),
	   "  sda3: partclone.dd = raw data");
	ok(d->parts[3].engine == CC_ENGINE_SWAP, "  sda5: swap");
	ok(d->parts[4].engine == CC_ENGINE_PTCL && d->parts[4].nfiles == 3 &&
		   d->parts[4].bytes == 21 &&
		   !strcmp(d->parts[4].file, "sda6.vfat-ptcl-img.gz.aaa"),
	   "  sda6: 3-letter volumes (WebDAV)");
	ok(!strcmp(d->parts[5].file, "sda10.ext4-ptcl-img.uncomp"),
	   "  sda10 is not taken for sda1");
	got = read_part(r, d, 4, &len, &ret, &err);
	ok(!ret && len == 21, "  sda6 reads 21 bytes");
	free(got);
	cc_imgdir_free(d);
	d = NULL;
	unlink(pathf("%s/repo/engines/clonezilla-img", tmpdir));
	if (!cc_imgdir_read(r, "engines", &d, &err))
		ok(!d->complete, "  without clonezilla-img: incomplete");
	cc_imgdir_free(d);
	d = NULL;

	/* only the .info of a dd image: no image */
	mkdir(pathf("%s/repo/noimg", tmpdir), 0755);
	sh("cd %s/repo/noimg && echo sda7 > parts && echo tag > clonezilla-img && "
	   "echo 'partition=BSD_slice' > sda7.dd-img.info && echo x > sda70.dd-img",
	   tmpdir);
	if (!cc_imgdir_read(r, "noimg", &d, &err)) {
		ok(!d->complete && d->nparts == 1 && d->parts[0].nfiles == 0,
		   "a partition with only its .info: incomplete, no files");
		got = read_part(r, d, 0, &len, &ret, &err);
		ok(ret == -CC_E_INCOMPLETE_IMAGE &&
			   strstr(err.detail, "no image file for partition sda7"),
		   "  open_part: %s", err.detail);
		free(got);
	}
out:
	cc_imgdir_free(d);
	free(p1);
	free(p2);
}

static void test_list(struct cc_repo *r)
{
	struct cc_imgdir **v;
	struct cc_error err;
	unsigned n, i;
	char names[256] = "";
	int ret;

	ret = cc_imgdir_list(r, &v, &n, &err);
	is_int(ret, 0, "list");
	for (i = 0; !ret && i < n; i++) {
		strcat(names, v[i]->name);
		strcat(names, " ");
	}
	is_str(names, "2024-01-01-10-img img1 ", "  the complete images, sorted by name");
	if (!ret)
		cc_imgdir_list_free(v, n);
}

int main(void)
{
	struct cc_repo *r = NULL;
	struct cc_error err;

	snprintf(tmpdir, sizeof(tmpdir), "/dev/shm/t-imgdir.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_repo_open();
	mkdir(pathf("%s/repo", tmpdir), 0755);
	if (cc_repo_open(pathf("%s/repo", tmpdir), &r, &err) < 0) {
		ok(0, "open the test repository: %s", err.detail);
		return done_testing();
	}
	test_repo_ops(r);
	test_write_read(r);
	test_list_partial_abort(r);
	test_missing_volume(r);
	test_replace(r);
	test_too_many_volumes(r);
	test_clonezilla_layout(r);
	test_list(r);
	test_corrupt(r);
	test_full_fs();
	cc_repo_close(r);
	sh("rm -rf %s", tmpdir);
	return done_testing();
}
