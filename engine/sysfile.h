/*
 * sysfile.h - small helpers for the modules that look at the machine
 * (sysdisks.c, netcfg.c, demo.c): sysfs/proc files, programs in PATH,
 * bounded formatting.
 */
#ifndef CC_SYSFILE_H
#define CC_SYSFILE_H

#include <stddef.h>

/* Read a small file (sysfs, proc, a pid file) into buf, trailing white
 * space removed.  0 or -errno. */
int cc_read_small(const char *path, char *buf, size_t len);
/* 1 if an executable `prog` is in PATH (or the usual sbin/bin directories). */
int cc_in_path(const char *prog);
/* snprintf whose truncation is expected (display strings, bounded paths). */
void cc_fmt(char *dst, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));

#endif
