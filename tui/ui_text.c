/*
 * ui_text.c - text for the widgets: decoding to wide characters, display
 * width, word wrapping, clipped printing, and the byte/duration formats.
 *
 * Everything is measured in terminal columns (wcwidth), never in bytes or
 * characters, so German, French and Spanish texts -- and any CJK that shows
 * up in a disk label -- line up, and a line is never cut inside a
 * multibyte character (dialog's dlg_count_columns does the same job).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_int.h"

void ui_die(const char *what)
{
	endwin();
	fprintf(stderr, "clonecast: %s\n", what);
	abort();
}

/* The widgets' allocations are a few kilobytes of text: failing one is not
 * something a dialog could report, so it ends the program like git's
 * xmalloc does. */
void *ui_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		ui_die("out of memory");
	return p;
}

/* A character every terminal can show in one cell or as part of one:
 * control characters and characters the locale cannot print become '?'. */
static wchar_t clean_char(wchar_t wc, int one_line)
{
	if (wc == L'\n')
		return one_line ? L' ' : wc;
	if (wc == L'\t')
		return L' ';
	if (wcwidth(wc) < 0)
		return L'?';
	return wc;
}

/*
 * Decode s into out (max characters, without the terminating 0; out may be
 * NULL to count).  mbrtowc rather than mbstowcs because mbstowcs gives up
 * on the first invalid byte, and a partition label or a file name may well
 * be Latin-1: here each bad byte becomes one '?' and decoding goes on.
 */
static size_t decode(const char *s, wchar_t *out, size_t max, int one_line)
{
	mbstate_t st;
	size_t left = strlen(s), n = 0;

	memset(&st, 0, sizeof(st));
	while (left && n < max) {
		wchar_t wc;
		size_t r = mbrtowc(&wc, s, left, &st);

		if (r == (size_t)-1 || r == (size_t)-2) {
			wc = L'?';
			r = 1;
			memset(&st, 0, sizeof(st));
		} else if (r == 0) {
			break;
		}
		if (out)
			out[n] = clean_char(wc, one_line);
		n++;
		s += r;
		left -= r;
	}
	return n;
}

wchar_t *ui_wdup(const char *s)
{
	size_t n;
	wchar_t *w;

	if (!s)
		s = "";
	n = decode(s, NULL, (size_t)-1, 0);
	w = ui_xmalloc((n + 1) * sizeof(*w));
	decode(s, w, n, 0);
	w[n] = 0;
	return w;
}

void ui_wconv(const char *s, wchar_t *buf, size_t n)
{
	size_t len = decode(s ? s : "", buf, n - 1, 1);

	buf[len] = 0;
}

static int cwidth(wchar_t c)
{
	int w = wcwidth(c);

	return w < 0 ? 1 : w;
}

int ui_wwidth(const wchar_t *s, int len)
{
	int w = 0;

	for (int i = 0; (len < 0 || i < len) && s[i]; i++)
		w += cwidth(s[i]);
	return w;
}

int ui_wfit(const wchar_t *s, int len, int cols)
{
	int w = 0, i;

	for (i = 0; i < len && s[i]; i++) {
		int cw = cwidth(s[i]);

		if (w + cw > cols)
			break;
		w += cw;
	}
	return i;
}

/* After a soft break: drop the spaces, and a newline right behind them,
 * which would otherwise give an empty line. */
static const wchar_t *skip_break(const wchar_t *p)
{
	while (*p == L' ')
		p++;
	if (*p == L'\n')
		p++;
	return *p ? p : NULL;
}

const wchar_t *ui_wrap_line(const wchar_t *p, int cols, int *len)
{
	int w = 0, i, brk = -1;

	if (cols < 1)
		cols = 1;
	for (i = 0; p[i] && p[i] != L'\n'; i++) {
		int cw = cwidth(p[i]);

		if (p[i] == L' ')
			brk = i;
		if (w + cw > cols)
			break;
		w += cw;
	}
	if (!p[i]) {
		*len = i;
		return NULL;
	}
	if (p[i] == L'\n') {
		*len = i;
		/* a text that ends in "\n" has no empty last line */
		return p[i + 1] ? p + i + 1 : NULL;
	}
	/* brk == 0 is indentation, not a place to break */
	if (brk > 0) {
		int n = brk;

		while (n > 0 && p[n - 1] == L' ')
			n--;
		*len = n;
		return skip_break(p + brk);
	}
	/* one word wider than the line: break between characters, taking at
	 * least one so that a double-width character in one column ends */
	if (i == 0)
		i = 1;
	*len = i;
	return p[i] ? p + i : NULL;
}

int ui_wrap_count(const wchar_t *s, int cols)
{
	int n = 0, len;

	for (const wchar_t *p = s; p; p = ui_wrap_line(p, cols, &len))
		n++;
	return n;
}

int ui_wwidest(const wchar_t *s)
{
	int best = 0;

	while (*s) {
		int n = 0, w;

		while (s[n] && s[n] != L'\n')
			n++;
		w = ui_wwidth(s, n);
		if (w > best)
			best = w;
		s += n;
		if (*s)
			s++;
	}
	return best;
}

int ui_put(int y, int x, const wchar_t *s, int len, int cols)
{
	int n;

	if (len < 0)
		len = (int)wcslen(s);
	n = ui_wfit(s, len, cols);
	if (n > 0)
		mvaddnwstr(y, x, s, n);
	return ui_wwidth(s, n);
}

/* "…" where the locale can show it, else '~' (C locale, vt100). */
static wchar_t ellipsis(void)
{
	return wcwidth(0x2026) == 1 ? (wchar_t)0x2026 : L'~';
}

int ui_put_trunc(int y, int x, const wchar_t *s, int len, int cols)
{
	int used;
	wchar_t e[2] = { ellipsis(), 0 };

	if (len < 0)
		len = (int)wcslen(s);
	if (cols < 1)
		return 0;
	if (ui_wwidth(s, len) <= cols)
		return ui_put(y, x, s, len, cols);
	used = ui_put(y, x, s, len, cols - 1);
	mvaddnwstr(y, x + used, e, 1);
	return used + 1;
}

void ui_fill(int y, int x, int n, chtype c)
{
	if (n > 0)
		mvhline(y, x, c, n);
}

void ui_put_text(int y, int x, int rows, int cols, const wchar_t *s, int top)
{
	const wchar_t *p = s;
	int len, row = 0;

	for (int line = 0; p && row < rows; line++) {
		const wchar_t *next = ui_wrap_line(p, cols, &len);

		if (line >= top)
			ui_put(y + row++, x, p, len, cols);
		p = next;
	}
}

/*
 * Decimal units with three significant digits, like the sizes printed on
 * disks: "512 B", "12.3 MB", "1.23 GB", "123 GB".  The printf decimal point
 * follows the locale (as in the command line's output).
 */
const char *ui_fmt_bytes(unsigned long long b, char *buf, size_t len)
{
	static const char *const unit[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)b / 1000;
	int u = 0;

	if (b < 1000) {
		snprintf(buf, len, "%llu B", b);
		return buf;
	}
	/* 999.6 kB would print as "1000 kB": that is 1.00 MB */
	while (v >= 999.5 && u < 5) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.*f %s", v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2, v, unit[u]);
	return buf;
}

/* "0:05", "12:34", "1:02:03"; rounded to the second as the command line does. */
const char *ui_fmt_duration(unsigned long long ms, char *buf, size_t len)
{
	unsigned long long s = (ms + 500) / 1000;

	if (s >= 3600)
		snprintf(buf, len, "%llu:%02u:%02u", s / 3600, (unsigned)(s / 60 % 60),
			 (unsigned)(s % 60));
	else
		snprintf(buf, len, "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
	return buf;
}
