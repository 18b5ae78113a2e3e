/*
 * cmd_mcast.c - multicast on the command line: `mcast-serve` (the server)
 * and restoredisk/restoreparts --multicast (a client).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "mcast.h"
#include "repo.h"

#define DEFAULT_REPO	   "/home/partimag"
#define PLAIN_STATUS_MS	   30000
#define EXIT_SOME_MISSING  3

enum {
	OPT_CLIENTS = 440,
	OPT_MAX_WAIT,
	OPT_MAX_BITRATE,
	OPT_ROUNDS,
	OPT_DROP_AFTER,
	OPT_OUTPUT,
	OPT_PROGRESS,
};

static int number(const char *opt, const char *arg, unsigned min, unsigned max, unsigned *out)
{
	unsigned long v;

	if (cli_parse_number(opt, arg, min, max, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* "600m", "90000k", "1g": what udp-sender --max-bitrate takes. */
static int bitrate_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && (!s[n] || (strchr("kKmMgG", s[n]) && !s[n + 1]));
}

int cli_mcast_option(int c, const char *arg, struct cli_mcast_args *m)
{
	switch (c) {
	case CLI_OPT_MULTICAST:
		m->on = 1;
		return 1;
	case CLI_OPT_MSTREAM:
		m->on = 1;
		m->stream = arg;
		return 1;
	case CLI_OPT_INTERFACE:
		m->iface = arg;
		return 1;
	case CLI_OPT_PORTBASE:
		return number("--portbase", arg, 1, 65534, &m->portbase) < 0 ? -1 : 1;
	default:
		return 0;
	}
}

/* ---- the client ---- */

struct client_ui {
	struct cc_events inner; /* the usual progress line */
	struct cli_render rr;
	int arrived;
};

static int client_progress(void *user, const struct cc_progress *p)
{
	struct client_ui *c = user;

	if (!c->arrived) /* waiting for the sender: nothing to draw */
		return cli_interrupted ? 1 : 0;
	return c->inner.progress(c->inner.user, p);
}

static void client_log(void *user, enum cc_level lvl, const char *msg)
{
	struct client_ui *c = user;

	c->inner.log(c->inner.user, lvl, msg);
}

static void client_arrived(void *user, const char *image, const char *sender, uint64_t bytes)
{
	struct client_ui *c = user;

	(void)image;
	(void)sender;
	(void)bytes;
	c->arrived = 1; /* the engine logged which image */
}

int cli_mcast_restore(const struct cli_mcast_args *m, const char *const *devs, unsigned n,
		      int whole, int grow, unsigned timeout_s, enum cli_progress_mode pm)
{
	struct cc_mcast_recv_opts o;
	struct client_ui c;
	struct cc_events ev;
	struct cc_error err;
	int ret;

	memset(&c, 0, sizeof(c));
	cli_events_init(&c.inner, &c.rr, pm, _("restoring"));
	ev.user = &c;
	ev.progress = client_progress;
	ev.log = client_log;
	memset(&o, 0, sizeof(o));
	o.interface = m->iface;
	o.portbase = m->portbase;
	o.timeout_s = timeout_s;
	o.stream = m->stream;
	o.devices = devs;
	o.ndevices = n;
	o.whole_disks = whole;
	o.grow = grow;
	o.arrived = client_arrived;
	o.user = &c;
	cc_error_clear(&err);
	ret = cc_mcast_restore(&o, &ev, &err);
	cli_render_end(&c.rr);
	if (ret < 0)
		return cli_report_error(&err, ret);
	if (pm != CLI_PROGRESS_NONE)
		fprintf(stderr, _("clonecast: restored from multicast; every checksum verified\n"));
	return 0;
}

/* ---- the server ---- */

struct server_ui {
	struct cli_render rr;
	int keyboard; /* Enter starts now */
	uint64_t last_plain_ms;
	unsigned last_joined;
	enum cc_mcast_phase last_phase;
	unsigned last_round;
};

static uint64_t ms_now(void)
{
	return cc_clock_monotonic_ns(NULL) / 1000000;
}

/* Enter on the terminal: start now. */
static int key_pressed(struct server_ui *u)
{
	struct pollfd p = {STDIN_FILENO, POLLIN, 0};
	char buf[64];

	if (!u->keyboard || poll(&p, 1, 0) <= 0)
		return 0;
	if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0) {
		u->keyboard = 0; /* end of input: no more keys */
		return 0;
	}
	return 1;
}

static void waiting_line(struct server_ui *u, const struct cc_mcast_status *s, char *buf,
			 size_t len)
{
	char when[32] = "";

	if (s->starts_in_s)
		snprintf(when, sizeof(when), _(", starts in %u:%02u"), s->starts_in_s / 60,
			 s->starts_in_s % 60);
	/* TRANSLATORS: mcast-serve while waiting: round, clients joined, "starts
	 * in m:ss" (or nothing), then the hint to press Enter (or nothing). */
	snprintf(buf, len, _("round %u of %u: waiting for clients, %u joined%s%s"), s->round,
		 s->rounds, s->joined, when,
		 u->keyboard && s->can_start ? _(" - Enter starts now") : "");
}

static int server_status(void *user, const struct cc_mcast_status *s)
{
	struct server_ui *u = user;
	char line[300];

	if (cli_interrupted)
		return CC_MCAST_STOP;
	if (s->phase == CC_MCAST_WAITING && u->rr.mode != CLI_PROGRESS_NONE) {
		waiting_line(u, s, line, sizeof(line));
		if (u->rr.mode == CLI_PROGRESS_LINE) {
			fprintf(stderr, "\r%s\033[K", line);
			u->rr.line_open = 1;
		} else if (s->joined != u->last_joined || s->round != u->last_round ||
			   u->last_phase != CC_MCAST_WAITING ||
			   ms_now() >= u->last_plain_ms + PLAIN_STATUS_MS) {
			fprintf(stderr, "clonecast: %s\n", line);
			u->last_plain_ms = ms_now();
		}
		fflush(stderr);
	}
	if (s->phase != u->last_phase)
		cli_render_end(&u->rr);
	u->last_joined = s->joined;
	u->last_phase = s->phase;
	u->last_round = s->round;
	if (s->phase == CC_MCAST_WAITING && key_pressed(u)) {
		if (!s->can_start) {
			cli_render_end(&u->rr);
			fprintf(stderr, _("clonecast: no client has joined yet\n"));
			return CC_MCAST_GO_ON;
		}
		return CC_MCAST_START_NOW;
	}
	return CC_MCAST_GO_ON;
}

static void print_result(const char *image, const struct cc_mcast_result *res)
{
	char t[32];

	for (unsigned i = 0; i < res->nclients; i++)
		fprintf(stderr, _("    %-15s  round %u  %s\n"), res->clients[i].addr,
			res->clients[i].round, cc_mcast_state_name(res->clients[i].state));
	fprintf(stderr, _("clonecast: image '%s': %u of %u client(s) received all of it (%s)\n"),
		image, res->finished, res->nclients, cli_fmt_duration(res->elapsed_ms, t, sizeof(t)));
}

static void serve_usage(FILE *f)
{
	fprintf(f, _("Usage: clonecast mcast-serve [OPTIONS] IMAGE\n"
		     "Send an image of the repository to many clients at once by multicast\n"
		     "(udpcast); each client runs 'clonecast restoredisk --multicast DISK'.\n"
		     "It starts when --clients joined, or --max-wait seconds after the first\n"
		     "client joined, or when Enter is pressed, whichever comes first.\n"
		     "  -b, --batch             no questions, no Enter to start\n"
		     "      --clients N         start as soon as N clients joined\n"
		     "      --max-wait SECONDS  start this long after the first client joined\n"
		     "                          (default 300; 0: no limit)\n"
		     "      --interface IF      the network interface (default: udpcast's choice)\n"
		     "      --portbase PORT     UDP ports PORT and PORT+1 (default 2232)\n"
		     "      --max-bitrate RATE  at most this many bits/s (600m, 90m ...)\n"
		     "      --rounds N          send N times; latecomers get the next round\n"
		     "      --drop-after SECONDS  drop a client silent this long (default 20)\n"
		     "      --output FILE|-     write the stream to a file instead (no network)\n"
		     "  -q, --quiet             no progress\n"
		     "Exit status: 0 every client received the image, 3 some did not, 1 error.\n"));
	fputs(_(CLI_NET_USAGE), f);
}

int cmd_mcast_serve(int argc, char **argv)
{
	static const struct option lo[] = {
		{"repo", required_argument, NULL, 'r'},
		{"batch", no_argument, NULL, 'b'},
		{"clients", required_argument, NULL, OPT_CLIENTS},
		{"max-wait", required_argument, NULL, OPT_MAX_WAIT},
		{"max-bitrate", required_argument, NULL, OPT_MAX_BITRATE},
		{"rounds", required_argument, NULL, OPT_ROUNDS},
		{"drop-after", required_argument, NULL, OPT_DROP_AFTER},
		{"output", required_argument, NULL, OPT_OUTPUT},
		{"quiet", no_argument, NULL, 'q'},
		{"progress", required_argument, NULL, OPT_PROGRESS},
		{"help", no_argument, NULL, 'h'},
		{"interface", required_argument, NULL, CLI_OPT_INTERFACE},
		{"portbase", required_argument, NULL, CLI_OPT_PORTBASE},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct cc_mcast_send_opts o;
	struct cc_mcast_result res;
	struct cli_mcast_args m;
	struct cli_net_opts net;
	struct server_ui u;
	struct cc_repo *repo = NULL;
	struct cc_events ev;
	struct cc_error err;
	const char *repo_dir = DEFAULT_REPO;
	enum cli_progress_mode pm = CLI_PROGRESS_AUTO;
	unsigned v;
	int c, batch = 0, ret;

	memset(&o, 0, sizeof(o));
	memset(&m, 0, sizeof(m));
	memset(&net, 0, sizeof(net));
	o.max_wait_s = -1;
	while ((c = getopt_long(argc, argv, "r:bqh" CLI_NET_SHORTOPTS, lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			repo_dir = optarg;
			break;
		case 'b':
			batch = 1;
			break;
		case 'q':
			pm = CLI_PROGRESS_NONE;
			break;
		case OPT_PROGRESS:
			if (cli_parse_progress(optarg, &pm) < 0)
				return 2;
			break;
		case OPT_CLIENTS:
			if (number("--clients", optarg, 1, 1000, &o.clients) < 0)
				return 2;
			break;
		case OPT_MAX_WAIT:
			if (number("--max-wait", optarg, 0, 86400, &v) < 0)
				return 2;
			o.max_wait_s = (int)v;
			break;
		case OPT_MAX_BITRATE:
			if (!bitrate_ok(optarg)) {
				fprintf(stderr, _("clonecast: --max-bitrate takes a rate such as 600m "
						  "(bits per second; k, m, g)\n"));
				return 2;
			}
			o.max_bitrate = optarg;
			break;
		case OPT_ROUNDS:
			if (number("--rounds", optarg, 1, 1000, &o.rounds) < 0)
				return 2;
			break;
		case OPT_DROP_AFTER:
			if (number("--drop-after", optarg, 1, 3600, &o.drop_after_s) < 0)
				return 2;
			break;
		case OPT_OUTPUT:
			o.output = optarg;
			break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			if ((ret = cli_mcast_option(c, optarg, &m)) < 0)
				return 2;
			if (ret == 0 && cli_net_option(c, optarg, &net) <= 0) {
				serve_usage(stderr);
				return 2;
			}
			break;
		}
	}
	if (argc - optind != 1) {
		serve_usage(stderr);
		return 2;
	}
	if (cli_repo_open(repo_dir, &net, batch, &repo))
		return 1;
	o.repo = repo;
	o.image = argv[optind];
	o.interface = m.iface;
	o.portbase = m.portbase;
	memset(&u, 0, sizeof(u));
	u.keyboard = !batch && isatty(STDIN_FILENO);
	u.last_phase = (enum cc_mcast_phase)-1;
	o.no_start_now = !u.keyboard;
	o.status = server_status;
	o.user = &u;
	cli_events_init(&ev, &u.rr, pm, _("sending"));
	cc_error_clear(&err);
	ret = cc_mcast_send(&o, &ev, &res, &err);
	cli_render_end(&u.rr);
	cc_repo_close(repo);
	if (o.output) {
		if (ret < 0)
			return cli_report_error(&err, ret);
		if (pm != CLI_PROGRESS_NONE && strcmp(o.output, "-"))
			fprintf(stderr, _("clonecast: the stream of image '%s' is in %s\n"), o.image,
				o.output);
		return 0;
	}
	if (res.nclients)
		print_result(o.image, &res);
	if (ret < 0) {
		cc_mcast_result_free(&res);
		return cli_report_error(&err, ret);
	}
	ret = res.finished == res.nclients ? 0 : EXIT_SOME_MISSING;
	cc_mcast_result_free(&res);
	return ret;
}
