/* render.c - progress on the command line: one updating line on a
 * terminal, plain lines every few seconds otherwise (logs, pipes). */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

/* "1.23/4.56 GB": done and total in the unit of the total. */
static void fmt_pair(uint64_t done, uint64_t total, char *buf, size_t len)
{
	double div = 1;
	const char *unit = "B";

	if (total >= 1000000000ull)
		div = 1e9, unit = "GB";
	else if (total >= 1000000ull)
		div = 1e6, unit = "MB";
	else if (total >= 1000ull)
		div = 1e3, unit = "kB";
	snprintf(buf, len, div >= 1e9 ? "%.2f/%.2f %s" : "%.1f/%.1f %s", (double)done / div,
		 (double)total / div, unit);
}

static void fmt_rate(uint64_t bytes_per_s, char *buf, size_t len)
{
	double mb = (double)bytes_per_s / 1e6;

	snprintf(buf, len, mb >= 100 ? "%.0f" : "%.1f", mb);
}

/* Columns of the terminal on stderr (80 if unknown). */
static size_t term_columns(void)
{
	struct winsize ws;

	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* Characters (not bytes) of a UTF-8 string in the current locale. */
static size_t text_width(const char *s)
{
	size_t n = mbstowcs(NULL, s, 0);

	return n == (size_t)-1 ? strlen(s) : n;
}

static void render_line(struct cli_render *r, const struct cc_progress *p, int plain)
{
	char pair[64], now[32], avg[32], el[32], left[32], stored[32], line[512], extra[64];
	double pct = p->bytes_total ? 100.0 * (double)p->bytes_done / (double)p->bytes_total : 0;

	if (pct > 100)
		pct = 100;
	fmt_pair(p->bytes_done, p->bytes_total, pair, sizeof(pair));
	fmt_rate(p->rate_now, now, sizeof(now));
	fmt_rate(p->rate_avg, avg, sizeof(avg));
	cli_fmt_duration(p->elapsed_ms, el, sizeof(el));
	if (p->eta_ms)
		cli_fmt_duration(p->eta_ms, left, sizeof(left));
	else
		snprintf(left, sizeof(left), "--:--");
	/* TRANSLATORS: progress line: verb, percent, "done/total unit", MB/s
	 * now, MB/s on average, elapsed time, remaining time.  It must fit
	 * in 79 columns with "restoring  42.1%  12.34/64.00 GB  523 MB/s
	 * (avg 511)  1:02:03, 3:15 left" as the English example. */
	snprintf(line, sizeof(line), _("%s %5.1f%%  %s  %s MB/s (avg %s)  %s, %s left"), r->verb,
		 pct, pair, now, avg, el, left);
	if (p->bytes_stored) {
		cli_fmt_bytes(p->bytes_stored, stored, sizeof(stored));
		/* TRANSLATORS: added to the progress line when saving, if it fits. */
		snprintf(extra, sizeof(extra), _("  image %s"), stored);
		if (plain || text_width(line) + text_width(extra) < term_columns())
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s", extra);
	}
	fprintf(stderr, plain ? "%s\n" : "\r%s\033[K", line);
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
