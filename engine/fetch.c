/*
 * fetch.c - fetch a small file for an unattended job (see fetch.h).
 *
 * TFTP and HTTP go through busybox (always on the live system); the file
 * is written under a temporary name and renamed, so a fetch that failed
 * half-way never leaves a truncated password behind.
 */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"
#include "run.h"

#define FETCH_MAX (1 << 20) /* a password or a key file, not an image */

static int copy_file(const char *src, const char *dst, struct cc_error *err)
{
	char buf[8192];
	ssize_t n;
	size_t total = 0;
	int in, out, ret = 0;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return cc_fail(err, errno == ENOENT ? CC_E_NOTFOUND : CC_E_IO, errno,
			       _("cannot read %s"), src);
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		ret = cc_fail(err, CC_E_IO, errno, _("cannot create %s"), dst);
		close(in);
		return ret;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		if (total > FETCH_MAX) {
			ret = cc_fail(err, CC_E_BAD_ARGS, 0, _("%s is larger than 1 MiB"), src);
			break;
		}
		if (write(out, buf, (size_t)n) != n) {
			ret = cc_fail(err, CC_E_IO, errno, _("cannot write %s"), dst);
			break;
		}
	}
	if (n < 0 && !ret)
		ret = cc_fail(err, CC_E_IO, errno, _("cannot read %s"), src);
	if (close(out) < 0 && !ret)
		ret = cc_fail(err, CC_E_IO, errno, _("cannot write %s"), dst);
	close(in);
	return ret;
}

/* tftp://HOST/PATH: host (boot server when empty) and path. */
static int tftp_get(const char *rest, const char *dst, const struct cc_fetch_ctx *ctx,
		    struct cc_error *err)
{
	char host[256], port[8] = "";
	const char *slash = strchr(rest, '/'), *colon;
	size_t hl;

	if (!slash || !slash[1])
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("no file named in tftp://%s"), rest);
	hl = (size_t)(slash - rest);
	if (hl >= sizeof(host))
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("the server name is too long"));
	memcpy(host, rest, hl);
	host[hl] = '\0';
	if ((colon = strchr(host, ':')) && strlen(colon + 1) < sizeof(port)) {
		snprintf(port, sizeof(port), "%s", colon + 1);
		host[colon - host] = '\0';
	}
	if (!host[0]) {
		if (!ctx || !ctx->boot_server || !ctx->boot_server[0])
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("tftp:///%s names no server, and the system was not "
					 "started from a boot server"),
				       slash + 1);
		snprintf(host, sizeof(host), "%s", ctx->boot_server);
	}
	{
		const char *argv[] = {"busybox", "tftp", "-g", "-b", "1468", "-r", slash + 1,
				      "-l", dst, host, port[0] ? port : NULL, NULL};
		return cc_run(argv, NULL, 0, NULL, NULL, err);
	}
}

static int fetch_to(const char *url, const char *dst, const struct cc_fetch_ctx *ctx,
		    struct cc_error *err)
{
	if (!strncmp(url, "tftp://", 7))
		return tftp_get(url + 7, dst, ctx, err);
	if (!strncmp(url, "http://", 7)) {
		const char *argv[] = {"busybox", "wget", "-q", "-T", "20", "-O", dst, url, NULL};
		return cc_run(argv, NULL, 0, NULL, NULL, err);
	}
	if (!strncmp(url, "medium:", 7)) {
		char path[1024];

		if (!ctx || !ctx->medium_dir)
			return cc_fail(err, CC_E_NOTFOUND, 0,
				       _("the system was not started from a CD or USB stick"));
		snprintf(path, sizeof(path), "%s/%s", ctx->medium_dir, url + 7 + (url[7] == '/'));
		return copy_file(path, dst, err);
	}
	if (!strncmp(url, "file://", 7))
		return copy_file(url + 7, dst, err);
	if (url[0] == '/')
		return copy_file(url, dst, err);
	return cc_fail(err, CC_E_BAD_ARGS, 0,
		       _("unknown kind of address (tftp://, http://, medium:/ or a path)"));
}

int cc_fetch(const char *url, const char *dest, const struct cc_fetch_ctx *ctx,
	     struct cc_error *err)
{
	char tmp[1100], why[sizeof(err->detail)];
	struct stat st;
	int ret;

	if (snprintf(tmp, sizeof(tmp), "%s.part", dest) >= (int)sizeof(tmp))
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("the path %s is too long"), dest);
	unlink(tmp);
	ret = fetch_to(url, tmp, ctx, err);
	if (!ret && (stat(tmp, &st) < 0 || st.st_size == 0))
		ret = cc_fail(err, CC_E_NOTFOUND, 0, _("the file is empty"));
	if (!ret && st.st_size > FETCH_MAX)
		ret = cc_fail(err, CC_E_BAD_ARGS, 0, _("the file is larger than 1 MiB"));
	if (!ret && chmod(tmp, 0600) < 0)
		ret = cc_fail(err, CC_E_IO, errno, _("cannot protect %s"), tmp);
	if (!ret && rename(tmp, dest) < 0)
		ret = cc_fail(err, CC_E_IO, errno, _("cannot rename %s"), tmp);
	if (ret < 0) {
		unlink(tmp);
		unlink(dest); /* an older copy is not what was asked for */
		snprintf(why, sizeof(why), "%s", err->detail);
		return cc_fail(err, -ret, 0, _("cannot fetch %s: %s"), url, why);
	}
	return 0;
}
