/*
 * imgdir_write.c - writing a Clonezilla image directory; see imgdir.h.
 *
 * Everything goes into "<image>.partial".  Every file written is hashed
 * as it is written (SHA-256 and BLAKE2b-512).  "disk" and "parts" are
 * written as "disk.pending" and "parts.pending" (cc_imgdir_read() reads
 * those in a .partial directory): Clonezilla lists any directory that has
 * a "disk" or "parts" file as an image, so a save that did not finish
 * must not have them.  Commit writes SHA256SUMS and B2SUMS (sorted by
 * name, in the format of sha256sum/b2sum; Clonezilla's -cb checks
 * B2SUMS), the clonezilla-img tag and Info-img-id.txt, renames the
 * pending files, then renames the directory into place.  A replaced image
 * is moved aside just before that rename and removed just after it.
 *
 * Split partition images are named as "split -a 2 -b N - FILE." names
 * them (ocs-functions): FILE.aa, FILE.ab ... FILE.zz, each exactly N bytes
 * except the last; more than 676 volumes is refused.  Unsplit, the file
 * is FILE itself.
 */
#include "imgdir.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "i18n.h"
#include "imgdir_int.h"

#define WRITE_ALGOS	  ((1u << CC_SUM_SHA256) | (1u << CC_SUM_B2))
#define SPLIT_MAX_VOLUMES (26 * 26)
#define PARTIAL_SUFFIX	  ".partial"
#define REPLACED_SUFFIX	  ".replaced"

struct sum_rec {
	char *name;
	char sha256[65];
	char b2[CC_SUM_HEX_MAX + 1];
};

struct part_out;

struct cc_imgdir_writer {
	struct cc_repo *r;
	struct cc_error *err;
	char *image, *partial;
	int replace;
	struct sum_rec *recs;
	size_t nrecs, cap;
	int pending[2]; /* "disk", "parts" written as *.pending */
	struct part_out *streams; /* part streams not yet freed */
	unsigned unfinished;	  /* part streams not yet finished */
	char lost[128];		  /* a part stream freed without finishing */
};

static const char *const pending_names[2][2] = {{"disk", "disk.pending"},
						 {"parts", "parts.pending"}};

/* ---- names and checksum records ---- */

static int reserved_name(const char *f)
{
	static const char *const names[] = {
		"SHA256SUMS",	 "B2SUMS",	 "MD5SUMS",	  "SHA1SUMS",	     "B3SUMS",
		"clonezilla-img", "Info-img-id.txt", "disk.pending", "parts.pending",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(f, names[i]))
			return 1;
	return 0;
}

static int check_file_name(struct cc_imgdir_writer *w, const char *f)
{
	if (!f || !*f || strchr(f, '/') || !strcmp(f, ".") || !strcmp(f, "..") ||
	    strlen(f) >= sizeof(((struct cc_imgdir_part *)0)->file))
		return cc_fail(w->err, CC_E_BAD_ARGS, 0,
			       _("invalid file name \"%s\" for image %s: one name, no '/', at "
				 "most 127 bytes"),
			       f ? f : "", w->image);
	if (reserved_name(f))
		return cc_fail(w->err, CC_E_BAD_ARGS, 0,
			       _("file name %s in image %s is reserved: Clonecast writes it when "
				 "the image is committed"),
			       f, w->image);
	return 0;
}

static char *path_in(const char *dir, const char *file)
{
	char *s;

	if (asprintf(&s, "%s/%s", dir, file) < 0)
		return NULL;
	return s;
}

static int add_rec(struct cc_imgdir_writer *w, const char *name, struct cc_hashset *h)
{
	struct sum_rec *rec;

	if (w->nrecs == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;
		struct sum_rec *v = realloc(w->recs, cap * sizeof(*v));
		if (!v)
			return cc_fail(w->err, CC_E_NOMEM, 0, _("out of memory"));
		w->recs = v;
		w->cap = cap;
	}
	rec = &w->recs[w->nrecs];
	if (!(rec->name = strdup(name)))
		return cc_fail(w->err, CC_E_NOMEM, 0, _("out of memory"));
	cc_hashset_hex(h, CC_SUM_SHA256, rec->sha256);
	cc_hashset_hex(h, CC_SUM_B2, rec->b2);
	w->nrecs++;
	return 0;
}

/* Write a whole file into the partial directory; its checksum goes into
 * the lists under rec_name (NULL: not listed). */
static int write_file(struct cc_imgdir_writer *w, const char *file, const void *data, size_t len,
		      const char *rec_name)
{
	struct cc_hashset *h = NULL;
	char *path = path_in(w->partial, file);
	int ret;

	if (!path)
		return cc_fail(w->err, CC_E_NOMEM, 0, _("out of memory"));
	if (rec_name && !(h = cc_hashset_new(WRITE_ALGOS))) {
		free(path);
		return cc_fail(w->err, CC_E_NOMEM, 0, _("out of memory"));
	}
	ret = cc_repo_put(w->r, path, data, len, w->err);
	if (!ret && h) {
		cc_hashset_update(h, data, len);
		ret = add_rec(w, rec_name, h);
	}
	cc_hashset_free(h);
	free(path);
	return ret;
}

/* ---- the partition image stream: hash, split ---- */

struct part_out {
	struct cc_imgdir_writer *w; /* NULL once the writer is gone */
	struct part_out *link;
	char *file;
	uint64_t split;	 /* bytes per volume, 0: one file */
	unsigned vol;	 /* current volume number */
	uint64_t in_vol; /* bytes in the current volume */
	struct cc_ostream *sink;
	char *sink_name; /* file name of the current volume */
	struct cc_hashset *h;
	int finished;
};

static void vol_name(const struct part_out *p, unsigned vol, char *out, size_t len)
{
	if (!p->split)
		snprintf(out, len, "%s", p->file);
	else
		snprintf(out, len, "%s.%c%c", p->file, 'a' + vol / 26, 'a' + vol % 26);
}

static int open_volume(struct cc_ostream *s, struct part_out *p)
{
	struct cc_imgdir_writer *w = p->w;
	char name[160];
	char *path;
	int ret;

	if (p->split && p->vol >= SPLIT_MAX_VOLUMES)
		return cc_fail(s->err, CC_E_BAD_ARGS, 0,
			       _("partition image %s of image %s needs more than %d volumes of "
				 "%llu bytes: use a larger volume size, or none"),
			       p->file, w->image, SPLIT_MAX_VOLUMES,
			       (unsigned long long)p->split);
	vol_name(p, p->vol, name, sizeof(name));
	if (!(p->sink_name = strdup(name)) || !(path = path_in(w->partial, name)))
		return cc_fail(s->err, CC_E_NOMEM, 0, _("out of memory"));
	ret = w->r->ops->open_write(w->r, path, &p->sink, s->err);
	free(path);
	p->in_vol = 0;
	return ret;
}

static int close_volume(struct cc_ostream *s, struct part_out *p)
{
	int ret = cc_ostream_finish(p->sink);

	cc_ostream_free(p->sink);
	p->sink = NULL;
	if (!ret)
		ret = add_rec(p->w, p->sink_name, p->h);
	free(p->sink_name);
	p->sink_name = NULL;
	p->vol++;
	(void)s;
	return ret;
}

static int part_write(struct cc_ostream *s, const void *buf, size_t len)
{
	struct part_out *p = s->priv;
	const unsigned char *b = buf;

	if (!p->w || p->finished)
		return cc_fail(s->err, CC_E_BAD_ARGS, 0,
			       _("partition image %s: written after it was finished, or after its "
				 "image was committed or aborted"),
			       p->file);
	while (len) {
		size_t n = len;
		int ret;

		if (p->split && p->in_vol == p->split) {
			if ((ret = close_volume(s, p)) < 0 || (ret = open_volume(s, p)) < 0)
				return ret;
		}
		if (p->split && n > p->split - p->in_vol)
			n = (size_t)(p->split - p->in_vol);
		cc_hashset_begin(p->h, b, n); /* the helper hashes while we write */
		ret = cc_ostream_write(p->sink, b, n);
		cc_hashset_end(p->h);
		if (ret < 0)
			return ret;
		p->in_vol += n;
		s->bytes_out += n;
		b += n;
		len -= n;
	}
	return 0;
}

static int part_finish(struct cc_ostream *s)
{
	struct part_out *p = s->priv;
	int ret;

	if (!p->w)
		return cc_fail(s->err, CC_E_BAD_ARGS, 0,
			       _("partition image %s: its image was already committed or aborted"),
			       p->file);
	if (p->finished)
		return 0;
	if ((ret = close_volume(s, p)) < 0)
		return ret;
	p->finished = 1;
	p->w->unfinished--;
	return 0;
}

static void part_free(struct cc_ostream *s)
{
	struct part_out *p = s->priv;
	struct cc_imgdir_writer *w = p->w;

	if (w) {
		struct part_out **pp;

		for (pp = &w->streams; *pp; pp = &(*pp)->link)
			if (*pp == p) {
				*pp = p->link;
				break;
			}
		if (!p->finished) {
			w->unfinished--;
			if (!w->lost[0])
				snprintf(w->lost, sizeof(w->lost), "%s", p->file);
		}
	}
	cc_ostream_free(p->sink);
	cc_hashset_free(p->h);
	free(p->sink_name);
	free(p->file);
	free(p);
}

static const struct cc_ostream_ops part_ops = {"imgdir", part_write, part_finish, part_free};

int cc_imgdir_part_stream(struct cc_imgdir_writer *w, const char *file, uint64_t split_bytes,
			  struct cc_ostream **out)
{
	struct part_out *p;
	int ret;

	*out = NULL;
	if ((ret = check_file_name(w, file)) < 0)
		return ret;
	if (!(p = calloc(1, sizeof(*p))) || !(p->file = strdup(file)) ||
	    !(p->h = cc_hashset_new(WRITE_ALGOS)) ||
	    !(*out = cc_ostream_new(&part_ops, p, NULL, w->err))) {
		if (p) {
			cc_hashset_free(p->h);
			free(p->file);
		}
		free(p);
		return cc_fail(w->err, CC_E_NOMEM, 0, _("out of memory"));
	}
	p->w = w;
	p->split = split_bytes;
	p->link = w->streams;
	w->streams = p;
	w->unfinished++;
	if ((ret = open_volume(*out, p)) < 0) {
		p->finished = 1; /* never started: nothing lost */
		w->unfinished--;
		cc_ostream_free(*out);
		*out = NULL;
		return ret;
	}
	return 0;
}

/* ---- begin, put, commit, abort ---- */

static int check_image_name(struct cc_repo *r, const char *image, struct cc_error *err)
{
	size_t n = image ? strlen(image) : 0;
	const char *p;

	if (!n || n >= sizeof(((struct cc_imgdir *)0)->name) - strlen(REPLACED_SUFFIX) ||
	    image[0] == '-' || image[0] == '.')
		goto bad;
	for (p = image; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p) && (unsigned char)*p < 0x80)
			goto bad; /* bytes >= 0x80: UTF-8 letters */
	if (n >= strlen(PARTIAL_SUFFIX) &&
	    !strcmp(image + n - strlen(PARTIAL_SUFFIX), PARTIAL_SUFFIX))
		goto bad;
	return 0;
bad:
	return cc_fail(err, CC_E_BAD_ARGS, 0,
		       _("invalid image name \"%s\" in %s: use letters, digits, '.', '_' and '-', "
			 "not starting with '-' or '.', not ending in .partial (Clonezilla "
			 "cannot list other names)"),
		       image ? image : "", r->location);
}

static void writer_free(struct cc_imgdir_writer *w)
{
	struct part_out *p;
	size_t i;

	for (p = w->streams; p; p = p->link)
		p->w = NULL; /* the caller still frees them */
	for (i = 0; i < w->nrecs; i++)
		free(w->recs[i].name);
	free(w->recs);
	free(w->image);
	free(w->partial);
	free(w);
}

int cc_imgdir_begin(struct cc_repo *r, const char *image, int replace,
		    struct cc_imgdir_writer **out, struct cc_error *err)
{
	struct cc_imgdir_writer *w;
	struct cc_repo_entry e;
	struct cc_error scratch;
	int ret;

	*out = NULL;
	if ((ret = check_image_name(r, image, err)) < 0)
		return ret;
	ret = r->ops->stat(r, image, &e, err);
	if (!ret && !replace)
		return cc_fail(err, CC_E_EXISTS, 0,
			       _("image %s already exists in %s: choose another name, or replace "
				 "it"),
			       image, r->location);
	if (ret < 0 && ret != -CC_E_NOTFOUND)
		return ret;
	if (!(w = calloc(1, sizeof(*w))) || !(w->image = strdup(image)) ||
	    asprintf(&w->partial, "%s%s", image, PARTIAL_SUFFIX) < 0) {
		if (w)
			free(w->image);
		free(w);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	w->r = r;
	w->err = err;
	w->replace = replace;
	ret = r->ops->remove(r, w->partial, &scratch); /* left by a failed save */
	if (ret < 0 && ret != -CC_E_NOTFOUND) {
		*err = scratch;
		writer_free(w);
		return ret;
	}
	if ((ret = r->ops->mkdir(r, w->partial, err)) < 0) {
		writer_free(w);
		return ret;
	}
	cc_error_clear(err);
	*out = w;
	return 0;
}

const char *cc_imgdir_partial_name(const struct cc_imgdir_writer *w)
{
	return w->partial;
}

int cc_imgdir_put(struct cc_imgdir_writer *w, const char *file, const void *data, size_t len)
{
	int ret = check_file_name(w, file);
	unsigned i;

	if (ret < 0)
		return ret;
	for (i = 0; i < 2; i++) {
		if (strcmp(file, pending_names[i][0]))
			continue;
		if (w->pending[i])
			return cc_fail(w->err, CC_E_EXISTS, 0,
				       _("%s/%s/%s already exists: it is not overwritten"),
				       w->r->location, w->partial, file);
		if ((ret = write_file(w, pending_names[i][1], data, len, file)) < 0)
			return ret;
		w->pending[i] = 1;
		return 0;
	}
	return write_file(w, file, data, len, file);
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct sum_rec *)a)->name, ((const struct sum_rec *)b)->name);
}

static int write_sums(struct cc_imgdir_writer *w, enum cc_sum_algo a)
{
	size_t i, len = 0, cap = 0;
	char *buf = NULL;
	int ret;

	for (i = 0; i < w->nrecs; i++)
		cap += strlen(w->recs[i].name) + cc_sum_hexlen(a) + 4;
	if (!(buf = malloc(cap + 1)))
		return cc_fail(w->err, CC_E_NOMEM, 0, _("out of memory"));
	for (i = 0; i < w->nrecs; i++)
		len += (size_t)sprintf(buf + len, "%s  %s\n",
				       a == CC_SUM_SHA256 ? w->recs[i].sha256 : w->recs[i].b2,
				       w->recs[i].name);
	ret = write_file(w, cc_sum_file(a), buf, len, NULL);
	free(buf);
	return ret;
}

static int write_tag(struct cc_imgdir_writer *w)
{
	char tag[512], id[256], hex[129], when[64], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n, ret;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%F %T %Z", &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m%d-%H%M", &tm);
	/* Clonezilla shows the "Image created time" line in its image lists. */
	n = snprintf(tag, sizeof(tag),
		     "This image was saved by Clonecast at %s.\n"
		     "Clonecast writes Clonezilla image directories; the files are checked by "
		     "SHA256SUMS and B2SUMS.\n"
		     "### Image created time: %s\n",
		     when, stamp);
	if ((ret = write_file(w, "clonezilla-img", tag, (size_t)n, NULL)) < 0)
		return ret;
	cc_sha512_hex(tag, (size_t)n, hex);
	n = snprintf(id, sizeof(id),
		     "# This checksum is only for identifying the image. Created by the command: "
		     "sha512sum clonezilla-img\nIMG_ID=%s\n",
		     hex);
	return write_file(w, "Info-img-id.txt", id, (size_t)n, NULL);
}

/* Move the old image aside, the new one into place, then remove the old one. */
static int put_in_place(struct cc_imgdir_writer *w)
{
	struct cc_repo *r = w->r;
	struct cc_repo_entry e;
	struct cc_error scratch;
	char *aside = NULL;
	int ret, moved = 0;

	if (w->replace && r->ops->stat(r, w->image, &e, &scratch) == 0) {
		if (asprintf(&aside, "%s%s", w->image, REPLACED_SUFFIX) < 0)
			return cc_fail(w->err, CC_E_NOMEM, 0, _("out of memory"));
		r->ops->remove(r, aside, &scratch); /* left by a crash */
		if ((ret = r->ops->rename(r, w->image, aside, w->err)) < 0) {
			free(aside);
			return ret;
		}
		moved = 1;
	}
	ret = r->ops->rename(r, w->partial, w->image, w->err);
	if (moved) {
		if (ret < 0)
			r->ops->rename(r, aside, w->image, &scratch); /* put the old one back */
		else
			r->ops->remove(r, aside, &scratch);
	}
	free(aside);
	return ret;
}

static int rename_pending(struct cc_imgdir_writer *w, unsigned i)
{
	char *from = path_in(w->partial, pending_names[i][1]);
	char *to = path_in(w->partial, pending_names[i][0]);
	int ret = from && to ? w->r->ops->rename(w->r, from, to, w->err)
			     : cc_fail(w->err, CC_E_NOMEM, 0, _("out of memory"));

	free(from);
	free(to);
	return ret;
}

static int commit(struct cc_imgdir_writer *w)
{
	unsigned i;
	int ret;

	if (w->lost[0])
		return cc_fail(w->err, CC_E_INCOMPLETE_IMAGE, 0,
			       _("image %s: partition image %s was not finished: the image is not "
				 "saved"),
			       w->image, w->lost);
	if (w->unfinished)
		return cc_fail(w->err, CC_E_INCOMPLETE_IMAGE, 0,
			       _("image %s: partition image %s is still being written: finish it "
				 "before committing"),
			       w->image, w->streams ? w->streams->file : "?");
	qsort(w->recs, w->nrecs, sizeof(*w->recs), cmp_rec);
	if ((ret = write_sums(w, CC_SUM_SHA256)) < 0 || (ret = write_sums(w, CC_SUM_B2)) < 0 ||
	    (ret = write_tag(w)) < 0)
		return ret;
	for (i = 0; i < 2; i++)
		if (w->pending[i] && (ret = rename_pending(w, i)) < 0)
			return ret;
	return put_in_place(w);
}

int cc_imgdir_commit(struct cc_imgdir_writer *w)
{
	int ret = commit(w);

	if (ret < 0)
		return ret; /* the caller aborts */
	writer_free(w);
	return 0;
}

void cc_imgdir_abort(struct cc_imgdir_writer *w)
{
	struct cc_error scratch;

	if (!w)
		return;
	w->r->ops->remove(w->r, w->partial, &scratch);
	writer_free(w);
}
