/* t-repo-url.c - repository locations: local paths, ssh:// and smb:// URLs. */
#include <string.h>

#include "error.h"
#include "repo.h"
#include "tap.h"

static void good(const char *loc, const char *scheme, const char *user, const char *domain,
		 const char *host, unsigned port, const char *share, const char *path)
{
	struct cc_repo_url u;
	struct cc_error err = {0};
	int ret = cc_repo_url_parse(loc, &u, &err);

	if (!ok(ret == 0, "parse %s", loc)) {
		diag("  %s", err.detail);
		return;
	}
	is_str(u.scheme, scheme, "  scheme");
	is_str(u.user, user, "  user");
	is_str(u.domain, domain, "  domain");
	is_str(u.host, host, "  host");
	is_int(u.port, port, "  port");
	is_str(u.share, share, "  share");
	is_str(u.path, path, "  path");
}

static void bad(const char *loc, int code, const char *words)
{
	struct cc_repo_url u;
	struct cc_error err = {0};
	int ret = cc_repo_url_parse(loc, &u, &err);

	is_int(ret, -code, loc);
	ok(strstr(err.detail, words) != NULL, "  says '%s': %s", words, err.detail);
}

int main(void)
{
	good("/home/partimag", "file", "", "", "", 0, "", "/home/partimag");
	good("relative/dir", "file", "", "", "", 0, "", "relative/dir");
	good("file:///srv/img%20s", "file", "", "", "", 0, "", "/srv/img s");
	good("ssh://admin@server/srv/images", "ssh", "admin", "", "server", 0, "", "/srv/images");
	good("ssh://admin@10.0.0.5:2222/srv/images/", "ssh", "admin", "", "10.0.0.5", 2222, "",
	     "/srv/images/");
	good("ssh://server", "ssh", "", "", "server", 0, "", "");
	good("ssh://u@h/~", "ssh", "u", "", "h", 0, "", "");
	good("ssh://u@h/~/images", "ssh", "u", "", "h", 0, "", "images");
	good("sftp://u@h/x", "ssh", "u", "", "h", 0, "", "/x");
	good("ssh://u@[::1]:22/x", "ssh", "u", "", "::1", 22, "", "/x");
	good("ssh://first.last%40corp@h/x", "ssh", "first.last@corp", "", "h", 0, "", "/x");
	good("smb://SCHOOL;admin@nas/images", "smb", "admin", "SCHOOL", "nas", 0, "images", "");
	good("smb://admin@nas:4450/Lab%20Images/2026/term 1/", "smb", "admin", "", "nas", 4450,
	     "Lab Images", "2026/term 1");
	good("smb://admin@nas/Lab Images/x", "smb", "admin", "", "nas", 0, "Lab Images", "x");
	good("cifs://a@b/s", "smb", "a", "", "b", 0, "s", "");

	bad("", CC_E_BAD_ARGS, "no image repository");
	bad("ftp://h/x", CC_E_UNSUPPORTED, "unknown kind");
	bad("ssh://u:secret@h/x", CC_E_BAD_ARGS, "password into the URL");
	bad("smb://D;u:secret@h/s", CC_E_BAD_ARGS, "password into the URL");
	bad("ssh://u@h:0/x", CC_E_BAD_ARGS, "port");
	bad("ssh://u@h:65536/x", CC_E_BAD_ARGS, "port");
	bad("ssh://u@h:22a/x", CC_E_BAD_ARGS, "port");
	bad("ssh://u@h:/x", CC_E_BAD_ARGS, "port");
	bad("ssh://u@/x", CC_E_BAD_ARGS, "no server");
	bad("ssh://@h/x", CC_E_BAD_ARGS, "user name");
	bad("ssh://u@[::1/x", CC_E_BAD_ARGS, "IPv6");
	bad("ssh://u@h/x%zz", CC_E_BAD_ARGS, "not valid");
	bad("ssh://u@h/x%00y", CC_E_BAD_ARGS, "not valid");
	bad("ssh://u@h/x%4", CC_E_BAD_ARGS, "not valid");
	bad("smb://u@nas", CC_E_BAD_ARGS, "share");
	bad("smb://u@nas/", CC_E_BAD_ARGS, "share");
	bad("smb://nas/share", CC_E_BAD_ARGS, "user");
	bad("file://", CC_E_BAD_ARGS, "no directory");
	return done_testing();
}
