/*
 * ui.c - curses set-up, the colour roles, the screen frame every widget is
 * drawn in (back title, help line, centred window with shadow, buttons),
 * key reading, and the simple widgets: msgbox, yesno, infobox, gauge.
 * Menu and checklist are in ui_list.c, the form in ui_form.c, text
 * measuring and wrapping in ui_text.c.
 *
 * The model is dialog (one widget = one loop that lays out, draws and reads
 * a key), without its global option structs: the only state here is what
 * curses itself needs, the back title and whether colours are on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "i18n.h"
#include "ui_int.h"

#define MAX_WIN_W 76 /* window width on wide terminals */
#define MIN_COLS 30  /* below this no window fits: say so and wait */
#define MIN_LINES 10
#define BUTTON_MIN 6 /* label width, so that "OK" becomes "<  OK  >" */

static char backtitle[256];
static int use_color;

/* dialog's default scheme: black on grey windows on a blue screen.  mono is
 * what a terminal without colours (or NO_COLOR) gets instead. */
static const struct {
	short fg, bg;
	attr_t hi, mono;
} roles[R_NROLES] = {
	[R_SCREEN] = { COLOR_WHITE, COLOR_BLUE, 0, A_NORMAL },
	[R_BACKTITLE] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_BOLD },
	[R_HELP] = { COLOR_WHITE, COLOR_BLUE, 0, A_NORMAL },
	[R_HELPKEY] = { COLOR_YELLOW, COLOR_BLUE, A_BOLD, A_BOLD },
	[R_SHADOW] = { COLOR_BLACK, COLOR_BLACK, 0, A_NORMAL },
	[R_DIALOG] = { COLOR_BLACK, COLOR_WHITE, 0, A_NORMAL },
	[R_BORDER] = { COLOR_BLACK, COLOR_WHITE, 0, A_NORMAL },
	[R_TITLE] = { COLOR_BLUE, COLOR_WHITE, A_BOLD, A_BOLD },
	[R_BUTTON] = { COLOR_BLACK, COLOR_WHITE, 0, A_NORMAL },
	[R_BUTTON_ACT] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
	[R_ITEM] = { COLOR_BLACK, COLOR_WHITE, 0, A_NORMAL },
	[R_ITEM_SEL] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
	[R_TAG] = { COLOR_BLUE, COLOR_WHITE, A_BOLD, A_BOLD },
	[R_TAG_SEL] = { COLOR_YELLOW, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD },
	/* half-bright: dark grey on the Linux console, faint elsewhere */
	[R_ITEM_OFF] = { COLOR_BLACK, COLOR_WHITE, A_DIM, A_DIM },
	[R_FIELD] = { COLOR_BLACK, COLOR_CYAN, 0, A_UNDERLINE },
	[R_FIELD_ACT] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
	[R_GAUGE] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
};

attr_t ui_attr(enum ui_role r)
{
	if (!use_color)
		return roles[r].mono;
	return COLOR_PAIR((int)r + 1) | roles[r].hi;
}

int ui_has_color(void)
{
	return use_color;
}

/* NO_COLOR counts when set and not empty (no-color.org). */
static int want_color(void)
{
	const char *nc = getenv("NO_COLOR");

	if (nc && *nc)
		return 0;
	return has_colors() && start_color() == OK;
}

/* Keys that terminals send whatever their terminfo entry says: a serial
 * console is "vt100", which knows no Home, End or Delete, while the
 * terminal program at the other end (PuTTY, minicom, screen) sends them. */
static void define_common_keys(void)
{
	static const struct {
		const char *seq;
		int key;
	} keys[] = {
		{"\033[1~", KEY_HOME}, {"\033[H", KEY_HOME}, {"\033OH", KEY_HOME},
		{"\033[4~", KEY_END},  {"\033[F", KEY_END},  {"\033OF", KEY_END},
		{"\033[3~", KEY_DC},   {"\033[5~", KEY_PPAGE}, {"\033[6~", KEY_NPAGE},
		{"\033[Z", KEY_BTAB},
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (key_defined(keys[i].seq) == 0)
			define_key(keys[i].seq, keys[i].key);
}

void ui_init(void)
{
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	define_common_keys();
	/* Esc must answer at once, not after ncurses' default second; a serial
	 * console (clonecast live sets ESCDELAY) needs longer: the bytes of an
	 * arrow key can arrive apart, and a lone Esc means Back */
	set_escdelay(getenv("ESCDELAY") ? atoi(getenv("ESCDELAY")) : 25);
	curs_set(0);
	use_color = want_color();
	for (int r = 0; use_color && r < R_NROLES; r++)
		init_pair((short)(r + 1), roles[r].fg, roles[r].bg);
}

void ui_end(void)
{
	if (!isendwin()) {
		curs_set(1);
		endwin();
	}
}

void ui_set_backtitle(const char *s)
{
	snprintf(backtitle, sizeof(backtitle), "%s", s ? s : "");
}

int ui_max_w(void)
{
	/* one column margin left, shadow and margin right */
	int w = COLS - 4;

	return w > MAX_WIN_W ? MAX_WIN_W : w;
}

int ui_max_h(void)
{
	/* back title, help line and the shadow's row */
	return LINES - 3;
}

static const char *hkey_name(enum ui_hkey k)
{
	switch (k) {
	case HK_TAB:
		/* TRANSLATORS: key names in the help line at the bottom */
		return _("Tab");
	case HK_SPACE:
		return _("Space");
	case HK_ENTER:
		return _("Enter");
	case HK_ESC:
		return _("Esc");
	default:
		return NULL;
	}
}

/* One "key what" pair at x; returns the columns it takes (drawing only
 * when draw is set, so the same code measures). */
static int hint_put(int y, int x, const struct ui_hint *h, int draw)
{
	wchar_t key[32], what[64];
	int w = 2;

	ui_wconv(_(h->what), what, 64);
	attrset(ui_attr(R_HELPKEY));
	if (h->key == HK_UPDOWN || h->key == HK_LEFTRIGHT) {
		if (draw) {
			mvaddch(y, x, h->key == HK_UPDOWN ? ACS_UARROW : ACS_LARROW);
			addch(h->key == HK_UPDOWN ? ACS_DARROW : ACS_RARROW);
		}
	} else {
		ui_wconv(hkey_name(h->key), key, 32);
		w = draw ? ui_put(y, x, key, -1, COLS) : ui_wwidth(key, -1);
	}
	attrset(ui_attr(R_HELP));
	if (draw)
		ui_put(y, x + w + 1, what, -1, COLS);
	return w + 1 + ui_wwidth(what, -1);
}

/* The help line; pairs that do not fit are left off, so the widgets list
 * the most important keys first. */
static void help_line(const struct ui_hint *hints, int n)
{
	int x = 1;

	for (int i = 0; i < n; i++) {
		int w = hint_put(LINES - 1, x, &hints[i], 0);

		if (x + w > COLS - 1)
			break;
		hint_put(LINES - 1, x, &hints[i], 1);
		x += w + 3;
	}
}

int ui_screen(const struct ui_hint *hints, int nhints)
{
	wchar_t bt[256];

	bkgdset(ui_attr(R_SCREEN) | ' ');
	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		wchar_t msg[64];

		ui_wconv(_("The terminal is too small."), msg, 64);
		attrset(ui_attr(R_BACKTITLE));
		ui_put(0, 0, msg, -1, COLS);
		refresh();
		return 0;
	}
	ui_wconv(backtitle, bt, 256);
	attrset(ui_attr(R_BACKTITLE));
	ui_put_trunc(0, 1, bt, -1, COLS - 2);
	help_line(hints, nhints);
	return 1;
}

/* Keys do nothing while no window fits: only a resize can change that. */
void ui_wait_resize(void)
{
	while (ui_getkey().act != K_RESIZE)
		;
}

static void shadow(const struct ui_box *b)
{
	/* a shadow in monochrome is just noise */
	if (!use_color)
		return;
	attrset(ui_attr(R_SHADOW));
	for (int r = 1; r <= b->h && b->y + r < LINES - 1; r++)
		ui_fill(b->y + r, b->x + b->w, 2, ' ');
	if (b->y + b->h < LINES - 1)
		ui_fill(b->y + b->h, b->x + 2, b->w, ' ');
}

static void frame(int y, int x, int h, int w)
{
	attrset(ui_attr(R_BORDER));
	mvaddch(y, x, ACS_ULCORNER);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
}

struct ui_box ui_window(int h, int w, const char *title)
{
	struct ui_box b;
	int maxh = ui_max_h(), maxw = ui_max_w();

	b.h = h > maxh ? maxh : h;
	b.w = w > maxw ? maxw : w;
	/* centred between back title and help line, shadow included */
	b.y = 1 + (LINES - 2 - b.h - 1) / 2;
	b.x = (COLS - b.w - 2) / 2;
	shadow(&b);
	attrset(ui_attr(R_DIALOG));
	for (int r = 0; r < b.h; r++)
		ui_fill(b.y + r, b.x, b.w, ' ');
	frame(b.y, b.x, b.h, b.w);
	if (title && *title) {
		wchar_t t[128];
		int tw;

		int tx;

		ui_wconv(title, t, 128);
		tw = ui_wwidth(t, -1);
		if (tw > b.w - 6)
			tw = b.w - 6;
		/* " Title " centred in the top edge */
		tx = b.x + (b.w - tw - 2) / 2;
		attrset(ui_attr(R_TITLE));
		mvaddch(b.y, tx, ' ');
		tw = ui_put_trunc(b.y, tx + 1, t, -1, tw);
		mvaddch(b.y, tx + 1 + tw, ' ');
	}
	attrset(ui_attr(R_DIALOG));
	return b;
}

void ui_hrule(const struct ui_box *b, int row)
{
	attrset(ui_attr(R_BORDER));
	mvaddch(b->y + row, b->x, ACS_LTEE);
	mvhline(b->y + row, b->x + 1, ACS_HLINE, b->w - 2);
	mvaddch(b->y + row, b->x + b->w - 1, ACS_RTEE);
}

/* "↑(-)" / "↓(+)" as in dialog's menus, at the right end of a line. */
static void arrow_mark(int y, int right, chtype arrow, const char *sign)
{
	attrset(ui_attr(R_TITLE));
	mvaddch(y, right - 4, arrow);
	mvaddstr(y, right - 3, sign);
}

void ui_inner_box(const struct ui_box *b, int row, int col, int h, int w, int more_up,
		  int more_down)
{
	frame(b->y + row, b->x + col, h, w);
	if (more_up)
		arrow_mark(b->y + row, b->x + col + w - 2, ACS_UARROW, "(-)");
	if (more_down)
		arrow_mark(b->y + row + h - 1, b->x + col + w - 2, ACS_DARROW, "(+)");
	attrset(ui_attr(R_DIALOG));
}

void ui_frame_arrows(const struct ui_box *b, int row_top, int row_bottom, int more_up,
		     int more_down)
{
	attrset(ui_attr(R_TITLE));
	if (more_up)
		mvaddch(b->y + row_top, b->x + b->w - 2, ACS_UARROW);
	if (more_down)
		mvaddch(b->y + row_bottom, b->x + b->w - 2, ACS_DARROW);
	attrset(ui_attr(R_DIALOG));
}

/* All buttons are as wide as the widest label, as in dialog. */
static int label_w(const struct ui_button *bt, int nb)
{
	int w = BUTTON_MIN;

	for (int i = 0; i < nb; i++) {
		wchar_t l[64];

		ui_wconv(bt[i].label, l, 64);
		if (ui_wwidth(l, -1) > w)
			w = ui_wwidth(l, -1);
	}
	return w;
}

static int button_gap(const struct ui_button *bt, int nb, int avail)
{
	int one = label_w(bt, nb) + 2;

	return nb * one + (nb - 1) * 3 <= avail ? 3 : 1;
}

int ui_buttons_width(const struct ui_button *bt, int nb)
{
	return nb * (label_w(bt, nb) + 2) + (nb - 1) * 3;
}

void ui_buttons(const struct ui_box *b, int row, const struct ui_button *bt, int nb, int sel)
{
	int lw = label_w(bt, nb), gap = button_gap(bt, nb, b->w - 2);
	int total = nb * (lw + 2) + (nb - 1) * gap;
	int x = b->x + (b->w - total) / 2, y = b->y + row;

	for (int i = 0; i < nb; i++, x += lw + 2 + gap) {
		wchar_t l[64];
		int w;

		ui_wconv(bt[i].label, l, 64);
		w = ui_wwidth(l, -1);
		if (w > lw)
			w = lw;
		attrset(ui_attr(i == sel ? R_BUTTON_ACT : R_BUTTON));
		mvaddch(y, x, '<');
		ui_fill(y, x + 1, lw, ' ');
		ui_put(y, x + 1 + (lw - w) / 2, l, -1, lw);
		mvaddch(y, x + lw + 1, '>');
	}
	attrset(ui_attr(R_DIALOG));
}

int ui_std_buttons(struct ui_button *bt, const char *ok, unsigned flags)
{
	int n = 0;

	bt[n++] = (struct ui_button){ ok ? ok : _("OK"), UI_OK };
	if (!(flags & UI_NO_BACK))
		bt[n++] = (struct ui_button){ _("Back"), UI_BACK };
	if (!(flags & UI_NO_CANCEL))
		bt[n++] = (struct ui_button){ _("Cancel"), UI_CANCEL };
	return n;
}

int ui_esc_result(const struct ui_button *bt, int nb)
{
	int r = -1;

	for (int i = 0; i < nb; i++) {
		if (bt[i].result == UI_BACK)
			return UI_BACK;
		if (bt[i].result == UI_CANCEL)
			r = UI_CANCEL;
	}
	return r;
}

int ui_esc_hint(const struct ui_button *bt, int nb, struct ui_hint *h)
{
	switch (ui_esc_result(bt, nb)) {
	case UI_BACK:
		*h = (struct ui_hint){ HK_ESC, N_("back") };
		return 1;
	case UI_CANCEL:
		*h = (struct ui_hint){ HK_ESC, N_("cancel") };
		return 1;
	default:
		return 0;
	}
}

/* Keys are data (dialog's binding tables): curses key codes ... */
static const struct {
	int code;
	enum ui_act act;
} fkeys[] = {
	{ KEY_UP, K_UP },	  { KEY_DOWN, K_DOWN },	  { KEY_PPAGE, K_PGUP },
	{ KEY_NPAGE, K_PGDN },	  { KEY_HOME, K_HOME },	  { KEY_END, K_END },
	{ KEY_A1, K_HOME },	  { KEY_C1, K_END },	  { KEY_A3, K_PGUP },
	{ KEY_C3, K_PGDN },	  { KEY_LEFT, K_LEFT },	  { KEY_RIGHT, K_RIGHT },
	{ KEY_BTAB, K_BTAB },	  { KEY_ENTER, K_ENTER }, { KEY_BACKSPACE, K_BKSP },
	{ KEY_DC, K_DEL },	  { KEY_RESIZE, K_RESIZE },
};

/* ... and characters (Ctrl-A/E/P/N/D/U as in readline). */
static const struct {
	wint_t ch;
	enum ui_act act;
} ckeys[] = {
	{ '\t', K_TAB }, { '\n', K_ENTER }, { '\r', K_ENTER }, { 27, K_ESC },
	{ ' ', K_SPACE }, { 127, K_BKSP },  { 8, K_BKSP },	{ 21, K_KILL },
	{ 1, K_HOME },	 { 5, K_END },	    { 16, K_UP },	{ 14, K_DOWN },
	{ 4, K_DEL },
};

static enum ui_act map_key(int r, wint_t ch)
{
	size_t i;

	if (r == KEY_CODE_YES) {
		for (i = 0; i < sizeof(fkeys) / sizeof(fkeys[0]); i++)
			if (fkeys[i].code == (int)ch)
				return fkeys[i].act;
		return K_NONE;
	}
	for (i = 0; i < sizeof(ckeys) / sizeof(ckeys[0]); i++)
		if (ckeys[i].ch == ch)
			return ckeys[i].act;
	return iswprint(ch) ? K_CHAR : K_NONE;
}

struct ui_key ui_getkey(void)
{
	struct ui_key k = { K_NONE, 0 };
	int r, errors = 0;

	/* a blocking read only fails when the terminal is gone; do not spin */
	while ((r = get_wch(&k.ch)) == ERR) {
		if (++errors > 100)
			ui_die("cannot read from the terminal");
		napms(10);
	}
	k.act = map_key(r, k.ch);
	return k;
}

/* Where the widest of text, title and buttons wants the window, between a
 * minimum that keeps short messages from looking lost and the screen. */
static int auto_width(const wchar_t *text, const char *title, const struct ui_button *bt,
		      int nb)
{
	wchar_t t[128];
	int w = ui_wwidest(text) + 4, maxw = ui_max_w();

	ui_wconv(title, t, 128);
	if (ui_wwidth(t, -1) + 8 > w)
		w = ui_wwidth(t, -1) + 8;
	if (nb && ui_buttons_width(bt, nb) + 4 > w)
		w = ui_buttons_width(bt, nb) + 4;
	if (w < 40)
		w = 40;
	return w > maxw ? maxw : w;
}

/* What msgbox and yesno share: wrapped text, scrolled with the arrows when
 * it is longer than the screen, and a row of buttons.  The last hint is
 * the one for scrolling, shown only when there is something to scroll. */
static enum ui_result text_dialog(const char *title, const char *text,
				  const struct ui_button *bt, int nb, int sel, int esc,
				  const struct ui_hint *hints, int nhints)
{
	wchar_t *w = ui_wdup(text);
	int top = 0;

	for (;;) {
		int width = auto_width(w, title, bt, nb);
		int nl = ui_wrap_count(w, width - 4), rows = nl;
		struct ui_box b;
		struct ui_key k;

		if (rows > ui_max_h() - 5)
			rows = ui_max_h() - 5;
		if (top > nl - rows)
			top = nl - rows;
		if (!ui_screen(hints, nl > rows ? nhints : nhints - 1)) {
			ui_wait_resize();
			continue;
		}
		b = ui_window(rows + 5, width, title);
		ui_put_text(b.y + 1, b.x + 2, rows, b.w - 4, w, top);
		ui_frame_arrows(&b, 1, rows, top > 0, top + rows < nl);
		ui_hrule(&b, b.h - 3);
		ui_buttons(&b, b.h - 2, bt, nb, sel);
		refresh();
		k = ui_getkey();
		switch (k.act) {
		case K_LEFT:
		case K_BTAB:
			sel = (sel + nb - 1) % nb;
			break;
		case K_RIGHT:
		case K_TAB:
			sel = (sel + 1) % nb;
			break;
		case K_UP:
			top -= top > 0;
			break;
		case K_DOWN:
			top += top + rows < nl;
			break;
		case K_PGUP:
			top = top > rows ? top - rows : 0;
			break;
		case K_PGDN:
			top += rows;
			break;
		case K_HOME:
			top = 0;
			break;
		case K_END:
			top = nl;
			break;
		case K_ENTER:
		case K_SPACE:
			free(w);
			return bt[sel].result;
		case K_ESC:
			free(w);
			return (enum ui_result)esc;
		default:
			break;
		}
	}
}

void ui_msgbox(const char *title, const char *text)
{
	struct ui_button ok = { _("OK"), UI_OK };
	static const struct ui_hint hints[] = { { HK_ENTER, N_("continue") },
						{ HK_UPDOWN, N_("scroll") } };

	text_dialog(title, text, &ok, 1, 0, UI_OK, hints, 2);
}

enum ui_result ui_yesno(const char *title, const char *text, int default_no)
{
	struct ui_button bt[2] = { { _("Yes"), UI_OK }, { _("No"), UI_BACK } };
	static const struct ui_hint hints[] = { { HK_LEFTRIGHT, N_("choose") },
						{ HK_ENTER, N_("select") },
						{ HK_ESC, N_("no") },
						{ HK_UPDOWN, N_("scroll") } };

	return text_dialog(title, text, bt, 2, default_no ? 1 : 0, UI_BACK, hints, 4);
}

void ui_infobox(const char *title, const char *text)
{
	wchar_t *w = ui_wdup(text);
	int width = auto_width(w, title, NULL, 0), rows = ui_wrap_count(w, width - 4);
	struct ui_box b;

	if (rows > ui_max_h() - 4)
		rows = ui_max_h() - 4;
	/* no keys are read here: too small a terminal just shows the note */
	if (ui_screen(NULL, 0)) {
		b = ui_window(rows + 4, width, title);
		ui_put_text(b.y + 2, b.x + 2, rows, b.w - 4, w, 0);
	}
	refresh();
	free(w);
}

/* dialog's gauge bar: the filled part in reverse (or the highlight colour),
 * the percentage centred across both parts. */
static void gauge_bar(int y, int x, int width, double fraction)
{
	char pct[8];
	int filled, plen, px;

	if (!(fraction >= 0)) /* NaN too */
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	filled = (int)(fraction * width);
	snprintf(pct, sizeof(pct), "%d%%", (int)(fraction * 100));
	plen = (int)strlen(pct);
	px = (width - plen) / 2;
	for (int i = 0; i < width; i++) {
		int c = i >= px && i < px + plen ? pct[i - px] : ' ';

		attrset(ui_attr(i < filled ? R_GAUGE : R_TITLE));
		mvaddch(y, x + i, (chtype)c);
	}
	attrset(ui_attr(R_DIALOG));
}

void ui_gauge(const char *title, const char *const *lines, int nlines, double fraction,
	      const char *footer)
{
	int foot = footer && *footer, maxl = ui_max_h() - 6 - foot;
	struct ui_box b;

	if (nlines > maxl)
		nlines = maxl > 0 ? maxl : 0;
	if (!ui_screen(NULL, 0)) {
		refresh();
		return;
	}
	b = ui_window(nlines + 6 + foot, ui_max_w(), title);
	for (int i = 0; i < nlines; i++) {
		wchar_t l[512];

		ui_wconv(lines[i], l, 512);
		ui_put_trunc(b.y + 1 + i, b.x + 2, l, -1, b.w - 4);
	}
	ui_inner_box(&b, nlines + 2, 2, 3, b.w - 4, 0, 0);
	gauge_bar(b.y + nlines + 3, b.x + 3, b.w - 6, fraction);
	if (foot) {
		wchar_t f[256];
		int fw;

		ui_wconv(footer, f, 256);
		fw = ui_wwidth(f, -1);
		ui_put_trunc(b.y + b.h - 2, b.x + (fw < b.w - 4 ? (b.w - fw) / 2 : 2), f, -1,
			     b.w - 4);
	}
	refresh();
}

int ui_wait_key(int timeout_ms)
{
	wint_t ch;
	int r;

	timeout(timeout_ms < 0 ? -1 : timeout_ms);
	r = get_wch(&ch);
	timeout(-1);
	if (r == ERR)
		return -1;
	/* KEY_RESIZE: ncurses has already resized stdscr (its SIGWINCH
	 * handler), so LINES/COLS are new and the caller just redraws */
	if (r == KEY_CODE_YES)
		return ch == KEY_ENTER ? '\n' : (int)ch;
	return ch == '\r' ? '\n' : (int)ch;
}
