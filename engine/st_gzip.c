/*
 * st_gzip.c - parallel gzip compressor (ostream) and gzip decompressor
 * (istream).
 *
 * Compressor: ONE standard gzip member, compressed in parallel the way
 * pigz does it.  write() fills 1 MiB blocks; each full block goes to a
 * worker thread that deflates it into raw deflate ending with a sync flush
 * (byte aligned, not final; the last block is final), with the last 32 KiB
 * of the previous block as preset dictionary, so the ratio is that of one
 * continuous stream.  The worker also computes the block's CRC32; the
 * caller's thread writes the pieces in block order behind a gzip header and
 * ends the member with the combined CRC32 (crc32_combine) and the length
 * mod 2^32.  At most 2 * threads + 1 blocks exist at a time, so memory
 * stays bounded (about 2.1 MiB per block).
 *
 * Levels (gzip:N), measured on a 200 MB mix of ELF binaries, text, random
 * and zeros (see tests/bench/codec-bench.c):
 *   1 (default)  ISA-L level 3 with the "small" level buffer: on binaries,
 *                text and the mix the image is 0.5-8% smaller than
 *                `pigz -1`'s, at about 4x zlib -1's speed per core.
 *                (ISA-L levels 1 and 2 are faster but bigger than pigz -1.)
 *   2..9         zlib at that level, in parallel: the ratio of `pigz -N`.
 *
 * Decompressor: ISA-L inflate (several times faster than zlib) with header
 * parsing and CRC32/ISIZE verification of every member.  Concatenated
 * members are read as one stream, as gunzip does.  After the last member,
 * zero bytes (tape or block padding) are accepted as the end; any other
 * trailing data is -CC_E_CORRUPT (gunzip only warns; for an image we want
 * to know).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l.h>
#include <zlib.h>

#include "compress.h"
#include "error.h"
#include "i18n.h"

#define GZ_BLOCK       (1u << 20)
#define GZ_DICT	       32768u
#define GZ_MAX_THREADS 64u
#define GZ_ISAL_LEVEL  3
/*
 * ISA-L's level buffer sets how many tokens share one Huffman table: fewer
 * adapt better.  Measured on the 4 GiB benchmark NTFS (2155 MB used),
 * against pigz -1 at 986.0 MB: 16 Ki tokens 987.0 MB in 3.3 s, 8 Ki tokens
 * 979.6 MB in 3.6 s, 4 Ki tokens 973.7 MB in 6.1 s.  8 Ki keeps us smaller
 * than pigz -1 at nearly full speed.
 */
#define GZ_ISAL_BUF    (ISAL_DEF_LVL3_REQ + ISAL_DEF_LVL3_TOKEN_SIZE * 8 * IGZIP_K)
#define GZ_IN_BUF      (1u << 20)

/* ---- compressor ---- */

struct gz_job {
	unsigned char *in; /* GZ_DICT bytes of dictionary, then the block */
	size_t dict_len, len;
	unsigned char *out;
	size_t out_len, out_cap;
	uint32_t crc;
	int last;
	int done; /* guarded by gz.lock */
	int rc;	  /* 0, -CC_E_NOMEM or -CC_E_COMPRESSION */
	int lib_rc;
};

struct gz;

struct gz_worker {
	struct gz *g;
	pthread_t tid;
	struct isal_zstream *zs; /* ISA-L (level 1) */
	unsigned char *level_buf;
	z_stream z; /* zlib (levels 2-9) */
	int z_ready;
};

struct gz {
	pthread_mutex_t lock;
	pthread_cond_t work; /* workers wait for queued blocks */
	pthread_cond_t done; /* the writer waits for a finished block */
	struct gz_job *jobs;
	unsigned njobs;
	struct gz_worker *workers;
	unsigned nthreads; /* entries in workers */
	unsigned nworkers; /* threads running */
	uint64_t queued;   /* blocks handed to workers; the block being filled is `queued` */
	uint64_t taken;	   /* blocks taken by workers */
	uint64_t written;  /* blocks written to next */
	int filling;	   /* jobs[queued % njobs] is being filled */
	int stop;
	int level;
	uint32_t crc;
	uint64_t isize;
};

static struct gz_job *gz_slot(struct gz *g, uint64_t seq)
{
	return &g->jobs[seq % g->njobs];
}

static int gz_grow_out(struct gz_job *job)
{
	size_t cap = job->out_cap + job->out_cap / 2;
	unsigned char *p = realloc(job->out, cap);

	if (!p)
		return -CC_E_NOMEM;
	job->out = p;
	job->out_cap = cap;
	return 0;
}

/* ISA-L: raw deflate of one block, sync flushed or final. */
static int gz_deflate_isal(struct gz_worker *w, struct gz_job *job)
{
	struct isal_zstream *zs = w->zs;
	int r, stuck;

	isal_deflate_init(zs);
	zs->level = GZ_ISAL_LEVEL;
	zs->level_buf = w->level_buf;
	zs->level_buf_size = GZ_ISAL_BUF;
	zs->gzip_flag = IGZIP_DEFLATE;
	if (job->dict_len &&
	    (r = isal_deflate_set_dict(zs, job->in + GZ_DICT - job->dict_len,
				       (uint32_t)job->dict_len)) != COMP_OK) {
		job->lib_rc = r;
		return -CC_E_COMPRESSION;
	}
	zs->next_in = job->in + GZ_DICT;
	zs->avail_in = (uint32_t)job->len;
	zs->end_of_stream = (uint16_t)job->last;
	zs->flush = job->last ? NO_FLUSH : SYNC_FLUSH;
	job->out_len = 0;
	for (stuck = 0;;) {
		uint32_t in_before = zs->avail_in;

		zs->next_out = job->out + job->out_len;
		zs->avail_out = (uint32_t)(job->out_cap - job->out_len);
		r = isal_deflate(zs);
		if (r != COMP_OK) {
			job->lib_rc = r;
			return -CC_E_COMPRESSION;
		}
		stuck = zs->avail_in == in_before && job->out_len == job->out_cap - zs->avail_out
				? stuck + 1
				: 0;
		job->out_len = job->out_cap - zs->avail_out;
		/* Done: all input taken, and the flush or the end written in full. */
		if (!zs->avail_in && zs->avail_out &&
		    zs->internal_state.state == (job->last ? ZSTATE_END : ZSTATE_NEW_HDR))
			return 0;
		if (stuck > 2) { /* no progress with room left: should not happen */
			job->lib_rc = (int)zs->internal_state.state;
			return -CC_E_COMPRESSION;
		}
		if (!zs->avail_out && gz_grow_out(job) < 0)
			return -CC_E_NOMEM;
	}
}

/* zlib: the same with deflateSetDictionary and Z_SYNC_FLUSH (as pigz). */
static int gz_deflate_zlib(struct gz_worker *w, struct gz_job *job)
{
	z_stream *z = &w->z;
	int flush = job->last ? Z_FINISH : Z_SYNC_FLUSH;
	int r;

	if ((r = deflateReset(z)) != Z_OK ||
	    (job->dict_len && (r = deflateSetDictionary(z, job->in + GZ_DICT - job->dict_len,
							(uInt)job->dict_len)) != Z_OK)) {
		job->lib_rc = r;
		return -CC_E_COMPRESSION;
	}
	z->next_in = job->in + GZ_DICT;
	z->avail_in = (uInt)job->len;
	job->out_len = 0;
	for (;;) {
		z->next_out = job->out + job->out_len;
		z->avail_out = (uInt)(job->out_cap - job->out_len);
		r = deflate(z, flush);
		job->out_len = job->out_cap - z->avail_out;
		if (job->last ? r == Z_STREAM_END : (r == Z_OK || r == Z_BUF_ERROR) && z->avail_out)
			return 0;
		if (z->avail_out || (r != Z_OK && r != Z_BUF_ERROR)) {
			job->lib_rc = r;
			return -CC_E_COMPRESSION;
		}
		if (gz_grow_out(job) < 0)
			return -CC_E_NOMEM;
	}
}

/* Bytes of `len` bytes as deflate stored blocks (5 bytes per 65535). */
static size_t gz_stored_size(size_t len)
{
	return len + 5 * (len ? (len + 65534) / 65535 : 1);
}

/*
 * Replace the block's output by stored blocks.  Already-compressed data
 * (photos, archives, random) comes out of ISA-L slightly larger than it
 * went in; deflate's stored blocks cost only 5 bytes per 64 KiB, as zlib
 * chooses for itself.  The block starts byte-aligned (the previous block
 * ended with a sync flush) and stored blocks end byte-aligned.
 */
static int gz_store(struct gz_job *job)
{
	const unsigned char *in = job->in + GZ_DICT;
	size_t left = job->len, need = gz_stored_size(job->len);
	unsigned char *o;

	while (job->out_cap < need)
		if (gz_grow_out(job) < 0)
			return -CC_E_NOMEM;
	o = job->out;
	do {
		size_t n = left > 65535 ? 65535 : left;

		left -= n;
		*o++ = job->last && !left; /* BFINAL, BTYPE 00 */
		o[0] = (unsigned char)n;
		o[1] = (unsigned char)(n >> 8);
		o[2] = (unsigned char)~n;
		o[3] = (unsigned char)(~n >> 8);
		memcpy(o + 4, in, n);
		o += 4 + n;
		in += n;
	} while (left);
	job->out_len = (size_t)(o - job->out);
	return 0;
}

static void gz_compress_job(struct gz_worker *w, struct gz_job *job)
{
	job->crc = crc32_gzip_refl(0, job->in + GZ_DICT, job->len);
	job->rc = w->g->level == 1 ? gz_deflate_isal(w, job) : gz_deflate_zlib(w, job);
	if (!job->rc && job->out_len > gz_stored_size(job->len))
		job->rc = gz_store(job);
}

static void *gz_worker_main(void *arg)
{
	struct gz_worker *w = arg;
	struct gz *g = w->g;
	struct gz_job *job;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (!g->stop && g->taken == g->queued)
			pthread_cond_wait(&g->work, &g->lock);
		if (g->stop)
			break;
		job = gz_slot(g, g->taken++);
		pthread_mutex_unlock(&g->lock);
		gz_compress_job(w, job);
		pthread_mutex_lock(&g->lock);
		job->done = 1;
		pthread_cond_signal(&g->done);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

static int gz_put(struct cc_ostream *s, const void *buf, size_t len)
{
	int r = cc_ostream_write(s->next, buf, len);

	if (r < 0)
		return r;
	s->bytes_out += len;
	return 0;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static int gz_put_header(struct cc_ostream *s)
{
	struct gz *g = s->priv;
	/* No name, mtime 0 (reproducible images), OS Unix; XFL as gzip sets it. */
	unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

	h[8] = g->level == 1 ? 4 : g->level == 9 ? 2 : 0;
	return gz_put(s, h, sizeof(h));
}

/* Write the finished block `written` to next and account for it. */
static int gz_emit(struct cc_ostream *s, struct gz_job *job)
{
	struct gz *g = s->priv;
	unsigned long long off = (unsigned long long)g->written * GZ_BLOCK;
	int r;

	if (job->rc == -CC_E_NOMEM)
		return cc_fail(s->err, CC_E_NOMEM, 0,
			       _("out of memory compressing the gzip block at input byte %llu"),
			       off);
	if (job->rc < 0)
		return cc_fail(s->err, CC_E_COMPRESSION, 0,
			       _("gzip compression failed for the block at input byte %llu "
				 "(%s error %d)"),
			       off, g->level == 1 ? "ISA-L" : "zlib", job->lib_rc);
	if (!g->written && (r = gz_put_header(s)) < 0)
		return r;
	if ((r = gz_put(s, job->out, job->out_len)) < 0)
		return r;
	g->crc = (uint32_t)crc32_combine(g->crc, job->crc, (z_off_t)job->len);
	g->isize += job->len;
	return 0;
}

/* Write finished blocks in order; with `wait`, wait for at least one. */
static int gz_collect(struct cc_ostream *s, int wait)
{
	struct gz *g = s->priv;
	struct gz_job *job;
	int ready, r;

	for (;;) {
		pthread_mutex_lock(&g->lock);
		if (g->written == g->queued) {
			pthread_mutex_unlock(&g->lock);
			return 0;
		}
		job = gz_slot(g, g->written);
		while (wait && !job->done)
			pthread_cond_wait(&g->done, &g->lock);
		ready = job->done;
		pthread_mutex_unlock(&g->lock);
		if (!ready)
			return 0;
		if ((r = gz_emit(s, job)) < 0)
			return r;
		g->written++;
		wait = 0;
	}
}

/* Make jobs[queued] the block being filled, waiting for a free slot. */
static int gz_acquire(struct cc_ostream *s)
{
	struct gz *g = s->priv;
	struct gz_job *job;
	int r;

	while (g->queued - g->written >= g->njobs)
		if ((r = gz_collect(s, 1)) < 0)
			return r;
	job = gz_slot(g, g->queued);
	job->len = 0;
	job->done = 0;
	job->last = 0;
	job->rc = 0;
	g->filling = 1;
	return 0;
}

static void gz_submit(struct gz *g, int last)
{
	struct gz_job *job = gz_slot(g, g->queued);

	/* The previous block is still in its slot: that slot is reused only
	 * for block queued + njobs - 1, acquired after this one is queued. */
	if (g->queued) {
		struct gz_job *prev = gz_slot(g, g->queued - 1);
		job->dict_len = GZ_DICT;
		memcpy(job->in, prev->in + GZ_DICT + prev->len - GZ_DICT, GZ_DICT);
	} else {
		job->dict_len = 0;
	}
	job->last = last;
	g->filling = 0;
	pthread_mutex_lock(&g->lock);
	g->queued++;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->lock);
}

static int gz_write(struct cc_ostream *s, const void *buf, size_t len)
{
	struct gz *g = s->priv;
	const unsigned char *p = buf;
	int r;

	while (len) {
		struct gz_job *job;
		size_t n;

		if (!g->filling && (r = gz_acquire(s)) < 0)
			return r;
		job = gz_slot(g, g->queued);
		n = GZ_BLOCK - job->len;
		if (n > len)
			n = len;
		memcpy(job->in + GZ_DICT + job->len, p, n);
		job->len += n;
		p += n;
		len -= n;
		if (job->len == GZ_BLOCK) {
			gz_submit(g, 0);
			if ((r = gz_collect(s, 0)) < 0)
				return r;
		}
	}
	return 0;
}

static void gz_stop_workers(struct gz *g)
{
	unsigned i;

	pthread_mutex_lock(&g->lock);
	g->stop = 1;
	pthread_cond_broadcast(&g->work);
	pthread_mutex_unlock(&g->lock);
	for (i = 0; i < g->nworkers; i++)
		pthread_join(g->workers[i].tid, NULL);
	g->nworkers = 0;
}

static int gz_finish(struct cc_ostream *s)
{
	struct gz *g = s->priv;
	unsigned char t[8];
	int r;

	if (!g->filling && (r = gz_acquire(s)) < 0)
		return r;
	gz_submit(g, 1);
	while (g->written < g->queued)
		if ((r = gz_collect(s, 1)) < 0)
			return r;
	gz_stop_workers(g);
	put_le32(t, g->crc);
	put_le32(t + 4, (uint32_t)g->isize);
	if ((r = gz_put(s, t, sizeof(t))) < 0)
		return r;
	return cc_ostream_finish(s->next);
}

static void gz_free_priv(struct gz *g)
{
	unsigned i;

	gz_stop_workers(g);
	for (i = 0; g->workers && i < g->nthreads; i++) {
		struct gz_worker *w = &g->workers[i];
		if (w->z_ready)
			deflateEnd(&w->z);
		free(w->zs);
		free(w->level_buf);
	}
	for (i = 0; g->jobs && i < g->njobs; i++) {
		free(g->jobs[i].in);
		free(g->jobs[i].out);
	}
	free(g->workers);
	free(g->jobs);
	pthread_cond_destroy(&g->work);
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static void gz_free(struct cc_ostream *s)
{
	gz_free_priv(s->priv);
}

static const struct cc_ostream_ops gz_ops = {"gzip", gz_write, gz_finish, gz_free};

static int gz_worker_init(struct gz *g, struct gz_worker *w)
{
	w->g = g;
	if (g->level == 1)
		return (w->zs = malloc(sizeof(*w->zs))) && (w->level_buf = malloc(GZ_ISAL_BUF))
			       ? 0
			       : -1;
	if (deflateInit2(&w->z, g->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	w->z_ready = 1;
	return 0;
}

/* Allocate everything; 0 or -1 (no memory).  Threads are started later. */
static int gz_alloc(struct gz *g, unsigned threads)
{
	unsigned i;

	g->njobs = 2 * threads + 1;
	if (!(g->jobs = calloc(g->njobs, sizeof(*g->jobs))) ||
	    !(g->workers = calloc(threads, sizeof(*g->workers))))
		return -1;
	g->nthreads = threads;
	for (i = 0; i < g->njobs; i++) {
		struct gz_job *job = &g->jobs[i];
		job->out_cap = GZ_BLOCK + GZ_BLOCK / 64 + 4096;
		if (!(job->in = malloc(GZ_DICT + GZ_BLOCK)) || !(job->out = malloc(job->out_cap)))
			return -1;
	}
	for (i = 0; i < threads; i++)
		if (gz_worker_init(g, &g->workers[i]) < 0)
			return -1;
	return 0;
}

static unsigned gz_threads(unsigned threads)
{
	long n;

	if (!threads) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 1;
	}
	return threads > GZ_MAX_THREADS ? GZ_MAX_THREADS : threads;
}

int cc_gzip_compress_new(int level, unsigned threads, struct cc_ostream *next,
			 struct cc_error *err, struct cc_ostream **out)
{
	struct gz *g = calloc(1, sizeof(*g));
	int r = 0;

	*out = NULL;
	if (!g)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->work, NULL);
	pthread_cond_init(&g->done, NULL);
	g->level = level;
	threads = gz_threads(threads);
	if (gz_alloc(g, threads) < 0) {
		gz_free_priv(g);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory for %u gzip threads"),
			       threads);
	}
	for (; g->nworkers < threads; g->nworkers++) {
		struct gz_worker *w = &g->workers[g->nworkers];
		if ((r = pthread_create(&w->tid, NULL, gz_worker_main, w)) != 0)
			break;
	}
	if (!g->nworkers) { /* fewer threads than asked is fine, none is not */
		gz_free_priv(g);
		return cc_fail(err, CC_E_NOMEM, r, _("cannot start a gzip compression thread"));
	}
	if (!(*out = cc_ostream_new(&gz_ops, g, next, err))) {
		gz_free_priv(g);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	return 0;
}

/* ---- decompressor ---- */

/*
 * The gzip header is parsed here, not by ISA-L: isal_inflate (2.30) fails
 * on valid headers with FEXTRA, FNAME or FHCRC when they arrive split over
 * two calls.  ISA-L then inflates the raw deflate data and verifies the
 * trailer (ISAL_GZIP_NO_HDR_VER: CRC32 and ISIZE).
 */
enum gd_phase { GD_BETWEEN, GD_HEADER, GD_MEMBER, GD_DONE };
enum gd_field { H_FIXED, H_XLEN, H_EXTRA, H_NAME, H_COMMENT, H_HCRC, H_END };

#define FHCRC	 0x02
#define FEXTRA	 0x04
#define FNAME	 0x08
#define FCOMMENT 0x10

struct gd {
	struct inflate_state st;
	unsigned char *in;
	int eof;
	enum gd_phase phase;
	unsigned long long member;     /* 1-based number of the current member */
	unsigned long long member_off; /* its compressed offset */
	/* header parser */
	enum gd_field field;
	unsigned char fixed[10];
	unsigned pos, len; /* bytes of the current field seen / expected */
	uint32_t hcrc;
};

static unsigned long long gd_offset(struct cc_istream *s)
{
	struct gd *d = s->priv;

	return (unsigned long long)(s->bytes_in - d->st.avail_in);
}

/* Refill the input buffer once it is empty; sets eof at the end. */
static int gd_fill(struct cc_istream *s)
{
	struct gd *d = s->priv;
	ssize_t n;

	if (d->st.avail_in || d->eof)
		return 0;
	n = cc_istream_read(s->src, d->in, GZ_IN_BUF);
	if (n < 0)
		return (int)n;
	if (n == 0)
		d->eof = 1;
	s->bytes_in += (uint64_t)n;
	d->st.next_in = d->in;
	d->st.avail_in = (uint32_t)n;
	return 0;
}

static int gd_truncated(struct cc_istream *s, const char *where)
{
	struct gd *d = s->priv;

	return cc_fail(s->err, CC_E_TRUNCATED, 0,
		       _("gzip member %llu (at compressed byte %llu) is truncated: the data ends "
			 "in its %s at compressed byte %llu"),
		       d->member, d->member_off, where, gd_offset(s));
}

static int gd_bad_header(struct cc_istream *s, const char *why)
{
	struct gd *d = s->priv;

	return cc_fail(s->err, CC_E_CORRUPT, 0,
		       _("invalid gzip header of member %llu at compressed byte %llu: %s"),
		       d->member, d->member_off, why);
}

static int gd_error(struct cc_istream *s, int r)
{
	struct gd *d = s->priv;

	if (r == ISAL_INCORRECT_CHECKSUM)
		return cc_fail(s->err, CC_E_CORRUPT, 0,
			       _("gzip member %llu (at compressed byte %llu) is corrupt: CRC32 or "
				 "length mismatch (detected at compressed byte %llu)"),
			       d->member, d->member_off, gd_offset(s));
	return cc_fail(s->err, CC_E_CORRUPT, 0,
		       _("gzip member %llu (at compressed byte %llu) is corrupt: invalid deflate "
			 "data (ISA-L error %d) at compressed byte %llu"),
		       d->member, d->member_off, r, gd_offset(s));
}

/* The first optional field present after `after`, or H_END. */
static enum gd_field gd_next_field(const struct gd *d, enum gd_field after)
{
	static const struct {
		enum gd_field f;
		unsigned flag;
	} order[] = {{H_XLEN, FEXTRA}, {H_NAME, FNAME}, {H_COMMENT, FCOMMENT}, {H_HCRC, FHCRC}};
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i].f > after && (d->fixed[3] & order[i].flag))
			return order[i].f;
	return H_END;
}

/* Take up to `want` header bytes into the header CRC; returns the count. */
static size_t gd_take(struct gd *d, size_t want)
{
	size_t n = want < d->st.avail_in ? want : d->st.avail_in;

	d->hcrc = crc32_gzip_refl(d->hcrc, d->st.next_in, n);
	d->st.next_in += n;
	d->st.avail_in -= (uint32_t)n;
	return n;
}

/* Parse as much of the header as the buffer holds; 1 when it is complete. */
static int gd_header_step(struct cc_istream *s)
{
	struct gd *d = s->priv;
	const unsigned char *p = d->st.next_in, *z;
	size_t n;

	switch (d->field) {
	case H_FIXED:
		n = gd_take(d, sizeof(d->fixed) - d->pos);
		memcpy(d->fixed + d->pos, p, n);
		if ((d->pos += (unsigned)n) < sizeof(d->fixed))
			return 0;
		if (d->fixed[1] != 0x8b)
			return d->member > 1 ? cc_fail(s->err, CC_E_CORRUPT, 0,
						       _("trailing garbage after gzip member %llu "
							 "at compressed byte %llu"),
						       d->member - 1, d->member_off)
					     : gd_bad_header(s, _("bad magic"));
		if (d->fixed[2] != 8)
			return gd_bad_header(s, _("compression method is not deflate"));
		if (d->fixed[3] & 0xe0)
			return gd_bad_header(s, _("reserved flags are set"));
		break;
	case H_XLEN:
		n = gd_take(d, 2 - d->pos);
		if (n)
			d->len |= (unsigned)p[0] << (8 * d->pos);
		if (n > 1)
			d->len |= (unsigned)p[1] << 8;
		if ((d->pos += (unsigned)n) < 2)
			return 0;
		if (d->len) {
			d->field = H_EXTRA;
			d->pos = 0;
			return 0;
		}
		break;
	case H_EXTRA:
		d->pos += (unsigned)gd_take(d, d->len - d->pos);
		if (d->pos < d->len)
			return 0;
		d->field = H_XLEN; /* continue after the extra field */
		break;
	case H_NAME:
	case H_COMMENT:
		z = memchr(p, 0, d->st.avail_in);
		n = gd_take(d, z ? (size_t)(z - p) + 1 : d->st.avail_in);
		if (!z)
			return 0;
		break;
	case H_HCRC:
		if (d->pos == 0)
			d->len = d->hcrc & 0xffff; /* CRC of the header before this field */
		n = d->st.avail_in < 2 - d->pos ? d->st.avail_in : 2 - d->pos;
		if (n && p[0] != (unsigned char)(d->len >> (8 * d->pos)))
			return gd_bad_header(s, _("header CRC mismatch"));
		if (n > 1 && p[1] != (unsigned char)(d->len >> 8))
			return gd_bad_header(s, _("header CRC mismatch"));
		d->st.next_in += n;
		d->st.avail_in -= (uint32_t)n;
		if ((d->pos += (unsigned)n) < 2)
			return 0;
		break;
	case H_END:
		return 1;
	}
	d->field = gd_next_field(d, d->field);
	d->pos = 0;
	d->len = 0;
	return d->field == H_END;
}

static int gd_header(struct cc_istream *s)
{
	struct gd *d = s->priv;
	int r;

	for (;;) {
		if ((r = gd_fill(s)) < 0)
			return r;
		if (!d->st.avail_in)
			return gd_truncated(s, _("header"));
		if ((r = gd_header_step(s)) < 0)
			return r;
		if (r) {
			isal_inflate_reset(&d->st);
			d->st.crc_flag = ISAL_GZIP_NO_HDR_VER;
			d->phase = GD_MEMBER;
			return 0;
		}
	}
}

/* Between members: another member, zero padding up to the end, or garbage. */
static int gd_between(struct cc_istream *s)
{
	struct gd *d = s->priv;
	int r;

	if ((r = gd_fill(s)) < 0)
		return r;
	if (!d->st.avail_in) {
		d->phase = GD_DONE;
		return 0;
	}
	if (d->st.next_in[0] == 0x1f) {
		d->member++;
		d->member_off = gd_offset(s);
		d->field = H_FIXED;
		d->pos = d->len = 0;
		d->hcrc = 0;
		d->phase = GD_HEADER;
		return 0;
	}
	if (d->st.next_in[0] == 0) {
		r = cc_codec_zero_tail(s, d->st.next_in, d->st.avail_in, gd_offset(s), "gzip");
		d->st.avail_in = 0;
		d->phase = GD_DONE;
		return r;
	}
	return cc_fail(s->err, CC_E_CORRUPT, 0,
		       _("trailing garbage after gzip member %llu at compressed byte %llu"),
		       d->member, gd_offset(s));
}

/* Inflate into buf[*done..len). */
static int gd_inflate(struct cc_istream *s, void *buf, size_t len, size_t *done)
{
	struct gd *d = s->priv;
	uint32_t room;
	int r;

	if ((r = gd_fill(s)) < 0)
		return r;
	room = len - *done > UINT32_MAX ? UINT32_MAX : (uint32_t)(len - *done);
	d->st.next_out = (uint8_t *)buf + *done;
	d->st.avail_out = room;
	r = isal_inflate(&d->st);
	if (r < 0)
		return gd_error(s, r);
	*done += room - d->st.avail_out;
	if (d->st.block_state == ISAL_BLOCK_FINISH)
		d->phase = GD_BETWEEN;
	else if (d->eof && !d->st.avail_in && d->st.avail_out == room)
		return gd_truncated(s, _("data"));
	return 0;
}

static ssize_t gd_read(struct cc_istream *s, void *buf, size_t len)
{
	struct gd *d = s->priv;
	size_t done = 0;
	int r = 0;

	while (done < len && d->phase != GD_DONE) {
		if (d->phase == GD_BETWEEN)
			r = gd_between(s);
		else if (d->phase == GD_HEADER)
			r = gd_header(s);
		else
			r = gd_inflate(s, buf, len, &done);
		if (r < 0)
			return r;
	}
	return (ssize_t)done;
}

static void gd_free(struct cc_istream *s)
{
	struct gd *d = s->priv;

	free(d->in);
	free(d);
}

static const struct cc_istream_ops gd_ops = {"gzip", gd_read, gd_free};

int cc_gzip_decompress_new(struct cc_istream *src, struct cc_istream **out)
{
	struct gd *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d || !(d->in = malloc(GZ_IN_BUF)) ||
	    !(*out = cc_istream_new(&gd_ops, d, src, src->err))) {
		if (d)
			free(d->in);
		free(d);
		return cc_fail(src->err, CC_E_NOMEM, 0, _("out of memory"));
	}
	isal_inflate_init(&d->st);
	d->st.next_in = d->in;
	d->st.avail_in = 0;
	d->phase = GD_BETWEEN;
	return 0;
}
