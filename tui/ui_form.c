/*
 * ui_form.c - ui_form: labelled one-line text fields above OK/Back/Cancel.
 *
 * Fields are edited as wide characters (get_wch), so the cursor moves by
 * character and the field scrolls by display column; the UTF-8 result is
 * checked against the caller's buffer size on every keystroke, so what is
 * on the screen is always what will be returned.
 *
 * Focus runs through the editable fields and then the buttons:
 * Tab/Down forward, Shift-Tab/Up back, wrapping around.  Enter on a field
 * goes to the next one, and on the last one it is OK.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ui_int.h"

struct fld {
	wchar_t *w; /* the text, cap wide characters room */
	int len;    /* characters */
	int pos;    /* cursor, 0..len */
	int hs;	    /* first character shown (horizontal scroll) */
};

struct form {
	struct ui_field *f;
	struct fld *s;
	int n;
	int foc;  /* 0..n-1 a field, n.. a button */
	int last; /* last field that had the focus */
	int top;  /* first field row shown */
	struct ui_button bt[3];
	int nb;
};

static int editable(const struct form *fm, int i)
{
	return i < fm->n && !fm->f[i].readonly && fm->f[i].cap > 0;
}

/* Next focus position in dir, skipping read-only fields. */
static int next_focus(const struct form *fm, int from, int dir)
{
	int total = fm->n + fm->nb;

	for (int k = 1; k <= total; k++) {
		int i = ((from + dir * k) % total + total) % total;

		if (i >= fm->n || editable(fm, i))
			return i;
	}
	return from;
}

static int last_editable(const struct form *fm)
{
	for (int i = fm->n - 1; i >= 0; i--)
		if (editable(fm, i))
			return i;
	return -1;
}

/* UTF-8 bytes of one character. */
static size_t char_bytes(wchar_t c)
{
	char b[MB_LEN_MAX];
	mbstate_t st;
	size_t r;

	memset(&st, 0, sizeof(st));
	r = wcrtomb(b, c, &st);
	return r == (size_t)-1 ? 1 : r;
}

static size_t fld_bytes(const struct fld *s)
{
	size_t n = 0;

	for (int i = 0; i < s->len; i++)
		n += char_bytes(s->w[i]);
	return n;
}

static void fld_store(const struct fld *s, char *buf, size_t cap)
{
	size_t o = 0;

	for (int i = 0; i < s->len; i++) {
		char b[MB_LEN_MAX];
		mbstate_t st;
		size_t r;

		memset(&st, 0, sizeof(st));
		r = wcrtomb(b, s->w[i], &st);
		if (r == (size_t)-1)
			b[0] = '?', r = 1;
		if (o + r > cap - 1)
			break;
		memcpy(buf + o, b, r);
		o += r;
	}
	buf[o] = 0;
}

/* Insert c at the cursor if it still fits into the caller's buffer. */
static void fld_insert(struct fld *s, const struct ui_field *f, wchar_t c)
{
	if (wcwidth(c) < 1 || fld_bytes(s) + char_bytes(c) > f->cap - 1) {
		beep();
		return;
	}
	memmove(s->w + s->pos + 1, s->w + s->pos, (size_t)(s->len - s->pos) * sizeof(wchar_t));
	s->w[s->pos++] = c;
	s->len++;
}

static void fld_delete(struct fld *s, int at)
{
	if (at < 0 || at >= s->len)
		return;
	memmove(s->w + at, s->w + at + 1, (size_t)(s->len - at - 1) * sizeof(wchar_t));
	s->len--;
	if (s->pos > at)
		s->pos--;
}

static void fld_edit(struct fld *s, const struct ui_field *f, const struct ui_key *k)
{
	switch (k->act) {
	case K_LEFT:
		s->pos -= s->pos > 0;
		break;
	case K_RIGHT:
		s->pos += s->pos < s->len;
		break;
	case K_HOME:
		s->pos = 0;
		break;
	case K_END:
		s->pos = s->len;
		break;
	case K_BKSP:
		fld_delete(s, s->pos - 1);
		break;
	case K_DEL:
		fld_delete(s, s->pos);
		break;
	case K_KILL:
		s->len = s->pos = 0;
		break;
	case K_SPACE:
		fld_insert(s, f, L' ');
		break;
	case K_CHAR:
		fld_insert(s, f, (wchar_t)k->ch);
		break;
	default:
		break;
	}
}

/* Columns of characters from..to as shown ('*' each when masked). */
static int shown_width(const struct fld *s, int masked, int from, int to)
{
	return masked ? to - from : ui_wwidth(s->w + from, to - from);
}

/* Scroll so that the cursor, and the cell after the text, are in view. */
static void fld_scroll(struct fld *s, int masked, int fw)
{
	if (s->pos < s->hs)
		s->hs = s->pos;
	while (s->hs < s->pos && shown_width(s, masked, s->hs, s->pos) > fw - 1)
		s->hs++;
}

/* Draws a field; returns the cursor's column if it is the focus. */
static int draw_field(const struct form *fm, int i, int y, int x, int fw)
{
	const struct ui_field *f = &fm->f[i];
	struct fld *s = &fm->s[i];
	int active = fm->foc == i;

	/* other fields show their beginning; only the edited one follows the cursor */
	if (!active)
		s->hs = 0;
	else
		fld_scroll(s, f->masked, fw);
	attrset(ui_attr(f->readonly ? R_DIALOG : active ? R_FIELD_ACT : R_FIELD));
	ui_fill(y, x, fw, ' ');
	if (f->masked) {
		int n = s->len - s->hs < fw ? s->len - s->hs : fw;

		ui_fill(y, x, n, '*');
	} else {
		ui_put(y, x, s->w + s->hs, s->len - s->hs, fw);
	}
	return x + shown_width(s, f->masked, s->hs, s->pos);
}

static int label_width(const struct form *fm, int cols)
{
	int w = 0;

	for (int i = 0; i < fm->n; i++) {
		wchar_t l[128];

		ui_wconv(fm->f[i].label, l, 128);
		if (ui_wwidth(l, -1) > w)
			w = ui_wwidth(l, -1);
	}
	return w > cols / 2 ? cols / 2 : w;
}

struct form_layout {
	int w, text_rows, gap, rows, h;
};

static struct form_layout form_layout(const wchar_t *text, int n)
{
	struct form_layout lo;
	int maxh = ui_max_h(), want = n < 2 ? n : 2;

	lo.w = ui_max_w();
	lo.text_rows = *text ? ui_wrap_count(text, lo.w - 4) : 0;
	/* frame 2, rule 1, buttons 1, a blank line under the text */
	if (lo.text_rows > maxh - 5 - want)
		lo.text_rows = maxh - 5 - want > 0 ? maxh - 5 - want : 0;
	lo.gap = lo.text_rows > 0;
	lo.rows = maxh - 4 - lo.gap - lo.text_rows;
	if (lo.rows > n)
		lo.rows = n;
	if (lo.rows < 1)
		lo.rows = 1;
	lo.h = lo.text_rows + lo.gap + lo.rows + 4;
	return lo;
}

static void draw_form(struct form *fm, const wchar_t *text, const struct form_layout *lo,
		      const char *title)
{
	struct ui_box b = ui_window(lo->h, lo->w, title);
	int fy = 1 + lo->text_rows + lo->gap, lw = label_width(fm, b.w - 4);
	int fx = b.x + 2 + lw + 2, fw = b.w - 4 - lw - 2, cy = -1, cx = 0;

	if (fm->foc < fm->n && fm->foc < fm->top)
		fm->top = fm->foc;
	if (fm->foc < fm->n && fm->foc >= fm->top + lo->rows)
		fm->top = fm->foc - lo->rows + 1;
	ui_put_text(b.y + 1, b.x + 2, lo->text_rows, b.w - 4, text, 0);
	for (int r = 0; r < lo->rows && fm->top + r < fm->n; r++) {
		int i = fm->top + r, y = b.y + fy + r, x;
		wchar_t l[128];

		ui_wconv(fm->f[i].label, l, 128);
		attrset(ui_attr(R_DIALOG));
		ui_put_trunc(y, b.x + 2, l, -1, lw);
		x = draw_field(fm, i, y, fx, fw);
		if (i == fm->foc)
			cy = y, cx = x;
	}
	ui_frame_arrows(&b, fy, fy + lo->rows - 1, fm->top > 0, fm->top + lo->rows < fm->n);
	ui_hrule(&b, b.h - 3);
	ui_buttons(&b, b.h - 2, fm->bt, fm->nb, fm->foc >= fm->n ? fm->foc - fm->n : -1);
	/* the terminal's cursor shows where typing goes */
	if (cy >= 0) {
		move(cy, cx);
		curs_set(1);
	} else {
		curs_set(0);
	}
	refresh();
}

static int form_hints(const struct form *fm, struct ui_hint *h)
{
	const char *enter = fm->foc >= fm->n		  ? N_("select")
			    : fm->foc == last_editable(fm) ? N_("confirm")
							   : N_("next field");
	int n = 0;

	h[n++] = (struct ui_hint){ HK_UPDOWN, N_("move") };
	h[n++] = (struct ui_hint){ HK_ENTER, enter };
	n += ui_esc_hint(fm->bt, fm->nb, &h[n]);
	h[n++] = (struct ui_hint){ HK_TAB, N_("next") };
	return n;
}

/* A key while a field or a button has the focus; returns a result, or -1
 * to go on. */
static int form_key(struct form *fm, const struct ui_key *k)
{
	int onbt = fm->foc >= fm->n;

	switch (k->act) {
	case K_TAB:
	case K_DOWN:
		fm->foc = next_focus(fm, fm->foc, 1);
		return -1;
	case K_BTAB:
	case K_UP:
		fm->foc = next_focus(fm, fm->foc, -1);
		return -1;
	case K_ESC:
		return ui_esc_result(fm->bt, fm->nb);
	case K_ENTER:
		if (onbt)
			return fm->bt[fm->foc - fm->n].result;
		if (fm->foc == last_editable(fm))
			return UI_OK;
		fm->foc = next_focus(fm, fm->foc, 1);
		return -1;
	default:
		break;
	}
	if (!onbt) {
		fld_edit(&fm->s[fm->foc], &fm->f[fm->foc], k);
	} else if (k->act == K_LEFT || k->act == K_RIGHT) {
		int b = fm->foc - fm->n + (k->act == K_LEFT ? fm->nb - 1 : 1);

		fm->foc = fm->n + b % fm->nb;
	} else if (k->act == K_SPACE) {
		return fm->bt[fm->foc - fm->n].result;
	}
	return -1;
}

static void form_open(struct form *fm, struct ui_field *fields, int n, int focus)
{
	fm->f = fields;
	fm->n = n;
	fm->s = ui_xmalloc((size_t)(n > 0 ? n : 1) * sizeof(*fm->s));
	for (int i = 0; i < n; i++) {
		struct fld *s = &fm->s[i];
		size_t cap = fields[i].cap ? fields[i].cap : 1;

		/* UTF-8 never has fewer bytes than characters: cap is room */
		s->w = ui_xmalloc(cap * sizeof(wchar_t));
		ui_wconv(fields[i].cap ? fields[i].buf : "", s->w, cap);
		s->len = (int)wcslen(s->w);
		s->pos = s->len;
		s->hs = 0;
	}
	fm->top = 0;
	fm->foc = focus >= 0 && focus < n && editable(fm, focus) ? focus
								: next_focus(fm, n + fm->nb - 1, 1);
	fm->last = fm->foc < n ? fm->foc : 0;
}

/* Hand back what was typed (on every way out, so that a form the wizard
 * shows again after Back still has it) and free the edit state. */
static void form_close(struct form *fm, int *focus)
{
	for (int i = 0; i < fm->n; i++) {
		if (editable(fm, i))
			fld_store(&fm->s[i], fm->f[i].buf, fm->f[i].cap);
		free(fm->s[i].w);
	}
	free(fm->s);
	*focus = fm->last;
	curs_set(0);
}

enum ui_result ui_form(const char *title, const char *text, struct ui_field *fields, int n,
		       int *focus, unsigned flags)
{
	struct form fm;
	wchar_t *w = ui_wdup(text);
	int r = -1;

	fm.nb = ui_std_buttons(fm.bt, NULL, flags);
	form_open(&fm, fields, n, *focus);
	while (r < 0) {
		struct form_layout lo = form_layout(w, n);
		struct ui_hint hints[4];
		struct ui_key k;
		int nh = form_hints(&fm, hints);

		if (!ui_screen(hints, nh)) {
			ui_wait_resize();
			continue;
		}
		draw_form(&fm, w, &lo, title);
		k = ui_getkey();
		r = form_key(&fm, &k);
		if (fm.foc < fm.n)
			fm.last = fm.foc;
	}
	form_close(&fm, focus);
	free(w);
	return (enum ui_result)r;
}
