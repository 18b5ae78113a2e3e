/*
 * ui.h - dialog-style widgets on ncursesw for the wizard (ui.c).
 *
 * Every widget draws one centred window on a blue (or, without colours,
 * plain) background with a back title on the top line and a key help line
 * at the bottom, waits for the operator, and returns what was chosen.  All
 * strings passed in are already translated; the widgets' own words (OK,
 * Back, Cancel, Yes, No, key help) go through _().  The terminal may be
 * resized at any time (KEY_RESIZE): the current widget redraws itself to
 * the new size.  Works on 80x24 and larger; text is wrapped to the window.
 *
 * Keys: Up/Down/PgUp/PgDn/Home/End move, Space toggles (checklist),
 * Tab/Left/Right move between the buttons, Enter activates the selected
 * button, Esc = Back (or Cancel where there is no Back).  Typing the first
 * letter of a menu item's tag jumps to it.
 */
#ifndef CC_UI_H
#define CC_UI_H

#include <stddef.h>

enum ui_result {
	UI_OK = 0,     /* OK / Yes / the chosen item */
	UI_BACK = 1,   /* Back button or Esc */
	UI_CANCEL = 2, /* Cancel button */
};

/* flags */
#define UI_NO_BACK 1u	/* no Back button (first screen) */
#define UI_NO_CANCEL 2u /* no Cancel button */

struct ui_item {
	const char *tag;   /* short first column ("sda", "1", "save"); may be "" */
	const char *label; /* the description */
	int disabled;	   /* shown dimmed, cannot be chosen */
};

struct ui_field {
	const char *label;
	char *buf; /* in: the default, out: what was typed (NUL-terminated) */
	size_t cap;
	int masked;   /* password: shows '*' */
	int readonly; /* shown, not editable, skipped by Tab */
};

/* Start/stop curses.  ui_init sets up colours when the terminal has them
 * (monochrome otherwise, or when NO_COLOR is set), no echo, cbreak,
 * keypad, a short Esc delay, invisible cursor. */
void ui_init(void);
void ui_end(void);
/* Text on the top line of every screen ("Clonecast 0.2 - disk imaging"). */
void ui_set_backtitle(const char *s);

/* A menu: *choice is the default in, the chosen index out.  *choice,
 * checked[] and the fields' buf are written back on every return (Back and
 * Cancel too), so a screen shown again comes back as the operator left it;
 * act on them only for UI_OK. */
enum ui_result ui_menu(const char *title, const char *text, const struct ui_item *items, int n,
		       int *choice, unsigned flags);
/* A checklist: checked[i] in and out (disabled items come back unchecked).
 * OK with nothing checked is refused with a short message unless
 * allow_none. */
enum ui_result ui_checklist(const char *title, const char *text, const struct ui_item *items,
			    int n, int *checked, int allow_none, unsigned flags);
/* A form of text fields; *focus is the field to start in (and where the
 * cursor was on return), so a caller can put the operator back on the
 * field that was wrong. */
enum ui_result ui_form(const char *title, const char *text, struct ui_field *fields, int n,
		       int *focus, unsigned flags);
/* A message with one OK button (Esc = OK). */
void ui_msgbox(const char *title, const char *text);
/* Yes/No: UI_OK for yes, UI_BACK for no (or Esc).  default_no puts the
 * selection on No. */
enum ui_result ui_yesno(const char *title, const char *text, int default_no);
/* A message shown while something runs (no keys), e.g. "Connecting...". */
void ui_infobox(const char *title, const char *text);

/*
 * The progress screen: a window with `lines` of text (already formatted),
 * then a bar at `fraction` (0..1) with the percentage, then `footer`
 * ("Esc: cancel").  Draws and returns at once; the caller loops with
 * ui_wait_key().
 */
void ui_gauge(const char *title, const char *const *lines, int nlines, double fraction,
	      const char *footer);
/* Wait up to timeout_ms (< 0: for ever) for a key: -1 when none came,
 * else a curses KEY_* code for function keys or the character typed
 * (27 = Esc, '\n' = Enter, also for KEY_ENTER and '\r').  KEY_RESIZE is
 * returned after the screen size was updated, so the caller redraws.
 * (Characters U+0101..U+01FF share values with KEY_* codes; only compare
 * against ASCII and KEY_RESIZE.) */
int ui_wait_key(int timeout_ms);

/* Format helpers shared by the screens: "12.3 MB", "1:02:03". */
const char *ui_fmt_bytes(unsigned long long b, char *buf, size_t len);
const char *ui_fmt_duration(unsigned long long ms, char *buf, size_t len);

#endif
