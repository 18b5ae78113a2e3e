/* progress.c - rate meter and event helpers; see progress.h. */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define EMIT_INTERVAL_NS 200000000ull /* 200 ms between callbacks */
#define WINDOW_NS	 2000000000ull /* "rate now" looks back about 2 s */

uint64_t cc_clock_monotonic_ns(void *unused)
{
	struct timespec ts;

	(void)unused;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void cc_meter_init(struct cc_meter *m, uint64_t (*now_ns)(void *), void *clock_user)
{
	memset(m, 0, sizeof(*m));
	m->now_ns = now_ns ? now_ns : cc_clock_monotonic_ns;
	m->clock_user = clock_user;
	m->start_ns = m->now_ns(m->clock_user);
	m->last_phase = (enum cc_phase)-1;
}

/* Remember (t, bytes) samples, at most one per 250 ms, in a ring of 8. */
static void sample(struct cc_meter *m, uint64_t t, uint64_t bytes)
{
	unsigned last = (m->win_pos + 7) % 8;

	if (m->win_n && t - m->win_ns[last] < WINDOW_NS / 8)
		return;
	m->win_ns[m->win_pos] = t;
	m->win_bytes[m->win_pos] = bytes;
	m->win_pos = (m->win_pos + 1) % 8;
	if (m->win_n < 8)
		m->win_n++;
}

/* Rate over the oldest sample in the window that is at most ~2 s old. */
static uint64_t rate_now(const struct cc_meter *m, uint64_t t, uint64_t bytes)
{
	unsigned i, best = 8;

	for (i = 0; i < m->win_n; i++) {
		unsigned k = (m->win_pos + 8 - m->win_n + i) % 8;
		if (t - m->win_ns[k] <= WINDOW_NS + WINDOW_NS / 4 && t > m->win_ns[k]) {
			best = k;
			break;
		}
	}
	if (best == 8 || bytes < m->win_bytes[best])
		return 0;
	return (uint64_t)((double)(bytes - m->win_bytes[best]) * 1e9 / (double)(t - m->win_ns[best]));
}

int cc_meter_update(struct cc_meter *m, const struct cc_events *ev, struct cc_progress *p)
{
	uint64_t t = m->now_ns(m->clock_user);
	uint64_t el = t - m->start_ns;
	int due;

	sample(m, t, p->bytes_done);
	due = p->final || p->phase != m->last_phase || !m->emitted ||
	      t - m->last_emit_ns >= EMIT_INTERVAL_NS;
	if (!due || !ev || !ev->progress)
		return 0;
	p->elapsed_ms = el / 1000000;
	p->rate_avg = el ? (uint64_t)((double)p->bytes_done * 1e9 / (double)el) : 0;
	p->rate_now = rate_now(m, t, p->bytes_done);
	if (!p->rate_now && el < WINDOW_NS)
		p->rate_now = p->rate_avg;
	p->eta_ms = 0;
	if (p->bytes_total > p->bytes_done) {
		/* Blend: the average is steadier, the current rate reacts. */
		uint64_t r = p->rate_now && p->rate_avg ? (p->rate_now + p->rate_avg) / 2
							: p->rate_avg;
		if (r && el >= 1000000000ull)
			p->eta_ms = (uint64_t)((double)(p->bytes_total - p->bytes_done) * 1000.0 /
					       (double)r);
	}
	m->last_emit_ns = t;
	m->last_phase = p->phase;
	m->emitted = 1;
	return ev->progress(ev->user, p);
}

void cc_log(const struct cc_events *ev, enum cc_level lvl, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!ev || !ev->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ev->log(ev->user, lvl, buf);
}
