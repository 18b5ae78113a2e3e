/*
 * stream.h - byte streams the engine writes images to and reads them from.
 *
 * Output side (save): a chain of cc_ostream filters, e.g.
 *     partclone writer -> zstd compressor -> file sink
 * Each filter writes what it produces to s->next.  finish() flushes,
 * writes any trailer, then finishes s->next.  free() releases the whole
 * chain from this stream on without finishing (the abort path); it never
 * fails.  After an error the stream is poisoned: further calls return the
 * same error.
 *
 * Input side (restore): cc_istream.  read() returns the number of bytes
 * read (> 0), 0 at the clean end of the stream, or a negative CC_E_* code
 * with *s->err filled.  A stream that ends before its own format says it
 * is complete (a gzip member without its trailer, a zstd frame cut short)
 * returns -CC_E_TRUNCATED, never 0.
 *
 * Every stream carries a pointer to the job's struct cc_error; a filter
 * reports its failures there with cc_fail().
 */
#ifndef CC_STREAM_H
#define CC_STREAM_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

struct cc_error;
struct cc_ostream;
struct cc_istream;

struct cc_ostream_ops {
	const char *name; /* "zstd", "gzip", "fd", "mem", ... */
	int (*write)(struct cc_ostream *s, const void *buf, size_t len);
	int (*finish)(struct cc_ostream *s);
	void (*free)(struct cc_ostream *s); /* frees private state only */
};

struct cc_ostream {
	const struct cc_ostream_ops *ops;
	struct cc_ostream *next; /* owned: freed with this stream */
	void *priv;
	uint64_t bytes_in;  /* bytes given to write() */
	uint64_t bytes_out; /* bytes this stream passed on (or stored) */
	struct cc_error *err;
	int failed; /* negative code once poisoned */
};

/* Generic entry points: keep counters, poison on error. */
int cc_ostream_write(struct cc_ostream *s, const void *buf, size_t len);
int cc_ostream_finish(struct cc_ostream *s);
void cc_ostream_free(struct cc_ostream *s); /* whole chain; NULL is fine */
/* The last stream of a chain (the sink): its bytes_out is what was stored. */
struct cc_ostream *cc_ostream_last(struct cc_ostream *s);
/* Allocate a stream with ops, priv and next; NULL on no memory. */
struct cc_ostream *cc_ostream_new(const struct cc_ostream_ops *ops, void *priv,
				  struct cc_ostream *next, struct cc_error *err);

/* Sinks. */
/* Write to a file descriptor; close_fd: close it (with fsync when
 * `sync`) in finish().  name is for messages ("image.pcl", "stdout"). */
int cc_ostream_fd(int fd, const char *name, int close_fd, int sync, struct cc_error *err,
		  struct cc_ostream **out);
/* Collect into a growing memory buffer (tests, fuzzers). */
int cc_ostream_mem(struct cc_error *err, struct cc_ostream **out);
/* Pointer and length of what a mem stream collected so far. */
const unsigned char *cc_ostream_mem_data(struct cc_ostream *s, size_t *len);

struct cc_istream_ops {
	const char *name;
	ssize_t (*read)(struct cc_istream *s, void *buf, size_t len);
	void (*free)(struct cc_istream *s); /* frees private state only */
};

struct cc_istream {
	const struct cc_istream_ops *ops;
	struct cc_istream *src; /* owned: the stream this one reads from */
	void *priv;
	uint64_t bytes_in;  /* bytes this stream consumed from src */
	uint64_t bytes_out; /* bytes it returned from read() */
	struct cc_error *err;
	int failed;
};

ssize_t cc_istream_read(struct cc_istream *s, void *buf, size_t len);
/* Read exactly len bytes.  Returns 0, or -CC_E_TRUNCATED (with the
 * offset in the message, `what` names the part: "partclone header") if the
 * stream ends first, or the stream's error. */
int cc_istream_read_full(struct cc_istream *s, void *buf, size_t len, const char *what);
void cc_istream_free(struct cc_istream *s); /* whole chain; NULL is fine */
struct cc_istream *cc_istream_new(const struct cc_istream_ops *ops, void *priv,
				  struct cc_istream *src, struct cc_error *err);

/* Sources. */
int cc_istream_fd(int fd, const char *name, int close_fd, struct cc_error *err,
		  struct cc_istream **out);
/* Read from memory (not copied; must outlive the stream). */
int cc_istream_mem(const void *data, size_t len, struct cc_error *err, struct cc_istream **out);
/* A stream that first returns `len` bytes of `head` (copied), then reads
 * src: used after peeking at magic bytes. */
int cc_istream_prepend(struct cc_istream *src, const void *head, size_t len,
		       struct cc_istream **out);

/* Read-ahead: a thread reads src in chunks of `chunk` bytes, keeping up to
 * `depth` chunks queued, so decompression overlaps with the consumer. */
int cc_istream_readahead(struct cc_istream *src, size_t chunk, unsigned depth,
			 struct cc_istream **out);

#endif
