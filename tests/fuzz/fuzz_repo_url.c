/* fuzz_repo_url.c - libFuzzer target: cc_repo_url_parse() on any string.
 * Whatever it accepts must be NUL-terminated, within its fields, with a
 * known scheme and a port in range; whatever it refuses must say why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "repo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_repo_url u;
	struct cc_error err = {0};
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cc_repo_url_parse(s, &u, &err) == 0) {
		if (strcmp(u.scheme, "file") && strcmp(u.scheme, "ssh") && strcmp(u.scheme, "smb"))
			abort();
		if (u.port > 65535 || strnlen(u.host, sizeof(u.host)) == sizeof(u.host) ||
		    strnlen(u.path, sizeof(u.path)) == sizeof(u.path) ||
		    strnlen(u.user, sizeof(u.user)) == sizeof(u.user))
			abort();
		if (!strcmp(u.scheme, "smb") && (!u.share[0] || !u.user[0] || !u.host[0]))
			abort();
		if (!strcmp(u.scheme, "ssh") && (!u.host[0] || strchr(u.user, ':')))
			abort();
	} else if (!err.code || !err.detail[0]) {
		abort();
	}
	free(s);
	return 0;
}
