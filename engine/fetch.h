/*
 * fetch.h - one small file (a password, an SSH key, known_hosts) from where
 * the live system's kernel command line says, for unattended jobs:
 *
 *   tftp://HOST/PATH      the TFTP server HOST (busybox tftp)
 *   tftp:///PATH          the boot server (PXE)
 *   http://HOST[:PORT]/PATH   (busybox wget)
 *   medium:/PATH          PATH on the boot medium: the first stage keeps the
 *                         medium's clonecast/ folder in RAM (medium_dir holds
 *                         it), so medium:/clonecast/FILE
 *   /PATH, file:///PATH   a file of the running system
 */
#ifndef CC_FETCH_H
#define CC_FETCH_H

struct cc_error;

struct cc_fetch_ctx {
	const char *boot_server; /* for tftp:///; NULL or "" if unknown */
	const char *medium_dir;	 /* where medium:/ points; NULL: no medium */
};

/* Fetch url into dest (created with mode 0600, replaced if it exists).  On
 * failure dest does not exist and err names the URL and why. */
int cc_fetch(const char *url, const char *dest, const struct cc_fetch_ctx *ctx,
	     struct cc_error *err);

#endif
