/*
 * readahead.c - cc_istream_readahead(): a thread reads (and so
 * decompresses) the source ahead of the consumer, through a bounded queue
 * of chunks, so decompression overlaps with checksumming and writing.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"
#include "queue.h"
#include "stream.h"

struct chunk {
	unsigned char *buf;
	size_t len, pos;
	int status; /* < 0: the source's error; the chunk carries no data */
};

struct readahead {
	struct cc_queue full, empty;
	struct chunk *chunks;
	unsigned nchunks;
	size_t chunk_size;
	struct chunk *cur;
	pthread_t thread;
	int started;
	int done; /* consumer saw the end or an error */
	int end_status;
	/* The source chain reports its errors here, not in the consumer's
	 * cc_error: the thread reads ahead and must not overwrite an error the
	 * consumer has already reported (or is reading).  Copied out when the
	 * consumer reaches the failed read. */
	struct cc_error err;
};

static void *reader_main(void *arg)
{
	struct cc_istream *s = arg;
	struct readahead *ra = s->priv;
	struct chunk *c;

	while ((c = cc_queue_pop(&ra->empty))) {
		size_t len = 0;
		ssize_t n = 1;

		/* Fill the chunk as far as the source allows. */
		while (len < ra->chunk_size) {
			n = cc_istream_read(s->src, c->buf + len, ra->chunk_size - len);
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		c->len = len;
		c->pos = 0;
		c->status = n < 0 ? (int)n : 0;
		if (n < 0 && len) {
			/* Deliver the data first, then the error in an empty chunk. */
			c->status = 0;
			if (cc_queue_push(&ra->full, c) < 0)
				break;
			if (!(c = cc_queue_pop(&ra->empty)))
				break;
			c->len = c->pos = 0;
			c->status = (int)n;
		}
		if (cc_queue_push(&ra->full, c) < 0)
			break;
		if (n <= 0)
			break;
	}
	cc_queue_close(&ra->full);
	return NULL;
}

static ssize_t ra_read(struct cc_istream *s, void *buf, size_t len)
{
	struct readahead *ra = s->priv;
	size_t k;

	if (ra->done)
		return ra->end_status;
	while (!ra->cur || ra->cur->pos == ra->cur->len) {
		if (ra->cur)
			cc_queue_push(&ra->empty, ra->cur);
		ra->cur = cc_queue_pop(&ra->full);
		if (!ra->cur) {
			ra->done = 1;
			ra->end_status = 0;
			return 0;
		}
		if (ra->cur->status < 0) {
			ra->done = 1;
			ra->end_status = ra->cur->status;
			if (s->err && ra->err.code)
				*s->err = ra->err;
			return ra->end_status;
		}
		if (ra->cur->len == 0) { /* clean end */
			ra->done = 1;
			return 0;
		}
	}
	k = ra->cur->len - ra->cur->pos;
	if (k > len)
		k = len;
	memcpy(buf, ra->cur->buf + ra->cur->pos, k);
	ra->cur->pos += k;
	s->bytes_in += k;
	return (ssize_t)k;
}

static void ra_free(struct cc_istream *s)
{
	struct readahead *ra = s->priv;
	unsigned i;

	if (ra->started) {
		cc_queue_abort(&ra->empty);
		cc_queue_abort(&ra->full);
		pthread_join(ra->thread, NULL);
	}
	cc_queue_destroy(&ra->full);
	cc_queue_destroy(&ra->empty);
	for (i = 0; i < ra->nchunks; i++)
		free(ra->chunks[i].buf);
	free(ra->chunks);
	free(ra);
}

static const struct cc_istream_ops readahead_ops = {"readahead", ra_read, ra_free};

/* Point the error reports of src and the streams under it at e. */
static void set_chain_err(struct cc_istream *src, struct cc_error *e)
{
	for (; src; src = src->src)
		src->err = e;
}

int cc_istream_readahead(struct cc_istream *src, size_t chunk, unsigned depth,
			 struct cc_istream **out)
{
	struct readahead *ra = calloc(1, sizeof(*ra));
	struct cc_istream *s;
	unsigned i;

	*out = NULL;
	if (depth < 2)
		depth = 2;
	if (!ra)
		return cc_fail(src->err, CC_E_NOMEM, 0, _("out of memory"));
	ra->chunk_size = chunk;
	ra->nchunks = depth;
	if (cc_queue_init(&ra->full, depth + 1) < 0 || cc_queue_init(&ra->empty, depth + 1) < 0 ||
	    !(ra->chunks = calloc(depth, sizeof(*ra->chunks))))
		goto nomem;
	for (i = 0; i < depth; i++) {
		if (!(ra->chunks[i].buf = malloc(chunk)))
			goto nomem;
		cc_queue_push(&ra->empty, &ra->chunks[i]);
	}
	if (!(s = cc_istream_new(&readahead_ops, ra, src, src->err)))
		goto nomem;
	set_chain_err(src, &ra->err);
	if (pthread_create(&ra->thread, NULL, reader_main, s) != 0) {
		set_chain_err(src, s->err);
		s->src = NULL;
		cc_istream_free(s);
		return cc_fail(src->err, CC_E_NOMEM, 0, _("cannot start a read-ahead thread"));
	}
	ra->started = 1;
	*out = s;
	return 0;
nomem:
	cc_queue_destroy(&ra->full);
	cc_queue_destroy(&ra->empty);
	if (ra->chunks)
		for (i = 0; i < depth; i++)
			free(ra->chunks[i].buf);
	free(ra->chunks);
	free(ra);
	return cc_fail(src->err, CC_E_NOMEM, 0, _("out of memory"));
}
