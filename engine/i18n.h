/* i18n.h - gettext wrappers; every user-facing string goes through _(). */
#ifndef CC_I18N_H
#define CC_I18N_H

#include <libintl.h>

#define CC_TEXTDOMAIN "clonecast"
#define _(s)	      dgettext(CC_TEXTDOMAIN, s)
#define N_(s)	      s
#define Q_(s, p, n)   dngettext(CC_TEXTDOMAIN, s, p, n)

#endif
