/*
 * mcast_send.c - cc_mcast_send(): the server of a multicast restore.
 *
 * Before any network activity the image is read and checked (complete,
 * every partition image volume there) and the stream's header is built:
 * every small file of the image directory and the list of the volumes in
 * the order a restore reads them.  Each round then runs one udp-sender,
 * fed through a pipe: header, one section per volume (read from the
 * repository as stored: compressed or not), end mark.  udp-sender reads
 * nothing before the transfer starts, so until then the feeding loop just
 * waits, reading what udp-sender says (clients joining) and asking the
 * front end (status callback) whether to start now or stop.
 *
 * "Start now": udp-sender reads a key from /dev/tty (its standard input is
 * the data); it runs with a pseudo terminal of ours as its controlling
 * terminal, and the key is a newline written to it, once a client joined
 * (a key with no client makes udp-sender quit).
 */
#include "mcast.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "disk_job.h"
#include "error.h"
#include "i18n.h"
#include "imgdir.h"
#include "mcast_stream.h"
#include "repo.h"
#include "run_int.h"
#include "udpcast.h"

#define CHUNK	      (1u << 20)
#define TICK_MS	      200
#define STOP_GRACE_MS 2000
#define MAX_NUM	      1024 /* udpcast's MAX_CLIENTS */
#define NO_COUNT      "100000" /* --min-receivers that is never reached */

struct sender {
	const struct cc_mcast_send_opts *o;
	const struct cc_events *ev;
	struct cc_error *err;
	struct cc_imgdir *d;
	struct cc_mcs_header *h;
	struct cc_mcast_client *cl;
	unsigned ncl, cap;
	/* this round */
	unsigned round, rounds;
	struct cc_child child;
	int fd; /* where the stream goes: udp-sender's stdin or the output file */
	int close_fd;
	struct cc_lines lines;
	int map[MAX_NUM]; /* udpcast's client number -> index in cl */
	unsigned char dropping[MAX_NUM];
	enum cc_mcast_phase phase;
	int complete, no_clients, no_iface, err_eof, gone, key_sent;
	unsigned joined;
	uint64_t first_join_ns;
	uint64_t acked, fed;
	unsigned rexmit;
	struct cc_lastlines last; /* udp-sender's last other lines, for messages */
	/* reporting */
	uint64_t last_status_ns;
	int changed;
	struct cc_meter meter;
	struct cc_progress p;
	uint64_t start_ns, end_ns;
};

static uint64_t now_ns(void)
{
	return cc_clock_monotonic_ns(NULL);
}

/* ---- the image ---- */

static int nomem(struct sender *s)
{
	return cc_fail(s->err, CC_E_NOMEM, 0, _("out of memory"));
}

/* The volumes of the partition images, in the order a restore reads them
 * (marked in big[], parallel to l). */
static int plan_big(struct sender *s, const struct cc_dirlist *l, unsigned char *big)
{
	struct cc_mcs_header *h = s->h;
	unsigned *order = calloc(s->d->nparts ? s->d->nparts : 1, sizeof(*order));
	unsigned n, i, k, total = 0;
	int ret = 0;

	if (!order)
		return nomem(s);
	n = cc_restore_order(s->d, order);
	for (i = 0; i < n; i++)
		total += s->d->parts[order[i]].nfiles;
	if (!(h->big = calloc(total ? total : 1, sizeof(*h->big)))) {
		free(order);
		return nomem(s);
	}
	for (i = 0; i < n && !ret; i++) {
		const struct cc_imgdir_part *p = &s->d->parts[order[i]];

		for (k = 0; k < p->nfiles && !ret; k++) {
			const struct cc_dirent *e;
			char name[256];

			if (cc_imgdir_part_volume(p, k, name, sizeof(name)) < 0 ||
			    !(e = cc_dirlist_find(l, name)) || e->is_dir) {
				ret = cc_fail(s->err, CC_E_INCOMPLETE_IMAGE, 0,
					      _("image '%s': volume %u of partition %s is missing"),
					      s->o->image, k + 1, p->name);
				break;
			}
			big[e - l->v] = 1;
			if (!(h->big[h->nbig].name = strdup(name))) {
				ret = nomem(s);
				break;
			}
			h->big[h->nbig++].size = e->size;
			h->payload_bytes += e->size;
		}
	}
	free(order);
	return ret;
}

/* Every other file of the directory, whole, into the header. */
static int load_small(struct sender *s, const struct cc_dirlist *l, const unsigned char *big)
{
	struct cc_mcs_header *h = s->h;
	size_t i;
	int ret;

	if (!(h->small = calloc(l->n ? l->n : 1, sizeof(*h->small))))
		return nomem(s);
	for (i = 0; i < l->n; i++) {
		struct cc_mcs_file *f = &h->small[h->nsmall];
		char *path, *data;
		size_t len;

		if (l->v[i].is_dir || big[i])
			continue;
		if (l->v[i].size > CC_MCS_SMALL_MAX || !cc_mcs_name_ok(l->v[i].name)) {
			cc_log(s->ev, CC_LOG_WARN,
			       _("image '%s': %s is not a partition image and is too large to "
				 "send; it is left out"),
			       s->o->image, l->v[i].name);
			continue;
		}
		if (asprintf(&path, "%s/%s", s->o->image, l->v[i].name) < 0)
			return nomem(s);
		ret = cc_repo_get(s->o->repo, path, CC_MCS_SMALL_MAX, &data, &len, s->err);
		free(path);
		if (ret < 0)
			return ret;
		if (!(f->name = strdup(l->v[i].name))) {
			free(data);
			return nomem(s);
		}
		f->data = (unsigned char *)data;
		f->size = len;
		h->nsmall++;
	}
	return 0;
}

static int prepare(struct sender *s)
{
	const struct cc_mcast_send_opts *o = s->o;
	struct cc_dirlist l;
	unsigned char *big;
	int ret;

	if ((ret = cc_imgdir_read(o->repo, o->image, &s->d, s->err)) < 0)
		return ret;
	if (!s->d->complete)
		return cc_fail(s->err, CC_E_INCOMPLETE_IMAGE, 0,
			       _("image '%s' is incomplete (a save that did not finish, or files "
				 "are missing); it cannot be sent"),
			       o->image);
	if (!(s->h = calloc(1, sizeof(*s->h))) || !(s->h->image = strdup(o->image)))
		return nomem(s);
	if ((ret = cc_dirlist_read(o->repo, o->image, &l, s->err)) < 0)
		return ret;
	if (!(big = calloc(l.n ? l.n : 1, 1)))
		ret = nomem(s);
	if (!ret)
		ret = plan_big(s, &l, big);
	if (!ret)
		ret = load_small(s, &l, big);
	free(big);
	cc_dirlist_free(&l);
	if (ret < 0)
		return ret;
	s->h->mtime = s->d->mtime;
	s->h->used_bytes = cc_imgdir_used_bytes(o->repo, s->d);
	return 0;
}

/* ---- what udp-sender says ---- */

static const char *const sender_noise[] = {"Udp-sender ", "Using ", "UDP sender for",
					   "Broadcasting control", "Timeout notAnswered", NULL};

static void client_gone(struct sender *s, int num)
{
	struct cc_mcast_client *c;
	int idx = num >= 0 && num < MAX_NUM ? s->map[num] : -1;

	if (idx < 0)
		return;
	c = &s->cl[idx];
	s->map[num] = -1;
	if (s->joined)
		s->joined--;
	s->changed = 1;
	if (s->dropping[num]) {
		c->state = CC_MCAST_DROPPED;
		cc_log(s->ev, CC_LOG_WARN,
		       _("client %s stopped answering and was dropped; the others go on"),
		       c->addr);
	} else if (s->complete) {
		c->state = CC_MCAST_FINISHED;
	} else {
		c->state = CC_MCAST_LEFT;
		cc_log(s->ev, CC_LOG_WARN, _("client %s left before the end"), c->addr);
	}
}

static void client_joined(struct sender *s, const struct cc_udpc_line *u)
{
	struct cc_mcast_client *c;

	if (u->num < 0 || u->num >= MAX_NUM)
		return;
	if (s->map[u->num] >= 0) /* the same number again: the old one is gone */
		client_gone(s, u->num);
	if (s->ncl == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 32;
		struct cc_mcast_client *v = realloc(s->cl, cap * sizeof(*v));
		if (!v)
			return;
		s->cl = v;
		s->cap = cap;
	}
	c = &s->cl[s->ncl];
	memset(c, 0, sizeof(*c));
	snprintf(c->addr, sizeof(c->addr), "%s", u->addr);
	c->round = s->round;
	c->state = CC_MCAST_JOINED;
	s->map[u->num] = (int)s->ncl++;
	s->dropping[u->num] = 0;
	s->joined++;
	if (!s->first_join_ns)
		s->first_join_ns = now_ns();
	s->changed = 1;
	cc_log(s->ev, CC_LOG_INFO, _("client %s joined (%u in this round)"), c->addr, s->joined);
}

static void on_line(void *u, const char *line)
{
	struct sender *s = u;
	struct cc_udpc_line l;

	cc_udpc_parse(line, &l);
	switch (l.ev) {
	case CC_UDPC_JOINED:
		client_joined(s, &l);
		break;
	case CC_UDPC_STARTING:
		s->phase = CC_MCAST_SENDING;
		s->changed = 1;
		if (!s->start_ns)
			s->start_ns = now_ns();
		cc_meter_init(&s->meter, NULL, NULL);
		cc_log(s->ev, CC_LOG_INFO, _("round %u of %u: sending to %u client(s)"), s->round,
		       s->rounds, s->joined);
		break;
	case CC_UDPC_BYTES:
		s->acked = l.bytes;
		s->rexmit = l.rexmit_permille;
		break;
	case CC_UDPC_DROPPING:
		if (l.num >= 0 && l.num < MAX_NUM)
			s->dropping[l.num] = 1;
		break;
	case CC_UDPC_DISCONNECT:
		client_gone(s, l.num);
		break;
	case CC_UDPC_COMPLETE:
		s->complete = 1;
		s->changed = 1;
		break;
	case CC_UDPC_NO_CLIENTS:
		s->no_clients = 1;
		break;
	case CC_UDPC_NO_INTERFACE:
		s->no_iface = 1;
		cc_lastlines_add(&s->last, line, sender_noise);
		break;
	case CC_UDPC_READY:
	case CC_UDPC_CONNECTED:
	case CC_UDPC_RECV_TIMEOUT:
	case CC_UDPC_DROPPED:
	case CC_UDPC_OTHER:
		if (l.ev == CC_UDPC_OTHER)
			cc_lastlines_add(&s->last, line, sender_noise);
		break;
	}
}

/* Read what udp-sender wrote on standard error. */
static void read_stderr(struct sender *s)
{
	if (cc_child_read_lines(&s->child, &s->lines, on_line, s))
		s->err_eof = 1;
}

/* ---- status, progress, start now, stop ---- */

static int canceled(struct sender *s)
{
	return cc_fail(s->err, CC_E_CANCELED, 0, _("canceled by the operator"));
}

static void fill_status(struct sender *s, struct cc_mcast_status *st)
{
	int max_wait = s->o->max_wait_s < 0 ? CC_MCAST_MAX_WAIT : s->o->max_wait_s;

	memset(st, 0, sizeof(*st));
	st->phase = s->phase;
	st->round = s->round;
	st->rounds = s->rounds;
	st->joined = s->joined;
	st->can_start = s->phase == CC_MCAST_WAITING && s->joined > 0 && s->child.pty >= 0;
	if (s->phase == CC_MCAST_WAITING && s->first_join_ns && max_wait > 0) {
		uint64_t waited = (now_ns() - s->first_join_ns) / 1000000000ull;
		st->starts_in_s = waited < (uint64_t)max_wait ? (unsigned)((uint64_t)max_wait - waited)
							      : 1;
	}
	st->clients = s->cl;
	st->nclients = s->ncl;
	st->bytes_done = s->phase == CC_MCAST_DONE ? s->h->payload_bytes : s->acked;
	st->bytes_total = s->p.bytes_total;
	st->rexmit_permille = s->rexmit;
}

static int tick(struct sender *s)
{
	uint64_t t = now_ns();

	if (s->phase == CC_MCAST_SENDING) {
		s->p.phase = CC_PHASE_COPY;
		s->p.bytes_done = s->acked < s->p.bytes_total ? s->acked : s->p.bytes_total;
		if (cc_meter_update(&s->meter, s->ev, &s->p))
			return canceled(s);
	}
	if (s->o->status && (s->changed || t - s->last_status_ns >= TICK_MS * 1000000ull)) {
		struct cc_mcast_status st;
		int r;

		fill_status(s, &st);
		s->changed = 0;
		s->last_status_ns = t;
		r = s->o->status(s->o->user, &st);
		if (r == CC_MCAST_STOP)
			return canceled(s);
		if (r == CC_MCAST_START_NOW && st.can_start && !s->key_sent) {
			/* raw mode: any byte is a key press */
			if (write(s->child.pty, "\n", 1) == 1)
				s->key_sent = 1;
			cc_log(s->ev, CC_LOG_INFO, _("starting now, with %u client(s)"), s->joined);
		}
	}
	return 0;
}

/* udp-sender is gone (or stopped reading) before the end: why. */
static int why_gone(struct sender *s)
{
	char msg[640];

	cc_lastlines_join(&s->last, msg, sizeof(msg));
	if (s->no_iface)
		return cc_fail(s->err, CC_E_CONNECT, 0,
			       _("udp-sender found no network interface to send on%s%s%s: set up "
				 "the network, or name the interface (--interface)"),
			       s->o->interface ? " (" : "", s->o->interface ? s->o->interface : "",
			       s->o->interface ? ")" : "");
	if (s->no_clients)
		return cc_fail(s->err, CC_E_CONN_LOST, 0,
			       _("round %u: no client was left to send to"), s->round);
	if (s->phase == CC_MCAST_SENDING && !s->joined)
		return cc_fail(s->err, CC_E_CONN_LOST, 0,
			       _("round %u: every client was dropped or left; nothing more is "
				 "sent"),
			       s->round);
	return cc_fail(s->err, CC_E_IO, 0, _("udp-sender stopped before the end of round %u%s%s"),
		       s->round, msg[0] ? ": " : "", msg);
}

/* ---- feeding the stream ---- */

static int write_all_blocking(struct sender *s, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(s->fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cc_fail(s->err, errno == ENOSPC ? CC_E_NOSPACE : CC_E_IO, errno,
				       _("cannot write the stream to %s"), s->o->output);
		buf += n;
		len -= (size_t)n;
		s->fed += (uint64_t)n;
		s->acked = s->fed;
	}
	return tick(s);
}

static int feed(struct sender *s, const void *data, size_t len)
{
	const unsigned char *buf = data;
	int ret;

	if (s->o->output)
		return write_all_blocking(s, buf, len);
	while (len) {
		struct pollfd p[2] = {{s->fd, POLLOUT, 0}, {s->child.err, POLLIN, 0}};
		int n = s->err_eof ? 1 : 2;

		if (s->gone)
			return why_gone(s);
		if (poll(p, (nfds_t)n, TICK_MS) < 0 && errno != EINTR)
			return cc_fail(s->err, CC_E_IO, errno, _("cannot wait for udp-sender"));
		if (n == 2 && p[1].revents)
			read_stderr(s);
		if (p[0].revents & POLLOUT) {
			ssize_t w = write(s->fd, buf, len);

			if (w > 0) {
				buf += w;
				len -= (size_t)w;
				s->fed += (uint64_t)w;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				s->gone = 1;
			}
		} else if (p[0].revents & (POLLERR | POLLHUP)) {
			s->gone = 1;
		}
		if (s->gone) {
			/* what it said last explains why */
			while (!s->err_eof)
				read_stderr(s);
			return why_gone(s);
		}
		if ((ret = tick(s)) < 0)
			return ret;
	}
	return 0;
}

static int feed_section(struct sender *s, unsigned idx)
{
	const struct cc_mcs_file *f = &s->h->big[idx];
	unsigned char mark[CC_MCS_MARK_MAX], *buf = malloc(CHUNK);
	struct cc_istream *in = NULL, *ra = NULL;
	XXH64_state_t *hs = XXH64_createState();
	uint64_t got = 0;
	char *path = NULL;
	int ret;

	if (!buf || !hs || asprintf(&path, "%s/%s", s->o->image, f->name) < 0) {
		path = NULL;
		ret = nomem(s);
		goto out;
	}
	s->p.part_index = idx + 1;
	s->p.part_count = s->h->nbig;
	s->p.part_name = f->name;
	XXH64_reset(hs, 0);
	if ((ret = feed(s, mark, cc_mcs_section_head(s->h, idx, mark))) < 0 ||
	    (ret = s->o->repo->ops->open_read(s->o->repo, path, &in, s->err)) < 0)
		goto out;
	if ((ret = cc_istream_readahead(in, CHUNK, 4, &ra)) < 0) {
		cc_istream_free(in);
		goto out;
	}
	for (;;) {
		ssize_t n = cc_istream_read(ra, buf, CHUNK);

		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		if (!n || got + (uint64_t)n > f->size)
			break;
		got += (uint64_t)n;
		XXH64_update(hs, buf, (size_t)n);
		if ((ret = feed(s, buf, (size_t)n)) < 0)
			goto out;
	}
	if (got != f->size) {
		ret = cc_fail(s->err, CC_E_CORRUPT, 0,
			      _("image '%s' changed while it was being sent: %s no longer has %llu "
				"bytes; the clients of this round will report it incomplete"),
			      s->o->image, f->name, (unsigned long long)f->size);
		goto out;
	}
	ret = feed(s, mark, cc_mcs_section_tail(s->h, idx, XXH64_digest(hs), mark));
out:
	cc_istream_free(ra);
	XXH64_freeState(hs);
	free(path);
	free(buf);
	return ret;
}

/* ---- one round ---- */

static int start_sender(struct sender *s)
{
	const struct cc_mcast_send_opts *o = s->o;
	char port[16], count[16], wait[16], retries[16];
	const char *argv[32];
	int n = 0, ret;
	unsigned flags = CC_SPAWN_STDIN | (o->no_start_now ? 0 : CC_SPAWN_PTY);

	snprintf(port, sizeof(port), "%u", o->portbase ? o->portbase : CC_MCAST_PORTBASE);
	snprintf(count, sizeof(count), "%u", o->clients);
	snprintf(wait, sizeof(wait), "%d", o->max_wait_s < 0 ? CC_MCAST_MAX_WAIT : o->max_wait_s);
	snprintf(retries, sizeof(retries), "%u",
		 (o->drop_after_s ? o->drop_after_s : CC_MCAST_DROP_AFTER) + 10);
	argv[n++] = "udp-sender";
	argv[n++] = "--portbase";
	argv[n++] = port;
	if (o->interface && *o->interface) {
		argv[n++] = "--interface";
		argv[n++] = o->interface;
	}
	argv[n++] = "--full-duplex";
	/* by count, or (clients 0) only by time or key: a count never reached */
	argv[n++] = "--min-receivers";
	argv[n++] = o->clients ? count : NO_COUNT;
	if (o->max_wait_s != 0) {
		argv[n++] = "--max-wait";
		argv[n++] = wait;
	}
	/* each retry after the tenth waits a second: about drop_after_s of silence */
	argv[n++] = "--retries-until-drop";
	argv[n++] = retries;
	/* a client that missed the first hello (or joins for the next round) finds us;
	 * udp-sender also checks --min-receivers only this often (1000: a second lost
	 * at every start) */
	argv[n++] = "--rexmit-hello-interval";
	argv[n++] = "200";
	if (o->max_bitrate && *o->max_bitrate) {
		argv[n++] = "--max-bitrate";
		argv[n++] = o->max_bitrate;
	}
	if (!(flags & CC_SPAWN_PTY))
		argv[n++] = "--nokbd";
	argv[n] = NULL;
	ret = cc_spawn(argv, flags, &s->child, s->err);
	if (ret < 0 && (flags & CC_SPAWN_PTY) && ret != -CC_E_NOTFOUND) {
		/* no pseudo terminal here: no "start now" */
		argv[n++] = "--nokbd";
		argv[n] = NULL;
		ret = cc_spawn(argv, CC_SPAWN_STDIN, &s->child, s->err);
	}
	if (ret < 0)
		return ret;
	s->fd = s->child.in;
	return 0;
}

static int open_output(struct sender *s)
{
	if (!strcmp(s->o->output, "-")) {
		s->fd = STDOUT_FILENO;
		return 0;
	}
	s->fd = open(s->o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s->fd < 0)
		return cc_fail(s->err, cc_repo_errno_code(errno), errno, _("cannot create %s"),
			       s->o->output);
	s->close_fd = 1;
	return 0;
}

/* After the last byte: udp-sender finishes the transfer and exits. */
static int wait_end(struct sender *s)
{
	int status = 0, ret;

	if (s->fd >= 0 && s->fd == s->child.in) {
		close(s->child.in);
		s->child.in = s->fd = -1;
	}
	while (!s->err_eof) {
		struct pollfd p = {s->child.err, POLLIN, 0};

		if (poll(&p, 1, TICK_MS) < 0 && errno != EINTR)
			break;
		if (p.revents)
			read_stderr(s);
		if ((ret = tick(s)) < 0)
			return ret;
	}
	cc_child_stop(&s->child, SIGTERM, STOP_GRACE_MS, &status);
	for (int i = 0; i < MAX_NUM; i++) /* no "Disconnecting" seen */
		client_gone(s, i);
	if (!s->complete)
		return why_gone(s);
	return 0;
}

static void round_reset(struct sender *s, unsigned round)
{
	s->round = round;
	s->phase = CC_MCAST_WAITING;
	s->complete = s->no_clients = s->no_iface = s->err_eof = s->gone = s->key_sent = 0;
	s->joined = 0;
	s->first_join_ns = 0;
	s->acked = s->fed = 0;
	s->rexmit = 0;
	memset(&s->last, 0, sizeof(s->last));
	s->fd = -1;
	s->close_fd = 0;
	s->changed = 1;
	memset(&s->lines, 0, sizeof(s->lines));
	for (int i = 0; i < MAX_NUM; i++)
		s->map[i] = -1;
	memset(s->dropping, 0, sizeof(s->dropping));
	s->child.pid = -1;
	s->child.in = s->child.out = s->child.err = s->child.pty = -1;
	memset(&s->p, 0, sizeof(s->p));
	s->p.bytes_total = s->h->payload_bytes;
	cc_meter_init(&s->meter, NULL, NULL);
}

static int send_round(struct sender *s, unsigned round)
{
	unsigned char *hdr = NULL, mark[CC_MCS_MARK_MAX];
	size_t hlen = 0;
	int ret;

	round_reset(s, round);
	if ((ret = cc_mcs_new_id(s->h->id, s->err)) < 0 ||
	    (ret = cc_mcs_header_encode(s->h, &hdr, &hlen, s->err)) < 0)
		return ret;
	s->p.bytes_total += hlen;
	if (s->o->output) {
		ret = open_output(s);
		s->phase = CC_MCAST_SENDING;
		s->start_ns = now_ns();
	} else {
		ret = start_sender(s);
	}
	if (!ret)
		ret = feed(s, hdr, hlen);
	for (unsigned i = 0; !ret && i < s->h->nbig; i++)
		ret = feed_section(s, i);
	if (!ret)
		ret = feed(s, mark, cc_mcs_end(s->h, mark));
	free(hdr);
	if (s->o->output) {
		if (s->close_fd && close(s->fd) < 0 && !ret)
			ret = cc_fail(s->err, CC_E_IO, errno, _("cannot write the stream to %s"),
				      s->o->output);
		if (s->close_fd && ret < 0)
			unlink(s->o->output);
	} else if (!ret) {
		ret = wait_end(s);
	} else {
		/* the clients of this round time out: they report their disk incomplete */
		cc_child_stop(&s->child, SIGTERM, STOP_GRACE_MS, NULL);
	}
	s->end_ns = now_ns();
	s->phase = CC_MCAST_DONE;
	s->changed = 1;
	if (ret != -CC_E_CANCELED)
		tick(s);
	return ret;
}

static void fill_result(struct sender *s, struct cc_mcast_result *res)
{
	res->clients = s->cl;
	res->nclients = s->ncl;
	s->cl = NULL;
	for (unsigned i = 0; i < res->nclients; i++) {
		res->finished += res->clients[i].state == CC_MCAST_FINISHED;
		res->dropped += res->clients[i].state == CC_MCAST_DROPPED;
		res->left += res->clients[i].state == CC_MCAST_LEFT;
	}
	res->stream_bytes = s->p.bytes_total;
	res->elapsed_ms = s->start_ns ? (s->end_ns - s->start_ns) / 1000000 : 0;
}

int cc_mcast_send(const struct cc_mcast_send_opts *o, const struct cc_events *ev,
		  struct cc_mcast_result *res, struct cc_error *err)
{
	struct sender *s = calloc(1, sizeof(*s));
	sigset_t old;
	unsigned r;
	int ret;

	memset(res, 0, sizeof(*res));
	if (!s)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	s->o = o;
	s->ev = ev;
	s->err = err;
	s->rounds = o->output ? 1 : o->rounds ? o->rounds : 1;
	s->child.pid = -1;
	if (!o->output && !o->clients && o->max_wait_s == 0 && o->no_start_now) {
		ret = cc_fail(err, CC_E_BAD_ARGS, 0,
			      _("nothing would start the transfer: give a number of clients, a "
				"maximum wait, or let the operator start it"));
		goto out;
	}
	/* everything that can fail without the network first */
	if ((ret = prepare(s)) < 0 ||
	    (!o->output && (ret = cc_check_installed("udp-sender", err)) < 0))
		goto out;
	cc_sigpipe_block(&old);
	for (r = 1; r <= s->rounds && !ret; r++)
		ret = send_round(s, r);
	cc_sigpipe_restore(&old);
	fill_result(s, res);
	if (!ret && !o->output && !res->finished)
		ret = cc_fail(err, CC_E_CONN_LOST, 0,
			      _("no client received the whole image (%u dropped, %u left)"),
			      res->dropped, res->left);
out:
	free(s->cl);
	cc_mcs_header_free(s->h);
	cc_imgdir_free(s->d);
	free(s);
	return ret;
}

const char *cc_mcast_state_name(enum cc_mcast_client_state st)
{
	switch (st) {
	case CC_MCAST_FINISHED:
		return _("finished");
	case CC_MCAST_DROPPED:
		return _("dropped: it stopped answering");
	case CC_MCAST_LEFT:
		return _("left before the end");
	case CC_MCAST_JOINED:
	default:
		return _("joined");
	}
}

void cc_mcast_result_free(struct cc_mcast_result *res)
{
	free(res->clients);
	memset(res, 0, sizeof(*res));
}
