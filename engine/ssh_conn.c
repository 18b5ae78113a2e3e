/*
 * ssh_conn.c - one SSH connection for a repository: connect, check the
 * server's host key against known_hosts, log in, open SFTP, and the
 * watchdog that turns a server that stopped answering into an error.
 *
 * Host keys follow OpenSSH's StrictHostKeyChecking=ask: a known key is
 * used, a changed one is always refused, an unknown one is accepted only
 * when the operator says yes (or --accept-new-host-key in batch mode) and
 * is then recorded.  Login tries the key file given, else the agent and
 * the default keys, then the password (asked for when none was given);
 * keyboard-interactive is answered with the same password for servers
 * that only offer that.
 */
#include "ssh_int.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"

#define DEFAULT_TIMEOUT_S 20
#define PASSWORD_TRIES 3
/* AES-GCM first: the cheapest for the server (see REPOS-MULTICAST-FACTS.md). */
#define CIPHERS                                                                            \
	"aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,"     \
	"aes128-ctr,aes256-ctr"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *watchdog(void *arg)
{
	struct cc_ssh *s = arg;

	pthread_mutex_lock(&s->wd_lock);
	while (!s->stop) {
		struct timespec ts;

		if (s->deadline_ms && now_ms() >= s->deadline_ms && !s->timed_out) {
			socket_t fd = ssh_get_fd(s->ssh);

			s->timed_out = 1;
			if (fd >= 0)
				shutdown(fd, SHUT_RDWR); /* the blocked call fails now */
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->wd_cond, &s->wd_lock, &ts);
	}
	pthread_mutex_unlock(&s->wd_lock);
	return NULL;
}

static void arm(struct cc_ssh *s, int on)
{
	pthread_mutex_lock(&s->wd_lock);
	s->deadline_ms = on ? now_ms() + (int64_t)s->timeout_s * 1000 : 0;
	pthread_mutex_unlock(&s->wd_lock);
}

static int lost_fail(struct cc_ssh *s, struct cc_error *err)
{
	if (s->timed_out)
		return cc_fail(err, CC_E_TIMEOUT, 0,
			       _("the SSH server %s stopped answering (nothing for %u seconds): "
				 "check the network cable and the server, then start again"),
			       s->host, s->timeout_s);
	return cc_fail(err, CC_E_CONN_LOST, 0,
		       _("the connection to the SSH server %s was lost (%s): check the network "
			 "and the server, then start again"),
		       s->host, ssh_get_error(s->ssh));
}

int cc_ssh_enter(struct cc_ssh *s, struct cc_error *err)
{
	pthread_mutex_lock(&s->lock);
	if (s->dead || s->timed_out) {
		s->dead = 1;
		pthread_mutex_unlock(&s->lock);
		return lost_fail(s, err);
	}
	arm(s, 1);
	return 0;
}

void cc_ssh_leave(struct cc_ssh *s)
{
	arm(s, 0);
	pthread_mutex_unlock(&s->lock);
}

void cc_ssh_touch(struct cc_ssh *s)
{
	arm(s, 1);
}

int cc_ssh_check_lost(struct cc_ssh *s, struct cc_error *err)
{
	if (s->timed_out || s->dead || !ssh_is_connected(s->ssh)) {
		s->dead = 1;
		return lost_fail(s, err);
	}
	return 0;
}

char *cc_ssh_path(const struct cc_ssh *s, const char *rel)
{
	char *p;

	if (!rel || !*rel || !strcmp(rel, "."))
		return strdup(s->root);
	if (asprintf(&p, "%s%s%s", s->root, s->root[strlen(s->root) - 1] == '/' ? "" : "/",
		     rel) < 0)
		return NULL;
	return p;
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return h;
	pw = getpwuid(getuid());
	return pw ? pw->pw_dir : "/";
}

/* --------------------------------------------------------------- host key */

static int check_host_key(struct cc_ssh *s, const struct cc_repo_auth *a, const char *kh,
			  struct cc_error *err)
{
	enum ssh_known_hosts_e state;
	unsigned char *hash = NULL;
	char *fp = NULL, type[64];
	ssh_key key = NULL;
	size_t hlen;
	int ret = 0;

	if (ssh_get_server_publickey(s->ssh, &key) < 0 ||
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) < 0 ||
	    !(fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen))) {
		ret = cc_fail(err, CC_E_CONNECT, 0, _("the SSH server %s sent no usable host key (%s)"),
			      s->host, ssh_get_error(s->ssh));
		goto out;
	}
	snprintf(type, sizeof(type), "%s", ssh_key_type_to_char(ssh_key_type(key)));
	state = ssh_session_is_known_server(s->ssh);
	switch (state) {
	case SSH_KNOWN_HOSTS_OK:
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		ret = cc_fail(err, CC_E_HOSTKEY_CHANGED, 0,
			      _("the host key of the SSH server %s has CHANGED: it now sends %s %s, "
				"which is not the key recorded in %s. Someone may be intercepting "
				"the connection, or the server was reinstalled. Nothing was sent. If "
				"you know the server changed, remove the old key (ssh-keygen -R "
				"HOST -f %s) and connect again"),
			      s->host, type, fp, kh, kh);
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND: {
		int yes = a->accept_new_host_key;

		if (!yes && !a->batch && a->confirm_host_key)
			yes = a->confirm_host_key(a->user, s->host, type, fp) == 1;
		if (!yes) {
			ret = cc_fail(err, CC_E_HOSTKEY_UNKNOWN, 0,
				      _("the SSH server %s is not known yet: its %s host key is %s. "
					"Check that fingerprint on the server (ssh-keygen -lf "
					"/etc/ssh/ssh_host_*_key.pub), then accept it when asked, or "
					"give --accept-new-host-key"),
				      s->host, type, fp);
			break;
		}
		if (ssh_session_update_known_hosts(s->ssh) < 0)
			ret = cc_fail(err, CC_E_IO, 0,
				      _("cannot record the host key of %s in %s (%s)"), s->host,
				      kh, ssh_get_error(s->ssh));
		break;
	}
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		ret = cc_fail(err, CC_E_IO, 0, _("cannot check the host key of %s against %s (%s)"),
			      s->host, kh, ssh_get_error(s->ssh));
		break;
	}
out:
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return ret;
}

/* ------------------------------------------------------------------ login */

/* Answer keyboard-interactive prompts that do not echo with the password. */
static int kbdint(ssh_session ssh, const char *pw)
{
	int rc = ssh_userauth_kbdint(ssh, NULL, NULL);

	for (int rounds = 0; rc == SSH_AUTH_INFO && rounds < 8; rounds++) {
		int n = ssh_userauth_kbdint_getnprompts(ssh);

		for (int i = 0; i < n; i++) {
			char echo = 0;

			ssh_userauth_kbdint_getprompt(ssh, (unsigned)i, &echo);
			if (echo || ssh_userauth_kbdint_setanswer(ssh, (unsigned)i, pw) < 0)
				return SSH_AUTH_DENIED;
		}
		rc = ssh_userauth_kbdint(ssh, NULL, NULL);
	}
	return rc;
}

static int try_password(struct cc_ssh *s, const struct cc_repo_auth *a, int methods,
			const char *user, struct cc_error *err)
{
	char buf[512], prompt[512];
	int tries = a->password ? 1 : PASSWORD_TRIES;

	if (!(methods & (SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE)))
		return SSH_AUTH_DENIED;
	for (int t = 0; t < tries; t++) {
		const char *pw = a->password;
		int rc;

		if (!pw) {
			if (!a->ask_password || a->batch)
				return SSH_AUTH_DENIED;
			snprintf(prompt, sizeof(prompt), _("Password for %s on %s: "), user, s->host);
			cc_ssh_leave(s); /* no watchdog while a person types */
			rc = a->ask_password(a->user, prompt, buf, sizeof(buf));
			if (cc_ssh_enter(s, err) < 0)
				return SSH_AUTH_ERROR;
			if (rc < 0) {
				explicit_bzero(buf, sizeof(buf));
				cc_fail(err, CC_E_CANCELED, 0, _("no password given for %s"),
					s->host);
				return SSH_AUTH_ERROR;
			}
			pw = buf;
		}
		rc = SSH_AUTH_DENIED;
		if (methods & SSH_AUTH_METHOD_PASSWORD)
			rc = ssh_userauth_password(s->ssh, NULL, pw);
		if (rc == SSH_AUTH_DENIED && (methods & SSH_AUTH_METHOD_INTERACTIVE))
			rc = kbdint(s->ssh, pw);
		explicit_bzero(buf, sizeof(buf));
		if (rc != SSH_AUTH_DENIED)
			return rc;
	}
	return SSH_AUTH_DENIED;
}

static int login(struct cc_ssh *s, const struct cc_repo_auth *a, const char *user,
		 struct cc_error *err)
{
	int rc, methods;

	rc = ssh_userauth_none(s->ssh, NULL);
	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	if (rc == SSH_AUTH_ERROR)
		goto error;
	methods = ssh_userauth_list(s->ssh, NULL);
	if (a->key_file) {
		ssh_key key = NULL;

		if (ssh_pki_import_privkey_file(a->key_file, a->password, NULL, NULL, &key) < 0)
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("cannot read the SSH private key %s (a key with a "
					 "passphrase needs the passphrase as the password)"),
				       a->key_file);
		rc = ssh_userauth_publickey(s->ssh, NULL, key);
		ssh_key_free(key);
		if (rc == SSH_AUTH_SUCCESS)
			return 0;
		if (rc == SSH_AUTH_ERROR)
			goto error;
		return cc_fail(err, CC_E_AUTH, 0,
			       _("the SSH server %s did not accept the key %s for user %s: add its "
				 ".pub file to ~%s/.ssh/authorized_keys on the server"),
			       s->host, a->key_file, user, user);
	}
	if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
		if (getenv("SSH_AUTH_SOCK") && ssh_userauth_agent(s->ssh, NULL) == SSH_AUTH_SUCCESS)
			return 0;
		rc = ssh_userauth_publickey_auto(s->ssh, NULL, NULL);
		if (rc == SSH_AUTH_SUCCESS)
			return 0;
		if (rc == SSH_AUTH_ERROR)
			goto error;
	}
	rc = try_password(s, a, methods, user, err);
	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	if (rc == SSH_AUTH_ERROR) {
		if (err && err->code)
			return -err->code;
		goto error;
	}
	if (!(methods & (SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE)))
		return cc_fail(err, CC_E_AUTH, 0,
			       _("the SSH server %s accepts no password for %s, only keys: give "
				 "the private key with -k KEYFILE"),
			       s->host, user);
	if (!a->password && (a->batch || !a->ask_password))
		return cc_fail(err, CC_E_AUTH, 0,
			       _("the SSH server %s needs a password for %s: give --password-file "
				 "FILE or set CLONECAST_PASSWORD (or a key with -k)"),
			       s->host, user);
	return cc_fail(err, CC_E_AUTH, 0,
		       _("SSH login as %s on %s failed: wrong password (or the account is "
			 "locked). Check the user name and the password"),
		       user, s->host);
error:
	if (cc_ssh_check_lost(s, err) < 0)
		return -err->code;
	return cc_fail(err, CC_E_AUTH, 0, _("SSH login as %s on %s failed: %s"), user, s->host,
		       ssh_get_error(s->ssh));
}

/* ------------------------------------------------------------- connecting */

static int set_options(struct cc_ssh *s, const struct cc_repo_url *u, const char *kh,
		       struct cc_error *err)
{
	long timeout = (long)s->timeout_s;
	int nodelay = 1, no = 0;
	unsigned port = u->port ? u->port : 22;

	/* ignore ~/.ssh/config: what the URL says is what happens */
	if (ssh_options_set(s->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_HOST, u->host) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_PORT, &port) < 0 ||
	    (u->user[0] && ssh_options_set(s->ssh, SSH_OPTIONS_USER, u->user) < 0) ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_KNOWNHOSTS, kh) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &timeout) < 0 ||
	    /* libssh leaves Nagle on: 128 KiB requests then stall ~40 ms each */
	    ssh_options_set(s->ssh, SSH_OPTIONS_NODELAY, &nodelay) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_CIPHERS_C_S, CIPHERS) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_CIPHERS_S_C, CIPHERS) < 0 ||
	    ssh_options_set(s->ssh, SSH_OPTIONS_COMPRESSION, "no") < 0)
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("SSH repository %s: %s"), s->location,
			       ssh_get_error(s->ssh));
	return 0;
}

static int connect_fail(struct cc_ssh *s, struct cc_error *err)
{
	const char *e = ssh_get_error(s->ssh);

	if (strstr(e, "resolve") || strstr(e, "Name or service"))
		return cc_fail(err, CC_E_CONNECT, 0,
			       _("cannot find the SSH server %s (%s): check the server name"),
			       s->host, e);
	if (strstr(e, "refused"))
		return cc_fail(err, CC_E_CONNECT, 0,
			       _("the SSH server %s refused the connection: is sshd running there, "
				 "and is the port right?"),
			       s->host);
	if (strstr(e, "imeout") || strstr(e, "imed out"))
		return cc_fail(err, CC_E_CONNECT, 0,
			       _("no answer from the SSH server %s within %u seconds: check the "
				 "address, the network cable and any firewall"),
			       s->host, s->timeout_s);
	return cc_fail(err, CC_E_CONNECT, 0,
		       _("cannot connect to the SSH server %s (%s): check the address and the "
			 "network"),
		       s->host, e);
}

/* The repository directory: absolute as given, or relative to the home. */
static int find_root(struct cc_ssh *s, const struct cc_repo_url *u, struct cc_error *err)
{
	sftp_attributes st;
	char *home = NULL;

	if (u->path[0] == '/') {
		s->root = strdup(u->path);
	} else {
		home = sftp_canonicalize_path(s->sftp, ".");
		if (!home) {
			if (cc_ssh_check_lost(s, err) < 0)
				return -err->code;
			return cc_fail(err, CC_E_IO, 0,
				       _("cannot find the home directory on %s (%s)"), s->host,
				       ssh_get_error(s->ssh));
		}
		if (!u->path[0])
			s->root = strdup(home);
		else if (asprintf(&s->root, "%s/%s", strcmp(home, "/") ? home : "", u->path) < 0)
			s->root = NULL;
		ssh_string_free_char(home);
	}
	if (!s->root)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	while (strlen(s->root) > 1 && s->root[strlen(s->root) - 1] == '/')
		s->root[strlen(s->root) - 1] = '\0';
	st = sftp_stat(s->sftp, s->root);
	if (!st) {
		int code = sftp_get_error(s->sftp);

		if (cc_ssh_check_lost(s, err) < 0)
			return -err->code;
		if (code == SSH_FX_PERMISSION_DENIED)
			return cc_fail(err, CC_E_PERM, 0,
				       _("permission denied on %s on the SSH server %s: the user may "
					 "not enter that directory"),
				       s->root, s->host);
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("the directory %s does not exist on the SSH server %s: create it "
				 "there or give another one"),
			       s->root, s->host);
	}
	if (st->type != SSH_FILEXFER_TYPE_DIRECTORY) {
		sftp_attributes_free(st);
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("%s on the SSH server %s is not a directory: give the directory "
				 "that holds the images"),
			       s->root, s->host);
	}
	sftp_attributes_free(st);
	return 0;
}

static int open_sftp(struct cc_ssh *s, struct cc_error *err)
{
	s->sftp = sftp_new(s->ssh);
	if (!s->sftp || sftp_init(s->sftp) < 0) {
		if (cc_ssh_check_lost(s, err) < 0)
			return -err->code;
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("the SSH server %s offers no SFTP (%s): enable the sftp "
				 "subsystem in its sshd_config"),
			       s->host, ssh_get_error(s->ssh));
	}
	s->has_fsync = sftp_extension_supported(s->sftp, "fsync@openssh.com", "1");
	return 0;
}

int cc_ssh_connect(const struct cc_repo_url *u, const char *location,
		   const struct cc_repo_auth *a, struct cc_ssh **out, struct cc_error *err)
{
	struct cc_ssh *s;
	char *kh = NULL;
	const char *user;
	int ret;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->wd_lock, NULL);
	pthread_cond_init(&s->wd_cond, NULL);
	s->timeout_s = a->timeout_s ? a->timeout_s : DEFAULT_TIMEOUT_S;
	if (u->port && u->port != 22)
		ret = asprintf(&s->host, strchr(u->host, ':') ? "[%s]:%u" : "%s:%u", u->host,
			       u->port);
	else
		ret = asprintf(&s->host, "%s", u->host);
	if (ret < 0)
		s->host = NULL;
	if (a->known_hosts)
		kh = strdup(a->known_hosts);
	else if (asprintf(&kh, "%s/.ssh/known_hosts", home_dir()) < 0)
		kh = NULL;
	if (!s->host || !kh || !(s->location = strdup(location)) || !(s->ssh = ssh_new())) {
		ret = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		goto fail;
	}
	if ((ret = set_options(s, u, kh, err)) < 0)
		goto fail;
	if (ssh_connect(s->ssh) != SSH_OK) {
		ret = connect_fail(s, err);
		goto fail;
	}
	/* From now on the watchdog ends a stalled call, with the right
	 * message; libssh's own timeout (which fails a call without saying
	 * why, and leaves the session in an unknown state) only as a backstop. */
	{
		long backstop = (long)s->timeout_s * 3 + 10;
		ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &backstop);
	}
	if (pthread_create(&s->wd, NULL, watchdog, s) == 0)
		s->wd_started = 1;
	if ((ret = check_host_key(s, a, kh, err)) < 0)
		goto fail;
	if ((ret = cc_ssh_enter(s, err)) < 0)
		goto fail;
	user = u->user;
	if (!*user) {
		struct passwd *pw = getpwuid(getuid());
		user = pw ? pw->pw_name : "root";
	}
	if ((ret = login(s, a, user, err)) >= 0 && (ret = open_sftp(s, err)) >= 0)
		ret = find_root(s, u, err);
	cc_ssh_leave(s);
	if (ret < 0)
		goto fail;
	free(kh);
	*out = s;
	return 0;
fail:
	free(kh);
	cc_ssh_free(s);
	return ret;
}

void cc_ssh_free(struct cc_ssh *s)
{
	if (!s)
		return;
	if (s->wd_started) {
		pthread_mutex_lock(&s->wd_lock);
		s->stop = 1;
		pthread_cond_signal(&s->wd_cond);
		pthread_mutex_unlock(&s->wd_lock);
		pthread_join(s->wd, NULL);
	}
	if (s->sftp)
		sftp_free(s->sftp);
	if (s->ssh) {
		if (!s->dead)
			ssh_disconnect(s->ssh);
		ssh_free(s->ssh);
	}
	pthread_cond_destroy(&s->wd_cond);
	pthread_mutex_destroy(&s->wd_lock);
	pthread_mutex_destroy(&s->lock);
	free(s->root);
	free(s->host);
	free(s->location);
	free(s);
}
