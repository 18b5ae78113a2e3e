/*
 * repo.h - where images live: a repository of image directories.
 *
 * One interface, several back ends: a local directory (repo_local.c), an
 * SSH server through SFTP (repo_sftp.c) and a Samba/Windows share
 * (repo_smb.c).  Paths are relative to the repository root and use '/'.
 * Every call reports through err with the repository and path in the
 * message.  A repository object is used by one thread at a time; the
 * network back ends lock internally anyway, so a read-ahead thread and the
 * job's thread may share one.
 *
 * Locations: /dir, file:///dir, ssh://[USER@]HOST[:PORT]/DIR,
 * smb://[DOMAIN;]USER@HOST[:PORT]/SHARE/DIR (percent-escapes such as %20
 * are decoded; a password inside the URL is refused, see cc_repo_auth).
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
	const char *scheme; /* "file", "ssh", "smb" */
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

/*
 * How to log in to a network repository.  Everything may be left 0/NULL.
 * The password is never copied into messages, logs or image files.
 */
struct cc_repo_auth {
	const char *password;	 /* NULL: ask through ask_password when needed */
	const char *key_file;	 /* SSH private key; NULL: the agent, then ~/.ssh/id_* */
	const char *known_hosts; /* NULL: ~/.ssh/known_hosts */
	int accept_new_host_key; /* record an unknown host key without asking */
	int batch;		 /* never ask: an unknown host key is refused */
	const char *smb_protocol; /* NULL or "auto", "SMB2" ("2"), "SMB3" ("3") */
	unsigned timeout_s;	 /* no answer for this long is an error; 0: 20 s */
	void *user;
	/* Ask for a password; prompt is translated.  Return 0 with buf
	 * NUL-terminated, < 0 to give up (-CC_E_CANCELED). */
	int (*ask_password)(void *user, const char *prompt, char *buf, size_t len);
	/* An unknown SSH host key: show it and return 1 to accept it (it is
	 * then added to known_hosts), 0 to refuse.  fingerprint is
	 * "SHA256:...", as ssh-keygen -l prints it. */
	int (*confirm_host_key)(void *user, const char *host, const char *key_type,
				const char *fingerprint);
};

/* Open a repository: a local directory (it must exist) or a URL. */
int cc_repo_open(const char *location, struct cc_repo **out, struct cc_error *err);
int cc_repo_open_auth(const char *location, const struct cc_repo_auth *auth,
		      struct cc_repo **out, struct cc_error *err);
void cc_repo_close(struct cc_repo *r);

/* A parsed repository URL (repo_url.c).  Strings are decoded, NUL-terminated. */
struct cc_repo_url {
	char scheme[8];	  /* "file", "ssh", "smb" */
	char user[128];	  /* "" if none */
	char domain[128]; /* smb only: "" if none */
	char host[256];	  /* without brackets for IPv6 */
	unsigned port;	  /* 0: the scheme's default */
	char share[256];  /* smb only */
	char path[1024];  /* ssh: the directory as given ("/srv/img", "img" = in the home);
			   * smb: the directory inside the share, "" for its root;
			   * file: the local directory */
};
int cc_repo_url_parse(const char *location, struct cc_repo_url *u, struct cc_error *err);

/* Back ends; `location` is what the user gave, for messages. */
int cc_repo_sftp_open(const struct cc_repo_url *u, const char *location,
		      const struct cc_repo_auth *auth, struct cc_repo **out,
		      struct cc_error *err);
int cc_repo_smb_open(const struct cc_repo_url *u, const char *location,
		     const struct cc_repo_auth *auth, struct cc_repo **out, struct cc_error *err);

/* Back end (repo_local.c): `path` is the directory, `location` as given. */
int cc_repo_local_open(const char *path, const char *location, struct cc_repo **out,
		       struct cc_error *err);

/* For back ends: a path relative to the root without ".." components
 * ("" and "." name the root itself, allowed only where root_ok). */
int cc_repo_check_path(const struct cc_repo *r, const char *path, int root_ok,
		       struct cc_error *err);

/* For back ends: an entry from a struct stat (name is borrowed). */
struct stat;
void cc_repo_entry_from_stat(struct cc_repo_entry *e, const char *name, const struct stat *st);

/* For back ends: the CC_E_* code for a file operation's errno. */
int cc_repo_errno_code(int e);

/* The entries of a directory, read once and sorted by name (names owned). */
struct cc_dirent {
	char *name;
	uint64_t size;
	int64_t mtime;
	int is_dir;
};
struct cc_dirlist {
	struct cc_dirent *v;
	size_t n, cap;
};
int cc_dirlist_read(struct cc_repo *r, const char *dir, struct cc_dirlist *l,
		    struct cc_error *err);
/* The entry of that name, or NULL. */
const struct cc_dirent *cc_dirlist_find(const struct cc_dirlist *l, const char *name);
void cc_dirlist_free(struct cc_dirlist *l);

/* Small whole files (metadata). */
int cc_repo_put(struct cc_repo *r, const char *path, const void *data, size_t len,
		struct cc_error *err);
/* Read at most max bytes (a larger file is -CC_E_CORRUPT); *data is malloc'd
 * and NUL-terminated. */
int cc_repo_get(struct cc_repo *r, const char *path, size_t max, char **data, size_t *len,
		struct cc_error *err);

#endif
