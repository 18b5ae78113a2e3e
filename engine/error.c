/* error.c - cc_fail(), cc_strerror(): see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

static const struct {
	int code;
	const char *name;
	const char *msg;
} table[] = {
#define CC_ERR(name, num, msg) {num, #name, msg},
#include "errors.def"
#undef CC_ERR
};

static int find(int code)
{
	size_t i;

	if (code < 0)
		code = -code;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == code)
			return (int)i;
	return -1;
}

const char *cc_strerror(int code)
{
	int i = find(code);

	if (code == 0)
		return _("success");
	return i < 0 ? _("unknown error") : _(table[i].msg);
}

const char *cc_errname(int code)
{
	int i = find(code);

	if (code == 0)
		return "OK";
	return i < 0 ? "UNKNOWN" : table[i].name;
}

void cc_error_clear(struct cc_error *err)
{
	if (err) {
		err->code = 0;
		err->sys_errno = 0;
		err->detail[0] = '\0';
	}
}

int cc_fail(struct cc_error *err, int code, int sys_errno, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (code < 0)
		code = -code;
	if (!err)
		return -code;
	err->code = code;
	err->sys_errno = sys_errno;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	n = strlen(err->detail);
	if (sys_errno && n < sizeof(err->detail) - 3)
		snprintf(err->detail + n, sizeof(err->detail) - n, ": %s", strerror(sys_errno));
	if (!err->detail[0])
		snprintf(err->detail, sizeof(err->detail), "%s", cc_strerror(code));
	return -code;
}

void cc_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "BUG: %s:%d: %s\n", file, line, msg);
	abort();
}
