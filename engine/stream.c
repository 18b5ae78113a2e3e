/* stream.c - generic stream plumbing and the fd/memory ends; see stream.h. */
#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"

/* ---- output ---- */

struct cc_ostream *cc_ostream_new(const struct cc_ostream_ops *ops, void *priv,
				  struct cc_ostream *next, struct cc_error *err)
{
	struct cc_ostream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = ops;
	s->priv = priv;
	s->next = next;
	s->err = err;
	return s;
}

int cc_ostream_write(struct cc_ostream *s, const void *buf, size_t len)
{
	int r;

	if (s->failed)
		return s->failed;
	if (!len)
		return 0;
	r = s->ops->write(s, buf, len);
	if (r < 0)
		s->failed = r;
	else
		s->bytes_in += len;
	return r < 0 ? r : 0;
}

int cc_ostream_finish(struct cc_ostream *s)
{
	int r;

	if (s->failed)
		return s->failed;
	r = s->ops->finish(s);
	if (r < 0)
		s->failed = r;
	return r < 0 ? r : 0;
}

void cc_ostream_free(struct cc_ostream *s)
{
	while (s) {
		struct cc_ostream *next = s->next;
		if (s->ops->free)
			s->ops->free(s);
		free(s);
		s = next;
	}
}

struct cc_ostream *cc_ostream_last(struct cc_ostream *s)
{
	while (s && s->next)
		s = s->next;
	return s;
}

struct fd_sink {
	int fd;
	int close_fd;
	int sync;
	char *name;
};

static int fd_write(struct cc_ostream *s, const void *buf, size_t len)
{
	struct fd_sink *f = s->priv;
	const char *p = buf;

	while (len) {
		ssize_t n = write(f->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cc_fail(s->err,
				       errno == ENOSPC || errno == EDQUOT ? CC_E_NOSPACE
				       : errno == EPIPE ? CC_E_CONN_LOST : CC_E_IO,
				       errno, _("cannot write to %s at byte %llu"), f->name,
				       (unsigned long long)s->bytes_out);
		}
		p += n;
		len -= (size_t)n;
		s->bytes_out += (uint64_t)n;
	}
	return 0;
}

static int fd_finish(struct cc_ostream *s)
{
	struct fd_sink *f = s->priv;

	if (f->sync && fsync(f->fd) < 0 && errno != EINVAL && errno != EROFS)
		return cc_fail(s->err, errno == ENOSPC ? CC_E_NOSPACE : CC_E_IO, errno,
			       _("cannot flush %s"), f->name);
	if (f->close_fd) {
		int fd = f->fd;
		f->fd = -1;
		f->close_fd = 0;
		if (close(fd) < 0)
			return cc_fail(s->err, errno == ENOSPC ? CC_E_NOSPACE : CC_E_IO, errno,
				       _("cannot close %s"), f->name);
	}
	return 0;
}

static void fd_free(struct cc_ostream *s)
{
	struct fd_sink *f = s->priv;

	if (f->close_fd && f->fd >= 0)
		close(f->fd);
	free(f->name);
	free(f);
}

static const struct cc_ostream_ops fd_sink_ops = {"fd", fd_write, fd_finish, fd_free};

int cc_ostream_fd(int fd, const char *name, int close_fd, int sync, struct cc_error *err,
		  struct cc_ostream **out)
{
	struct fd_sink *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f || !(f->name = strdup(name))) {
		free(f);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	f->fd = fd;
	f->close_fd = close_fd;
	f->sync = sync;
	if (!(*out = cc_ostream_new(&fd_sink_ops, f, NULL, err))) {
		free(f->name);
		free(f);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	return 0;
}

struct mem_sink {
	unsigned char *data;
	size_t len, cap;
};

static int mem_write(struct cc_ostream *s, const void *buf, size_t len)
{
	struct mem_sink *m = s->priv;

	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		unsigned char *d;
		while (cap < m->len + len)
			cap *= 2;
		if (!(d = realloc(m->data, cap)))
			return cc_fail(s->err, CC_E_NOMEM, 0, _("out of memory"));
		m->data = d;
		m->cap = cap;
	}
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	s->bytes_out += len;
	return 0;
}

static int mem_finish(struct cc_ostream *s)
{
	(void)s;
	return 0;
}

static void mem_free(struct cc_ostream *s)
{
	struct mem_sink *m = s->priv;

	free(m->data);
	free(m);
}

static const struct cc_ostream_ops mem_sink_ops = {"mem", mem_write, mem_finish, mem_free};

int cc_ostream_mem(struct cc_error *err, struct cc_ostream **out)
{
	struct mem_sink *m = calloc(1, sizeof(*m));

	if (!m || !(*out = cc_ostream_new(&mem_sink_ops, m, NULL, err))) {
		free(m);
		*out = NULL;
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	return 0;
}

const unsigned char *cc_ostream_mem_data(struct cc_ostream *s, size_t *len)
{
	struct mem_sink *m = s->priv;

	*len = m->len;
	return m->data;
}

/* ---- input ---- */

struct cc_istream *cc_istream_new(const struct cc_istream_ops *ops, void *priv,
				  struct cc_istream *src, struct cc_error *err)
{
	struct cc_istream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = ops;
	s->priv = priv;
	s->src = src;
	s->err = err;
	return s;
}

ssize_t cc_istream_read(struct cc_istream *s, void *buf, size_t len)
{
	ssize_t n;

	if (s->failed)
		return s->failed;
	if (!len)
		return 0;
	n = s->ops->read(s, buf, len);
	if (n < 0)
		s->failed = (int)n;
	else
		s->bytes_out += (uint64_t)n;
	return n;
}

int cc_istream_read_full(struct cc_istream *s, void *buf, size_t len, const char *what)
{
	char *p = buf;
	uint64_t start = s->bytes_out;

	while (len) {
		ssize_t n = cc_istream_read(s, p, len);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			s->failed = cc_fail(s->err, CC_E_TRUNCATED, 0,
					    _("image ends inside the %s (at byte %llu, %zu bytes missing)"),
					    what, (unsigned long long)s->bytes_out, len);
			return s->failed;
		}
		p += n;
		len -= (size_t)n;
	}
	(void)start;
	return 0;
}

void cc_istream_free(struct cc_istream *s)
{
	while (s) {
		struct cc_istream *src = s->src;
		if (s->ops->free)
			s->ops->free(s);
		free(s);
		s = src;
	}
}

struct fd_src {
	int fd;
	int close_fd;
	char *name;
};

static ssize_t fd_read(struct cc_istream *s, void *buf, size_t len)
{
	struct fd_src *f = s->priv;

	for (;;) {
		ssize_t n = read(f->fd, buf, len);
		if (n >= 0) {
			s->bytes_in += (uint64_t)n;
			return n;
		}
		if (errno != EINTR)
			return cc_fail(s->err, CC_E_IO, errno, _("cannot read %s at byte %llu"),
				       f->name, (unsigned long long)s->bytes_in);
	}
}

static void fd_src_free(struct cc_istream *s)
{
	struct fd_src *f = s->priv;

	if (f->close_fd && f->fd >= 0)
		close(f->fd);
	free(f->name);
	free(f);
}

static const struct cc_istream_ops fd_src_ops = {"fd", fd_read, fd_src_free};

int cc_istream_fd(int fd, const char *name, int close_fd, struct cc_error *err,
		  struct cc_istream **out)
{
	struct fd_src *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f || !(f->name = strdup(name)) ||
	    !(*out = cc_istream_new(&fd_src_ops, f, NULL, err))) {
		if (f)
			free(f->name);
		free(f);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	f->fd = fd;
	f->close_fd = close_fd;
	return 0;
}

struct mem_src {
	const unsigned char *data;
	size_t len, pos;
};

static ssize_t mem_read(struct cc_istream *s, void *buf, size_t len)
{
	struct mem_src *m = s->priv;
	size_t n = m->len - m->pos;

	if (n > len)
		n = len;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	s->bytes_in += n;
	return (ssize_t)n;
}

static void mem_src_free(struct cc_istream *s)
{
	free(s->priv);
}

static const struct cc_istream_ops mem_src_ops = {"mem", mem_read, mem_src_free};

int cc_istream_mem(const void *data, size_t len, struct cc_error *err, struct cc_istream **out)
{
	struct mem_src *m = calloc(1, sizeof(*m));

	if (!m || !(*out = cc_istream_new(&mem_src_ops, m, NULL, err))) {
		free(m);
		*out = NULL;
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	m->data = data;
	m->len = len;
	return 0;
}

struct prepend {
	unsigned char *head;
	size_t len, pos;
};

static ssize_t prepend_read(struct cc_istream *s, void *buf, size_t len)
{
	struct prepend *p = s->priv;
	ssize_t n;

	if (p->pos < p->len) {
		size_t k = p->len - p->pos;
		if (k > len)
			k = len;
		memcpy(buf, p->head + p->pos, k);
		p->pos += k;
		return (ssize_t)k;
	}
	n = cc_istream_read(s->src, buf, len);
	if (n > 0)
		s->bytes_in += (uint64_t)n;
	return n;
}

static void prepend_free(struct cc_istream *s)
{
	struct prepend *p = s->priv;

	free(p->head);
	free(p);
}

static const struct cc_istream_ops prepend_ops = {"prepend", prepend_read, prepend_free};

int cc_istream_prepend(struct cc_istream *src, const void *head, size_t len,
		       struct cc_istream **out)
{
	struct prepend *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p || !(p->head = malloc(len ? len : 1)) ||
	    !(*out = cc_istream_new(&prepend_ops, p, src, src->err))) {
		if (p)
			free(p->head);
		free(p);
		return cc_fail(src->err, CC_E_NOMEM, 0, _("out of memory"));
	}
	memcpy(p->head, head, len);
	p->len = len;
	return 0;
}
