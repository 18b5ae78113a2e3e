/* mcast_stream.c - the multicast stream format; see mcast_stream.h. */
#include "mcast_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

#include "error.h"
#include "i18n.h"
#include "stream.h"

#define PREFIX_LEN 24 /* magic, version, flags, header_len */
#define DRAIN_BUF  (256u << 10)

static const char HEAD_MAGIC[8] = "CCMCSTRM";
static const char SECT_MAGIC[8] = "CCMCSECT";
static const char TAIL_MAGIC[8] = "CCMCSEND";
static const char END_MAGIC[8] = "CCMCDONE";

/* ---- little-endian helpers ---- */

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int cc_mcs_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n && n <= CC_MCS_NAME_MAX && strcmp(name, ".") && strcmp(name, "..") &&
	       !strchr(name, '/');
}

void cc_mcs_header_free(struct cc_mcs_header *h)
{
	unsigned i;

	if (!h)
		return;
	for (i = 0; h->small && i < h->nsmall; i++) {
		free(h->small[i].name);
		free(h->small[i].data);
	}
	for (i = 0; h->big && i < h->nbig; i++)
		free(h->big[i].name);
	free(h->small);
	free(h->big);
	free(h->image);
	free(h);
}

int cc_mcs_new_id(unsigned char id[CC_MCS_ID_LEN], struct cc_error *err)
{
	size_t got = 0;

	while (got < CC_MCS_ID_LEN) {
		ssize_t n = getrandom(id + got, CC_MCS_ID_LEN - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cc_fail(err, CC_E_IO, errno, _("cannot get random bytes"));
		got += (size_t)n;
	}
	return 0;
}

/* ---- writing ---- */

struct obuf {
	unsigned char *p;
	size_t len, cap;
	int nomem;
};

static unsigned char *grow(struct obuf *b, size_t n)
{
	if (b->nomem)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *p;

		while (cap < b->len + n)
			cap *= 2;
		if (!(p = realloc(b->p, cap))) {
			b->nomem = 1;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	b->len += n;
	return b->p + b->len - n;
}

static void obuf_bytes(struct obuf *b, const void *data, size_t n)
{
	unsigned char *p = grow(b, n);
	if (p && n)
		memcpy(p, data, n);
}

static void obuf32(struct obuf *b, uint32_t v)
{
	unsigned char *p = grow(b, 4);
	if (p)
		put32(p, v);
}

static void obuf64(struct obuf *b, uint64_t v)
{
	unsigned char *p = grow(b, 8);
	if (p)
		put64(p, v);
}

static void obuf_name(struct obuf *b, const char *name)
{
	size_t n = strlen(name);
	unsigned char *p = grow(b, 2);

	if (p)
		put16(p, (uint16_t)n);
	obuf_bytes(b, name, n);
}

int cc_mcs_header_encode(const struct cc_mcs_header *h, unsigned char **out, size_t *len,
			 struct cc_error *err)
{
	struct obuf b = {NULL, 0, 0, 0};
	unsigned i;

	*out = NULL;
	*len = 0;
	if (!cc_mcs_name_ok(h->image))
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("invalid image name \"%s\""), h->image);
	obuf_bytes(&b, HEAD_MAGIC, 8);
	obuf32(&b, CC_MCS_VERSION);
	obuf32(&b, 0);
	obuf64(&b, 0); /* header_len, below */
	obuf_bytes(&b, h->id, CC_MCS_ID_LEN);
	obuf64(&b, h->used_bytes);
	obuf64(&b, h->payload_bytes);
	obuf64(&b, (uint64_t)h->mtime);
	obuf32(&b, h->nsmall);
	obuf32(&b, h->nbig);
	obuf_name(&b, h->image);
	for (i = 0; i < h->nsmall; i++) {
		obuf_name(&b, h->small[i].name);
		obuf32(&b, (uint32_t)h->small[i].size);
		obuf_bytes(&b, h->small[i].data, (size_t)h->small[i].size);
	}
	for (i = 0; i < h->nbig; i++) {
		obuf_name(&b, h->big[i].name);
		obuf64(&b, h->big[i].size);
	}
	if (!b.nomem)
		put64(b.p + 16, b.len + 8);
	if (!b.nomem)
		obuf64(&b, XXH64(b.p, b.len, 0));
	if (b.nomem) {
		free(b.p);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	if (b.len > CC_MCS_HEADER_MAX) {
		free(b.p);
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("the small files of image '%s' come to %zu bytes; at most %u "
				 "can be sent by multicast"),
			       h->image, b.len, CC_MCS_HEADER_MAX);
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

size_t cc_mcs_section_head(const struct cc_mcs_header *h, unsigned idx, unsigned char *buf)
{
	const char *name = h->big[idx].name;
	size_t n = strlen(name), o = 0;

	memcpy(buf, SECT_MAGIC, 8), o += 8;
	memcpy(buf + o, h->id, CC_MCS_ID_LEN), o += CC_MCS_ID_LEN;
	put32(buf + o, idx), o += 4;
	put16(buf + o, (uint16_t)n), o += 2;
	memcpy(buf + o, name, n), o += n;
	put64(buf + o, h->big[idx].size), o += 8;
	put64(buf + o, XXH64(buf, o, 0)), o += 8;
	return o;
}

size_t cc_mcs_section_tail(const struct cc_mcs_header *h, unsigned idx, uint64_t data_hash,
			   unsigned char *buf)
{
	size_t o = 0;

	memcpy(buf, TAIL_MAGIC, 8), o += 8;
	memcpy(buf + o, h->id, CC_MCS_ID_LEN), o += CC_MCS_ID_LEN;
	put32(buf + o, idx), o += 4;
	put64(buf + o, data_hash), o += 8;
	put64(buf + o, XXH64(buf, o, 0)), o += 8;
	return o;
}

size_t cc_mcs_end(const struct cc_mcs_header *h, unsigned char *buf)
{
	size_t o = 0;

	memcpy(buf, END_MAGIC, 8), o += 8;
	memcpy(buf + o, h->id, CC_MCS_ID_LEN), o += CC_MCS_ID_LEN;
	put32(buf + o, h->nbig), o += 4;
	put64(buf + o, XXH64(buf, o, 0)), o += 8;
	return o;
}

/* ---- reading ---- */

/* Read exactly len bytes; a stream that ends first is -CC_E_TRUNCATED
 * saying where.  The source's own errors keep their message. */
static int read_exact(struct cc_istream *in, void *buf, size_t len, const char *what,
		      const char *where, struct cc_error *err)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = cc_istream_read(in, p, len);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return cc_fail(err, CC_E_TRUNCATED, 0,
				       _("%s ended %s, after %llu bytes: the transfer was cut short"),
				       what, where, (unsigned long long)in->bytes_out);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A cursor over the header bytes. */
struct cur {
	const unsigned char *p, *end;
	int bad;
};

static const unsigned char *take(struct cur *c, size_t n)
{
	const unsigned char *p = c->p;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	return p;
}

static uint32_t take32(struct cur *c)
{
	const unsigned char *p = take(c, 4);
	return p ? get32(p) : 0;
}

static uint64_t take64(struct cur *c)
{
	const unsigned char *p = take(c, 8);
	return p ? get64(p) : 0;
}

/* A name: malloc'd, checked; NULL (c->bad) if it is not a valid one. */
static char *take_name(struct cur *c)
{
	const unsigned char *lp = take(c, 2), *p;
	uint16_t n = lp ? get16(lp) : 0;
	char *s;

	if (!lp || !(p = take(c, n)))
		return NULL;
	if (!(s = malloc((size_t)n + 1))) {
		c->bad = 2;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	if (strlen(s) != n || !cc_mcs_name_ok(s)) {
		free(s);
		c->bad = 1;
		return NULL;
	}
	return s;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* No name twice (a restore could read the wrong one). */
static int names_unique(const struct cc_mcs_header *h)
{
	unsigned n = h->nsmall + h->nbig, i, k = 0;
	char **v = malloc((n ? n : 1) * sizeof(*v));
	int ok = 1;

	if (!v)
		return -1;
	for (i = 0; i < h->nsmall; i++)
		v[k++] = h->small[i].name;
	for (i = 0; i < h->nbig; i++)
		v[k++] = h->big[i].name;
	qsort(v, n, sizeof(*v), name_cmp);
	for (i = 1; i < n && ok; i++)
		ok = strcmp(v[i - 1], v[i]) != 0;
	free(v);
	return ok;
}

static int parse_header(const unsigned char *buf, size_t len, struct cc_mcs_header *h)
{
	struct cur c = {buf + PREFIX_LEN, buf + len - 8, 0};
	const unsigned char *id = take(&c, CC_MCS_ID_LEN);
	uint64_t sum = 0;
	unsigned i;

	if (id)
		memcpy(h->id, id, CC_MCS_ID_LEN);
	h->used_bytes = take64(&c);
	h->payload_bytes = take64(&c);
	h->mtime = (int64_t)take64(&c);
	h->nsmall = take32(&c);
	h->nbig = take32(&c);
	if (c.bad || h->nsmall > CC_MCS_FILES_MAX || h->nbig > CC_MCS_FILES_MAX)
		return -1;
	if (!(h->image = take_name(&c)))
		return c.bad == 2 ? -2 : -1;
	h->small = calloc(h->nsmall ? h->nsmall : 1, sizeof(*h->small));
	h->big = calloc(h->nbig ? h->nbig : 1, sizeof(*h->big));
	if (!h->small || !h->big)
		return -2;
	for (i = 0; i < h->nsmall; i++) {
		struct cc_mcs_file *f = &h->small[i];
		const unsigned char *d;

		if (!(f->name = take_name(&c)))
			return c.bad == 2 ? -2 : -1;
		f->size = take32(&c);
		if (f->size > CC_MCS_SMALL_MAX || !(d = take(&c, (size_t)f->size)))
			return -1;
		if (!(f->data = malloc((size_t)f->size + 1)))
			return -2;
		memcpy(f->data, d, (size_t)f->size);
		f->data[f->size] = '\0';
	}
	for (i = 0; i < h->nbig; i++) {
		if (!(h->big[i].name = take_name(&c)))
			return c.bad == 2 ? -2 : -1;
		h->big[i].size = take64(&c);
		if (c.bad || sum + h->big[i].size < sum)
			return -1;
		sum += h->big[i].size;
	}
	if (c.bad || c.p != c.end || sum != h->payload_bytes)
		return -1;
	return names_unique(h) > 0 ? 0 : -1;
}

int cc_mcs_header_read(struct cc_istream *in, const char *what, struct cc_mcs_header **out,
		       struct cc_error *err)
{
	unsigned char pre[PREFIX_LEN], *buf;
	struct cc_mcs_header *h;
	uint64_t hlen;
	uint32_t version;
	int ret;

	*out = NULL;
	if ((ret = read_exact(in, pre, sizeof(pre), what, _("before its header"), err)) < 0)
		return ret;
	if (memcmp(pre, HEAD_MAGIC, 8))
		return cc_fail(err, CC_E_FORMAT, 0,
			       _("%s is not a Clonecast multicast stream (it does not start "
				 "with one)"),
			       what);
	version = get32(pre + 8);
	if (version != CC_MCS_VERSION)
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("%s has format version %u; this Clonecast reads version %u: use "
				 "the same Clonecast on the server and the clients"),
			       what, version, CC_MCS_VERSION);
	hlen = get64(pre + 16);
	if (hlen < PREFIX_LEN + 72 || hlen > CC_MCS_HEADER_MAX)
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("%s: its header is damaged (length %llu)"), what,
			       (unsigned long long)hlen);
	if (!(buf = malloc((size_t)hlen)))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	memcpy(buf, pre, PREFIX_LEN);
	ret = read_exact(in, buf + PREFIX_LEN, (size_t)hlen - PREFIX_LEN, what,
			 _("inside its header"), err);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	if (XXH64(buf, (size_t)hlen - 8, 0) != get64(buf + hlen - 8)) {
		free(buf);
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("%s: its header does not match its checksum (damaged on the "
				 "way); nothing was written"),
			       what);
	}
	if (!(h = calloc(1, sizeof(*h)))) {
		free(buf);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	ret = parse_header(buf, (size_t)hlen, h);
	free(buf);
	if (ret < 0) {
		cc_mcs_header_free(h);
		if (ret == -2)
			return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("%s: its header is not valid (bad names, sizes or counts)"), what);
	}
	*out = h;
	return 0;
}

struct cc_mcs_reader {
	struct cc_istream *in;
	const struct cc_mcs_header *h;
	char *what;
	unsigned next; /* the next section whose head is unread */
	unsigned cur;  /* the open section */
	int open;
	uint64_t left; /* bytes of cur not read yet */
	XXH64_state_t *hash;
	unsigned char *drain;
	struct cc_error first; /* after a failure everything fails the same way */
	int dead;
};

int cc_mcs_reader_new(struct cc_istream *in, const struct cc_mcs_header *h, const char *what,
		      struct cc_mcs_reader **out, struct cc_error *err)
{
	struct cc_mcs_reader *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r || !(r->what = strdup(what)) || !(r->hash = XXH64_createState())) {
		if (r)
			free(r->what);
		free(r);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	r->in = in;
	r->h = h;
	*out = r;
	return 0;
}

void cc_mcs_reader_free(struct cc_mcs_reader *r)
{
	if (!r)
		return;
	XXH64_freeState(r->hash);
	free(r->drain);
	free(r->what);
	free(r);
}

unsigned cc_mcs_position(const struct cc_mcs_reader *r, int *open)
{
	if (open)
		*open = r->open;
	return r->open ? r->cur : r->next;
}

/* Remember a failure: the stream is unusable from here on. */
static int die(struct cc_mcs_reader *r, int ret, struct cc_error *err)
{
	if (!r->dead) {
		r->dead = ret;
		if (err)
			r->first = *err;
	}
	return ret;
}

static int dead(struct cc_mcs_reader *r, struct cc_error *err)
{
	if (err)
		*err = r->first;
	return r->dead;
}

static const char *sect_name(const struct cc_mcs_reader *r, unsigned idx)
{
	return idx < r->h->nbig ? r->h->big[idx].name : "?";
}

static int bad_section(struct cc_mcs_reader *r, unsigned idx, const char *why,
		       struct cc_error *err)
{
	return die(r,
		   cc_fail(err, CC_E_CORRUPT, 0,
			   _("%s, section %u (%s): %s; the stream was damaged or mixed up on "
			     "the way"),
			   r->what, idx + 1, sect_name(r, idx), why),
		   err);
}

/* Read and check the head of section r->next and open it. */
static int read_head(struct cc_mcs_reader *r, struct cc_error *err)
{
	unsigned idx = r->next;
	const struct cc_mcs_file *f = &r->h->big[idx];
	unsigned char b[CC_MCS_MARK_MAX], want[CC_MCS_MARK_MAX];
	size_t n = cc_mcs_section_head(r->h, idx, want), o = 8 + CC_MCS_ID_LEN + 4 + 2;
	char where[300];
	int ret;

	snprintf(where, sizeof(where), _("before section %u (%s)"), idx + 1, f->name);
	if ((ret = read_exact(r->in, b, o, r->what, where, err)) < 0)
		return die(r, ret, err);
	if (memcmp(b, SECT_MAGIC, 8))
		return bad_section(r, idx, _("no section starts where it should"), err);
	if (memcmp(b + 8, r->h->id, CC_MCS_ID_LEN))
		return bad_section(r, idx, _("the section belongs to another transfer"), err);
	if (get32(b + 24) != idx)
		return bad_section(r, idx, _("a section with another number came instead"), err);
	if (get16(b + 28) != strlen(f->name))
		return bad_section(r, idx, _("the section has another file name"), err);
	if ((ret = read_exact(r->in, b + o, n - o, r->what, where, err)) < 0)
		return die(r, ret, err);
	if (memcmp(b, want, n))
		return bad_section(r, idx,
				   _("its heading does not match (file name, length or checksum)"),
				   err);
	r->cur = idx;
	r->open = 1;
	r->next = idx + 1;
	r->left = f->size;
	XXH64_reset(r->hash, 0);
	return 0;
}

/* The open section's bytes are all read: check its tail and close it. */
static int read_tail(struct cc_mcs_reader *r, struct cc_error *err)
{
	unsigned char b[CC_MCS_MARK_MAX], want[CC_MCS_MARK_MAX];
	uint64_t got = XXH64_digest(r->hash);
	size_t n = cc_mcs_section_tail(r->h, r->cur, got, want);
	char where[300];
	int ret;

	snprintf(where, sizeof(where), _("at the end of section %u (%s)"), r->cur + 1,
		 sect_name(r, r->cur));
	if ((ret = read_exact(r->in, b, n, r->what, where, err)) < 0)
		return die(r, ret, err);
	if (memcmp(b, TAIL_MAGIC, 8) || memcmp(b + 8, r->h->id, CC_MCS_ID_LEN) ||
	    get32(b + 24) != r->cur || XXH64(b, n - 8, 0) != get64(b + n - 8))
		return bad_section(r, r->cur, _("its end mark is missing or damaged"), err);
	if (get64(b + 28) != got)
		return bad_section(r, r->cur,
				   _("its bytes do not match the checksum sent with them"), err);
	r->open = 0;
	return 0;
}

ssize_t cc_mcs_read(struct cc_mcs_reader *r, void *buf, size_t len, struct cc_error *err)
{
	ssize_t n;
	int ret;

	if (r->dead)
		return dead(r, err);
	if (!r->open)
		return 0;
	if (!r->left)
		return (ret = read_tail(r, err)) < 0 ? ret : 0;
	if (len > r->left)
		len = (size_t)r->left;
	n = cc_istream_read(r->in, buf, len);
	if (n == 0)
		n = cc_fail(err, CC_E_TRUNCATED, 0,
			    _("%s ended inside section %u (%s), %llu bytes before its end: the "
			      "transfer was cut short"),
			    r->what, r->cur + 1, sect_name(r, r->cur), (unsigned long long)r->left);
	if (n < 0)
		return die(r, (int)n, err);
	XXH64_update(r->hash, buf, (size_t)n);
	r->left -= (uint64_t)n;
	return n;
}

/* Read the rest of the open section (checked, dropped). */
static int drain(struct cc_mcs_reader *r, struct cc_error *err)
{
	if (!r->drain && !(r->drain = malloc(DRAIN_BUF)))
		return die(r, cc_fail(err, CC_E_NOMEM, 0, _("out of memory")), err);
	while (r->open) {
		ssize_t n = cc_mcs_read(r, r->drain, DRAIN_BUF, err);
		if (n < 0)
			return (int)n;
	}
	return 0;
}

int cc_mcs_begin(struct cc_mcs_reader *r, unsigned idx, struct cc_error *err)
{
	int ret;

	if (r->dead)
		return dead(r, err);
	if (idx >= r->h->nbig)
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("%s has no section %u"), r->what, idx + 1);
	if (idx < r->next)
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("%s: section %u (%s) has already gone by; the restore needs the "
				 "files in the order the server sends them"),
			       r->what, idx + 1, sect_name(r, idx));
	while (r->open || r->next < idx) {
		if (!r->open && (ret = read_head(r, err)) < 0)
			return ret;
		if ((ret = drain(r, err)) < 0)
			return ret;
	}
	return read_head(r, err);
}

int cc_mcs_finish(struct cc_mcs_reader *r, struct cc_error *err)
{
	unsigned char b[CC_MCS_MARK_MAX], want[CC_MCS_MARK_MAX], extra;
	size_t n = cc_mcs_end(r->h, want);
	ssize_t k;
	int ret;

	if (r->dead)
		return dead(r, err);
	while (r->open || r->next < r->h->nbig) {
		if (!r->open && (ret = read_head(r, err)) < 0)
			return ret;
		if ((ret = drain(r, err)) < 0)
			return ret;
	}
	if ((ret = read_exact(r->in, b, n, r->what, _("before its end mark"), err)) < 0)
		return die(r, ret, err);
	if (memcmp(b, want, n))
		return die(r,
			   cc_fail(err, CC_E_CORRUPT, 0,
				   _("%s: its end mark is missing or damaged"), r->what),
			   err);
	k = cc_istream_read(r->in, &extra, 1);
	if (k < 0)
		return die(r, (int)k, err);
	if (k > 0)
		return die(r,
			   cc_fail(err, CC_E_CORRUPT, 0,
				   _("%s goes on after its end mark"), r->what),
			   err);
	return 0;
}
