/*
 * repo_smb.c - a repository on a Samba or Windows share, through
 * libsmbclient.
 *
 * The same semantics as repo_local.c: new files only (never overwritten),
 * a rename that never replaces, recursive remove.  Paths may not contain
 * "..".  libsmbclient takes smb:// URLs; every name is percent-encoded
 * into one, so spaces, '#', '?' and ';' in share and directory names are
 * safe.
 *
 * libsmbclient keeps process-wide state behind its contexts: the loaded
 * smb.conf, the protocol range (smbc_setOptionProtocols sets a global),
 * the debug settings and a talloc stack.  So every call into it, for
 * every repository, runs under one process-wide mutex: a read-ahead
 * thread and the job's thread, or two SMB repositories, take turns.
 * Each I/O call moves 1 MiB, so the lock is taken a few hundred times a
 * second at most.
 *
 * Hermetic: libsmbclient reads ~/.smb/smb.conf (else /etc/samba/smb.conf)
 * when the first context is made, and smbc_setConfiguration() only adds
 * to what is loaded, it resets nothing.  So a small configuration of our
 * own puts every setting a client uses back to Samba's default, and the
 * debug output goes to a callback that drops it (libsmbclient prints its
 * log to stdout otherwise, even at level 0).
 */
#include "repo.h"

#include <errno.h>
#include <fcntl.h>
#include <libsmbclient.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"

#define SMB_READ_SIZE	      (1024 * 1024) /* reads: libsmbclient pipelines them itself */
#define SMB_IO_SIZE	      (4 * 1024 * 1024) /* one request in flight: bigger calls, fewer waits (1 MiB: 0.83 s, 4 MiB: 0.68 s for 900 MB) */
#define SMB_PORT	      445
#define SMB_TIMEOUT_S	      20
#define SMB_PASSWORD_TRIES    3
#define RM_MAX_DEPTH	      64

/* Samba's defaults for everything a client connection reads from smb.conf. */
static const char smb_conf[] =
	"[global]\n"
	"\tworkgroup = WORKGROUP\n"
	"\trealm =\n"
	"\tsecurity = auto\n"
	"\tname resolve order = lmhosts wins host bcast\n"
	"\twins server =\n"
	"\tinterfaces =\n"
	"\tbind interfaces only = no\n"
	"\tdisable netbios = no\n"
	"\tnetbios scope =\n"
	"\tsmb ports = 445 139\n"
	"\tsocket options = TCP_NODELAY\n"
	"\tclient ipc min protocol = default\n"
	"\tclient ipc max protocol = default\n"
	"\tclient signing = default\n"
	"\tclient ipc signing = default\n"
	"\tclient smb encrypt = default\n"
	"\tclient protection = default\n"
	"\tclient use kerberos = off\n"
	"\tclient use spnego = yes\n"
	"\tclient use spnego principal = no\n"
	"\tclient ntlmv2 auth = yes\n"
	"\tclient lanman auth = no\n"
	"\tclient plaintext auth = no\n"
	"\tclient smb3 signing algorithms = AES-128-GMAC, AES-128-CMAC, HMAC-SHA256\n"
	"\tclient smb3 encryption algorithms = AES-128-GCM, AES-128-CCM, AES-256-GCM, "
	"AES-256-CCM\n"
	"\tinclude system krb5 conf = no\n"
	"\tname cache timeout = 660\n"
	"\tlog level = 0\n";

static pthread_mutex_t smb_lock = PTHREAD_MUTEX_INITIALIZER;

struct smb {
	SMBCCTX *ctx;
	const char *location; /* the repository's, for messages */
	char *base;	      /* smb://HOST/SHARE[/DIR], encoded, no trailing '/' */
	char host[256];
	unsigned port;
	char share[256];
	char user[128];
	char domain[128];
	char password[512];
	unsigned timeout_s;
};

static struct smb *S(struct cc_repo *r)
{
	return r->priv;
}

static void lock(void)
{
	pthread_mutex_lock(&smb_lock);
}

static void unlock(void)
{
	pthread_mutex_unlock(&smb_lock);
}

/* ---------------------------------------------------------------- errors */

/* errnos that mean the connection is gone (libsmbclient reconnects on the
 * next call if it can, but an open file is lost with it) */
static int conn_errno(int e)
{
	switch (e) {
	case ECONNRESET:
	case ECONNABORTED:
	case ECONNREFUSED:
	case EPIPE:
	case ENOTCONN:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
		return 1;
	default:
		return 0;
	}
}

/*
 * After a failed call: `fmt` says what was done ("cannot write %s at byte
 * %llu"), the errno decides the code.  A full share, a silent server and
 * a lost connection get their own advice.
 */
static int smb_fail(struct smb *s, struct cc_error *err, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int smb_fail(struct smb *s, struct cc_error *err, int e, const char *fmt, ...)
{
	char what[400];
	va_list ap;
	int code = cc_repo_errno_code(e), ret;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (code == CC_E_NOSPACE)
		ret = cc_fail(err, code, 0,
			      _("%s: the repository %s is full: free space on the server or "
				"choose another repository"),
			      what, s->location);
	else if (e == ETIMEDOUT)
		ret = cc_fail(err, CC_E_TIMEOUT, 0,
			      _("%s: the Samba server %s stopped answering (nothing for %u "
				"seconds): check the network and the server, then start again"),
			      what, s->host, s->timeout_s);
	else if (conn_errno(e))
		ret = cc_fail(err, CC_E_CONN_LOST, 0,
			      _("%s: the connection to the Samba server %s was lost (%s): check "
				"the network and the server, then start again"),
			      what, s->host, strerror(e));
	else
		return cc_fail(err, code, e, "%s", what);
	/* the advice ends these sentences: keep the errno, do not append it */
	if (err)
		err->sys_errno = e;
	return ret;
}

/* ------------------------------------------------------------------ URLs */

/* Append s to b percent-encoded, keeping '/' where keep_slash. */
static char *encode(char *b, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash)) {
			*b++ = (char)c;
		} else {
			*b++ = '%';
			*b++ = hex[c >> 4];
			*b++ = hex[c & 15];
		}
	}
	*b = '\0';
	return b;
}

/*
 * The host as libsmbclient takes it.  It refuses IPv6 addresses in a URL,
 * bracketed or not, but understands Microsoft's spelling of them as names:
 * fe80::1%eth0 is fe80--1seth0.ipv6-literal.net.
 */
static char *put_host(char *b, const char *host)
{
	if (!strchr(host, ':'))
		return stpcpy(b, host);
	for (; *host; host++)
		*b++ = *host == ':' ? '-' : *host == '%' ? 's' : *host;
	return stpcpy(b, ".ipv6-literal.net");
}

/* smb://HOST/SHARE/DIR for the repository root. */
static char *make_base(const struct cc_repo_url *u)
{
	size_t n = strlen(u->host) + 3 * (strlen(u->share) + strlen(u->path)) + 40;
	char *b = malloc(n), *p;
	const char *path = u->path;

	if (!b)
		return NULL;
	p = put_host(stpcpy(b, "smb://"), u->host);
	*p++ = '/';
	p = encode(p, u->share, 0);
	while (*path == '/')
		path++;
	if (*path) {
		*p++ = '/';
		p = encode(p, path, 1);
		while (p > b && p[-1] == '/')
			*--p = '\0';
	}
	return b;
}

/* The URL of path inside the repository (malloc'd); "" and "." are the root. */
static char *url_of(struct smb *s, const char *path)
{
	char *b, *p;

	if (!*path || !strcmp(path, "."))
		return strdup(s->base);
	if (!(b = malloc(strlen(s->base) + 3 * strlen(path) + 2)))
		return NULL;
	p = stpcpy(b, s->base);
	*p++ = '/';
	encode(p, path, 1);
	return b;
}

/* Check path and build its URL (*url is malloc'd). */
static int begin(struct cc_repo *r, const char *path, int root_ok, char **url,
		 struct cc_error *err)
{
	int ret;

	*url = NULL;
	if ((ret = cc_repo_check_path(r, path, root_ok, err)) < 0)
		return ret;
	if (!(*url = url_of(S(r), path)))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	return 0;
}

static char *shown_name(struct cc_repo *r, const char *path)
{
	char *s;

	if (asprintf(&s, "%s/%s", r->location, path) < 0)
		return NULL;
	return s;
}

/* --------------------------------------------------------------- streams */

struct smb_out {
	struct smb *s;
	SMBCFILE *f;
	char *name;
	unsigned char *buf;
	size_t fill;
};

/* One write call; libsmbclient writes all of it or fails. */
static int out_put(struct cc_ostream *st, const unsigned char *p, size_t len)
{
	struct smb_out *o = st->priv;
	struct smb *s = o->s;

	while (len) {
		ssize_t n;
		int e;

		lock();
		n = smbc_getFunctionWrite(s->ctx)(s->ctx, o->f, p, len);
		e = n < 0 ? errno : EIO;
		unlock();
		if (n <= 0)
			return smb_fail(s, st->err, e,
					_("cannot write %s at byte %llu"), o->name,
					(unsigned long long)st->bytes_out);
		p += n;
		len -= (size_t)n;
		st->bytes_out += (uint64_t)n;
	}
	return 0;
}

static int out_write(struct cc_ostream *st, const void *buf, size_t len)
{
	struct smb_out *o = st->priv;
	const unsigned char *p = buf;
	int ret;

	while (len) {
		size_t n;

		if (!o->fill && len >= SMB_IO_SIZE) { /* straight from the caller's buffer */
			if ((ret = out_put(st, p, SMB_IO_SIZE)) < 0)
				return ret;
			p += SMB_IO_SIZE;
			len -= SMB_IO_SIZE;
			continue;
		}
		n = SMB_IO_SIZE - o->fill < len ? SMB_IO_SIZE - o->fill : len;
		memcpy(o->buf + o->fill, p, n);
		o->fill += n;
		p += n;
		len -= n;
		if (o->fill == SMB_IO_SIZE) {
			o->fill = 0;
			if ((ret = out_put(st, o->buf, SMB_IO_SIZE)) < 0)
				return ret;
		}
	}
	return 0;
}

/* Closing reports what the server says about the last writes, so it counts. */
static int out_finish(struct cc_ostream *st)
{
	struct smb_out *o = st->priv;
	struct smb *s = o->s;
	size_t fill = o->fill;
	int ret, rc, e;

	o->fill = 0;
	if (fill && (ret = out_put(st, o->buf, fill)) < 0)
		return ret;
	lock();
	rc = smbc_getFunctionClose(s->ctx)(s->ctx, o->f);
	e = errno;
	unlock();
	o->f = NULL;
	if (rc < 0)
		return smb_fail(s, st->err, e, _("cannot close %s"), o->name);
	return 0;
}

static void out_free(struct cc_ostream *st)
{
	struct smb_out *o = st->priv;

	if (o->f) {
		lock();
		smbc_getFunctionClose(o->s->ctx)(o->s->ctx, o->f);
		unlock();
	}
	free(o->buf);
	free(o->name);
	free(o);
}

static const struct cc_ostream_ops smb_out_ops = {"smb", out_write, out_finish, out_free};

struct smb_in {
	struct smb *s;
	SMBCFILE *f;
	char *name;
	unsigned char *buf;
	size_t pos, len;
};

static ssize_t in_get(struct cc_istream *st, void *buf, size_t len)
{
	struct smb_in *in = st->priv;
	struct smb *s = in->s;
	ssize_t n;
	int e;

	lock();
	n = smbc_getFunctionRead(s->ctx)(s->ctx, in->f, buf, len);
	e = errno;
	unlock();
	if (n < 0)
		return smb_fail(s, st->err, e, _("cannot read %s at byte %llu"), in->name,
				(unsigned long long)st->bytes_in);
	st->bytes_in += (uint64_t)n;
	return n;
}

/* Small reads are served from a 1 MiB buffer, large ones go straight to the caller. */
static ssize_t in_read(struct cc_istream *st, void *buf, size_t len)
{
	struct smb_in *in = st->priv;
	ssize_t n;

	if (in->pos == in->len) {
		if (len >= SMB_READ_SIZE)
			return in_get(st, buf, SMB_READ_SIZE);
		if ((n = in_get(st, in->buf, SMB_READ_SIZE)) <= 0)
			return n;
		in->pos = 0;
		in->len = (size_t)n;
	}
	if (len > in->len - in->pos)
		len = in->len - in->pos;
	memcpy(buf, in->buf + in->pos, len);
	in->pos += len;
	return (ssize_t)len;
}

static void in_free(struct cc_istream *st)
{
	struct smb_in *in = st->priv;

	if (in->f) {
		lock();
		smbc_getFunctionClose(in->s->ctx)(in->s->ctx, in->f);
		unlock();
	}
	free(in->buf);
	free(in->name);
	free(in);
}

static const struct cc_istream_ops smb_in_ops = {"smb", in_read, in_free};

/* ------------------------------------------------------------ operations */

static int smb_repo_mkdir(struct cc_repo *r, const char *path, struct cc_error *err)
{
	struct smb *s = S(r);
	char *url;
	int ret = begin(r, path, 0, &url, err), rc, e;

	if (ret < 0)
		return ret;
	lock();
	rc = smbc_getFunctionMkdir(s->ctx)(s->ctx, url, 0755);
	e = errno;
	unlock();
	free(url);
	if (rc < 0 && e == EEXIST)
		return cc_fail(err, CC_E_EXISTS, 0, _("%s/%s already exists"), r->location, path);
	if (rc < 0)
		return smb_fail(s, err, e, _("cannot create directory %s/%s"), r->location, path);
	return 0;
}

static int smb_repo_open_write(struct cc_repo *r, const char *path, struct cc_ostream **out,
			       struct cc_error *err)
{
	struct smb *s = S(r);
	struct smb_out *o;
	SMBCFILE *f;
	char *url;
	int ret = begin(r, path, 0, &url, err), e;

	*out = NULL;
	if (ret < 0)
		return ret;
	lock();
	/* O_EXCL becomes the SMB "create" disposition: the server refuses an existing file */
	f = smbc_getFunctionOpen(s->ctx)(s->ctx, url, O_WRONLY | O_CREAT | O_EXCL, 0600);
	e = errno;
	unlock();
	free(url);
	if (!f && e == EEXIST)
		return cc_fail(err, CC_E_EXISTS, 0,
			       _("%s/%s already exists: it is not overwritten"), r->location, path);
	if (!f)
		return smb_fail(s, err, e, _("cannot create %s/%s"), r->location, path);
	o = calloc(1, sizeof(*o));
	if (!o || !(o->buf = malloc(SMB_IO_SIZE)) || !(o->name = shown_name(r, path)) ||
	    !(*out = cc_ostream_new(&smb_out_ops, o, NULL, err))) {
		if (o) {
			free(o->buf);
			free(o->name);
		}
		free(o);
		lock();
		smbc_getFunctionClose(s->ctx)(s->ctx, f);
		unlock();
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	o->s = s;
	o->f = f;
	return 0;
}

static int smb_repo_open_read(struct cc_repo *r, const char *path, struct cc_istream **out,
			      struct cc_error *err)
{
	struct smb *s = S(r);
	struct smb_in *in;
	struct stat st;
	SMBCFILE *f;
	char *url;
	int ret = begin(r, path, 0, &url, err), e, is_dir = 0;

	*out = NULL;
	if (ret < 0)
		return ret;
	lock();
	f = smbc_getFunctionOpen(s->ctx)(s->ctx, url, O_RDONLY, 0);
	e = errno;
	if (f && smbc_getFunctionFstat(s->ctx)(s->ctx, f, &st) == 0 && S_ISDIR(st.st_mode)) {
		smbc_getFunctionClose(s->ctx)(s->ctx, f);
		is_dir = 1;
	}
	unlock();
	free(url);
	if (is_dir || (!f && e == EISDIR))
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("%s/%s is a directory, not a file"),
			       r->location, path);
	if (!f && (e == ENOENT || e == ENOTDIR))
		return cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"), r->location,
			       path);
	if (!f)
		return smb_fail(s, err, e, _("cannot open %s/%s"), r->location, path);
	in = calloc(1, sizeof(*in));
	if (!in || !(in->buf = malloc(SMB_READ_SIZE)) || !(in->name = shown_name(r, path)) ||
	    !(*out = cc_istream_new(&smb_in_ops, in, NULL, err))) {
		if (in) {
			free(in->buf);
			free(in->name);
		}
		free(in);
		lock();
		smbc_getFunctionClose(s->ctx)(s->ctx, f);
		unlock();
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	in->s = s;
	in->f = f;
	return 0;
}

/*
 * libsmbclient's rename replaces an existing file (on "exists" it unlinks
 * the target and tries again), so look first, under the same lock.  Another
 * client could still create `to` between the two calls; nothing in the
 * API closes that gap.
 */
static int smb_repo_rename(struct cc_repo *r, const char *from, const char *to,
			   struct cc_error *err)
{
	struct smb *s = S(r);
	char *ufrom, *uto;
	struct stat st;
	int ret, rc, e = 0, exists;

	if ((ret = cc_repo_check_path(r, to, 0, err)) < 0 || (ret = begin(r, from, 0, &ufrom, err)) < 0)
		return ret;
	if (!(uto = url_of(s, to))) {
		free(ufrom);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	lock();
	exists = smbc_getFunctionStat(s->ctx)(s->ctx, uto, &st) == 0;
	rc = exists ? -1 : smbc_getFunctionRename(s->ctx)(s->ctx, ufrom, s->ctx, uto);
	if (rc < 0 && !exists)
		e = errno;
	unlock();
	free(ufrom);
	free(uto);
	if (exists || e == EEXIST)
		return cc_fail(err, CC_E_EXISTS, 0, _("cannot rename %s/%s to %s: %s already exists"),
			       r->location, from, to, to);
	if (rc < 0 && (e == ENOENT || e == ENOTDIR))
		return cc_fail(err, CC_E_NOTFOUND, 0, _("cannot rename %s/%s: it does not exist"),
			       r->location, from);
	if (rc < 0)
		return smb_fail(s, err, e, _("cannot rename %s/%s to %s"), r->location, from, to);
	return 0;
}

/* The next entry's name (malloc'd) and whether it is a directory; NULL at the end. */
static char *next_entry(struct smb *s, SMBCFILE *d, int *is_dir, int *nomem)
{
	struct smbc_dirent *de;
	char *name = NULL;

	/* the entry lives in the context: copy it before anyone else reads a directory */
	lock();
	de = smbc_getFunctionReaddir(s->ctx)(s->ctx, d);
	if (de) {
		*is_dir = de->smbc_type == SMBC_DIR;
		name = strdup(de->name);
		*nomem = !name;
	}
	unlock();
	return name;
}

/* Remove the directory at url and everything under it (shown: for messages). */
static int rm_tree(struct cc_repo *r, const char *url, const char *shown, int depth,
		   struct cc_error *err)
{
	struct smb *s = S(r);
	SMBCFILE *d;
	char *name;
	int ret = 0, rc, e, is_dir, nomem = 0;

	if (depth > RM_MAX_DEPTH)
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("cannot remove %s/%s: directories nested more than %d deep"),
			       r->location, shown, RM_MAX_DEPTH);
	lock();
	/* opendir fetches the whole listing, so removing while walking it is safe */
	d = smbc_getFunctionOpendir(s->ctx)(s->ctx, url);
	e = errno;
	unlock();
	if (!d)
		return smb_fail(s, err, e, _("cannot remove %s/%s"), r->location, shown);
	while (!ret && (name = next_entry(s, d, &is_dir, &nomem))) {
		char *sub, *p;

		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			free(name);
			continue;
		}
		if (!(sub = malloc(strlen(url) + 3 * strlen(name) + 2))) {
			free(name);
			ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
			break;
		}
		p = stpcpy(sub, url);
		*p++ = '/';
		encode(p, name, 0);
		if (is_dir) {
			ret = rm_tree(r, sub, shown, depth + 1, err);
		} else {
			lock();
			rc = smbc_getFunctionUnlink(s->ctx)(s->ctx, sub);
			e = errno;
			unlock();
			if (rc < 0 && e != ENOENT)
				ret = smb_fail(s, err, e, _("cannot remove %s from %s/%s"), name,
					       r->location, shown);
		}
		free(sub);
		free(name);
	}
	if (!ret && nomem)
		ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	lock();
	smbc_getFunctionClosedir(s->ctx)(s->ctx, d);
	rc = ret < 0 ? 0 : smbc_getFunctionRmdir(s->ctx)(s->ctx, url);
	e = errno;
	unlock();
	if (rc < 0 && e != ENOENT)
		ret = smb_fail(s, err, e, _("cannot remove %s/%s"), r->location, shown);
	return ret;
}

static int smb_repo_remove(struct cc_repo *r, const char *path, struct cc_error *err)
{
	struct smb *s = S(r);
	struct stat st;
	char *url;
	int ret = begin(r, path, 0, &url, err), rc, e;

	if (ret < 0)
		return ret;
	lock();
	rc = smbc_getFunctionStat(s->ctx)(s->ctx, url, &st);
	e = errno;
	if (rc == 0 && !S_ISDIR(st.st_mode)) {
		rc = smbc_getFunctionUnlink(s->ctx)(s->ctx, url);
		e = errno;
	}
	unlock();
	if (rc < 0 && (e == ENOENT || e == ENOTDIR))
		ret = cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"), r->location, path);
	else if (rc < 0)
		ret = smb_fail(s, err, e, _("cannot remove %s/%s"), r->location, path);
	else if (S_ISDIR(st.st_mode))
		ret = rm_tree(r, url, path, 0, err);
	free(url);
	return ret;
}

static int smb_repo_list(struct cc_repo *r, const char *dir,
			 int (*cb)(void *u, const struct cc_repo_entry *e), void *u,
			 struct cc_error *err)
{
	struct smb *s = S(r);
	const struct libsmb_file_info *fi;
	SMBCFILE *d;
	char *url;
	int ret = begin(r, dir, 1, &url, err), e;

	if (ret < 0)
		return ret;
	lock();
	d = smbc_getFunctionOpendir(s->ctx)(s->ctx, url);
	e = errno;
	unlock();
	free(url);
	if (!d && (e == ENOENT || e == ENOTDIR))
		return cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"), r->location, dir);
	if (!d)
		return smb_fail(s, err, e, _("cannot list %s/%s"), r->location, dir);
	while (ret >= 0) {
		struct cc_repo_entry ent;
		struct stat st;
		char *name;

		lock();
		fi = smbc_getFunctionReaddirPlus2(s->ctx)(s->ctx, d, &st);
		name = fi && fi->name ? strdup(fi->name) : NULL;
		unlock();
		if (!fi)
			break;
		if (!name) {
			ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
			break;
		}
		/* the callback may call back into this repository: no lock held */
		if (strcmp(name, ".") && strcmp(name, "..")) {
			cc_repo_entry_from_stat(&ent, name, &st);
			ret = cb(u, &ent);
		}
		free(name);
	}
	lock();
	smbc_getFunctionClosedir(s->ctx)(s->ctx, d);
	unlock();
	return ret < 0 ? ret : 0;
}

static int smb_repo_stat(struct cc_repo *r, const char *path, struct cc_repo_entry *ent,
			 struct cc_error *err)
{
	struct smb *s = S(r);
	struct stat st;
	char *url;
	int ret = begin(r, path, 1, &url, err), rc, e;

	if (ret < 0)
		return ret;
	lock();
	rc = smbc_getFunctionStat(s->ctx)(s->ctx, url, &st);
	e = errno;
	unlock();
	free(url);
	if (rc < 0 && (e == ENOENT || e == ENOTDIR))
		return cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"), r->location,
			       path);
	if (rc < 0)
		return smb_fail(s, err, e, _("cannot look at %s/%s"), r->location, path);
	cc_repo_entry_from_stat(ent, path, &st);
	return 0;
}

/*
 * libsmbclient fills statvfs from SMB's FileFsFullSizeInformation its own
 * way: f_bsize is the sector size and f_frsize the sectors per allocation
 * unit, so an allocation unit is their product.
 */
static int smb_repo_free_space(struct cc_repo *r, uint64_t *bytes, struct cc_error *err)
{
	struct smb *s = S(r);
	struct statvfs sv;
	int rc, e;

	lock();
	rc = smbc_getFunctionStatVFS(s->ctx)(s->ctx, s->base, &sv);
	e = errno;
	unlock();
	if (rc < 0)
		return smb_fail(s, err, e, _("cannot get the free space of %s"), r->location);
	*bytes = (uint64_t)sv.f_bavail * sv.f_bsize * (sv.f_frsize ? sv.f_frsize : 1);
	return 0;
}

static void smb_free(struct smb *s)
{
	if (!s)
		return;
	if (s->ctx) {
		lock();
		smbc_free_context(s->ctx, 1);
		unlock();
	}
	explicit_bzero(s->password, sizeof(s->password));
	free(s->base);
	free(s);
}

static void smb_repo_close(struct cc_repo *r)
{
	smb_free(r->priv);
	r->priv = NULL;
}

static const struct cc_repo_ops smb_ops = {
	.scheme = "smb",
	.mkdir = smb_repo_mkdir,
	.open_write = smb_repo_open_write,
	.open_read = smb_repo_open_read,
	.rename = smb_repo_rename,
	.remove = smb_repo_remove,
	.list = smb_repo_list,
	.stat = smb_repo_stat,
	.free_space = smb_repo_free_space,
	.close = smb_repo_close,
};

/* ------------------------------------------------------------ connecting */

/* libsmbclient asks for the login on every new connection (reconnects too). */
static void smb_auth(SMBCCTX *ctx, const char *srv, const char *shr, char *wg, int wglen,
		     char *un, int unlen, char *pw, int pwlen)
{
	struct smb *s = smbc_getOptionUserData(ctx);

	(void)srv;
	(void)shr;
	if (s->domain[0])
		snprintf(wg, (size_t)wglen, "%s", s->domain);
	snprintf(un, (size_t)unlen, "%s", s->user);
	snprintf(pw, (size_t)pwlen, "%s", s->password);
}

/* libsmbclient's log: never on our stdout or stderr. */
static void smb_log(void *p, int level, const char *msg)
{
	(void)p;
	(void)level;
	(void)msg;
}

/* Load smb_conf through a temporary file (smbc_setConfiguration takes a path). */
static void load_config(SMBCCTX *ctx)
{
	const char *dir = secure_getenv("TMPDIR");
	char path[4096];
	size_t len = sizeof(smb_conf) - 1;
	int fd;

	snprintf(path, sizeof(path), "%s/clonecast-smb.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return; /* then the machine's settings stay: not worth failing over */
	if (write(fd, smb_conf, len) == (ssize_t)len)
		smbc_setConfiguration(ctx, path);
	close(fd);
	unlink(path);
}

static int protocol_range(const char *p, const char **min, const char **max)
{
	if (!p || !*p || !strcasecmp(p, "auto")) {
		*min = "SMB2_02";
		*max = "SMB3";
	} else if (!strcasecmp(p, "SMB2") || !strcmp(p, "2")) {
		*min = "SMB2_02";
		*max = "SMB2_10";
	} else if (!strcasecmp(p, "SMB3") || !strcmp(p, "3")) {
		*min = "SMB3";
		*max = "SMB3";
	} else {
		return -1;
	}
	return 0;
}

/* The context, set up under the lock (most of it is process-wide). */
static int new_context(struct smb *s, const char *min, const char *max, struct cc_error *err)
{
	SMBCCTX *ctx;

	/* before the first context, which loads smb.conf and may log doing so; the
	 * callback is process-wide, libsmbclient does not look at the context */
	smbc_setLogCallback(NULL, NULL, smb_log);
	if (!(ctx = smbc_new_context()))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	smbc_setDebug(ctx, 0);
	smbc_setOptionUserData(ctx, s);
	smbc_setFunctionAuthDataWithContext(ctx, smb_auth);
	smbc_setOptionUseKerberos(ctx, 0);
	smbc_setOptionFallbackAfterKerberos(ctx, 1);
	smbc_setOptionUseCCache(ctx, 0);
	smbc_setOptionNoAutoAnonymousLogin(ctx, 1);
	smbc_setWorkgroup(ctx, s->domain[0] ? s->domain : "WORKGROUP");
	smbc_setUser(ctx, s->user);
	if (!smbc_init_context(ctx)) {
		int e = errno;
		smbc_free_context(ctx, 1);
		return cc_fail(err, e == ENOMEM ? CC_E_NOMEM : CC_E_IO, e,
			       _("cannot set up the Samba client library"));
	}
	load_config(ctx);
	smbc_setOptionProtocols(ctx, min, max);
	smbc_setTimeout(ctx, (int)s->timeout_s * 1000);
	/* always explicit: port 0 would also try NetBIOS port 139 */
	smbc_setPort(ctx, (uint16_t)s->port);
	s->ctx = ctx;
	return 0;
}

/* The password from auth, or asked (asked: set when it was). */
static int get_password(struct smb *s, const struct cc_repo_auth *a, int *asked,
			struct cc_error *err)
{
	char prompt[512];

	*asked = 0;
	if (!s->user[0]) /* no user: an anonymous login, no password */
		return 0;
	if (a->password) {
		if (strlen(a->password) >= sizeof(s->password))
			return cc_fail(err, CC_E_BAD_ARGS, 0, _("the password for %s is too long"),
				       s->host);
		strcpy(s->password, a->password);
		return 0;
	}
	if (!a->ask_password || a->batch)
		return cc_fail(err, CC_E_AUTH, 0,
			       _("the Samba server %s needs a password for %s: give "
				 "--password-file FILE or set CLONECAST_PASSWORD"),
			       s->host, s->user);
	snprintf(prompt, sizeof(prompt), _("Password for %s on %s: "), s->user, s->host);
	if (a->ask_password(a->user, prompt, s->password, sizeof(s->password)) < 0) {
		explicit_bzero(s->password, sizeof(s->password));
		return cc_fail(err, CC_E_CANCELED, 0, _("no password given for %s"), s->host);
	}
	*asked = 1;
	return 0;
}

/* libsmbclient says EINVAL both for a host name it cannot resolve and for a
 * protocol it cannot agree on: this tells them apart. */
static int host_resolves(const char *host)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return 0;
	freeaddrinfo(res);
	return 1;
}

/* What a failed first contact means; e is libsmbclient's errno. */
static int connect_why(struct smb *s, const char *location, const char *proto, int e,
		       struct cc_error *err)
{
	switch (e) {
	case EACCES:
	case EPERM:
		if (!s->user[0])
			return cc_fail(err, CC_E_AUTH, 0,
				       _("the Samba server %s refused an anonymous login to share "
					 "%s: give a user name (smb://USER@HOST/SHARE/DIR)"),
				       s->host, s->share);
		return cc_fail(err, CC_E_AUTH, 0,
			       _("the Samba server %s refused the login as %s to share %s: check "
				 "the user name and password (and that the user may use the "
				 "share)"),
			       s->host, s->user, s->share);
	case ENOENT:
	case ENODEV:
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("the Samba server %s has no share named \"%s\": check the share "
				 "name in %s"),
			       s->host, s->share, location);
	case ENOSYS:	   /* SMB2/3 versions do not overlap */
	case ECONNABORTED: /* an SMB1-only server hangs up */
		break;
	case EINVAL: /* either a protocol mismatch or a name that does not resolve */
		if (host_resolves(s->host))
			break;
		return cc_fail(err, CC_E_CONNECT, 0,
			       _("cannot find the Samba server %s: check the name, or give its "
				 "IP address"),
			       s->host);
	case ETIMEDOUT:
		return cc_fail(err, CC_E_CONNECT, 0,
			       _("cannot connect to Samba server %s port %u: no answer within "
				 "%u s (is it running, and is the address right?)"),
			       s->host, s->port, s->timeout_s);
	default:
		if (conn_errno(e))
			return cc_fail(err, CC_E_CONNECT, e,
				       _("cannot connect to Samba server %s port %u (is it running, "
					 "and is the address right?)"),
				       s->host, s->port);
		return cc_fail(err, cc_repo_errno_code(e), e, _("cannot open image repository %s"),
			       location);
	}
	return cc_fail(err, CC_E_CONNECT, 0,
		       _("the Samba server %s and Clonecast have no SMB version in common "
			 "(Clonecast tried %s): choose another with --smb-protocol, or enable "
			 "SMB2/SMB3 on the server"),
		       s->host, proto);
}

static int connect_fail(struct smb *s, const char *location, const char *proto, int e,
			struct cc_error *err)
{
	int ret = connect_why(s, location, proto, e, err);

	if (err)
		err->sys_errno = e; /* for the log; the sentences above say it better */
	return ret;
}

/* Log in to the share, asking the password again after a refusal when it was asked. */
static int login(struct smb *s, const struct cc_repo_auth *a, const char *location,
		 const char *proto, struct cc_error *err)
{
	char *share_url = strdup(s->base), *p;
	struct stat st;
	int ret = 0, asked, rc, e;

	if (!share_url)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	/* the share root: smb://HOST/SHARE */
	p = strchr(share_url + strlen("smb://"), '/');
	if (p && (p = strchr(p + 1, '/')))
		*p = '\0';
	for (int t = 0; t < SMB_PASSWORD_TRIES; t++) {
		if ((ret = get_password(s, a, &asked, err)) < 0)
			break;
		lock();
		rc = smbc_getFunctionStat(s->ctx)(s->ctx, share_url, &st);
		e = errno;
		unlock();
		if (rc == 0) {
			ret = 0;
			break;
		}
		ret = connect_fail(s, location, proto, e, err);
		if (!asked || (e != EACCES && e != EPERM))
			break;
	}
	free(share_url);
	return ret;
}

/* The repository directory inside the share must be there. */
static int check_dir(struct smb *s, const char *location, struct cc_error *err)
{
	struct stat st;
	int rc, e;

	lock();
	rc = smbc_getFunctionStat(s->ctx)(s->ctx, s->base, &st);
	e = errno;
	unlock();
	if (rc < 0 && (e == ENOENT || e == ENOTDIR))
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("image repository %s does not exist: create the directory on the "
				 "share or give another one"),
			       location);
	if (rc < 0)
		return smb_fail(s, err, e, _("cannot open image repository %s"), location);
	if (!S_ISDIR(st.st_mode))
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("image repository %s is not a directory: give the directory that "
				 "holds the images"),
			       location);
	return 0;
}

int cc_repo_smb_open(const struct cc_repo_url *u, const char *location,
		     const struct cc_repo_auth *auth, struct cc_repo **out, struct cc_error *err)
{
	static const struct cc_repo_auth none;
	const char *min, *max;
	struct cc_repo *r;
	struct smb *s;
	char proto[32];
	int ret;

	*out = NULL;
	if (!auth)
		auth = &none;
	if (protocol_range(auth->smb_protocol, &min, &max) < 0)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("unknown SMB protocol \"%s\": use auto, SMB2 or SMB3"),
			       auth->smb_protocol);
	if (!u->share[0])
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("image repository %s names no share: write it as "
				 "smb://USER@HOST/SHARE/DIR"),
			       location);
	snprintf(proto, sizeof(proto), strcmp(min, max) ? "%s-%s" : "%s", min, max);
	r = calloc(1, sizeof(*r));
	s = calloc(1, sizeof(*s));
	if (!r || !s || !(r->location = strdup(location)) || !(s->base = make_base(u))) {
		if (r)
			free(r->location);
		free(r);
		free(s);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	r->ops = &smb_ops;
	r->priv = s;
	s->location = r->location;
	snprintf(s->host, sizeof(s->host), "%s", u->host);
	snprintf(s->share, sizeof(s->share), "%s", u->share);
	snprintf(s->user, sizeof(s->user), "%s", u->user);
	snprintf(s->domain, sizeof(s->domain), "%s", u->domain);
	s->port = u->port ? u->port : SMB_PORT;
	s->timeout_s = auth->timeout_s ? auth->timeout_s : SMB_TIMEOUT_S;
	lock();
	ret = new_context(s, min, max, err);
	unlock();
	if (ret == 0)
		ret = login(s, auth, location, proto, err);
	if (ret == 0)
		ret = check_dir(s, location, err);
	if (ret < 0) {
		cc_repo_close(r);
		return ret;
	}
	*out = r;
	return 0;
}
