/*
 * repo.h - where images live: a repository of image directories.
 *
 * One interface, several back ends: a local directory now (repo_local.c),
 * SSH/SFTP and Samba later.  Paths are relative to the repository root and
 * use '/'.  Every call reports through err with the repository and path
 * in the message.
 */
#ifndef CC_REPO_H
#define CC_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct cc_error;
struct cc_repo;

struct cc_repo_entry {
	const char *name; /* borrowed during the callback */
	int is_dir;
	uint64_t size;
	int64_t mtime; /* seconds since the epoch */
};

struct cc_repo_ops {
	const char *scheme; /* "file" */
	int (*mkdir)(struct cc_repo *r, const char *path, struct cc_error *err);
	/* Create a new file (fails with -CC_E_EXISTS if it exists). */
	int (*open_write)(struct cc_repo *r, const char *path, struct cc_ostream **out,
			  struct cc_error *err);
	int (*open_read)(struct cc_repo *r, const char *path, struct cc_istream **out,
			 struct cc_error *err);
	/* Rename; must not replace an existing `to` (-CC_E_EXISTS). */
	int (*rename)(struct cc_repo *r, const char *from, const char *to, struct cc_error *err);
	/* Remove a file, or a directory with everything in it. */
	int (*remove)(struct cc_repo *r, const char *path, struct cc_error *err);
	/* Call cb for each entry of dir (not . and ..); cb returning < 0 stops. */
	int (*list)(struct cc_repo *r, const char *dir,
		    int (*cb)(void *u, const struct cc_repo_entry *e), void *u,
		    struct cc_error *err);
	/* -CC_E_NOTFOUND if missing. */
	int (*stat)(struct cc_repo *r, const char *path, struct cc_repo_entry *e,
		    struct cc_error *err);
	int (*free_space)(struct cc_repo *r, uint64_t *bytes, struct cc_error *err);
	void (*close)(struct cc_repo *r);
};

struct cc_repo {
	const struct cc_repo_ops *ops;
	char *location; /* as the user gave it, for messages */
	void *priv;
};

/* Open a repository: a local directory (created if missing: no). */
int cc_repo_open(const char *location, struct cc_repo **out, struct cc_error *err);
void cc_repo_close(struct cc_repo *r);

/* Back end (repo_local.c): `path` is the directory, `location` as given. */
int cc_repo_local_open(const char *path, const char *location, struct cc_repo **out,
		       struct cc_error *err);

/* Small whole files (metadata). */
int cc_repo_put(struct cc_repo *r, const char *path, const void *data, size_t len,
		struct cc_error *err);
/* Read at most max bytes (a larger file is -CC_E_CORRUPT); *data is malloc'd
 * and NUL-terminated. */
int cc_repo_get(struct cc_repo *r, const char *path, size_t max, char **data, size_t *len,
		struct cc_error *err);

#endif
