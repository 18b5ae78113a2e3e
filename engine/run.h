/*
 * run.h - run a helper program (sfdisk, sgdisk, parted, blkid, mkswap)
 * with an argv, never through a shell.
 */
#ifndef CC_RUN_H
#define CC_RUN_H

#include <stddef.h>

struct cc_error;

/*
 * Run argv[0] (searched in PATH) with argv.  `in` (may be NULL) is fed to
 * its standard input.  If `out` is not NULL, standard output is captured
 * into a malloc'd, NUL-terminated buffer (*out_len bytes without the NUL).
 * Standard error is captured; a non-zero exit status is -CC_E_IO with the
 * command and the first lines of its standard error in the message.  A
 * program that is not installed is -CC_E_NOTFOUND naming it.
 */
int cc_run(const char *const argv[], const void *in, size_t in_len, char **out, size_t *out_len,
	   struct cc_error *err);

#endif
