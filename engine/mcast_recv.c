/*
 * mcast_recv.c - cc_mcast_restore(): a client of a multicast restore.
 *
 * udp-receiver writes the stream to a pipe of ours (or the stream comes
 * from a file).  Its header is read first, in the job's thread, while we
 * wait for the sender (timeout, cancel): nothing is written before it
 * arrived and was checked.  Then the stream becomes a read-only repository
 * (repo_stream.c) and the ordinary cc_restoredisk() runs over it: the
 * partition tables and the target sizes are checked before the first
 * write, every partclone checksum while writing.  Afterwards the rest of
 * the stream is read and checked to its end mark.
 *
 * On any failure udp-receiver gets SIGINT: it tells the sender it leaves
 * (so the others do not wait for it) and exits.  It runs in a session of
 * its own, so a Ctrl-C on our terminal reaches only us.
 */
#include "mcast.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev.h"
#include "disk_job.h"
#include "error.h"
#include "i18n.h"
#include "mcast_stream.h"
#include "mounts.h"
#include "repo.h"
#include "run.h"
#include "stream.h"
#include "udpcast.h"

#define TICK_MS	      200
#define STOP_GRACE_MS 3000

struct receiver {
	const struct cc_mcast_recv_opts *o;
	const struct cc_events *ev;
	struct cc_child child; /* pid -1: the stream comes from a file */
	int fd, close_fd;
	struct cc_lines lines;
	int waiting;	/* before the first byte: the job's thread reads */
	uint64_t start_ns;
	int abort;	/* the job was canceled (atomic) */
	int err_eof, logged_connect;
	/* what udp-receiver said */
	int connected, dropped, recv_timeout, no_iface;
	char sender[48];
	struct cc_lastlines last;
	struct cc_events wrap; /* the caller's events, cancel also stops udp-receiver */
};

static const char *const receiver_noise[] = {"Udp-receiver ", "UDP receiver for",
					     "received message", "Listening to multicast",
					     "Compressed ", NULL};

static void on_line(void *u, const char *line)
{
	struct receiver *r = u;
	struct cc_udpc_line l;

	cc_udpc_parse(line, &l);
	switch (l.ev) {
	case CC_UDPC_CONNECTED:
		r->connected = 1;
		snprintf(r->sender, sizeof(r->sender), "%s", l.addr);
		break;
	case CC_UDPC_DROPPED:
		r->dropped = 1;
		break;
	case CC_UDPC_RECV_TIMEOUT:
		r->recv_timeout = 1;
		break;
	case CC_UDPC_NO_INTERFACE:
		r->no_iface = 1;
		cc_lastlines_add(&r->last, line, receiver_noise);
		break;
	case CC_UDPC_OTHER:
		cc_lastlines_add(&r->last, line, receiver_noise);
		break;
	default:
		break;
	}
}

static void read_stderr(struct receiver *r)
{
	if (cc_child_read_lines(&r->child, &r->lines, on_line, r))
		r->err_eof = 1;
}

static int aborted(struct receiver *r)
{
	return __atomic_load_n(&r->abort, __ATOMIC_ACQUIRE);
}

/* While waiting for the first byte (job's thread): say what happens,
 * give up after the timeout, let the operator cancel. */
static int waiting_tick(struct receiver *r, struct cc_error *err)
{
	struct cc_progress p;
	uint64_t el = (cc_clock_monotonic_ns(NULL) - r->start_ns) / 1000000;

	if (r->connected && !r->logged_connect) {
		r->logged_connect = 1;
		cc_log(r->ev, CC_LOG_INFO,
		       _("joined the sender %s; waiting for the transfer to start"), r->sender);
	}
	memset(&p, 0, sizeof(p));
	p.phase = CC_PHASE_PROBE;
	p.elapsed_ms = el;
	if (r->ev && r->ev->progress && r->ev->progress(r->ev->user, &p))
		return cc_fail(err, CC_E_CANCELED, 0, _("canceled by the operator"));
	if (!r->o->timeout_s || el < (uint64_t)r->o->timeout_s * 1000)
		return 0;
	if (r->connected)
		return cc_fail(err, CC_E_TIMEOUT, 0,
			       _("the sender %s did not start the transfer within %u s; nothing "
				 "was written"),
			       r->sender, r->o->timeout_s);
	return cc_fail(err, CC_E_TIMEOUT, 0,
		       _("no sender started a transfer within %u s; nothing was written: start "
			 "the server (clonecast mcast-serve), or check the network and the port"),
		       r->o->timeout_s);
}

/* udp-receiver's output ended: a clean end, or why not. */
static int source_end(struct receiver *r, struct cc_error *err)
{
	char msg[640];
	int status = 0;

	if (r->child.pid <= 0)
		return 0;
	while (!r->err_eof)
		read_stderr(r);
	cc_child_wait(&r->child, &status, -1);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (aborted(r))
		return cc_fail(err, CC_E_CANCELED, 0, _("canceled by the operator"));
	if (r->dropped)
		return cc_fail(err, CC_E_CONN_LOST, 0,
			       _("the sender %s dropped this computer (it answered too slowly or "
				 "lost too many packets)"),
			       r->sender);
	if (r->recv_timeout)
		return cc_fail(err, CC_E_CONN_LOST, 0,
			       _("the sender %s sent nothing for %u s: it stopped, or the network "
				 "failed"),
			       r->sender, r->o->stall_s ? r->o->stall_s : CC_MCAST_STALL);
	if (r->no_iface)
		return cc_fail(err, CC_E_CONNECT, 0,
			       _("udp-receiver found no network interface to listen on%s%s%s: set "
				 "up the network, or name the interface (--interface)"),
			       r->o->interface ? " (" : "", r->o->interface ? r->o->interface : "",
			       r->o->interface ? ")" : "");
	cc_lastlines_join(&r->last, msg, sizeof(msg));
	return cc_fail(err, CC_E_IO, 0, _("udp-receiver stopped (status %d)%s%s"),
		       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		       msg[0] ? ": " : "", msg);
}

static ssize_t src_read(struct cc_istream *s, void *buf, size_t len)
{
	struct receiver *r = s->priv;

	for (;;) {
		struct pollfd p[2] = {{r->fd, POLLIN, 0}, {r->child.err, POLLIN, 0}};
		int n = r->child.pid > 0 && !r->err_eof ? 2 : 1, ret;

		if (aborted(r))
			return cc_fail(s->err, CC_E_CANCELED, 0, _("canceled by the operator"));
		if (poll(p, (nfds_t)n, TICK_MS) < 0 && errno != EINTR)
			return cc_fail(s->err, CC_E_IO, errno, _("cannot wait for the stream"));
		if (n == 2 && p[1].revents)
			read_stderr(r);
		if (p[0].revents) {
			ssize_t k = read(r->fd, buf, len);

			if (k > 0) {
				r->waiting = 0;
				s->bytes_in += (uint64_t)k;
				return k;
			}
			if (k == 0)
				return source_end(r, s->err);
			if (errno != EINTR && errno != EAGAIN)
				return cc_fail(s->err, CC_E_IO, errno,
					       _("cannot read the multicast stream"));
		}
		if (r->waiting && (ret = waiting_tick(r, s->err)) < 0)
			return ret;
	}
}

static void src_free(struct cc_istream *s)
{
	(void)s; /* the receiver owns the descriptors */
}

static const struct cc_istream_ops src_ops = {"multicast", src_read, src_free};

static int start_receiver(struct receiver *r, struct cc_error *err)
{
	const struct cc_mcast_recv_opts *o = r->o;
	char port[16], stall[16];
	const char *argv[16];
	int n = 0, ret;

	if (o->stream) {
		if (!strcmp(o->stream, "-")) {
			r->fd = STDIN_FILENO;
			return 0;
		}
		if ((r->fd = open(o->stream, O_RDONLY | O_CLOEXEC)) < 0)
			return cc_fail(err, errno == ENOENT ? CC_E_NOTFOUND : CC_E_IO, errno,
				       _("cannot open %s"), o->stream);
		r->close_fd = 1;
		return 0;
	}
	snprintf(port, sizeof(port), "%u", o->portbase ? o->portbase : CC_MCAST_PORTBASE);
	snprintf(stall, sizeof(stall), "%u", o->stall_s ? o->stall_s : CC_MCAST_STALL);
	argv[n++] = "udp-receiver";
	argv[n++] = "--nokbd"; /* a key on a client must not start everyone's transfer */
	argv[n++] = "--portbase";
	argv[n++] = port;
	if (o->interface && *o->interface) {
		argv[n++] = "--interface";
		argv[n++] = o->interface;
	}
	argv[n++] = "--receive-timeout";
	argv[n++] = stall;
	argv[n] = NULL;
	if ((ret = cc_spawn(argv, CC_SPAWN_STDOUT, &r->child, err)) < 0)
		return ret;
	r->fd = r->child.out;
	cc_log(r->ev, CC_LOG_INFO, _("waiting for a multicast sender (port %s%s%s) ..."), port,
	       o->interface ? _(", interface ") : "", o->interface ? o->interface : "");
	return 0;
}

static void stop_receiver(struct receiver *r)
{
	/* SIGINT: it says goodbye to the sender, the others go on without us */
	cc_child_stop(&r->child, SIGINT, STOP_GRACE_MS, NULL);
	if (r->close_fd && r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->close_fd = 0;
}

static int wrap_progress(void *user, const struct cc_progress *p)
{
	struct receiver *r = user;

	if (r->ev && r->ev->progress && r->ev->progress(r->ev->user, p)) {
		__atomic_store_n(&r->abort, 1, __ATOMIC_RELEASE);
		if (r->child.pid > 0)
			kill(r->child.pid, SIGINT); /* a read waiting for data ends */
		return 1;
	}
	return 0;
}

static void wrap_log(void *user, enum cc_level lvl, const char *msg)
{
	struct receiver *r = user;

	if (r->ev && r->ev->log)
		r->ev->log(r->ev->user, lvl, msg);
}

/* The targets exist and are free: said before waiting, not after. */
static int precheck(const struct cc_mcast_recv_opts *o, struct cc_error *err)
{
	unsigned i;
	int ret;

	if (!o->ndevices)
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("no target given"));
	for (i = 0; i < o->ndevices; i++) {
		struct cc_dev *dev;

		if ((ret = cc_check_unmounted(o->devices[i], CC_MOUNT_FOR_WRITE, err)) < 0)
			return ret;
		if (!o->whole_disks)
			continue;
		if ((ret = cc_dev_open(o->devices[i], CC_DEV_READ, &dev, err)) < 0)
			return ret;
		cc_dev_close(dev);
	}
	return 0;
}

/* The target is incomplete: say so with the reason. */
static int incomplete(struct cc_error *err, int ret)
{
	char detail[sizeof(err->detail)];

	if (ret != -CC_E_TRUNCATED && ret != -CC_E_CORRUPT && ret != -CC_E_CONN_LOST &&
	    ret != -CC_E_CANCELED)
		return ret;
	snprintf(detail, sizeof(detail), "%s", err->detail);
	return cc_fail(err, -ret, 0, _("%s; the target is incomplete: restore it again"), detail);
}

int cc_mcast_restore(const struct cc_mcast_recv_opts *o, const struct cc_events *ev,
		     struct cc_error *err)
{
	struct receiver *r = calloc(1, sizeof(*r));
	struct cc_istream *src = NULL;
	struct cc_mcs_header *h = NULL;
	struct cc_repo *repo = NULL;
	struct cc_disk_restore_opts ro;
	char what[128], image[CC_MCS_NAME_MAX + 1];
	const char *from;
	uint64_t used;
	int ret, written = 0;

	if (!r)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	r->o = o;
	r->ev = ev;
	r->fd = -1;
	r->child.pid = -1;
	r->child.in = r->child.out = r->child.err = r->child.pty = -1;
	r->waiting = 1;
	r->start_ns = cc_clock_monotonic_ns(NULL);
	if ((ret = precheck(o, err)) < 0 || (ret = start_receiver(r, err)) < 0)
		goto out;
	if (!(src = cc_istream_new(&src_ops, r, NULL, err))) {
		ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		goto out;
	}
	from = !o->stream ? NULL : strcmp(o->stream, "-") ? o->stream : _("standard input");
	ret = cc_mcs_header_read(src, from ? from : _("the multicast stream"), &h, err);
	if (ret < 0)
		goto out;
	if (from)
		snprintf(what, sizeof(what), _("the multicast stream in %s"), from);
	else
		snprintf(what, sizeof(what), _("the multicast stream from %s"), r->sender);
	from = from ? from : r->sender;
	cc_log(ev, CC_LOG_INFO, _("image '%s' arrives from %s (%.1f MB of data)"), h->image, from,
	       (double)h->used_bytes / 1e6);
	if (o->arrived)
		o->arrived(o->user, h->image, from, h->used_bytes);
	snprintf(image, sizeof(image), "%s", h->image);
	used = h->used_bytes;
	ret = cc_repo_stream_open(src, h, what, &repo, err);
	src = NULL; /* taken, with h, even on failure */
	h = NULL;
	if (ret < 0)
		goto out;
	r->wrap.user = r;
	r->wrap.progress = wrap_progress;
	r->wrap.log = wrap_log;
	memset(&ro, 0, sizeof(ro));
	ro.repo = repo;
	ro.image = image;
	ro.devices = o->devices;
	ro.ndevices = o->ndevices;
	ro.whole_disks = o->whole_disks;
	ro.grow = o->grow;
	ro.bytes_total = used ? used : 1; /* never read from the stream to sum it up */
	written = 1;
	ret = cc_restoredisk(&ro, &r->wrap, err);
	if (!ret)
		ret = cc_repo_stream_finish(repo, err);
out:
	if (ret < 0 && written)
		ret = incomplete(err, ret);
	cc_repo_close(repo);
	cc_istream_free(src);
	cc_mcs_header_free(h);
	stop_receiver(r);
	free(r);
	return ret;
}
