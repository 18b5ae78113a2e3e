/*
 * repo_local.c - a repository in a local directory (or anything mounted
 * there).  Every path is resolved relative to a descriptor of the root
 * (openat and friends); ".." and absolute paths are refused.  Files are
 * created 0600 (partition images hold whole filesystems) and fsynced
 * when finished; a rename fsyncs the directories it touched.
 */
#include "repo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"

#define RM_MAX_DEPTH 64

struct local {
	int root;
};

static int root_fd(struct cc_repo *r)
{
	return ((struct local *)r->priv)->root;
}

/*
 * A path relative to the root, without ".." components.  "" and "." name
 * the root itself, allowed only where root_ok.  *rel is what to pass to
 * the *at() calls.
 */
static int check_path(struct cc_repo *r, const char *path, int root_ok, const char **rel,
		      struct cc_error *err)
{
	int ret = cc_repo_check_path(r, path, root_ok, err);

	if (ret < 0)
		return ret;
	*rel = !*path || !strcmp(path, ".") ? "." : path;
	return 0;
}

static char *full_name(struct cc_repo *r, const char *path)
{
	char *s;

	if (asprintf(&s, "%s/%s", r->location, path) < 0)
		return NULL;
	return s;
}

/* fsync a directory so that the entries just created or renamed in it last. */
static void sync_dir(int dfd, const char *path)
{
	int fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static void sync_parent(int root, const char *path)
{
	char buf[4096];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!n || n >= sizeof(buf)) {
		sync_dir(root, ".");
		return;
	}
	memcpy(buf, path, n);
	buf[n] = '\0';
	sync_dir(root, buf);
}

static int same_parent(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t na = sa ? (size_t)(sa - a) : 0, nb = sb ? (size_t)(sb - b) : 0;

	return na == nb && !memcmp(a, b, na);
}

static int local_mkdir(struct cc_repo *r, const char *path, struct cc_error *err)
{
	const char *rel;
	int ret = check_path(r, path, 0, &rel, err);

	if (ret < 0)
		return ret;
	if (mkdirat(root_fd(r), rel, 0755) < 0) {
		int e = errno;
		if (e == EEXIST)
			return cc_fail(err, CC_E_EXISTS, 0, _("%s/%s already exists"), r->location,
				       path);
		return cc_fail(err, cc_repo_errno_code(e), e, _("cannot create directory %s/%s"),
			       r->location, path);
	}
	return 0;
}

static int local_open_write(struct cc_repo *r, const char *path, struct cc_ostream **out,
			    struct cc_error *err)
{
	const char *rel;
	char *name;
	int fd, ret = check_path(r, path, 0, &rel, err);

	*out = NULL;
	if (ret < 0)
		return ret;
	fd = openat(root_fd(r), rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;
		if (e == EEXIST)
			return cc_fail(err, CC_E_EXISTS, 0,
				       _("%s/%s already exists: it is not overwritten"),
				       r->location, path);
		return cc_fail(err, cc_repo_errno_code(e), e, _("cannot create %s/%s"), r->location, path);
	}
	if (!(name = full_name(r, path))) {
		close(fd);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	ret = cc_ostream_fd(fd, name, 1, 1, err, out);
	free(name);
	if (ret < 0)
		close(fd);
	return ret;
}

static int local_open_read(struct cc_repo *r, const char *path, struct cc_istream **out,
			   struct cc_error *err)
{
	const char *rel;
	struct stat st;
	char *name;
	int fd, ret = check_path(r, path, 0, &rel, err);

	*out = NULL;
	if (ret < 0)
		return ret;
	fd = openat(root_fd(r), rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"),
				       r->location, path);
		return cc_fail(err, cc_repo_errno_code(e), e, _("cannot open %s/%s"), r->location, path);
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("%s/%s is a directory, not a file"),
			       r->location, path);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (!(name = full_name(r, path))) {
		close(fd);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	ret = cc_istream_fd(fd, name, 1, err, out);
	free(name);
	if (ret < 0)
		close(fd);
	return ret;
}

static int exists_fail(struct cc_repo *r, const char *from, const char *to, struct cc_error *err)
{
	return cc_fail(err, CC_E_EXISTS, 0, _("cannot rename %s/%s to %s: %s already exists"),
		       r->location, from, to, to);
}

/* For file systems without RENAME_NOREPLACE (some FUSE and network ones). */
static int rename_fallback(struct cc_repo *r, const char *from, const char *to)
{
	int root = root_fd(r);
	struct stat st;

	if (fstatat(root, from, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		if (linkat(root, from, root, to, 0) == 0)
			return unlinkat(root, from, 0) < 0 && errno != ENOENT ? -1 : 0;
		if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS)
			return -1;
		/* no hard links (vfat, some shares): check, then rename */
	}
	if (fstatat(root, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(root, from, root, to);
}

static int local_rename(struct cc_repo *r, const char *from, const char *to, struct cc_error *err)
{
	const char *rf, *rt;
	struct stat st;
	int root = root_fd(r), ret;

	if ((ret = check_path(r, from, 0, &rf, err)) < 0 ||
	    (ret = check_path(r, to, 0, &rt, err)) < 0)
		return ret;
	/* a directory's own entries first, so they are there after a crash */
	if (fstatat(root, rf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		sync_dir(root, rf);
	if (renameat2(root, rf, root, rt, RENAME_NOREPLACE) < 0) {
		int e = errno;
		if (e == EEXIST)
			return exists_fail(r, from, to, err);
		if (e != EINVAL && e != ENOSYS && e != ENOTSUP && e != EOPNOTSUPP)
			return cc_fail(err, cc_repo_errno_code(e), e, _("cannot rename %s/%s to %s"),
				       r->location, from, to);
		if (rename_fallback(r, rf, rt) < 0) {
			e = errno;
			if (e == EEXIST)
				return exists_fail(r, from, to, err);
			return cc_fail(err, cc_repo_errno_code(e), e, _("cannot rename %s/%s to %s"),
				       r->location, from, to);
		}
	}
	sync_parent(root, rt);
	if (!same_parent(rf, rt))
		sync_parent(root, rf);
	return 0;
}

/* Remove `name` in directory dfd and everything under it, never following symlinks. */
static int rm_tree(struct cc_repo *r, int dfd, const char *name, const char *shown, int depth,
		   struct cc_error *err)
{
	struct dirent *de;
	DIR *d;
	int fd, ret = 0;

	if (depth > RM_MAX_DEPTH)
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("cannot remove %s/%s: directories nested more than %d deep"),
			       r->location, shown, RM_MAX_DEPTH);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return cc_fail(err, cc_repo_errno_code(e), e, _("cannot remove %s/%s"), r->location, shown);
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		struct stat st;
		int is_dir;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN)
			is_dir = fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				 S_ISDIR(st.st_mode);
		if (is_dir)
			ret = rm_tree(r, fd, de->d_name, shown, depth + 1, err);
		else if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT)
			ret = cc_fail(err, cc_repo_errno_code(errno), errno,
				      _("cannot remove %s from %s/%s"), de->d_name, r->location,
				      shown);
	}
	if (!ret && errno)
		ret = cc_fail(err, CC_E_IO, errno, _("cannot read directory %s/%s"), r->location,
			      shown);
	closedir(d);
	if (!ret && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		ret = cc_fail(err, cc_repo_errno_code(errno), errno, _("cannot remove %s/%s"), r->location,
			      shown);
	return ret;
}

/* Open the directory holding the last component of rel, walking without following symlinks. */
static int open_parent(int root, char *rel, const char **leaf)
{
	char *slash, *p, *comp;
	int fd;

	while ((slash = strrchr(rel, '/')) && !slash[1] && slash != rel)
		*slash = '\0'; /* trailing slashes */
	slash = strrchr(rel, '/');
	if (!slash) {
		*leaf = rel;
		return dup(root);
	}
	*slash = '\0';
	*leaf = slash + 1;
	if ((fd = dup(root)) < 0)
		return -1;
	for (p = rel; (comp = strsep(&p, "/"));) {
		int nfd;

		if (!*comp || !strcmp(comp, "."))
			continue;
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (nfd < 0)
			return -1;
		fd = nfd;
	}
	return fd;
}

static int local_remove(struct cc_repo *r, const char *path, struct cc_error *err)
{
	const char *rel, *leaf;
	struct stat st;
	char *copy;
	int pfd, ret = check_path(r, path, 0, &rel, err);

	if (ret < 0)
		return ret;
	if (!(copy = strdup(rel)))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	pfd = open_parent(root_fd(r), copy, &leaf);
	if (pfd < 0 || !*leaf || !strcmp(leaf, ".")) {
		int e = pfd < 0 ? errno : EINVAL;
		if (pfd >= 0)
			close(pfd);
		free(copy);
		if (e == ENOENT)
			return cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"),
				       r->location, path);
		return cc_fail(err, cc_repo_errno_code(e), e, _("cannot remove %s/%s"), r->location, path);
	}
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;
		ret = e == ENOENT ? cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"),
					    r->location, path)
				  : cc_fail(err, cc_repo_errno_code(e), e, _("cannot remove %s/%s"),
					    r->location, path);
	} else if (S_ISDIR(st.st_mode)) {
		ret = rm_tree(r, pfd, leaf, path, 0, err);
	} else if (unlinkat(pfd, leaf, 0) < 0) {
		ret = cc_fail(err, cc_repo_errno_code(errno), errno, _("cannot remove %s/%s"), r->location,
			      path);
	}
	close(pfd);
	free(copy);
	return ret;
}

static int local_list(struct cc_repo *r, const char *dir,
		      int (*cb)(void *u, const struct cc_repo_entry *e), void *u,
		      struct cc_error *err)
{
	struct dirent *de;
	const char *rel;
	DIR *d;
	int fd, ret = check_path(r, dir, 1, &rel, err);

	if (ret < 0)
		return ret;
	fd = openat(root_fd(r), rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (e == ENOENT)
			return cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"),
				       r->location, dir);
		return cc_fail(err, cc_repo_errno_code(e), e, _("cannot list %s/%s"), r->location, dir);
	}
	while (ret >= 0 && (errno = 0, de = readdir(d))) {
		struct cc_repo_entry e;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, 0) < 0 &&
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* removed meanwhile */
		cc_repo_entry_from_stat(&e, de->d_name, &st);
		ret = cb(u, &e);
	}
	if (ret >= 0 && errno)
		ret = cc_fail(err, CC_E_IO, errno, _("cannot list %s/%s"), r->location, dir);
	closedir(d);
	return ret < 0 ? ret : 0;
}

static int local_stat(struct cc_repo *r, const char *path, struct cc_repo_entry *e,
		      struct cc_error *err)
{
	const char *rel;
	struct stat st;
	int ret = check_path(r, path, 1, &rel, err);

	if (ret < 0)
		return ret;
	if (fstatat(root_fd(r), rel, &st, 0) < 0) {
		int en = errno;
		if (en == ENOENT || en == ENOTDIR)
			return cc_fail(err, CC_E_NOTFOUND, 0, _("%s/%s does not exist"),
				       r->location, path);
		return cc_fail(err, cc_repo_errno_code(en), en, _("cannot look at %s/%s"), r->location,
			       path);
	}
	cc_repo_entry_from_stat(e, path, &st);
	return 0;
}

static int local_free_space(struct cc_repo *r, uint64_t *bytes, struct cc_error *err)
{
	struct statvfs sv;

	if (fstatvfs(root_fd(r), &sv) < 0)
		return cc_fail(err, CC_E_IO, errno, _("cannot get the free space of %s"),
			       r->location);
	*bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

static void local_close(struct cc_repo *r)
{
	struct local *l = r->priv;

	if (l) {
		close(l->root);
		free(l);
	}
	r->priv = NULL;
}

static const struct cc_repo_ops local_ops = {
	.scheme = "file",
	.mkdir = local_mkdir,
	.open_write = local_open_write,
	.open_read = local_open_read,
	.rename = local_rename,
	.remove = local_remove,
	.list = local_list,
	.stat = local_stat,
	.free_space = local_free_space,
	.close = local_close,
};

int cc_repo_local_open(const char *path, const char *location, struct cc_repo **out,
		       struct cc_error *err)
{
	struct cc_repo *r;
	struct local *l;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return cc_fail(err, CC_E_NOTFOUND, 0,
				       _("image repository %s does not exist: create the directory "
					 "or give another one"),
				       location);
		if (e == ENOTDIR)
			return cc_fail(err, CC_E_NOTFOUND, 0,
				       _("image repository %s is not a directory: give the "
					 "directory that holds the images"),
				       location);
		return cc_fail(err, cc_repo_errno_code(e), e, _("cannot open image repository %s"),
			       location);
	}
	r = calloc(1, sizeof(*r));
	l = calloc(1, sizeof(*l));
	if (!r || !l || !(r->location = strdup(location))) {
		free(r);
		free(l);
		close(fd);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	l->root = fd;
	r->ops = &local_ops;
	r->priv = l;
	*out = r;
	return 0;
}
