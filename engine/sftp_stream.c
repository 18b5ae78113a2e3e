/*
 * sftp_stream.c - read and write one file over its own SFTP channel with
 * many requests in flight (SFTP version 3, draft-ietf-secsh-filexfer-02).
 *
 * libssh 0.10 has no asynchronous write: sftp_write() sends one request
 * and waits for its status, so a transfer crawls at one 128 KiB request
 * per round trip.  Here a writer keeps up to INFLIGHT WRITE requests of
 * at most CHUNK bytes outstanding (OpenSSH's sftp-server drops requests
 * over 256 KiB; 128 KiB is safe with every server) and reads the status
 * answers as they come; a reader keeps INFLIGHT READ requests outstanding
 * and hands the answers on in file order.  One channel and one server
 * process per file, like `ssh host 'cat > file'`, so the server spends no
 * more CPU than that.
 *
 * A written file is synced (fsync@openssh.com, when the server has it)
 * and closed in finish(); only a STATUS OK for every request and for the
 * close counts as success.
 */
#include "ssh_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"
#include "stream.h"

#define CHUNK (128 * 1024)
#define INFLIGHT 16
#define MAX_PACKET (CHUNK + 1024)

enum {
	FXP_INIT = 1,
	FXP_VERSION = 2,
	FXP_OPEN = 3,
	FXP_CLOSE = 4,
	FXP_READ = 5,
	FXP_WRITE = 6,
	FXP_STATUS = 101,
	FXP_HANDLE = 102,
	FXP_DATA = 103,
	FXP_EXTENDED = 200,
};
enum { FXF_READ = 1, FXF_WRITE = 2, FXF_CREAT = 8, FXF_EXCL = 0x20 };
enum { FX_OK = 0, FX_EOF = 1, FX_NO_SUCH_FILE = 2, FX_PERMISSION_DENIED = 3 };
#define ATTR_PERMISSIONS 4

struct chan {
	struct cc_ssh *s;
	ssh_channel ch;
	char *shown;
	unsigned char handle[256];
	uint32_t handle_len;
	uint32_t next_id;
	unsigned char *pkt; /* one packet being built or received */
	size_t pkt_len;
	int open; /* the remote file is open */
};

/* ------------------------------------------------------------- packets */

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int lost(struct chan *c, struct cc_error *err)
{
	if (cc_ssh_check_lost(c->s, err) < 0)
		return -err->code;
	c->s->dead = 1; /* the channel is in an unknown state: stop using it */
	if (ssh_channel_is_open(c->ch) && !ssh_channel_is_eof(c->ch))
		return cc_fail(err, CC_E_TIMEOUT, 0,
			       _("the SSH server %s stopped answering while writing %s: check the "
				 "network cable and the server, then start again"),
			       c->s->host, c->shown);
	return cc_fail(err, CC_E_CONN_LOST, 0,
		       _("the SFTP channel for %s closed unexpectedly (%s): check the server"),
		       c->shown, ssh_get_error(c->s->ssh));
}

/* Send [head, head_len) then [data, len) as one write each, the lock held. */
static int send_raw(struct chan *c, const void *buf, size_t len, struct cc_error *err)
{
	const unsigned char *p = buf;

	while (len) {
		uint32_t n = len > 65536 ? 65536 : (uint32_t)len;
		int w = ssh_channel_write(c->ch, p, n);

		if (w <= 0)
			return lost(c, err);
		cc_ssh_touch(c->s);
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int recv_raw(struct chan *c, void *buf, size_t len, struct cc_error *err)
{
	unsigned char *p = buf;

	while (len) {
		int r = ssh_channel_read_timeout(c->ch, p, (uint32_t)len, 0,
						 (int)c->s->timeout_s * 1000);
		if (r < 0 || (r == 0 && ssh_channel_is_eof(c->ch)))
			return lost(c, err);
		if (r == 0) {
			if (c->s->timed_out || !ssh_is_connected(c->s->ssh))
				return lost(c, err);
			continue; /* the watchdog ends a real stall */
		}
		cc_ssh_touch(c->s);
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Read one packet into c->pkt: returns its type, c->pkt_len the body length. */
static int recv_packet(struct chan *c, struct cc_error *err)
{
	unsigned char h[4];
	uint32_t len;
	int ret;

	if ((ret = recv_raw(c, h, 4, err)) < 0)
		return ret;
	len = get32(h);
	if (len < 1 || len > MAX_PACKET) {
		c->s->dead = 1;
		return cc_fail(err, CC_E_IO, 0,
			       _("the SFTP server sent a malformed answer for %s (%u bytes)"),
			       c->shown, len);
	}
	if ((ret = recv_raw(c, c->pkt, len, err)) < 0)
		return ret;
	c->pkt_len = len - 1;
	return c->pkt[0];
}

/* The body after the type byte. */
static const unsigned char *body(struct chan *c)
{
	return c->pkt + 1;
}

/* A STATUS packet: its code (and message in msg, NUL-terminated). */
static uint32_t status_of(struct chan *c, char *msg, size_t cap)
{
	const unsigned char *b = body(c);
	uint32_t code, n;

	msg[0] = '\0';
	if (c->pkt_len < 8)
		return 4;
	code = get32(b + 4);
	if (c->pkt_len >= 12) {
		n = get32(b + 8);
		if (n <= c->pkt_len - 12) {
			if (n >= cap)
				n = (uint32_t)cap - 1;
			memcpy(msg, b + 12, n);
			msg[n] = '\0';
		}
	}
	return code;
}

/* Send a request whose body is `head` (type byte first) followed by data. */
static int send_request(struct chan *c, const unsigned char *head, size_t head_len,
			const void *data, size_t len, struct cc_error *err)
{
	unsigned char l[4];
	int ret;

	put32(l, (uint32_t)(head_len + len));
	if ((ret = send_raw(c, l, 4, err)) < 0 || (ret = send_raw(c, head, head_len, err)) < 0)
		return ret;
	return len ? send_raw(c, data, len, err) : 0;
}

static size_t put_string(unsigned char *p, const void *s, uint32_t n)
{
	put32(p, n);
	memcpy(p + 4, s, n);
	return 4 + n;
}

/* --------------------------------------------------------- open / close */

static int fail_status(struct chan *c, uint32_t code, const char *msg, const char *doing,
		       struct cc_error *err)
{
	if (code == FX_NO_SUCH_FILE)
		return cc_fail(err, CC_E_NOTFOUND, 0, _("%s does not exist"), c->shown);
	if (code == FX_PERMISSION_DENIED)
		return cc_fail(err, CC_E_PERM, 0,
			       _("permission denied for %s: the SSH user may not %s there"),
			       c->shown, doing);
	return cc_fail(err, CC_E_IO, 0, _("the SFTP server could not %s %s (%s)"), doing,
		       c->shown, msg[0] ? msg : "failure");
}

/* The reply to request `id`: STATUS (code in *code) or another type. */
static int reply_for(struct chan *c, uint32_t id, uint32_t *code, char *msg, size_t cap,
		     struct cc_error *err)
{
	int type = recv_packet(c, err);

	if (type < 0)
		return type;
	if (c->pkt_len < 4 || get32(body(c)) != id) {
		c->s->dead = 1;
		return cc_fail(err, CC_E_IO, 0,
			       _("the SFTP server answered out of turn for %s"), c->shown);
	}
	if (type == FXP_STATUS)
		*code = status_of(c, msg, cap);
	return type;
}

static int chan_open(struct cc_ssh *s, const char *path, const char *shown, uint32_t pflags,
		     struct chan **out, struct cc_error *err)
{
	unsigned char head[4096 + 64];
	struct chan *c;
	size_t n, plen = strlen(path);
	uint32_t code = 0, id;
	char msg[256];
	int ret, type;

	*out = NULL;
	if (plen > 4096)
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("path too long: %s"), shown);
	if (!(c = calloc(1, sizeof(*c))) || !(c->pkt = malloc(MAX_PACKET)) ||
	    !(c->shown = strdup(shown))) {
		if (c)
			free(c->pkt);
		free(c);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	c->s = s;
	c->ch = ssh_channel_new(s->ssh);
	if (!c->ch || ssh_channel_open_session(c->ch) != SSH_OK ||
	    ssh_channel_request_subsystem(c->ch, "sftp") != SSH_OK) {
		ret = cc_ssh_check_lost(s, err);
		if (!ret)
			ret = cc_fail(err, CC_E_IO, 0,
				      _("cannot open an SFTP channel to %s for %s (%s)"), s->host,
				      shown, ssh_get_error(s->ssh));
		goto fail;
	}
	head[0] = FXP_INIT;
	put32(head + 1, 3);
	if ((ret = send_request(c, head, 5, NULL, 0, err)) < 0 ||
	    (ret = type = recv_packet(c, err)) < 0)
		goto fail;
	if (type != FXP_VERSION) {
		ret = cc_fail(err, CC_E_IO, 0, _("the SFTP server %s did not start for %s"),
			      s->host, shown);
		goto fail;
	}
	id = c->next_id++;
	head[0] = FXP_OPEN;
	put32(head + 1, id);
	n = 5 + put_string(head + 5, path, (uint32_t)plen);
	put32(head + n, pflags);
	n += 4;
	if (pflags & FXF_WRITE) {
		put32(head + n, ATTR_PERMISSIONS);
		put32(head + n + 4, 0600); /* a partition image holds a whole filesystem */
		n += 8;
	} else {
		put32(head + n, 0);
		n += 4;
	}
	if ((ret = send_request(c, head, n, NULL, 0, err)) < 0 ||
	    (ret = type = reply_for(c, id, &code, msg, sizeof(msg), err)) < 0)
		goto fail;
	if (type == FXP_STATUS) {
		ret = fail_status(c, code, msg, pflags & FXF_WRITE ? _("create files") : _("read"),
				  err);
		goto fail;
	}
	if (type != FXP_HANDLE || c->pkt_len < 8 || get32(body(c) + 4) > sizeof(c->handle) ||
	    get32(body(c) + 4) > c->pkt_len - 8) {
		ret = cc_fail(err, CC_E_IO, 0, _("the SFTP server sent a malformed answer for %s"),
			      shown);
		goto fail;
	}
	c->handle_len = get32(body(c) + 4);
	memcpy(c->handle, body(c) + 8, c->handle_len);
	c->open = 1;
	*out = c;
	return 0;
fail:
	if (c->ch)
		ssh_channel_free(c->ch);
	free(c->pkt);
	free(c->shown);
	free(c);
	return ret;
}

/* A request that carries just the handle (CLOSE, or fsync@openssh.com). */
static int simple_request(struct chan *c, int fsync, const char *doing, struct cc_error *err)
{
	static const char ext[] = "fsync@openssh.com";
	unsigned char head[512];
	uint32_t id = c->next_id++, code = 0;
	char msg[256];
	size_t n = 5;
	int ret;

	head[0] = fsync ? FXP_EXTENDED : FXP_CLOSE;
	put32(head + 1, id);
	if (fsync)
		n += put_string(head + n, ext, sizeof(ext) - 1);
	n += put_string(head + n, c->handle, c->handle_len);
	if ((ret = send_request(c, head, n, NULL, 0, err)) < 0 ||
	    (ret = reply_for(c, id, &code, msg, sizeof(msg), err)) < 0)
		return ret;
	if (ret != FXP_STATUS || code != FX_OK)
		return fail_status(c, code, msg, doing, err);
	return 0;
}

/* Close the remote file (when still open) and the channel; lock held. */
static void chan_free(struct chan *c)
{
	struct cc_error scratch;

	if (!c)
		return;
	if (c->open && !c->s->dead)
		simple_request(c, 0, "close", &scratch);
	if (!c->s->dead) {
		ssh_channel_send_eof(c->ch);
		ssh_channel_close(c->ch);
	}
	ssh_channel_free(c->ch);
	free(c->pkt);
	free(c->shown);
	free(c);
}

/* ------------------------------------------------------------- writing */

struct writer {
	struct chan *c;
	unsigned char *buf; /* CHUNK bytes being filled */
	size_t fill;
	uint64_t offset;   /* of buf[0] in the file */
	uint32_t ids[INFLIGHT];
	unsigned pending;  /* requests without an answer, oldest first in ids */
};

static int full_or_failed(struct writer *w, uint32_t code, const char *msg, struct cc_error *err)
{
	struct cc_ssh *s = w->c->s;
	sftp_statvfs_t v = sftp_statvfs(s->sftp, s->root);
	uint64_t avail = v ? v->f_bavail * v->f_frsize : UINT64_MAX;

	if (v)
		sftp_statvfs_free(v);
	if (avail < 4 * CHUNK)
		return cc_fail(err, CC_E_NOSPACE, 0,
			       _("the repository %s is full (writing %s at %llu MB): free space on "
				 "the server or choose another repository"),
			       s->location, w->c->shown,
			       (unsigned long long)(w->offset / 1000000));
	return fail_status(w->c, code, msg, _("write"), err);
}

/* Wait for the oldest answer. */
static int wait_one(struct writer *w, struct cc_error *err)
{
	uint32_t code = 0;
	char msg[256];
	int type = reply_for(w->c, w->ids[0], &code, msg, sizeof(msg), err);

	if (type < 0)
		return type;
	memmove(w->ids, w->ids + 1, --w->pending * sizeof(w->ids[0]));
	if (type != FXP_STATUS || code != FX_OK)
		return full_or_failed(w, code, msg, err);
	return 0;
}

static int send_chunk(struct writer *w, struct cc_error *err)
{
	unsigned char head[5 + 4 + 256 + 8 + 4];
	uint32_t id;
	size_t n;
	int ret;

	if (!w->fill)
		return 0;
	if (w->pending == INFLIGHT && (ret = wait_one(w, err)) < 0)
		return ret;
	id = w->c->next_id++;
	head[0] = FXP_WRITE;
	put32(head + 1, id);
	n = 5 + put_string(head + 5, w->c->handle, w->c->handle_len);
	put32(head + n, (uint32_t)(w->offset >> 32));
	put32(head + n + 4, (uint32_t)w->offset);
	put32(head + n + 8, (uint32_t)w->fill);
	n += 12;
	if ((ret = send_request(w->c, head, n, w->buf, w->fill, err)) < 0)
		return ret;
	w->ids[w->pending++] = id;
	w->offset += w->fill;
	w->fill = 0;
	return 0;
}

static int w_write(struct cc_ostream *os, const void *buf, size_t len)
{
	struct writer *w = os->priv;
	const unsigned char *p = buf;
	int ret = 0;

	while (len && !ret) {
		size_t n = CHUNK - w->fill < len ? CHUNK - w->fill : len;

		memcpy(w->buf + w->fill, p, n);
		w->fill += n;
		p += n;
		len -= n;
		os->bytes_out += n;
		if (w->fill == CHUNK) {
			if ((ret = cc_ssh_enter(w->c->s, os->err)) < 0)
				return ret;
			ret = send_chunk(w, os->err);
			cc_ssh_leave(w->c->s);
		}
	}
	return ret;
}

static int w_finish(struct cc_ostream *os)
{
	struct writer *w = os->priv;
	int ret;

	if ((ret = cc_ssh_enter(w->c->s, os->err)) < 0)
		return ret;
	ret = send_chunk(w, os->err);
	while (!ret && w->pending)
		ret = wait_one(w, os->err);
	if (!ret && w->c->s->has_fsync)
		ret = simple_request(w->c, 1, _("sync"), os->err);
	if (!ret) {
		w->c->open = 0;
		ret = simple_request(w->c, 0, _("close"), os->err);
	}
	cc_ssh_leave(w->c->s);
	return ret;
}

static void w_free(struct cc_ostream *os)
{
	struct writer *w = os->priv;
	struct cc_error scratch;
	struct cc_ssh *s;

	if (!w)
		return;
	s = w->c->s;
	if (cc_ssh_enter(s, &scratch) == 0) {
		/* answers still on their way come before the close's */
		while (w->pending && !s->dead) {
			uint32_t code;
			char msg[64];

			if (reply_for(w->c, w->ids[0], &code, msg, sizeof(msg), &scratch) < 0)
				break;
			memmove(w->ids, w->ids + 1, --w->pending * sizeof(w->ids[0]));
		}
		chan_free(w->c);
		cc_ssh_leave(s);
	} else {
		chan_free(w->c); /* dead: nothing is sent */
	}
	free(w->buf);
	free(w);
}

static const struct cc_ostream_ops writer_ops = {
	.name = "sftp",
	.write = w_write,
	.finish = w_finish,
	.free = w_free,
};

int cc_sftp_open_write(struct cc_ssh *s, const char *abspath, const char *shown,
		       struct cc_ostream **out, struct cc_error *err)
{
	struct writer *w;
	int ret;

	*out = NULL;
	if (!(w = calloc(1, sizeof(*w))) || !(w->buf = malloc(CHUNK))) {
		free(w);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	if ((ret = cc_ssh_enter(s, err)) < 0)
		goto fail;
	ret = chan_open(s, abspath, shown, FXF_WRITE | FXF_CREAT | FXF_EXCL, &w->c, err);
	cc_ssh_leave(s);
	if (ret < 0)
		goto fail;
	if (!(*out = cc_ostream_new(&writer_ops, w, NULL, err))) {
		w_free(&(struct cc_ostream){.priv = w});
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	return 0;
fail:
	free(w->buf);
	free(w);
	return ret;
}

/* ------------------------------------------------------------- reading */

struct req {
	uint32_t id;
	uint32_t len;
	uint64_t offset;
};

struct reader {
	struct chan *c;
	struct req q[INFLIGHT]; /* outstanding, oldest first */
	unsigned pending;
	uint64_t next_offset; /* of the next request to send */
	unsigned char *data;  /* the current answer's bytes */
	unsigned char *spare; /* a short answer kept while the rest is drained */
	size_t data_len, data_pos;
	int eof; /* an EOF status was seen: send no more */
};

static int send_read(struct reader *r, struct cc_error *err)
{
	unsigned char head[5 + 4 + 256 + 8 + 4];
	struct req *q = &r->q[r->pending];
	size_t n;
	int ret;

	q->id = r->c->next_id++;
	q->offset = r->next_offset;
	q->len = CHUNK;
	head[0] = FXP_READ;
	put32(head + 1, q->id);
	n = 5 + put_string(head + 5, r->c->handle, r->c->handle_len);
	put32(head + n, (uint32_t)(q->offset >> 32));
	put32(head + n + 4, (uint32_t)q->offset);
	put32(head + n + 8, CHUNK);
	if ((ret = send_request(r->c, head, n + 12, NULL, 0, err)) < 0)
		return ret;
	r->pending++;
	r->next_offset += CHUNK;
	return 0;
}

/* Throw away the answers still on their way (after EOF or a short read). */
static int drain(struct reader *r, struct cc_error *err)
{
	while (r->pending) {
		uint32_t code;
		char msg[64];
		int ret = reply_for(r->c, r->q[0].id, &code, msg, sizeof(msg), err);

		if (ret < 0)
			return ret;
		memmove(r->q, r->q + 1, --r->pending * sizeof(r->q[0]));
	}
	return 0;
}

/* Get the next answer in order into r->data; 0 at the end of the file. */
static int next_answer(struct reader *r, struct cc_error *err)
{
	uint32_t code = 0, n;
	struct req q;
	char msg[256];
	int type, ret;

	while (!r->eof && r->pending < INFLIGHT)
		if ((ret = send_read(r, err)) < 0)
			return ret;
	if (!r->pending)
		return 0;
	q = r->q[0];
	if ((type = reply_for(r->c, q.id, &code, msg, sizeof(msg), err)) < 0)
		return type;
	memmove(r->q, r->q + 1, --r->pending * sizeof(r->q[0]));
	if (type == FXP_STATUS) {
		if (code != FX_EOF)
			return fail_status(r->c, code, msg, _("read"), err);
		r->eof = 1;
		if ((ret = drain(r, err)) < 0)
			return ret;
		return 0;
	}
	if (type != FXP_DATA || r->c->pkt_len < 8 || (n = get32(body(r->c) + 4)) > q.len ||
	    n > r->c->pkt_len - 8)
		return cc_fail(err, CC_E_IO, 0, _("the SFTP server sent a malformed answer for %s"),
			       r->c->shown);
	r->data = (unsigned char *)body(r->c) + 8;
	r->data_len = n;
	r->data_pos = 0;
	if (n < q.len) {
		/* A short read (at the end of the file, or a server that
		 * limits reads): the answers still on their way start at the
		 * wrong offset.  Keep this one, drop those, and go on from
		 * just after it. */
		if (!n)
			return cc_fail(err, CC_E_IO, 0,
				       _("the SFTP server sent no data for %s at %llu"),
				       r->c->shown, (unsigned long long)q.offset);
		if (!r->spare && !(r->spare = malloc(CHUNK)))
			return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		memcpy(r->spare, r->data, n);
		r->data = r->spare;
		if ((ret = drain(r, err)) < 0)
			return ret;
		r->next_offset = q.offset + n;
	}
	return 1;
}

static ssize_t r_read(struct cc_istream *is, void *buf, size_t len)
{
	struct reader *r = is->priv;
	size_t n;
	int ret;

	if (r->data_pos == r->data_len) {
		if ((ret = cc_ssh_enter(r->c->s, is->err)) < 0)
			return ret;
		ret = next_answer(r, is->err);
		cc_ssh_leave(r->c->s);
		if (ret <= 0)
			return ret;
	}
	n = r->data_len - r->data_pos < len ? r->data_len - r->data_pos : len;
	memcpy(buf, r->data + r->data_pos, n);
	r->data_pos += n;
	return (ssize_t)n;
}

static void r_free(struct cc_istream *is)
{
	struct reader *r = is->priv;
	struct cc_error scratch;
	struct cc_ssh *s;

	if (!r)
		return;
	s = r->c->s;
	if (cc_ssh_enter(s, &scratch) == 0) {
		drain(r, &scratch);
		chan_free(r->c);
		cc_ssh_leave(s);
	} else {
		chan_free(r->c);
	}
	free(r->spare);
	free(r);
}

static const struct cc_istream_ops reader_ops = {
	.name = "sftp",
	.read = r_read,
	.free = r_free,
};

int cc_sftp_open_read(struct cc_ssh *s, const char *abspath, const char *shown,
		      struct cc_istream **out, struct cc_error *err)
{
	struct reader *r;
	int ret;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	if ((ret = cc_ssh_enter(s, err)) < 0) {
		free(r);
		return ret;
	}
	ret = chan_open(s, abspath, shown, FXF_READ, &r->c, err);
	cc_ssh_leave(s);
	if (ret < 0) {
		free(r);
		return ret;
	}
	if (!(*out = cc_istream_new(&reader_ops, r, NULL, err))) {
		r_free(&(struct cc_istream){.priv = r});
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	return 0;
}
