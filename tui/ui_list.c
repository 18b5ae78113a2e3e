/*
 * ui_list.c - ui_menu and ui_checklist: one scrolling list in a box under
 * the text, OK/Back/Cancel below.  The two differ only in the check boxes
 * and what OK means, so they share one loop (dialog keeps menubox.c and
 * checklist.c apart and repeats most of it).
 *
 * Up/Down always move in the list and Tab/Left/Right always move between
 * the buttons, so the list keeps its highlighted row while a button is
 * chosen; moving in the list puts the choice back on OK, so that Enter after
 * a move always takes the item.
 */
#include <stdlib.h>
#include <wctype.h>

#include "i18n.h"
#include "ui_int.h"

struct list {
	const struct ui_item *items;
	int n;
	int *checked; /* NULL: a menu */
	int cur, top;
	int rows; /* visible rows, from the last layout */
};

/* Window layout for the current screen size. */
struct list_layout {
	int w, text_rows, rows, h;
};

static struct list_layout list_layout(const wchar_t *text, int n)
{
	struct list_layout lo;
	int maxh = ui_max_h(), want = n < 3 ? n : 3;

	lo.w = ui_max_w();
	lo.text_rows = *text ? ui_wrap_count(text, lo.w - 4) : 0;
	/* frame 2, list box 2, rule 1, buttons 1; the text gives way so that
	 * at least three items show */
	if (lo.text_rows > maxh - 6 - want)
		lo.text_rows = maxh - 6 - want > 0 ? maxh - 6 - want : 0;
	lo.rows = maxh - 6 - lo.text_rows;
	if (lo.rows > n)
		lo.rows = n;
	if (lo.rows < 1)
		lo.rows = 1;
	lo.h = lo.text_rows + lo.rows + 6;
	return lo;
}

static int enabled(const struct list *l, int i)
{
	return i >= 0 && i < l->n && !l->items[i].disabled;
}

/* The first enabled item from i on in direction dir, or -1. */
static int scan(const struct list *l, int i, int dir)
{
	for (; i >= 0 && i < l->n; i += dir)
		if (enabled(l, i))
			return i;
	return -1;
}

/* Go to i, or the nearest enabled item (in dir first); stay if none. */
static void go(struct list *l, int i, int dir)
{
	int j;

	if (i < 0)
		i = 0;
	if (i >= l->n)
		i = l->n - 1;
	j = scan(l, i, dir);
	if (j < 0)
		j = scan(l, i, -dir);
	if (j >= 0)
		l->cur = j;
}

/* One enabled item up or down; no wrapping, as in dialog. */
static void step(struct list *l, int dir)
{
	int j = scan(l, l->cur + dir, dir);

	if (j >= 0)
		l->cur = j;
}

static int starts_with(const char *s, wint_t c)
{
	wchar_t w[2];

	ui_wconv(s, w, 2);
	return w[0] && towlower((wint_t)w[0]) == towlower(c);
}

/* Typing a letter: the next enabled item whose tag or label starts with it. */
static void jump(struct list *l, wint_t c)
{
	if (l->n <= 0)
		return;
	for (int k = 1; k <= l->n; k++) {
		int i = (l->cur + k) % l->n;

		if (enabled(l, i) &&
		    (starts_with(l->items[i].tag, c) || starts_with(l->items[i].label, c))) {
			l->cur = i;
			return;
		}
	}
}

static void keep_visible(struct list *l)
{
	if (l->cur < l->top)
		l->top = l->cur;
	if (l->cur >= l->top + l->rows)
		l->top = l->cur - l->rows + 1;
	if (l->top > l->n - l->rows)
		l->top = l->n - l->rows;
	if (l->top < 0)
		l->top = 0;
}

/* Widest tag, kept to a third of the row; 0 when no item has one. */
static int tag_width(const struct list *l, int width)
{
	int w = 0;

	for (int i = 0; i < l->n; i++) {
		wchar_t t[64];

		ui_wconv(l->items[i].tag, t, 64);
		if (ui_wwidth(t, -1) > w)
			w = ui_wwidth(t, -1);
	}
	return w > width / 3 ? width / 3 : w;
}

static void draw_row(const struct list *l, int i, int y, int x, int width, int tagw)
{
	const struct ui_item *it = &l->items[i];
	int sel = i == l->cur, col = x + 1;
	attr_t row = ui_attr(sel ? R_ITEM_SEL : it->disabled ? R_ITEM_OFF : R_ITEM);
	attr_t tag = ui_attr(sel ? R_TAG_SEL : it->disabled ? R_ITEM_OFF : R_TAG);
	wchar_t s[256];

	attrset(row);
	ui_fill(y, x, width, ' ');
	if (l->checked) {
		mvaddstr(y, col, l->checked[i] ? "[x]" : "[ ]");
		col += 4;
	}
	if (tagw) {
		ui_wconv(it->tag, s, 256);
		attrset(tag);
		ui_put_trunc(y, col, s, -1, tagw);
		attrset(row);
		col += tagw + 2;
	}
	ui_wconv(it->label, s, 256);
	ui_put_trunc(y, col, s, -1, x + width - 1 - col);
}

static void draw_list(struct list *l, const wchar_t *text, const struct list_layout *lo,
		      const char *title, const struct ui_button *bt, int nb, int bsel)
{
	struct ui_box b = ui_window(lo->h, lo->w, title);
	int ly = 1 + lo->text_rows; /* the list box's top edge */
	int tagw = tag_width(l, b.w - 6 - (l->checked ? 4 : 0) - 2);

	ui_put_text(b.y + 1, b.x + 2, lo->text_rows, b.w - 4, text, 0);
	ui_inner_box(&b, ly, 2, lo->rows + 2, b.w - 4, l->top > 0,
		     l->top + lo->rows < l->n);
	for (int r = 0; r < lo->rows && l->top + r < l->n; r++)
		draw_row(l, l->top + r, b.y + ly + 1 + r, b.x + 3, b.w - 6, tagw);
	ui_hrule(&b, b.h - 3);
	ui_buttons(&b, b.h - 2, bt, nb, bsel);
	refresh();
}

static int count_checked(const struct list *l)
{
	int c = 0;

	for (int i = 0; i < l->n; i++)
		c += l->checked[i] != 0;
	return c;
}

/* A list key; returns 1 when the cursor moved. */
static int list_key(struct list *l, const struct ui_key *k)
{
	int old = l->cur;

	switch (k->act) {
	case K_UP:
	case K_DOWN:
		step(l, k->act == K_UP ? -1 : 1);
		break;
	case K_PGUP:
		go(l, l->cur - l->rows, -1);
		break;
	case K_PGDN:
		go(l, l->cur + l->rows, 1);
		break;
	case K_HOME:
		go(l, 0, 1);
		l->top = 0; /* show a disabled first item too */
		break;
	case K_END:
		go(l, l->n - 1, -1);
		l->top = l->n;
		break;
	case K_CHAR:
		jump(l, k->ch);
		break;
	case K_SPACE:
		if (l->checked && enabled(l, l->cur))
			l->checked[l->cur] = !l->checked[l->cur];
		break;
	default:
		break;
	}
	return l->cur != old;
}

/* OK pressed: may the widget return? */
static int accept(const struct list *l, int allow_none, const char *title)
{
	if (!l->checked)
		return enabled(l, l->cur);
	if (allow_none || count_checked(l) > 0)
		return 1;
	ui_msgbox(title, _("Nothing is selected: mark at least one entry with Space."));
	return 0;
}

static enum ui_result list_run(const char *title, const char *text, struct list *l,
			       int allow_none, unsigned flags)
{
	struct ui_button bt[3];
	int nb = ui_std_buttons(bt, NULL, flags), bsel = 0, nh = 0;
	wchar_t *w = ui_wdup(text);
	struct ui_hint hints[5];

	hints[nh++] = (struct ui_hint){ HK_UPDOWN, N_("move") };
	if (l->checked)
		hints[nh++] = (struct ui_hint){ HK_SPACE, N_("toggle") };
	hints[nh++] = (struct ui_hint){ HK_ENTER, l->checked ? N_("confirm") : N_("select") };
	nh += ui_esc_hint(bt, nb, &hints[nh]);
	hints[nh++] = (struct ui_hint){ HK_TAB, N_("buttons") };
	go(l, l->cur, 1);
	for (;;) {
		struct list_layout lo = list_layout(w, l->n);
		struct ui_key k;
		enum ui_result r;

		l->rows = lo.rows;
		keep_visible(l);
		if (!ui_screen(hints, nh)) {
			ui_wait_resize();
			continue;
		}
		draw_list(l, w, &lo, title, bt, nb, bsel);
		k = ui_getkey();
		switch (k.act) {
		case K_TAB:
		case K_RIGHT:
			bsel = (bsel + 1) % nb;
			continue;
		case K_BTAB:
		case K_LEFT:
			bsel = (bsel + nb - 1) % nb;
			continue;
		case K_ESC:
			if (ui_esc_result(bt, nb) < 0)
				continue;
			r = (enum ui_result)ui_esc_result(bt, nb);
			break;
		case K_ENTER:
			r = bt[bsel].result;
			if (r == UI_OK && !accept(l, allow_none, title)) {
				if (!l->checked)
					beep();
				continue;
			}
			break;
		default:
			if (list_key(l, &k))
				bsel = 0;
			continue;
		}
		free(w);
		return r;
	}
}

enum ui_result ui_menu(const char *title, const char *text, const struct ui_item *items, int n,
		       int *choice, unsigned flags)
{
	struct list l = { items, n, NULL, *choice, 0, 1 };
	enum ui_result r = list_run(title, text, &l, 0, flags);

	*choice = l.cur;
	return r;
}

enum ui_result ui_checklist(const char *title, const char *text, const struct ui_item *items,
			    int n, int *checked, int allow_none, unsigned flags)
{
	struct list l = { items, n, checked, 0, 0, 1 };

	/* a disabled item cannot be chosen, so it never comes back checked */
	for (int i = 0; i < n; i++)
		if (items[i].disabled)
			checked[i] = 0;
	return list_run(title, text, &l, allow_none, flags);
}
