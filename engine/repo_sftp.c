/*
 * repo_sftp.c - a repository on an SSH server, reached through SFTP.
 *
 * The same semantics as repo_local.c: new files only (never overwritten),
 * a rename that never replaces, recursive remove.  SFTP servers report
 * most failures as a bare "Failure" (OpenSSH maps EEXIST, ENOSPC and
 * EDQUOT all to SSH_FX_FAILURE), so a failed call is followed by a stat or
 * statvfs to say what really happened.  Paths may not contain ".."; they
 * are joined to the repository's directory on the server.
 */
#include "repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"
#include "ssh_int.h"

#define RM_MAX_DEPTH 64

static struct cc_ssh *S(struct cc_repo *r)
{
	return r->priv;
}

/* Enter the session and build the absolute path; *abs is malloc'd. */
static int begin(struct cc_repo *r, const char *path, int root_ok, char **abs,
		 struct cc_error *err)
{
	int ret;

	*abs = NULL;
	if ((ret = cc_repo_check_path(r, path, root_ok, err)) < 0)
		return ret;
	if (!(*abs = cc_ssh_path(S(r), path)))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	if ((ret = cc_ssh_enter(S(r), err)) < 0) {
		free(*abs);
		*abs = NULL;
	}
	return ret;
}

static void end(struct cc_repo *r, char *abs)
{
	cc_ssh_leave(S(r));
	free(abs);
}

/* After a failed sftp call on `path`: the best message we can give. */
static int sftp_fail(struct cc_repo *r, const char *abs, const char *path, const char *doing,
		     struct cc_error *err)
{
	struct cc_ssh *s = S(r);
	int code = sftp_get_error(s->sftp);
	sftp_attributes st;

	if (cc_ssh_check_lost(s, err) < 0)
		return -err->code;
	switch (code) {
	case SSH_FX_NO_SUCH_FILE:
	case SSH_FX_NO_SUCH_PATH:
		return cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"), r->location, path);
	case SSH_FX_PERMISSION_DENIED:
		return cc_fail(err, CC_E_PERM, 0,
			       _("permission denied: cannot %s %s/%s (the SSH user has no write "
				 "access there?)"),
			       doing, r->location, path);
	case SSH_FX_FILE_ALREADY_EXISTS:
		return cc_fail(err, CC_E_EXISTS, 0, _("%s/%s already exists"), r->location, path);
	default:
		break;
	}
	if (abs && (st = sftp_lstat(s->sftp, abs))) {
		sftp_attributes_free(st);
		return cc_fail(err, CC_E_EXISTS, 0, _("%s/%s already exists"), r->location, path);
	}
	return cc_fail(err, CC_E_IO, 0, _("cannot %s %s/%s (%s)"), doing, r->location, path,
		       ssh_get_error(s->ssh));
}

static int sftp_repo_mkdir(struct cc_repo *r, const char *path, struct cc_error *err)
{
	char *abs;
	int ret = begin(r, path, 0, &abs, err);

	if (ret < 0)
		return ret;
	if (sftp_mkdir(S(r)->sftp, abs, 0755) < 0)
		ret = sftp_fail(r, abs, path, _("create directory"), err);
	end(r, abs);
	return ret;
}

static char *shown_name(struct cc_repo *r, const char *path)
{
	char *s;

	if (asprintf(&s, "%s/%s", r->location, path) < 0)
		return NULL;
	return s;
}

/* The absolute path on the server and the name for messages of a file. */
static int names(struct cc_repo *r, const char *path, char **abs, char **shown,
		 struct cc_error *err)
{
	int ret = cc_repo_check_path(r, path, 0, err);

	if (ret < 0)
		return ret;
	*abs = cc_ssh_path(S(r), path);
	*shown = shown_name(r, path);
	if (!*abs || !*shown) {
		free(*abs);
		free(*shown);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	return 0;
}

static int sftp_repo_open_write(struct cc_repo *r, const char *path, struct cc_ostream **out,
				struct cc_error *err)
{
	char *abs, *shown;
	sftp_attributes st;
	int ret;

	*out = NULL;
	if ((ret = names(r, path, &abs, &shown, err)) < 0)
		return ret;
	ret = cc_sftp_open_write(S(r), abs, shown, out, err);
	if (ret == -CC_E_IO && cc_ssh_enter(S(r), err) == 0) {
		/* OpenSSH says "Failure" for an existing file: look */
		if ((st = sftp_lstat(S(r)->sftp, abs))) {
			sftp_attributes_free(st);
			ret = cc_fail(err, CC_E_EXISTS, 0,
				      _("%s already exists: it is not overwritten"), shown);
		}
		cc_ssh_leave(S(r));
	}
	free(abs);
	free(shown);
	return ret;
}

static int sftp_repo_open_read(struct cc_repo *r, const char *path, struct cc_istream **out,
			       struct cc_error *err)
{
	char *abs, *shown;
	int ret;

	*out = NULL;
	if ((ret = names(r, path, &abs, &shown, err)) < 0)
		return ret;
	ret = cc_sftp_open_read(S(r), abs, shown, out, err);
	free(abs);
	free(shown);
	return ret;
}

static int sftp_repo_rename(struct cc_repo *r, const char *from, const char *to,
			    struct cc_error *err)
{
	char *afrom, *ato = NULL;
	sftp_attributes st;
	int ret;

	if ((ret = cc_repo_check_path(r, to, 0, err)) < 0)
		return ret;
	if ((ret = begin(r, from, 0, &afrom, err)) < 0)
		return ret;
	if (!(ato = cc_ssh_path(S(r), to))) {
		ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		goto out;
	}
	/* SFTP's rename may replace an empty directory (and the posix-rename
	 * extension anything): look first */
	if ((st = sftp_lstat(S(r)->sftp, ato))) {
		sftp_attributes_free(st);
		ret = cc_fail(err, CC_E_EXISTS, 0, _("cannot rename %s/%s to %s: %s already exists"),
			      r->location, from, to, to);
		goto out;
	}
	if (sftp_rename(S(r)->sftp, afrom, ato) < 0)
		ret = sftp_fail(r, NULL, from, _("rename"), err);
out:
	free(ato);
	end(r, afrom);
	return ret;
}

/* Remove abs and everything under it; lock held. */
static int rm_tree(struct cc_repo *r, const char *abs, const char *shown, int depth,
		   struct cc_error *err)
{
	struct cc_ssh *s = S(r);
	sftp_attributes st = sftp_lstat(s->sftp, abs), e;
	sftp_dir d;
	int ret = 0;

	if (!st)
		return sftp_fail(r, NULL, shown, _("remove"), err);
	if (st->type != SSH_FILEXFER_TYPE_DIRECTORY) {
		sftp_attributes_free(st);
		return sftp_unlink(s->sftp, abs) < 0 ? sftp_fail(r, NULL, shown, _("remove"), err)
						      : 0;
	}
	sftp_attributes_free(st);
	if (depth > RM_MAX_DEPTH)
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("cannot remove %s/%s: directories nested more than %d deep"),
			       r->location, shown, RM_MAX_DEPTH);
	if (!(d = sftp_opendir(s->sftp, abs)))
		return sftp_fail(r, NULL, shown, _("remove"), err);
	while (!ret && (e = sftp_readdir(s->sftp, d))) {
		char *sub;

		if (strcmp(e->name, ".") && strcmp(e->name, "..")) {
			if (asprintf(&sub, "%s/%s", abs, e->name) < 0) {
				ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
			} else {
				ret = rm_tree(r, sub, shown, depth + 1, err);
				free(sub);
			}
		}
		sftp_attributes_free(e);
	}
	if (!ret && !sftp_dir_eof(d))
		ret = sftp_fail(r, NULL, shown, _("list"), err);
	sftp_closedir(d);
	if (!ret && sftp_rmdir(s->sftp, abs) < 0)
		ret = sftp_fail(r, NULL, shown, _("remove"), err);
	return ret;
}

static int sftp_repo_remove(struct cc_repo *r, const char *path, struct cc_error *err)
{
	char *abs;
	int ret = begin(r, path, 0, &abs, err);

	if (ret < 0)
		return ret;
	ret = rm_tree(r, abs, path, 0, err);
	end(r, abs);
	return ret;
}

static void fill_entry(struct cc_repo_entry *e, const char *name, sftp_attributes a)
{
	e->name = name;
	e->is_dir = a->type == SSH_FILEXFER_TYPE_DIRECTORY;
	e->size = a->type == SSH_FILEXFER_TYPE_REGULAR ? a->size : 0;
	e->mtime = (int64_t)a->mtime;
}

static int sftp_repo_list(struct cc_repo *r, const char *dir,
			  int (*cb)(void *u, const struct cc_repo_entry *e), void *u,
			  struct cc_error *err)
{
	struct cc_ssh *s = S(r);
	sftp_attributes a;
	sftp_dir d;
	char *abs;
	int ret = begin(r, dir, 1, &abs, err);

	if (ret < 0)
		return ret;
	if (!(d = sftp_opendir(s->sftp, abs))) {
		ret = sftp_fail(r, NULL, dir, _("list"), err);
		end(r, abs);
		return ret;
	}
	while (ret >= 0 && (a = sftp_readdir(s->sftp, d))) {
		struct cc_repo_entry e;

		if (strcmp(a->name, ".") && strcmp(a->name, "..")) {
			if (a->type == SSH_FILEXFER_TYPE_SYMLINK) { /* follow, as stat() */
				char *sub;
				sftp_attributes t = NULL;

				if (asprintf(&sub, "%s/%s", abs, a->name) >= 0) {
					t = sftp_stat(s->sftp, sub);
					free(sub);
				}
				if (t) {
					a->type = t->type;
					a->size = t->size;
					a->mtime = t->mtime;
					sftp_attributes_free(t);
				}
			}
			fill_entry(&e, a->name, a);
			/* the callback may call back into this repository */
			cc_ssh_leave(s);
			ret = cb(u, &e);
			if (cc_ssh_enter(s, err) < 0) {
				sftp_attributes_free(a);
				free(abs);
				return -err->code;
			}
		}
		sftp_attributes_free(a);
	}
	if (ret >= 0 && !sftp_dir_eof(d))
		ret = sftp_fail(r, NULL, dir, _("list"), err);
	sftp_closedir(d);
	end(r, abs);
	return ret < 0 ? ret : 0;
}

static int sftp_repo_stat(struct cc_repo *r, const char *path, struct cc_repo_entry *e,
			  struct cc_error *err)
{
	sftp_attributes a;
	char *abs;
	int ret = begin(r, path, 1, &abs, err);

	if (ret < 0)
		return ret;
	if (!(a = sftp_stat(S(r)->sftp, abs))) {
		ret = sftp_fail(r, NULL, path, _("look at"), err);
	} else {
		fill_entry(e, path, a);
		sftp_attributes_free(a);
	}
	end(r, abs);
	return ret;
}

static int sftp_repo_free_space(struct cc_repo *r, uint64_t *bytes, struct cc_error *err)
{
	struct cc_ssh *s = S(r);
	sftp_statvfs_t v;
	int ret;

	if ((ret = cc_ssh_enter(s, err)) < 0)
		return ret;
	if (!sftp_extension_supported(s->sftp, "statvfs@openssh.com", "2")) {
		ret = cc_fail(err, CC_E_UNSUPPORTED, 0,
			      _("the SSH server %s cannot tell its free space"), s->host);
	} else if (!(v = sftp_statvfs(s->sftp, s->root))) {
		ret = sftp_fail(r, NULL, ".", _("get the free space of"), err);
	} else {
		*bytes = v->f_bavail * v->f_frsize;
		sftp_statvfs_free(v);
	}
	cc_ssh_leave(s);
	return ret;
}

static void sftp_repo_close(struct cc_repo *r)
{
	cc_ssh_free(r->priv);
	r->priv = NULL;
}

static const struct cc_repo_ops sftp_ops = {
	.scheme = "ssh",
	.mkdir = sftp_repo_mkdir,
	.open_write = sftp_repo_open_write,
	.open_read = sftp_repo_open_read,
	.rename = sftp_repo_rename,
	.remove = sftp_repo_remove,
	.list = sftp_repo_list,
	.stat = sftp_repo_stat,
	.free_space = sftp_repo_free_space,
	.close = sftp_repo_close,
};

int cc_repo_sftp_open(const struct cc_repo_url *u, const char *location,
		      const struct cc_repo_auth *auth, struct cc_repo **out, struct cc_error *err)
{
	struct cc_repo *r;
	struct cc_ssh *s;
	int ret;

	*out = NULL;
	if ((ret = cc_ssh_connect(u, location, auth, &s, err)) < 0)
		return ret;
	if (!(r = calloc(1, sizeof(*r))) || !(r->location = strdup(location))) {
		free(r);
		cc_ssh_free(s);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	r->ops = &sftp_ops;
	r->priv = s;
	*out = r;
	return 0;
}
