/*
 * repo_stream.c - the image of a multicast stream as a read-only
 * repository (see mcast_stream.h), so that the ordinary restore runs over
 * it unchanged: "disk", "parts", the partition tables ... come from the
 * stream's header, each partition image volume from its section, in the
 * order the restore asks for them.
 *
 * One section is open at a time.  The restore may read it from its
 * read-ahead thread; a mutex orders that with the job's thread.  A handle
 * of a section that was left behind (the restore asked for a later file)
 * fails instead of reading the wrong bytes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"
#include "mcast_stream.h"
#include "repo.h"

struct srepo {
	struct cc_istream *in;
	struct cc_mcs_header *h;
	struct cc_mcs_reader *rd;
	pthread_mutex_t lock;
	unsigned gen; /* generation of the open section's handle */
};

struct shandle {
	struct srepo *s;
	unsigned gen, idx;
};

static struct srepo *S(struct cc_repo *r)
{
	return r->priv;
}

/* What a path names: 0 root, 1 the image directory, 2 a small file
 * (*idx), 3 a big file (*idx); -1 nothing. */
static int lookup(struct cc_repo *r, const char *path, unsigned *idx)
{
	const struct cc_mcs_header *h = S(r)->h;
	size_t n = strlen(h->image);
	const char *file;
	unsigned i;

	while (*path == '/')
		path++;
	if (!*path || !strcmp(path, "."))
		return 0;
	if (strncmp(path, h->image, n) || (path[n] && path[n] != '/'))
		return -1;
	file = path + n;
	while (*file == '/')
		file++;
	if (!*file)
		return 1;
	for (i = 0; i < h->nsmall; i++)
		if (!strcmp(file, h->small[i].name))
			return *idx = i, 2;
	for (i = 0; i < h->nbig; i++)
		if (!strcmp(file, h->big[i].name))
			return *idx = i, 3;
	return -1;
}

static int read_only(struct cc_repo *r, const char *path, struct cc_error *err)
{
	return cc_fail(err, CC_E_PERM, 0, _("%s is read-only: cannot change %s"), r->location,
		       path);
}

static int s_mkdir(struct cc_repo *r, const char *path, struct cc_error *err)
{
	return read_only(r, path, err);
}

static int s_open_write(struct cc_repo *r, const char *path, struct cc_ostream **out,
			struct cc_error *err)
{
	*out = NULL;
	return read_only(r, path, err);
}

static int s_rename(struct cc_repo *r, const char *from, const char *to, struct cc_error *err)
{
	(void)to;
	return read_only(r, from, err);
}

static int s_remove(struct cc_repo *r, const char *path, struct cc_error *err)
{
	return read_only(r, path, err);
}

static int not_found(struct cc_repo *r, const char *path, struct cc_error *err)
{
	return cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"), r->location, path);
}

static ssize_t section_read(struct cc_istream *s, void *buf, size_t len)
{
	struct shandle *hd = s->priv;
	struct srepo *sr = hd->s;
	ssize_t n;

	pthread_mutex_lock(&sr->lock);
	if (hd->gen != sr->gen)
		n = cc_fail(s->err, CC_E_UNSUPPORTED, 0,
			    _("multicast stream: %s was left unfinished for a later file and "
			      "cannot be read any more"),
			    sr->h->big[hd->idx].name);
	else
		n = cc_mcs_read(sr->rd, buf, len, s->err);
	pthread_mutex_unlock(&sr->lock);
	if (n > 0)
		s->bytes_in += (uint64_t)n;
	return n;
}

static void section_free(struct cc_istream *s)
{
	free(s->priv);
}

static const struct cc_istream_ops section_ops = {"multicast section", section_read,
						   section_free};

static int s_open_read(struct cc_repo *r, const char *path, struct cc_istream **out,
		       struct cc_error *err)
{
	struct srepo *sr = S(r);
	struct shandle *hd;
	unsigned idx = 0;
	int ret;

	*out = NULL;
	if ((ret = cc_repo_check_path(r, path, 0, err)) < 0)
		return ret;
	switch (lookup(r, path, &idx)) {
	case 2:
		return cc_istream_mem(sr->h->small[idx].data, (size_t)sr->h->small[idx].size, err,
				      out);
	case 3:
		break;
	case 0:
	case 1:
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("%s/%s is a directory, not a file"),
			       r->location, path);
	default:
		return not_found(r, path, err);
	}
	if (!(hd = calloc(1, sizeof(*hd))))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	pthread_mutex_lock(&sr->lock);
	ret = cc_mcs_begin(sr->rd, idx, err);
	hd->s = sr;
	hd->idx = idx;
	hd->gen = ++sr->gen;
	pthread_mutex_unlock(&sr->lock);
	if (ret < 0) {
		free(hd);
		return ret;
	}
	if (!(*out = cc_istream_new(&section_ops, hd, NULL, err))) {
		free(hd);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	return 0;
}

static int s_list(struct cc_repo *r, const char *dir,
		  int (*cb)(void *u, const struct cc_repo_entry *e), void *u,
		  struct cc_error *err)
{
	const struct cc_mcs_header *h = S(r)->h;
	struct cc_repo_entry e;
	unsigned idx, i;
	int ret = 0;

	if ((ret = cc_repo_check_path(r, dir, 1, err)) < 0)
		return ret;
	memset(&e, 0, sizeof(e));
	e.mtime = h->mtime;
	switch (lookup(r, dir, &idx)) {
	case 0:
		e.name = h->image;
		e.is_dir = 1;
		ret = cb(u, &e);
		break;
	case 1:
		for (i = 0; i < h->nsmall && ret >= 0; i++) {
			e.name = h->small[i].name;
			e.size = h->small[i].size;
			ret = cb(u, &e);
		}
		for (i = 0; i < h->nbig && ret >= 0; i++) {
			e.name = h->big[i].name;
			e.size = h->big[i].size;
			ret = cb(u, &e);
		}
		break;
	case 2:
	case 3:
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("%s/%s is a file, not a directory"),
			       r->location, dir);
	default:
		return not_found(r, dir, err);
	}
	return ret < 0 ? ret : 0;
}

static int s_stat(struct cc_repo *r, const char *path, struct cc_repo_entry *e,
		  struct cc_error *err)
{
	const struct cc_mcs_header *h = S(r)->h;
	unsigned idx = 0;
	int ret, k;

	if ((ret = cc_repo_check_path(r, path, 1, err)) < 0)
		return ret;
	memset(e, 0, sizeof(*e));
	e->name = path;
	e->mtime = h->mtime;
	k = lookup(r, path, &idx);
	if (k < 0)
		return not_found(r, path, err);
	e->is_dir = k < 2;
	e->size = k == 2 ? h->small[idx].size : k == 3 ? h->big[idx].size : 0;
	return 0;
}

static int s_free_space(struct cc_repo *r, uint64_t *bytes, struct cc_error *err)
{
	(void)r;
	(void)err;
	*bytes = 0;
	return 0;
}

static void s_close(struct cc_repo *r)
{
	struct srepo *sr = r->priv;

	if (!sr)
		return;
	cc_mcs_reader_free(sr->rd);
	cc_mcs_header_free(sr->h);
	cc_istream_free(sr->in);
	pthread_mutex_destroy(&sr->lock);
	free(sr);
	r->priv = NULL;
}

static const struct cc_repo_ops stream_ops = {
	.scheme = "multicast",
	.mkdir = s_mkdir,
	.open_write = s_open_write,
	.open_read = s_open_read,
	.rename = s_rename,
	.remove = s_remove,
	.list = s_list,
	.stat = s_stat,
	.free_space = s_free_space,
	.close = s_close,
};

int cc_repo_stream_open(struct cc_istream *in, struct cc_mcs_header *h, const char *location,
			struct cc_repo **out, struct cc_error *err)
{
	struct cc_repo *r = calloc(1, sizeof(*r));
	struct srepo *sr = calloc(1, sizeof(*sr));
	int ret;

	*out = NULL;
	if (!r || !sr || !(r->location = strdup(location))) {
		free(r);
		free(sr);
		cc_mcs_header_free(h);
		cc_istream_free(in);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	pthread_mutex_init(&sr->lock, NULL);
	sr->in = in;
	sr->h = h;
	r->ops = &stream_ops;
	r->priv = sr;
	if ((ret = cc_mcs_reader_new(in, h, location, &sr->rd, err)) < 0) {
		cc_repo_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

int cc_repo_stream_finish(struct cc_repo *r, struct cc_error *err)
{
	struct srepo *sr = S(r);
	int ret;

	pthread_mutex_lock(&sr->lock);
	sr->gen++; /* no handle reads on */
	ret = cc_mcs_finish(sr->rd, err);
	pthread_mutex_unlock(&sr->lock);
	return ret;
}
