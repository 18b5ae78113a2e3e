/*
 * imgdir_read.c - reading Clonezilla image directories; see imgdir.h.
 *
 * What makes a directory an image, as Clonezilla's scripts decide it
 * (ocs-functions): the restore lists take a directory with a "disk" file
 * (restoredisk) or a "parts" file (restoreparts) and no
 * "00-pseudo-img-note.txt"; "clonezilla-img" is the tag of a finished
 * save; the image time is its "### Image created time:" line.  Each name
 * in "parts" has its image in "<part>.<fs>-ptcl-img.<compression>"
 * (partclone; partclone.dd's "dd-ptcl-img" holds raw data),
 * "<part>.ntfs-img" (ntfsclone) or "<part>.dd-img" (dd), possibly split
 * into .aa, .ab ... (split -a 2; -a 3 on WebDAV), restored with "cat
 * FILE.*".  A swap partition has "swappt-<part>.info" instead.  When a
 * partition has several image files the first by name is used, as
 * Clonezilla's "ls | sort | head -n 1" does.
 *
 * Complete, for Clonecast: clonezilla-img and "parts" are there, every
 * partition has all of its volumes (contiguous from .aa..., every volume
 * but the last of the same size), and the name does not end in .partial.
 */
#include "imgdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"
#include "imgdir_int.h"

#define PARTIAL_SUFFIX	 ".partial"
#define LIST_FILE_MAX	 (64u << 10)
#define SUMS_FILE_MAX	 (16u << 20)
#define VERIFY_BUF_BYTES (4u << 20)
#define MAX_SUFFIX_LEN	 3 /* split -a 2, or 3 (WebDAV); not "info" */

static char *path_in(const char *dir, const char *file)
{
	char *s;

	if (asprintf(&s, "%s/%s", dir, file) < 0)
		return NULL;
	return s;
}

/* ---- partition image file names ---- */

struct cand {
	enum cc_part_engine engine;
	char fs[32];
	size_t baselen;	    /* name without the volume suffix */
	const char *suffix; /* "aa", or NULL when not split */
};

static int is_vol_suffix(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz");

	return n >= 2 && n <= MAX_SUFFIX_LEN && !s[n];
}

/* After the engine part: "" or ".<volume>". */
static int parse_tail(const char *name, const char *tail, struct cand *c)
{
	if (!*tail) {
		c->baselen = strlen(name);
		c->suffix = NULL;
		return 1;
	}
	if (*tail != '.' || !is_vol_suffix(tail + 1))
		return 0;
	c->baselen = (size_t)(tail - name);
	c->suffix = tail + 1;
	return 1;
}

/* Is `name` an image file of partition `part`? */
static int parse_image_name(const char *name, const char *part, struct cand *c)
{
	size_t pl = strlen(part), n;
	const char *rest, *p, *tail;

	if (strncmp(name, part, pl) || name[pl] != '.')
		return 0;
	rest = name + pl + 1;
	if (!strncmp(rest, "ntfs-img", 8)) {
		c->engine = CC_ENGINE_NTFSCLONE;
		strcpy(c->fs, "ntfs");
		return parse_tail(name, rest + 8, c);
	}
	if (!strncmp(rest, "dd-img", 6)) {
		c->engine = CC_ENGINE_DD;
		strcpy(c->fs, "dd");
		return parse_tail(name, rest + 6, c);
	}
	p = strstr(rest, "-ptcl-img");
	n = p ? (size_t)(p - rest) : 0;
	if (!n || n >= sizeof(c->fs) || memchr(rest, '.', n))
		return 0;
	memcpy(c->fs, rest, n);
	c->fs[n] = '\0';
	/* partclone.dd writes the raw data, no partclone header */
	c->engine = strcmp(c->fs, "dd") ? CC_ENGINE_PTCL : CC_ENGINE_DD;
	tail = p + 9;
	if (*tail == '.') { /* the compression ("zst", "gz", "uncomp"...): always there */
		size_t k = strcspn(tail + 1, ".");
		if (!k)
			return 0;
		tail += 1 + k;
	}
	return parse_tail(name, tail, c);
}

static void suffix_of(unsigned k, size_t len, char *out)
{
	size_t i;

	for (i = len; i-- > 0; k /= 26)
		out[i] = (char)('a' + k % 26);
	out[len] = '\0';
}

struct found {
	struct cand c;
	char base[128];
	size_t suflen;	 /* 0: not split */
	char first[128]; /* first file, as in cc_imgdir_part.file */
	unsigned nvol;
	uint64_t bytes;
	uint64_t *sizes; /* per volume, malloc'd */
};

enum { FIND_OK, FIND_NONE, FIND_BROKEN, FIND_NOMEM };

static int add_volume(struct found *f, uint64_t size)
{
	uint64_t *v = realloc(f->sizes, (f->nvol + 1) * sizeof(*v));

	if (!v)
		return -1;
	f->sizes = v;
	f->sizes[f->nvol++] = size;
	f->bytes += size;
	return 0;
}

/* Check split volumes: contiguous from aa..., all but the last of one size. */
static int check_volumes(const struct cc_dirlist *l, size_t i0, struct found *f, char *why,
			 size_t whylen)
{
	char want[MAX_SUFFIX_LEN + 1];
	size_t i;

	suffix_of(0, f->suflen, want);
	if (strcmp(l->v[i0].name + f->c.baselen + 1, want)) {
		snprintf(why, whylen, _("its first volume %s.%s is missing"), f->base, want);
		return FIND_BROKEN;
	}
	for (i = i0; i < l->n; i++) {
		const char *name = l->v[i].name;
		const char *suf = name + f->c.baselen + 1;

		if (strncmp(name, f->base, f->c.baselen) || name[f->c.baselen] != '.')
			break; /* sorted: no more files of this base */
		if (strlen(suf) != f->suflen || !is_vol_suffix(suf) || l->v[i].is_dir)
			continue;
		if (f->nvol >= 26u * 26 * 26)
			break;
		suffix_of(f->nvol, f->suflen, want);
		if (strcmp(suf, want)) {
			snprintf(why, whylen, _("volume %s.%s is missing (%s exists)"), f->base,
				 want, name);
			return FIND_BROKEN;
		}
		if (f->nvol &&
		    (l->v[i].size > f->sizes[0] || f->sizes[f->nvol - 1] != f->sizes[0])) {
			unsigned bad = f->sizes[f->nvol - 1] != f->sizes[0] ? f->nvol - 1 : f->nvol;
			char bs[MAX_SUFFIX_LEN + 1];

			suffix_of(bad, f->suflen, bs);
			snprintf(why, whylen,
				 _("volume %s.%s has a different size from the volumes before it: "
				   "it was cut short or does not belong to this image"),
				 f->base, bs);
			return FIND_BROKEN;
		}
		if (add_volume(f, l->v[i].size) < 0)
			return FIND_NOMEM;
	}
	return FIND_OK;
}

/*
 * Find the image files of partition `part` in the listing of its image
 * directory.  FIND_BROKEN fills why (a translated phrase about the
 * partition's image).
 */
static int find_part(const struct cc_dirlist *l, const char *part, struct found *f, char *why,
		     size_t whylen)
{
	char swapinfo[96];
	const struct cc_dirent *e;
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < l->n; i++) {
		if (l->v[i].is_dir || !parse_image_name(l->v[i].name, part, &f->c))
			continue;
		if (f->c.baselen >= sizeof(f->base) || strlen(l->v[i].name) >= sizeof(f->first))
			continue;
		memcpy(f->base, l->v[i].name, f->c.baselen);
		f->base[f->c.baselen] = '\0';
		strcpy(f->first, l->v[i].name);
		if (!f->c.suffix)
			return add_volume(f, l->v[i].size) < 0 ? FIND_NOMEM : FIND_OK;
		f->suflen = strlen(f->c.suffix);
		return check_volumes(l, i, f, why, whylen);
	}
	snprintf(swapinfo, sizeof(swapinfo), "swappt-%s.info", part);
	if ((e = cc_dirlist_find(l, swapinfo)) && !e->is_dir) {
		f->c.engine = CC_ENGINE_SWAP;
		strcpy(f->c.fs, "swap");
		strcpy(f->first, swapinfo);
		return add_volume(f, e->size) < 0 ? FIND_NOMEM : FIND_OK;
	}
	return FIND_NONE;
}

/* ---- reading an image directory ---- */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* Read a list file ("disk", "parts") and call add for each word. */
static int read_words(struct cc_repo *r, const char *image, const char *file, struct cc_imgdir *d,
		      int (*add)(struct cc_imgdir *d, const char *w, size_t n, const char *image,
				 struct cc_error *err),
		      struct cc_error *err)
{
	char *path = path_in(image, file), *data, *p;
	size_t len;
	int ret;

	if (!path)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	ret = cc_repo_get(r, path, LIST_FILE_MAX, &data, &len, err);
	free(path);
	if (ret < 0)
		return ret;
	for (p = data; !ret;) {
		size_t n;

		p += strspn(p, " \t\r\n");
		if (!*p)
			break;
		n = strcspn(p, " \t\r\n");
		ret = add(d, p, n, image, err);
		p += n;
	}
	free(data);
	return ret;
}

static int add_disk(struct cc_imgdir *d, const char *w, size_t n, const char *image,
		    struct cc_error *err)
{
	if (d->ndisks == sizeof(d->disks) / sizeof(d->disks[0]))
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("image %s: its file \"disk\" lists more than %zu disks"), image,
			       sizeof(d->disks) / sizeof(d->disks[0]));
	if (n >= sizeof(d->disks[0]))
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("image %s: a disk name in its file \"disk\" is %zu bytes long"),
			       image, n);
	memcpy(d->disks[d->ndisks], w, n);
	d->disks[d->ndisks++][n] = '\0';
	return 0;
}

static int add_part(struct cc_imgdir *d, const char *w, size_t n, const char *image,
		    struct cc_error *err)
{
	struct cc_imgdir_part *v;

	if (n >= sizeof(v->name))
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("image %s: a partition name in its file \"parts\" is %zu bytes "
				 "long"),
			       image, n);
	if (!(v = realloc(d->parts, (d->nparts + 1) * sizeof(*v))))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	d->parts = v;
	v = &d->parts[d->nparts++];
	memset(v, 0, sizeof(*v));
	memcpy(v->name, w, n);
	v->name[n] = '\0';
	return 0;
}

static int fill_parts(struct cc_imgdir *d, const struct cc_dirlist *l, int *all)
{
	char why[512];
	unsigned i;

	*all = 1;
	for (i = 0; i < d->nparts; i++) {
		struct cc_imgdir_part *p = &d->parts[i];
		struct found f;
		int ret = find_part(l, p->name, &f, why, sizeof(why));

		if (ret == FIND_NOMEM) {
			free(f.sizes);
			return -CC_E_NOMEM;
		}
		if (ret != FIND_OK)
			*all = 0;
		if (ret != FIND_NONE) {
			p->engine = f.c.engine;
			snprintf(p->fs, sizeof(p->fs), "%s", f.c.fs);
			snprintf(p->file, sizeof(p->file), "%s", f.first);
			p->nfiles = f.nvol;
			p->bytes = f.bytes;
		}
		free(f.sizes);
	}
	return 0;
}

static int read_image(struct cc_repo *r, const char *image, const struct cc_repo_entry *de,
		      struct cc_imgdir *d, struct cc_error *err)
{
	const char *disk_f = "disk", *parts_f = "parts";
	const struct cc_dirent *tag, *parts;
	struct cc_dirlist l;
	size_t i;
	int ret, all;

	if ((ret = cc_dirlist_read(r, image, &l, err)) < 0)
		return ret;
	if (ends_with(image, PARTIAL_SUFFIX)) { /* being written: see imgdir_write.c */
		if (!cc_dirlist_find(&l, "disk") && cc_dirlist_find(&l, "disk.pending"))
			disk_f = "disk.pending";
		if (!cc_dirlist_find(&l, "parts") && cc_dirlist_find(&l, "parts.pending"))
			parts_f = "parts.pending";
	}
	if (cc_dirlist_find(&l, disk_f))
		ret = read_words(r, image, disk_f, d, add_disk, err);
	parts = cc_dirlist_find(&l, parts_f);
	if (!ret && parts)
		ret = read_words(r, image, parts_f, d, add_part, err);
	if (!ret && (ret = fill_parts(d, &l, &all)) == -CC_E_NOMEM)
		ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	if (ret < 0) {
		cc_dirlist_free(&l);
		return ret;
	}
	tag = cc_dirlist_find(&l, "clonezilla-img");
	d->mtime = tag ? tag->mtime : de->mtime;
	for (i = 0; i < l.n; i++)
		if (!l.v[i].is_dir)
			d->bytes += l.v[i].size;
	d->complete = tag && !tag->is_dir && parts && d->nparts && all &&
		      !cc_dirlist_find(&l, "00-pseudo-img-note.txt") &&
		      !ends_with(image, PARTIAL_SUFFIX);
	cc_dirlist_free(&l);
	return 0;
}

int cc_imgdir_read(struct cc_repo *r, const char *image, struct cc_imgdir **out,
		   struct cc_error *err)
{
	struct cc_repo_entry de;
	struct cc_imgdir *d;
	int ret;

	*out = NULL;
	if (!image || !*image || strlen(image) >= sizeof(d->name))
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("invalid image name \"%s\""),
			       image ? image : "");
	ret = r->ops->stat(r, image, &de, err);
	if (ret == -CC_E_NOTFOUND)
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("image %s not found in %s: list the images to see their names"),
			       image, r->location);
	if (ret < 0)
		return ret;
	if (!de.is_dir)
		return cc_fail(err, CC_E_FORMAT, 0, _("%s/%s is a file, not an image directory"),
			       r->location, image);
	if (!(d = calloc(1, sizeof(*d))))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	strcpy(d->name, image);
	if ((ret = read_image(r, image, &de, d, err)) < 0) {
		cc_imgdir_free(d);
		return ret;
	}
	*out = d;
	return 0;
}

void cc_imgdir_free(struct cc_imgdir *d)
{
	if (d) {
		free(d->parts);
		free(d);
	}
}

/* ---- one partition image: the volumes joined ---- */

struct concat {
	struct cc_repo *r;
	char **paths;
	uint64_t *sizes;
	unsigned n, i;
	struct cc_istream *cur;
	uint64_t got; /* bytes read from the current volume */
};

static ssize_t concat_read(struct cc_istream *s, void *buf, size_t len)
{
	struct concat *c = s->priv;

	for (;;) {
		ssize_t n;
		int ret;

		if (!c->cur) {
			if (c->i == c->n)
				return 0;
			ret = c->r->ops->open_read(c->r, c->paths[c->i], &c->cur, s->err);
			if (ret < 0)
				return ret;
			c->got = 0;
		}
		n = cc_istream_read(c->cur, buf, len);
		if (n > 0) {
			c->got += (uint64_t)n;
			s->bytes_in += (uint64_t)n;
			return n;
		}
		if (n < 0)
			return n;
		if (c->got != c->sizes[c->i])
			return cc_fail(s->err, CC_E_TRUNCATED, 0,
				       _("%s/%s ended after %llu bytes; it had %llu when "
					 "the image was opened"),
				       c->r->location, c->paths[c->i],
				       (unsigned long long)c->got,
				       (unsigned long long)c->sizes[c->i]);
		cc_istream_free(c->cur);
		c->cur = NULL;
		c->i++;
	}
}

static void concat_destroy(struct concat *c)
{
	unsigned i;

	cc_istream_free(c->cur);
	if (c->paths)
		for (i = 0; i < c->n; i++)
			free(c->paths[i]);
	free(c->paths);
	free(c->sizes);
	free(c);
}

static void concat_free(struct cc_istream *s)
{
	concat_destroy(s->priv);
}

static const struct cc_istream_ops concat_ops = {"volumes", concat_read, concat_free};

static int concat_new(struct cc_repo *r, const char *image, struct found *f,
		      struct cc_istream **out, struct cc_error *err)
{
	struct concat *c = calloc(1, sizeof(*c));
	char name[256], suf[MAX_SUFFIX_LEN + 1];

	if (!c)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	c->r = r;
	c->sizes = f->sizes; /* taken over */
	f->sizes = NULL;
	if (!(c->paths = calloc(f->nvol, sizeof(*c->paths))))
		goto nomem;
	for (c->n = 0; c->n < f->nvol; c->n++) {
		if (f->suflen) {
			suffix_of(c->n, f->suflen, suf);
			snprintf(name, sizeof(name), "%s.%s", f->base, suf);
		} else {
			snprintf(name, sizeof(name), "%s", f->first);
		}
		if (!(c->paths[c->n] = path_in(image, name)))
			goto nomem;
	}
	if (!(*out = cc_istream_new(&concat_ops, c, NULL, err)))
		goto nomem;
	return 0;
nomem:
	concat_destroy(c);
	return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
}

int cc_imgdir_open_part(struct cc_repo *r, const struct cc_imgdir *d,
			const struct cc_imgdir_part *p, struct cc_istream **out,
			struct cc_error *err)
{
	struct cc_dirlist l;
	struct found f;
	char why[512];
	int ret;

	*out = NULL;
	if (p->engine == CC_ENGINE_SWAP)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("partition %s of image %s is swap: it has no image to read (it is "
				 "recreated with mkswap)"),
			       p->name, d->name);
	if ((ret = cc_dirlist_read(r, d->name, &l, err)) < 0)
		return ret;
	ret = find_part(&l, p->name, &f, why, sizeof(why));
	cc_dirlist_free(&l);
	switch (ret) {
	case FIND_NOMEM:
		ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		break;
	case FIND_NONE:
		ret = cc_fail(err, CC_E_INCOMPLETE_IMAGE, 0,
			      _("image %s in %s has no image file for partition %s: copy the image "
				"again, or save it again"),
			      d->name, r->location, p->name);
		break;
	case FIND_BROKEN:
		ret = cc_fail(err, CC_E_INCOMPLETE_IMAGE, 0,
			      _("image %s in %s, partition %s: %s; copy the image again, or "
				"save it again"),
			      d->name, r->location, p->name, why);
		break;
	default:
		if (f.c.engine == CC_ENGINE_SWAP)
			ret = cc_fail(err, CC_E_BAD_ARGS, 0,
				      _("partition %s of image %s is swap: it has no image "
					"to read"),
				      p->name, d->name);
		else if (p->file[0] && strcmp(p->file, f.first))
			ret = cc_fail(err, CC_E_CORRUPT, 0,
				      _("image %s in %s changed while in use: partition %s "
					"is now in %s, not %s"),
				      d->name, r->location, p->name, f.first, p->file);
		else
			ret = concat_new(r, d->name, &f, out, err);
	}
	free(f.sizes);
	return ret;
}

int cc_imgdir_part_volume(const struct cc_imgdir_part *p, unsigned k, char *out, size_t len)
{
	const char *dot = strrchr(p->file, '.');
	size_t suflen = dot ? strlen(dot + 1) : 0, base;
	char suf[MAX_SUFFIX_LEN + 1];

	if (!dot || suflen < 2 || suflen > MAX_SUFFIX_LEN || strspn(dot + 1, "a") != suflen)
		return k == 0 && snprintf(out, len, "%s", p->file) < (int)len ? 0 : -1;
	base = (size_t)(dot - p->file);
	suffix_of(k, suflen, suf);
	return snprintf(out, len, "%.*s.%s", (int)base, p->file, suf) < (int)len ? 0 : -1;
}

/* ---- the list of images ---- */

int cc_imgdir_list(struct cc_repo *r, struct cc_imgdir ***out, unsigned *n, struct cc_error *err)
{
	struct cc_imgdir **v = NULL;
	struct cc_dirlist l;
	unsigned cnt = 0;
	size_t i;
	int ret;

	*out = NULL;
	*n = 0;
	if ((ret = cc_dirlist_read(r, "", &l, err)) < 0)
		return ret;
	for (i = 0; i < l.n; i++) {
		const struct cc_dirent *e = &l.v[i];
		struct cc_error scratch;
		struct cc_imgdir *d, **nv;

		if (!e->is_dir || e->name[0] == '.' || ends_with(e->name, PARTIAL_SUFFIX))
			continue;
		if (cc_imgdir_read(r, e->name, &d, &scratch) < 0)
			continue; /* unreadable: not offered */
		if (!d->complete) {
			cc_imgdir_free(d);
			continue;
		}
		if (!(nv = realloc(v, (cnt + 1) * sizeof(*nv)))) {
			cc_imgdir_free(d);
			cc_imgdir_list_free(v, cnt);
			cc_dirlist_free(&l);
			return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		}
		v = nv;
		v[cnt++] = d;
	}
	cc_dirlist_free(&l); /* sorted by name, so the list is too */
	*out = v;
	*n = cnt;
	return 0;
}

void cc_imgdir_list_free(struct cc_imgdir **v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		cc_imgdir_free(v[i]);
	free(v);
}

/* ---- checksum lists ---- */

struct sum_line {
	char *name;
	enum cc_sum_algo algo;
	char hex[CC_SUM_HEX_MAX + 1];
};

struct sums {
	struct sum_line *v;
	size_t n, cap;
};

static int is_hex(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdefABCDEF") >= n;
}

/* sha256sum's escaping: a line starting with '\' has "\\" and "\n" in the name. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && (s[1] == '\\' || s[1] == 'n')) {
			*o++ = s[1] == 'n' ? '\n' : '\\';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static int add_sum_line(struct sums *S, enum cc_sum_algo a, char *line, const char *image,
			unsigned lineno, struct cc_error *err)
{
	unsigned hl = cc_sum_hexlen(a), i;
	int escaped = line[0] == '\\';
	struct sum_line *sl;
	char *name;

	if (escaped)
		line++;
	if (!is_hex(line, hl) || line[hl] != ' ' || (line[hl + 1] != ' ' && line[hl + 1] != '*') ||
	    !line[hl + 2])
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("image %s: line %u of %s is not \"<checksum>  <file>\""), image,
			       lineno, cc_sum_file(a));
	name = line + hl + 2;
	if (escaped)
		unescape(name);
	if (S->n == S->cap) {
		size_t cap = S->cap ? S->cap * 2 : 64;
		struct sum_line *v = realloc(S->v, cap * sizeof(*v));
		if (!v)
			return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		S->v = v;
		S->cap = cap;
	}
	sl = &S->v[S->n];
	if (!(sl->name = strdup(name)))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	sl->algo = a;
	for (i = 0; i < hl; i++)
		sl->hex[i] =
			(char)(line[i] >= 'A' && line[i] <= 'F' ? line[i] - 'A' + 'a' : line[i]);
	sl->hex[hl] = '\0';
	S->n++;
	return 0;
}

static int read_sums_file(struct cc_repo *r, const char *image, enum cc_sum_algo a, struct sums *S,
			  struct cc_error *err)
{
	char *path = path_in(image, cc_sum_file(a)), *data, *p;
	unsigned lineno = 0;
	size_t len;
	int ret;

	if (!path)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	ret = cc_repo_get(r, path, SUMS_FILE_MAX, &data, &len, err);
	free(path);
	if (ret < 0)
		return ret;
	for (p = data; !ret && *p;) {
		char *nl = strchr(p, '\n');
		size_t n;

		if (nl)
			*nl = '\0';
		n = strlen(p);
		if (n && p[n - 1] == '\r')
			p[--n] = '\0';
		lineno++;
		if (n)
			ret = add_sum_line(S, a, p, image, lineno, err);
		p = nl ? nl + 1 : p + n;
	}
	free(data);
	return ret;
}

static int cmp_sum_line(const void *a, const void *b)
{
	const struct sum_line *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->algo - (int)y->algo;
}

/* Hash one file with every digest listed for it (lines[0..n)), reading while hashing. */
static int verify_file(struct cc_repo *r, const char *image, const struct sum_line *lines, size_t n,
		       unsigned char *buf[2], struct cc_error *err)
{
	struct cc_istream *s = NULL;
	struct cc_hashset *h;
	char *path = path_in(image, lines[0].name), hex[CC_SUM_N][CC_SUM_HEX_MAX + 1];
	unsigned mask = 0, cur = 0;
	ssize_t got;
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		mask |= 1u << lines[i].algo;
	if (!path || !(h = cc_hashset_new(mask))) {
		free(path);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	ret = r->ops->open_read(r, path, &s, err);
	if (ret == -CC_E_NOTFOUND)
		ret = cc_fail(err, CC_E_INCOMPLETE_IMAGE, 0,
			      _("image %s: %s is listed in %s but is missing"), image,
			      lines[0].name, cc_sum_file(lines[0].algo));
	got = ret < 0 ? ret : cc_istream_read(s, buf[cur], VERIFY_BUF_BYTES);
	while (got > 0) {
		ssize_t next;

		cc_hashset_begin(h, buf[cur], (size_t)got);
		next = cc_istream_read(s, buf[!cur], VERIFY_BUF_BYTES);
		cc_hashset_end(h);
		cur = !cur;
		got = next;
	}
	if (got < 0)
		ret = (int)got;
	for (i = 0; !ret && i < CC_SUM_N; i++)
		if (mask & (1u << i))
			cc_hashset_hex(h, (enum cc_sum_algo)i, hex[i]);
	for (i = 0; !ret && i < n; i++) {
		if (strcmp(hex[lines[i].algo], lines[i].hex))
			ret = cc_fail(err, CC_E_CHECKSUM, 0,
				      _("image %s: %s does not match its checksum in %s: the "
					"file is damaged; copy it again, or save the image "
					"again"),
				      image, lines[i].name, cc_sum_file(lines[i].algo));
	}
	cc_istream_free(s);
	cc_hashset_free(h);
	free(path);
	return ret;
}

/*
 * Returns 0 when every file listed matches, or when the image has no
 * checksum list at all (nothing to check: images saved without -gm/-gs/
 * -gb by Clonezilla).
 */
int cc_imgdir_verify_sums(struct cc_repo *r, const char *image, struct cc_error *err)
{
	unsigned char *buf[2] = {NULL, NULL};
	struct cc_repo_entry de;
	struct sums S = {0};
	size_t i, j;
	int ret;
	enum cc_sum_algo a;

	if ((ret = r->ops->stat(r, image, &de, err)) < 0)
		return ret;
	for (a = 0; a < CC_SUM_N && !ret; a++) {
		ret = read_sums_file(r, image, a, &S, err);
		if (ret == -CC_E_NOTFOUND)
			ret = 0;
	}
	if (!ret && S.n &&
	    (!(buf[0] = malloc(VERIFY_BUF_BYTES)) || !(buf[1] = malloc(VERIFY_BUF_BYTES))))
		ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	if (!ret && S.n)
		qsort(S.v, S.n, sizeof(*S.v), cmp_sum_line);
	for (i = 0; !ret && i < S.n; i = j) {
		for (j = i + 1; j < S.n && !strcmp(S.v[j].name, S.v[i].name); j++)
			;
		ret = verify_file(r, image, &S.v[i], j - i, buf, err);
	}
	if (!ret)
		cc_error_clear(err);
	for (i = 0; i < S.n; i++)
		free(S.v[i].name);
	free(S.v);
	free(buf[0]);
	free(buf[1]);
	return ret;
}
