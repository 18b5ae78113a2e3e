/* repo.c - opening a repository and whole-file helpers; see repo.h. */
#include "repo.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"

#define FILE_SCHEME "file://"

int cc_repo_open(const char *location, struct cc_repo **out, struct cc_error *err)
{
	const char *path = location;

	*out = NULL;
	if (!location || !*location)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("no image repository given: name a local directory"));
	if (!strncmp(location, FILE_SCHEME, strlen(FILE_SCHEME)))
		path = location + strlen(FILE_SCHEME);
	else if (strstr(location, "://"))
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("image repository %s: only local directories (a path or file://) "
				 "are supported"),
			       location);
	if (!*path)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("image repository %s: no directory after file://"), location);
	return cc_repo_local_open(path, location, out, err);
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
