/*
 * repo_url.c - parse a repository location into struct cc_repo_url.
 *
 *   /dir  file:///dir
 *   ssh://[USER@]HOST[:PORT][/DIR]      (sftp:// too)
 *   smb://[DOMAIN;]USER@HOST[:PORT]/SHARE[/DIR]   (cifs:// too)
 *
 * For ssh, the path after the host is absolute (ssh://h/srv/img is
 * /srv/img); "/~/img" names img in the user's home directory, as
 * OpenSSH's sftp and curl read it, and no path at all is the home.
 * Percent-escapes are decoded everywhere (a share "Lab Images" may be
 * written Lab%20Images or, quoted, with the space).  A password inside
 * the URL (user:secret@host) is refused: it would show in the process
 * list, the shell history and the saved command line.
 */
#include "repo.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "i18n.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode [s, s+n) into out (size cap); -1 if it does not fit or has a bad escape or NUL. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			if (!c)
				return -1;
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int bad(const char *location, const char *why, struct cc_error *err)
{
	return cc_fail(err, CC_E_BAD_ARGS, 0, _("repository %s: %s"), location, why);
}

/* authority = [userinfo@]host[:port]; userinfo = [domain;]user (smb) */
static int parse_authority(const char *location, const char *a, size_t n, int smb,
			   struct cc_repo_url *u, struct cc_error *err)
{
	const char *at = memrchr(a, '@', n), *h = a, *end = a + n, *colon;

	if (at) {
		const char *semi = smb ? memchr(a, ';', (size_t)(at - a)) : NULL;
		const char *ustart = semi ? semi + 1 : a;

		if (memchr(ustart, ':', (size_t)(at - ustart)))
			return bad(location,
				   _("do not put the password into the URL: give it with "
				     "--password-file FILE or the CLONECAST_PASSWORD variable, or "
				     "type it when asked"),
				   err);
		if (semi && decode(a, (size_t)(semi - a), u->domain, sizeof(u->domain)) < 0)
			return bad(location, _("the domain name is not valid"), err);
		if (decode(ustart, (size_t)(at - ustart), u->user, sizeof(u->user)) < 0 ||
		    !u->user[0])
			return bad(location, _("the user name before '@' is empty or not valid"),
				   err);
		h = at + 1;
	}
	if (h < end && *h == '[') { /* [IPv6] */
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb || rb == h + 1)
			return bad(location, _("an IPv6 address needs a closing ']'"), err);
		if (decode(h + 1, (size_t)(rb - h - 1), u->host, sizeof(u->host)) < 0)
			return bad(location, _("the host name is not valid"), err);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		if (rb + 1 < end && !colon)
			return bad(location, _("unexpected text after the IPv6 address"), err);
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		if (decode(h, (size_t)((colon ? colon : end) - h), u->host, sizeof(u->host)) < 0)
			return bad(location, _("the host name is not valid"), err);
	}
	if (!u->host[0])
		return bad(location, _("no server name or address after the scheme"), err);
	if (strpbrk(u->host, " \t/\\"))
		return bad(location, _("the host name is not valid"), err);
	if (colon) {
		unsigned long p = 0;
		const char *q = colon + 1;

		if (q == end)
			return bad(location, _("no port number after ':'"), err);
		for (; q < end; q++) {
			if (!isdigit((unsigned char)*q) || (p = p * 10 + (unsigned long)(*q - '0')) > 65535)
				return bad(location, _("the port must be a number from 1 to 65535"),
					   err);
		}
		if (!p)
			return bad(location, _("the port must be a number from 1 to 65535"), err);
		u->port = (unsigned)p;
	}
	return 0;
}

int cc_repo_url_parse(const char *location, struct cc_repo_url *u, struct cc_error *err)
{
	const char *rest, *slash;
	int smb;

	memset(u, 0, sizeof(*u));
	if (!location || !*location)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("no image repository given: name a local directory, "
				 "ssh://USER@HOST/DIR or smb://USER@HOST/SHARE/DIR"));
	if (!strstr(location, "://")) {
		strcpy(u->scheme, "file");
		if (strlen(location) >= sizeof(u->path))
			return bad(location, _("the path is too long"), err);
		strcpy(u->path, location);
		return 0;
	}
	if (!strncasecmp(location, "file://", 7)) {
		strcpy(u->scheme, "file");
		if (!location[7])
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("image repository %s: no directory after file://"),
				       location);
		if (decode(location + 7, strlen(location + 7), u->path, sizeof(u->path)) < 0)
			return bad(location, _("the path is too long or not valid"), err);
		return 0;
	}
	if (!strncasecmp(location, "ssh://", 6) || !strncasecmp(location, "sftp://", 7)) {
		smb = 0;
		strcpy(u->scheme, "ssh");
		rest = strstr(location, "://") + 3;
	} else if (!strncasecmp(location, "smb://", 6) || !strncasecmp(location, "cifs://", 7)) {
		smb = 1;
		strcpy(u->scheme, "smb");
		rest = strstr(location, "://") + 3;
	} else {
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("image repository %s: unknown kind; use a local directory, "
				 "ssh://USER@HOST/DIR or smb://USER@HOST/SHARE/DIR"),
			       location);
	}
	slash = strchr(rest, '/');
	if (parse_authority(location, rest, slash ? (size_t)(slash - rest) : strlen(rest), smb, u,
			    err) < 0)
		return -CC_E_BAD_ARGS;
	if (!slash || !slash[1]) {
		if (smb)
			return bad(location, _("name the share after the server: "
					       "smb://USER@HOST/SHARE/DIR"),
				   err);
		return 0; /* ssh: the home directory */
	}
	if (smb) {
		const char *s = slash + 1, *e = strchr(s, '/');
		size_t n;

		if (decode(s, e ? (size_t)(e - s) : strlen(s), u->share, sizeof(u->share)) < 0 ||
		    !u->share[0])
			return bad(location, _("the share name is empty or not valid"), err);
		if (e) {
			if (decode(e + 1, strlen(e + 1), u->path, sizeof(u->path)) < 0)
				return bad(location, _("the path is too long or not valid"), err);
		}
		n = strlen(u->path); /* no trailing slashes */
		while (n && u->path[n - 1] == '/')
			u->path[--n] = '\0';
		if (!u->user[0])
			return bad(location, _("name the user: smb://USER@HOST/SHARE/DIR "
					       "(or DOMAIN;USER@HOST)"),
				   err);
		return 0;
	}
	if (!strcmp(slash, "/~") || !strncmp(slash, "/~/", 3)) {
		const char *rel = slash[2] ? slash + 3 : slash + 2;

		if (decode(rel, strlen(rel), u->path, sizeof(u->path)) < 0)
			return bad(location, _("the path is too long or not valid"), err);
		return 0; /* relative: in the home directory */
	}
	if (decode(slash, strlen(slash), u->path, sizeof(u->path)) < 0)
		return bad(location, _("the path is too long or not valid"), err);
	return 0;
}
