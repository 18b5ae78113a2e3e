/*
 * error.h - the one error convention of the engine.
 *
 * Every fallible engine function returns int: 0 on success or a negative
 * CC_E_* value.  The caller passes a struct cc_error that the failing code
 * fills with cc_fail(): the code, the errno (0 if none) and a translated
 * sentence that names what failed and where (device, offset, block).
 * The engine never prints and never calls exit().
 */
#ifndef CC_ERROR_H
#define CC_ERROR_H

#include <stddef.h>

enum cc_errcode {
	CC_OK = 0,
#define CC_ERR(name, num, msg) CC_E_##name = num,
#include "errors.def"
#undef CC_ERR
};

struct cc_error {
	int code;	  /* positive CC_E_* value, 0 if none */
	int sys_errno;	  /* errno at the failure, or 0 */
	char detail[512]; /* translated sentence, never empty after a failure */
};

/* Fill *err (may be NULL) and return -code.  detail is the formatted text;
 * when sys_errno is non-zero ": strerror(sys_errno)" is appended. */
int cc_fail(struct cc_error *err, int code, int sys_errno, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Short translated text for a code (positive or negative). */
const char *cc_strerror(int code);

/* Symbolic name ("CORRUPT") for logs and tests. */
const char *cc_errname(int code);

/* Clear *err. */
void cc_error_clear(struct cc_error *err);

/* BUG(): an invariant was violated; abort with file:line (untranslated). */
#define BUG(msg) cc_bug(__FILE__, __LINE__, msg)
void cc_bug(const char *file, int line, const char *msg) __attribute__((noreturn));

#endif
