/* render.c - progress on the command line: one updating line on a
 * terminal, plain lines every few seconds otherwise (logs, pipes). */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"

#define PLAIN_INTERVAL_MS 5000

const char *cli_fmt_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= 1000000000ull)
		snprintf(buf, len, "%.2f GB", (double)b / 1e9);
	else if (b >= 1000000ull)
		snprintf(buf, len, "%.1f MB", (double)b / 1e6);
	else if (b >= 1000ull)
		snprintf(buf, len, "%.1f kB", (double)b / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 " B", b);
	return buf;
}

const char *cli_fmt_duration(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = (ms + 500) / 1000;

	if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 ":%02u:%02u", s / 3600, (unsigned)(s / 60 % 60),
			 (unsigned)(s % 60));
	else
		snprintf(buf, len, "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
	return buf;
}

static void render_line(struct cli_render *r, const struct cc_progress *p, int plain)
{
	char done[32], total[32], now[32], avg[32], el[32], left[32], stored[32];
	double pct = p->bytes_total ? 100.0 * (double)p->bytes_done / (double)p->bytes_total : 0;

	if (pct > 100)
		pct = 100;
	cli_fmt_bytes(p->bytes_done, done, sizeof(done));
	cli_fmt_bytes(p->bytes_total, total, sizeof(total));
	snprintf(now, sizeof(now), "%.1f", (double)p->rate_now / 1e6);
	snprintf(avg, sizeof(avg), "%.1f", (double)p->rate_avg / 1e6);
	cli_fmt_duration(p->elapsed_ms, el, sizeof(el));
	if (p->eta_ms)
		cli_fmt_duration(p->eta_ms, left, sizeof(left));
	else
		snprintf(left, sizeof(left), "--:--");
	cli_fmt_bytes(p->bytes_stored, stored, sizeof(stored));
	/* TRANSLATORS: progress line: verb, percent, done, total, MB/s now,
	 * MB/s average, elapsed, remaining. Keep it under 80 columns. */
	fprintf(stderr, _("%s%s %5.1f%%  %s of %s  %s MB/s (avg %s)  %s elapsed, %s left"),
		plain ? "" : "\r", r->verb, pct, done, total, now, avg, el, left);
	if (p->bytes_stored)
		fprintf(stderr, _("  image %s"), stored);
	fprintf(stderr, plain ? "\n" : "\033[K");
	fflush(stderr);
}

volatile sig_atomic_t cli_interrupted;

static void on_signal(int sig)
{
	cli_interrupted = sig;
}

void cli_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends the process at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed pipe is an error we report */
}

static int on_progress(void *user, const struct cc_progress *p)
{
	struct cli_render *r = user;

	if (cli_interrupted)
		return 1; /* the engine stops and cleans up: -CC_E_CANCELED */
	if (r->mode == CLI_PROGRESS_NONE)
		return 0;
	if (r->mode == CLI_PROGRESS_LINE) {
		render_line(r, p, 0);
		r->line_open = 1;
		if (p->final)
			cli_render_end(r);
	} else if (p->final || p->elapsed_ms >= r->last_plain_ms + PLAIN_INTERVAL_MS) {
		r->last_plain_ms = p->elapsed_ms;
		render_line(r, p, 1);
	}
	return 0;
}

static void on_log(void *user, enum cc_level lvl, const char *msg)
{
	struct cli_render *r = user;

	if (lvl == CC_LOG_DEBUG)
		return;
	cli_render_end(r);
	fprintf(stderr, "clonecast: %s%s\n", lvl >= CC_LOG_WARN ? _("warning: ") : "", msg);
}

void cli_render_end(struct cli_render *r)
{
	if (r->line_open) {
		fputc('\n', stderr);
		r->line_open = 0;
	}
}

void cli_events_init(struct cc_events *ev, struct cli_render *r, enum cli_progress_mode mode,
		     const char *verb)
{
	memset(r, 0, sizeof(*r));
	if (mode == CLI_PROGRESS_AUTO)
		mode = isatty(2) ? CLI_PROGRESS_LINE : CLI_PROGRESS_PLAIN;
	r->mode = mode;
	r->verb = verb;
	ev->user = r;
	ev->log = on_log;
	ev->progress = on_progress;
}

int cli_report_error(const struct cc_error *err, int ret)
{
	fprintf(stderr, "clonecast: %s\n",
		err->detail[0] ? err->detail : cc_strerror(ret));
	return 1;
}
