/*
 * tap.h - a small TAP library for the unit tests.
 *   plan_lazy(); ok(cond, "name"); is_int(got, want, "name"); ...
 *   return done_testing();
 * Failures print the values.  done_testing() returns the exit code.
 */
#ifndef CC_TAP_H
#define CC_TAP_H

#include <stddef.h>
#include <stdint.h>

int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int tap_is_int(long long got, long long want, const char *file, int line, const char *name);
int tap_is_uint(unsigned long long got, unsigned long long want, const char *file, int line,
		const char *name);
int tap_is_str(const char *got, const char *want, const char *file, int line, const char *name);
int tap_is_mem(const void *got, const void *want, size_t len, const char *file, int line,
	       const char *name);
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_skip(const char *why);
int done_testing(void);

#define ok(cond, ...)		  tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, name)	  tap_is_int((got), (want), __FILE__, __LINE__, name)
#define is_uint(got, want, name)  tap_is_uint((got), (want), __FILE__, __LINE__, name)
#define is_str(got, want, name)	  tap_is_str((got), (want), __FILE__, __LINE__, name)
#define is_mem(got, want, n, name) tap_is_mem((got), (want), (n), __FILE__, __LINE__, name)
#define diag			  tap_diag

#endif
