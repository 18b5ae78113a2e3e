/* tap.c - see tap.h. */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int n_run, n_fail;

int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	n_run++;
	if (!cond)
		n_fail++;
	printf("%sok %d - ", cond ? "" : "not ", n_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return cond;
}

int tap_is_int(long long got, long long want, const char *file, int line, const char *name)
{
	int r = tap_ok(got == want, file, line, "%s", name);
	if (!r)
		printf("#   got: %lld\n#   expected: %lld\n", got, want);
	return r;
}

int tap_is_uint(unsigned long long got, unsigned long long want, const char *file, int line,
		const char *name)
{
	int r = tap_ok(got == want, file, line, "%s", name);
	if (!r)
		printf("#   got: %llu\n#   expected: %llu\n", got, want);
	return r;
}

int tap_is_str(const char *got, const char *want, const char *file, int line, const char *name)
{
	int r = tap_ok(got && want && strcmp(got, want) == 0, file, line, "%s", name);
	if (!r)
		printf("#   got: '%s'\n#   expected: '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return r;
}

int tap_is_mem(const void *got, const void *want, size_t len, const char *file, int line,
	       const char *name)
{
	const unsigned char *g = got, *w = want;
	size_t i = 0;
	int r;

	if (got && want)
		while (i < len && g[i] == w[i])
			i++;
	r = tap_ok(got && want && i == len, file, line, "%s", name);
	if (!r && got && want)
		printf("#   first difference at byte %zu: got 0x%02x, expected 0x%02x\n", i, g[i],
		       w[i]);
	return r;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void tap_skip(const char *why)
{
	n_run++;
	printf("ok %d # SKIP %s\n", n_run, why);
}

int done_testing(void)
{
	printf("1..%d\n", n_run);
	if (n_fail)
		printf("# %d of %d tests failed\n", n_fail, n_run);
	return n_fail ? 1 : 0;
}
