/*
 * repo-tool - drive one repository back end directly, for tests and the
 * repository benchmark:
 *   repo-tool REPO put LOCAL PATH     copy a local file into the repository
 *   repo-tool REPO get PATH LOCAL     and back ("-" is stdout)
 *   repo-tool REPO ls [DIR]           name, d|f, size
 *   repo-tool REPO mkdir PATH | rm PATH | mv FROM TO | stat PATH | df
 * Login: CLONECAST_PASSWORD, CC_KNOWN_HOSTS, CC_KEY, CC_ACCEPT_NEW=1,
 * CC_SMB_PROTOCOL, CC_TIMEOUT.  Exit 0 on success, else prints
 * "ERRNAME: detail" and exits 1.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "repo.h"
#include "stream.h"

#define BUF (1 << 20)

static int die(const struct cc_error *err, int ret)
{
	fprintf(stderr, "%s: %s\n", cc_errname(ret), err->detail);
	return 1;
}

static int put(struct cc_repo *r, const char *local, const char *path, struct cc_error *err)
{
	struct cc_ostream *os;
	char *buf = malloc(BUF);
	int fd = strcmp(local, "-") ? open(local, O_RDONLY) : 0, ret;
	ssize_t n;

	if (fd < 0 || !buf) {
		perror(local);
		exit(1);
	}
	if ((ret = r->ops->open_write(r, path, &os, err)) < 0)
		return ret;
	while ((n = read(fd, buf, BUF)) > 0)
		if ((ret = cc_ostream_write(os, buf, (size_t)n)) < 0)
			break;
	if (!ret)
		ret = cc_ostream_finish(os);
	cc_ostream_free(os);
	free(buf);
	return ret;
}

static int get(struct cc_repo *r, const char *path, const char *local, struct cc_error *err)
{
	struct cc_istream *is;
	char *buf = malloc(BUF);
	int fd = strcmp(local, "-") ? open(local, O_WRONLY | O_CREAT | O_TRUNC, 0644) : 1, ret;
	ssize_t n;

	if (fd < 0 || !buf) {
		perror(local);
		exit(1);
	}
	if ((ret = r->ops->open_read(r, path, &is, err)) < 0)
		return ret;
	while ((n = cc_istream_read(is, buf, BUF)) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			perror(local);
			exit(1);
		}
	cc_istream_free(is);
	free(buf);
	if (fd != 1)
		close(fd);
	return n < 0 ? (int)n : 0;
}

static int show(void *u, const struct cc_repo_entry *e)
{
	(void)u;
	printf("%s %c %" PRIu64 "\n", e->name, e->is_dir ? 'd' : 'f', e->size);
	return 0;
}

int main(int argc, char **argv)
{
	struct cc_repo_auth a = {0};
	struct cc_repo_entry e;
	struct cc_repo *r;
	struct cc_error err = {0};
	const char *cmd;
	uint64_t free_b;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "usage: repo-tool REPO put|get|ls|mkdir|rm|mv|stat|df ...\n");
		return 2;
	}
	a.password = getenv("CLONECAST_PASSWORD");
	a.known_hosts = getenv("CC_KNOWN_HOSTS");
	a.key_file = getenv("CC_KEY");
	a.accept_new_host_key = getenv("CC_ACCEPT_NEW") != NULL;
	a.smb_protocol = getenv("CC_SMB_PROTOCOL");
	a.timeout_s = getenv("CC_TIMEOUT") ? (unsigned)atoi(getenv("CC_TIMEOUT")) : 0;
	a.batch = 1;
	if ((ret = cc_repo_open_auth(argv[1], &a, &r, &err)) < 0)
		return die(&err, ret);
	cmd = argv[2];
	if (!strcmp(cmd, "put") && argc == 5)
		ret = put(r, argv[3], argv[4], &err);
	else if (!strcmp(cmd, "get") && argc == 5)
		ret = get(r, argv[3], argv[4], &err);
	else if (!strcmp(cmd, "ls"))
		ret = r->ops->list(r, argc > 3 ? argv[3] : "", show, NULL, &err);
	else if (!strcmp(cmd, "mkdir") && argc == 4)
		ret = r->ops->mkdir(r, argv[3], &err);
	else if (!strcmp(cmd, "rm") && argc == 4)
		ret = r->ops->remove(r, argv[3], &err);
	else if (!strcmp(cmd, "mv") && argc == 5)
		ret = r->ops->rename(r, argv[3], argv[4], &err);
	else if (!strcmp(cmd, "stat") && argc == 4) {
		if ((ret = r->ops->stat(r, argv[3], &e, &err)) == 0)
			printf("%c %" PRIu64 "\n", e.is_dir ? 'd' : 'f', e.size);
	} else if (!strcmp(cmd, "df")) {
		if ((ret = r->ops->free_space(r, &free_b, &err)) == 0)
			printf("%" PRIu64 "\n", free_b);
	} else {
		fprintf(stderr, "repo-tool: bad command\n");
		cc_repo_close(r);
		return 2;
	}
	cc_repo_close(r);
	return ret < 0 ? die(&err, ret) : 0;
}
