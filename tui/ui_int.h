/*
 * ui_int.h - what ui.c, ui_list.c, ui_form.c and ui_text.c share: colour
 * roles, wide text, the screen frame (back title, help line, window, buttons)
 * and key reading.  Not for the wizard, which uses ui.h only.
 *
 * Everything is drawn on stdscr and every frame is drawn whole (erase, draw,
 * refresh): curses sends only the cells that changed, so this does not
 * flicker, and a resize is simply the next frame at the new LINES/COLS
 * (dialog's "resize is a restart", without the restart).
 */
#ifndef CC_UI_INT_H
#define CC_UI_INT_H

/* the wide-character curses API whatever the feature macros say */
#define NCURSES_WIDECHAR 1
#include <ncurses.h>
#include <wchar.h>

#include "ui.h"

/* Colour roles, as dialog's dlg_colors.h: widgets ask for a role, never for
 * a colour pair, so the monochrome fallback lives in one table. */
enum ui_role {
	R_SCREEN,     /* the blue background */
	R_BACKTITLE,  /* top line */
	R_HELP,	      /* bottom line: what a key does */
	R_HELPKEY,    /* bottom line: the key */
	R_SHADOW,     /* right and below the window */
	R_DIALOG,     /* window body and text */
	R_BORDER,     /* window frame */
	R_TITLE,      /* title in the frame, scroll markers */
	R_BUTTON,     /* inactive button */
	R_BUTTON_ACT, /* selected button */
	R_ITEM,	      /* menu/checklist row */
	R_ITEM_SEL,   /* the selected row */
	R_TAG,	      /* the tag column */
	R_TAG_SEL,    /* the tag of the selected row */
	R_ITEM_OFF,   /* disabled row */
	R_FIELD,      /* form field */
	R_FIELD_ACT,  /* the field being edited */
	R_GAUGE,      /* the filled part of the progress bar */
	R_NROLES
};

attr_t ui_attr(enum ui_role r);
int ui_has_color(void);

/* ---- wide text (ui_text.c) ---- */

/* UTF-8 (or whatever the locale's encoding is) to a malloc'd wide string.
 * Bytes that do not decode become '?', tabs become a space, other control
 * characters except '\n' become '?', so every character has a width >= 0.
 * s == NULL gives "".  Out of memory ends the program (ui_die). */
wchar_t *ui_wdup(const char *s);
/* The same into a fixed buffer (n >= 1 wide characters), cut to fit. */
void ui_wconv(const char *s, wchar_t *buf, size_t n);
/* Display columns of the first len characters of s (len < 0: all). */
int ui_wwidth(const wchar_t *s, int len);
/* How many characters of s (at most len) fit into cols columns. */
int ui_wfit(const wchar_t *s, int len, int cols);
/*
 * Word wrapping without storing lines: the line starting at p is *len
 * characters long when wrapped to cols columns; the return value is where
 * the next line starts, or NULL when this was the last one.  Lines break at
 * '\n', else at the last space that fits, else (a word longer than the
 * line) between two characters -- never inside one.  Spaces at a soft break
 * are dropped; indentation after '\n' is kept.
 */
const wchar_t *ui_wrap_line(const wchar_t *p, int cols, int *len);
/* Number of lines s wraps into (at least 1). */
int ui_wrap_count(const wchar_t *s, int cols);
/* Widest line of s when only '\n' breaks it. */
int ui_wwidest(const wchar_t *s);

/* Print at most cols columns of s[0..len) at y,x; returns the columns used. */
int ui_put(int y, int x, const wchar_t *s, int len, int cols);
/* Like ui_put, but a string that does not fit ends in an ellipsis. */
int ui_put_trunc(int y, int x, const wchar_t *s, int len, int cols);
/* Paint n cells at y,x with character c. */
void ui_fill(int y, int x, int n, chtype c);
/* Draw the lines top.. of the wrapped text s into a box of rows x cols. */
void ui_put_text(int y, int x, int rows, int cols, const wchar_t *s, int top);

void *ui_xmalloc(size_t n);
/* Out of memory: leave curses so the message can be read, and abort. */
void ui_die(const char *what) __attribute__((noreturn));

/* ---- the frame (ui.c) ---- */

/* Keys named in the help line; the arrows are drawn with ACS characters so
 * that they show on any terminal. */
enum ui_hkey { HK_UPDOWN, HK_LEFTRIGHT, HK_TAB, HK_SPACE, HK_ENTER, HK_ESC };
struct ui_hint {
	enum ui_hkey key;
	const char *what; /* N_() string, translated when drawn */
};

struct ui_box {
	int y, x, h, w;
};

/* Largest window that fits with back title, help line and shadow. */
int ui_max_w(void);
int ui_max_h(void);
/*
 * Start a frame: erase, paint the background, back title and help line.
 * Returns 0 when the terminal is too small for any window; then it has
 * written a note saying so, and the widget should ui_wait_resize().
 */
int ui_screen(const struct ui_hint *hints, int nhints);
void ui_wait_resize(void);
/* Centre a window of h x w (clamped to the screen) and draw its shadow,
 * body, frame and title (title may be NULL). */
struct ui_box ui_window(int h, int w, const char *title);
/* A horizontal rule across the window at row (relative), joined to the frame. */
void ui_hrule(const struct ui_box *b, int row);
/* A box inside the window (relative coordinates) with scroll markers on
 * its top and bottom edges when there is more above / below. */
void ui_inner_box(const struct ui_box *b, int row, int col, int h, int w, int more_up,
		  int more_down);
/* Scroll markers on the window frame itself (for scrolled text). */
void ui_frame_arrows(const struct ui_box *b, int row_top, int row_bottom, int more_up,
		     int more_down);

struct ui_button {
	const char *label; /* translated */
	enum ui_result result;
};
/* Width the buttons need side by side. */
int ui_buttons_width(const struct ui_button *bt, int nb);
/* Draw the buttons centred on window row `row`; sel < 0: none highlighted. */
void ui_buttons(const struct ui_box *b, int row, const struct ui_button *bt, int nb, int sel);
/* OK / Back / Cancel as the flags allow; returns how many. */
int ui_std_buttons(struct ui_button *bt, const char *ok, unsigned flags);
/* What Esc means with these buttons: Back, else Cancel; -1 if neither. */
int ui_esc_result(const struct ui_button *bt, int nb);
/* Help-line entry for Esc with these buttons (false if there is none). */
int ui_esc_hint(const struct ui_button *bt, int nb, struct ui_hint *h);

/* Keys mapped to what the widgets do with them (dialog's DLGK_*). */
enum ui_act {
	K_NONE,
	K_CHAR, /* a printable character in ch (not space) */
	K_SPACE,
	K_UP,
	K_DOWN,
	K_PGUP,
	K_PGDN,
	K_HOME,
	K_END,
	K_LEFT,
	K_RIGHT,
	K_TAB,
	K_BTAB,
	K_ENTER,
	K_ESC,
	K_BKSP,
	K_DEL,
	K_KILL, /* Ctrl-U: empty the field */
	K_RESIZE,
};
struct ui_key {
	enum ui_act act;
	wint_t ch;
};
/* Wait for a key (blocking). */
struct ui_key ui_getkey(void);

#endif
