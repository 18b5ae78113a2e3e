/* t-core.c - bitmap runs, the queue, read-ahead, the rate meter, errors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitmap.h"
#include "error.h"
#include "progress.h"
#include "stream.h"
#include "tap.h"

static void test_bitmap(void)
{
	struct cc_bitmap bm;
	uint64_t from = 0, s, c, n = 0;

	ok(cc_bitmap_init(&bm, 1000, NULL) == 0, "bitmap init");
	cc_bitmap_set_range(&bm, 3, 5);	   /* 3..7 */
	cc_bitmap_set_range(&bm, 64, 200); /* 64..263 */
	cc_bitmap_set(&bm, 999);
	is_uint(cc_bitmap_count(&bm), 206, "population count");
	is_int(bm.bytes[0], 0xf8, "LSB-first layout (partclone's)");
	ok(cc_bitmap_next_run(&bm, &from, &s, &c, 0) && s == 3 && c == 5, "first run 3+5");
	ok(cc_bitmap_next_run(&bm, &from, &s, &c, 100) && s == 64 && c == 100, "run capped at 100");
	ok(cc_bitmap_next_run(&bm, &from, &s, &c, 0) && s == 164 && c == 100, "rest of the run");
	ok(cc_bitmap_next_run(&bm, &from, &s, &c, 0) && s == 999 && c == 1, "last bit");
	ok(!cc_bitmap_next_run(&bm, &from, &s, &c, 0), "no more runs");
	cc_bitmap_free(&bm);

	/* Random bitmap: runs cover exactly the set bits. */
	ok(cc_bitmap_init(&bm, 100003, NULL) == 0, "big bitmap");
	srand(7);
	for (s = 0; s < 100003; s++)
		if (rand() % 3 == 0)
			cc_bitmap_set(&bm, s);
	from = 0;
	{
		uint64_t prev_end = 0;
		int good = 1;
		while (cc_bitmap_next_run(&bm, &from, &s, &c, 0)) {
			uint64_t i;
			for (i = prev_end; i < s; i++)
				good &= !cc_bitmap_test(&bm, i);
			for (i = s; i < s + c; i++)
				good &= cc_bitmap_test(&bm, i);
			n += c;
			prev_end = s + c;
		}
		ok(good, "runs match the bits exactly");
	}
	is_uint(n, cc_bitmap_count(&bm), "runs add up to the count");
	cc_bitmap_free(&bm);
}

static uint64_t fake_ns;
static uint64_t fake_clock(void *u)
{
	(void)u;
	return fake_ns;
}

struct seen {
	int calls;
	struct cc_progress last;
};

static int on_progress(void *user, const struct cc_progress *p)
{
	struct seen *s = user;
	s->calls++;
	s->last = *p;
	return s->calls >= 1000; /* cancel after many calls */
}

static void test_meter(void)
{
	struct cc_meter m;
	struct seen seen = {0, {0}};
	struct cc_events ev = {&seen, NULL, on_progress};
	struct cc_progress p;
	int i;

	fake_ns = 1000000000ull;
	cc_meter_init(&m, fake_clock, NULL);
	memset(&p, 0, sizeof(p));
	p.bytes_total = 1000000000ull; /* 1 GB at 100 MB/s: 10 s */
	p.phase = CC_PHASE_COPY;
	for (i = 1; i <= 50; i++) { /* 5 s in 100 ms steps */
		fake_ns += 100000000ull;
		p.bytes_done += 10000000ull;
		cc_meter_update(&m, &ev, &p);
	}
	ok(seen.calls >= 20 && seen.calls <= 30, "throttled to about 5 calls a second (%d)",
	   seen.calls);
	is_uint(seen.last.rate_avg / 1000000, 100, "average rate 100 MB/s");
	is_uint(seen.last.rate_now / 1000000, 100, "current rate 100 MB/s");
	ok(seen.last.eta_ms >= 4900 && seen.last.eta_ms <= 5100, "5 s remaining (%llu ms)",
	   (unsigned long long)seen.last.eta_ms);
	/* Slow down to 10 MB/s: the current rate follows within the window. */
	for (i = 1; i <= 40; i++) {
		fake_ns += 100000000ull;
		p.bytes_done += 1000000ull;
		cc_meter_update(&m, &ev, &p);
	}
	ok(seen.last.rate_now / 1000000 <= 12, "current rate drops to ~10 MB/s (%llu)",
	   (unsigned long long)(seen.last.rate_now / 1000000));
	ok(seen.last.rate_avg / 1000000 > 50, "average stays higher");
	p.final = 1;
	fake_ns += 1000;
	i = seen.calls;
	cc_meter_update(&m, &ev, &p);
	is_int(seen.calls, i + 1, "final update is always delivered");
}

static void test_readahead(void)
{
	struct cc_error err;
	size_t n = 10 * 1000 * 1000 + 17, got = 0;
	unsigned char *data = malloc(n), *back = malloc(n);
	struct cc_istream *mem, *ra;
	ssize_t k;
	size_t i;

	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 31 + (i >> 13));
	ok(cc_istream_mem(data, n, &err, &mem) == 0, "memory stream");
	ok(cc_istream_readahead(mem, 65536, 3, &ra) == 0, "read-ahead stream");
	while ((k = cc_istream_read(ra, back + got, got % 3 ? 1000 : 70000)) > 0)
		got += (size_t)k;
	is_int(k, 0, "clean end");
	is_uint(got, n, "all bytes through read-ahead");
	ok(!memcmp(data, back, n), "same bytes in order");
	cc_istream_free(ra);

	/* Abandon a read-ahead stream in the middle: no hang, no leak. */
	ok(cc_istream_mem(data, n, &err, &mem) == 0 && cc_istream_readahead(mem, 4096, 2, &ra) == 0,
	   "second read-ahead");
	ok(cc_istream_read(ra, back, 10) == 10, "read a little");
	cc_istream_free(ra);
	ok(1, "freed mid-stream");
	free(data);
	free(back);
}

/* A source that returns `left` bytes, then fails once `go` is set. */
struct failing_src {
	size_t left;
	int go, failed; /* __atomic */
};

static ssize_t failing_read(struct cc_istream *s, void *buf, size_t len)
{
	struct failing_src *f = s->priv;

	if (!f->left) {
		int r, i;

		for (i = 0; i < 5000 && !__atomic_load_n(&f->go, __ATOMIC_ACQUIRE); i++)
			usleep(1000);
		r = cc_fail(s->err, CC_E_CORRUPT, 0, "source broke");
		__atomic_store_n(&f->failed, 1, __ATOMIC_RELEASE);
		return r;
	}
	if (len > f->left)
		len = f->left;
	memset(buf, 'x', len);
	f->left -= len;
	return (ssize_t)len;
}

static const struct cc_istream_ops failing_ops = {"failing", failing_read, NULL};

/* The read-ahead thread meets the source's error before the consumer: the
 * consumer's cc_error must not change until it reads that far. */
static void test_readahead_errors(void)
{
	struct failing_src f = {3000, 0, 0};
	struct cc_error err = {0, 0, ""};
	struct cc_istream *src = cc_istream_new(&failing_ops, &f, NULL, &err), *ra;
	unsigned char buf[4096];
	ssize_t k = 0;
	int i;

	ok(src && cc_istream_readahead(src, 1024, 4, &ra) == 0, "read-ahead over a failing source");
	ok(cc_istream_read(ra, buf, 10) == 10, "data before the error");
	cc_fail(&err, CC_E_CHECKSUM, 0, "consumer's own error");
	__atomic_store_n(&f.go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 5000 && !__atomic_load_n(&f.failed, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	ok(f.failed, "the thread reached the source's error");
	ok(err.code == CC_E_CHECKSUM && !strcmp(err.detail, "consumer's own error"),
	   "the consumer's error is left alone (%s)", err.detail);
	cc_istream_free(ra);

	f.left = 3000;
	f.failed = 0; /* go stays set */
	err.code = 0;
	err.detail[0] = '\0';
	src = cc_istream_new(&failing_ops, &f, NULL, &err);
	ok(src && cc_istream_readahead(src, 1024, 2, &ra) == 0, "read-ahead again");
	for (i = 0; i < 10 && (k = cc_istream_read(ra, buf, sizeof(buf))) > 0; i++)
		;
	ok(k == -CC_E_CORRUPT && err.code == CC_E_CORRUPT && !strcmp(err.detail, "source broke"),
	   "the source's error reaches the consumer after its data (%zd, %s)", k, err.detail);
	cc_istream_free(ra);
}

static void test_errors(void)
{
	struct cc_error err;
	int r = cc_fail(&err, CC_E_CORRUPT, 0, "block %d is bad", 42);

	is_int(r, -CC_E_CORRUPT, "cc_fail returns the negative code");
	is_str(err.detail, "block 42 is bad", "detail formatted");
	is_str(cc_errname(r), "CORRUPT", "symbolic name");
	ok(strlen(cc_strerror(-CC_E_TRUNCATED)) > 0, "message for a code");
	r = cc_fail(&err, CC_E_IO, 2, "open x");
	ok(strstr(err.detail, "open x: ") != NULL, "errno text appended");
}

int main(void)
{
	test_bitmap();
	test_meter();
	test_readahead();
	test_readahead_errors();
	test_errors();
	return done_testing();
}
