/* repo.c - opening a repository and whole-file helpers; see repo.h. */
#include "repo.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "error.h"
#include "i18n.h"

int cc_repo_open(const char *location, struct cc_repo **out, struct cc_error *err)
{
	return cc_repo_open_auth(location, NULL, out, err);
}

int cc_repo_open_auth(const char *location, const struct cc_repo_auth *auth,
		      struct cc_repo **out, struct cc_error *err)
{
	static const struct cc_repo_auth none;
	struct cc_repo_url u;
	int ret;

	*out = NULL;
	if ((ret = cc_repo_url_parse(location, &u, err)) < 0)
		return ret;
	if (!auth)
		auth = &none;
	if (!strcmp(u.scheme, "ssh"))
		return cc_repo_sftp_open(&u, location, auth, out, err);
	if (!strcmp(u.scheme, "smb"))
		return cc_repo_smb_open(&u, location, auth, out, err);
	return cc_repo_local_open(u.path, location, out, err);
}

int cc_repo_check_path(const struct cc_repo *r, const char *path, int root_ok,
		       struct cc_error *err)
{
	const char *p;

	if (!path)
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("no path given in repository %s"),
			       r->location);
	if (path[0] == '/')
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("path %s is absolute: paths in repository %s are relative to it"),
			       path, r->location);
	for (p = path; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("path %s leaves repository %s (it has a \"..\" "
					 "component)"),
				       path, r->location);
		p += n;
		p += strspn(p, "/");
	}
	if ((!*path || !strcmp(path, ".")) && !root_ok)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("this needs a path inside repository %s, not its root"),
			       r->location);
	return 0;
}

int cc_repo_errno_code(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case ENODEV: /* a share that does not exist */
		return CC_E_NOTFOUND;
	case EEXIST:
	case ENOTEMPTY:
		return CC_E_EXISTS;
	case EACCES:
	case EPERM:
	case EROFS:
		return CC_E_PERM;
	case ENOSPC:
	case EDQUOT:
		return CC_E_NOSPACE;
	case ENOMEM:
		return CC_E_NOMEM;
	default:
		return CC_E_IO;
	}
}

void cc_repo_entry_from_stat(struct cc_repo_entry *e, const char *name, const struct stat *st)
{
	e->name = name;
	e->is_dir = S_ISDIR(st->st_mode);
	e->size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
	e->mtime = (int64_t)st->st_mtime;
}

void cc_repo_close(struct cc_repo *r)
{
	if (!r)
		return;
	if (r->ops && r->ops->close)
		r->ops->close(r);
	free(r->location);
	free(r);
}

int cc_repo_put(struct cc_repo *r, const char *path, const void *data, size_t len,
		struct cc_error *err)
{
	struct cc_ostream *s;
	struct cc_error scratch;
	int ret;

	ret = r->ops->open_write(r, path, &s, err);
	if (ret < 0)
		return ret;
	ret = cc_ostream_write(s, data, len);
	if (!ret)
		ret = cc_ostream_finish(s);
	cc_ostream_free(s);
	if (ret < 0)
		r->ops->remove(r, path, &scratch); /* no half-written file */
	return ret;
}

static int too_large(struct cc_repo *r, const char *path, size_t max, struct cc_error *err)
{
	return cc_fail(err, CC_E_CORRUPT, 0,
		       _("%s/%s is larger than %zu bytes: it is not the file expected there"),
		       r->location, path, max);
}

static int get_all(struct cc_repo *r, struct cc_istream *s, const char *path, size_t max,
		   char **data, size_t *len, struct cc_error *err)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	for (;;) {
		ssize_t k;

		if (n == cap) {
			char *nb = cap > max ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				if (cap > max)
					return too_large(r, path, max, err);
				return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
			}
			buf = nb;
			cap *= 2;
		}
		k = cc_istream_read(s, buf + n, cap - n);
		if (k < 0) {
			free(buf);
			return (int)k;
		}
		if (!k)
			break;
		n += (size_t)k;
	}
	if (n > max) {
		free(buf);
		return too_large(r, path, max, err);
	}
	if (n == cap) {
		char *nb = realloc(buf, cap + 1);
		if (!nb) {
			free(buf);
			return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		}
		buf = nb;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int cc_repo_get(struct cc_repo *r, const char *path, size_t max, char **data, size_t *len,
		struct cc_error *err)
{
	struct cc_istream *s;
	int ret;

	*data = NULL;
	*len = 0;
	ret = r->ops->open_read(r, path, &s, err);
	if (ret < 0)
		return ret;
	ret = get_all(r, s, path, max, data, len, err);
	cc_istream_free(s);
	return ret;
}

/* ---- a directory's entries ---- */

static int list_cb(void *u, const struct cc_repo_entry *e)
{
	struct cc_dirlist *l = u;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct cc_dirent *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -CC_E_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n].name = strdup(e->name)))
		return -CC_E_NOMEM;
	l->v[l->n].size = e->size;
	l->v[l->n].mtime = e->mtime;
	l->v[l->n].is_dir = e->is_dir;
	l->n++;
	return 0;
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct cc_dirent *)a)->name, ((const struct cc_dirent *)b)->name);
}

void cc_dirlist_free(struct cc_dirlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int cc_dirlist_read(struct cc_repo *r, const char *dir, struct cc_dirlist *l, struct cc_error *err)
{
	int ret;

	memset(l, 0, sizeof(*l));
	ret = r->ops->list(r, dir, list_cb, l, err);
	if (ret == -CC_E_NOMEM)
		ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	if (ret < 0) {
		cc_dirlist_free(l);
		return ret;
	}
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_ent);
	return 0;
}

const struct cc_dirent *cc_dirlist_find(const struct cc_dirlist *l, const char *name)
{
	struct cc_dirent key = {.name = (char *)name};

	return l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), cmp_ent) : NULL;
}
