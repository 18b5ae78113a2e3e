/*
 * bootargs.c - parse the clonecast.* options of a kernel command line
 * (see bootargs.h for the list).
 *
 * The kernel's own rules for its command line: parameters are separated by
 * blanks, a double quote turns blanks into part of the value
 * (clonecast.run="restoredisk -b img sda"), and the quotes themselves are
 * not part of it.
 */
#include "bootargs.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"

int cc_split_words(const char *s, char *buf, size_t buflen, char **argv, int max,
		   struct cc_error *err)
{
	size_t o = 0;
	int n = 0;

	for (;;) {
		char quote = 0;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		if (n == max)
			return cc_fail(err, CC_E_BAD_ARGS, 0, _("more than %d words in '%s'"), max,
				       s);
		argv[n++] = buf + o;
		for (; *s && (quote || (*s != ' ' && *s != '\t' && *s != '\n')); s++) {
			if (!quote && (*s == '\'' || *s == '"')) {
				quote = *s;
				continue;
			}
			if (quote && *s == quote) {
				quote = 0;
				continue;
			}
			if (o + 1 >= buflen)
				return cc_fail(err, CC_E_BAD_ARGS, 0, _("the command is too long"));
			buf[o++] = *s;
		}
		if (quote)
			return cc_fail(err, CC_E_BAD_ARGS, 0, _("a quote (%c) is not closed"), quote);
		if (o + 1 >= buflen)
			return cc_fail(err, CC_E_BAD_ARGS, 0, _("the command is too long"));
		buf[o++] = '\0';
	}
	argv[n] = NULL;
	return n;
}

/* Copy value into a fixed field; -CC_E_BAD_ARGS if it does not fit. */
static int set(char *dst, size_t cap, const char *key, const char *val, struct cc_error *err)
{
	if (strlen(val) >= cap)
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("the value of %s is too long"), key);
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

static int is_ipv4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

/* The address, gateway and name servers are checked by cc_net_static(). */
static int parse_net(struct cc_bootargs *b, const char *val, struct cc_error *err)
{
	if (!strcmp(val, "dhcp")) {
		b->net = CC_BOOT_NET_DHCP;
		return 0;
	}
	if (!strcmp(val, "off") || !strcmp(val, "none")) {
		b->net = CC_BOOT_NET_OFF;
		return 0;
	}
	if (strchr(val, '/')) {
		b->net = CC_BOOT_NET_STATIC;
		return set(b->addr, sizeof(b->addr), "clonecast.net", val, err);
	}
	return cc_fail(err, CC_E_BAD_ARGS, 0,
		       _("clonecast.net=%s: use dhcp, off, or an address with its prefix length "
			 "(10.0.0.5/24)"),
		       val);
}

static int parse_after(struct cc_bootargs *b, const char *val, struct cc_error *err)
{
	static const struct {
		const char *name;
		enum cc_boot_after after;
	} t[] = {{"wait", CC_BOOT_AFTER_WAIT},		 {"reboot", CC_BOOT_AFTER_REBOOT},
		 {"poweroff", CC_BOOT_AFTER_POWEROFF}, {"shell", CC_BOOT_AFTER_SHELL},
		 {"wizard", CC_BOOT_AFTER_WIZARD}};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(val, t[i].name)) {
			b->after = t[i].after;
			return 0;
		}
	return cc_fail(err, CC_E_BAD_ARGS, 0,
		       _("clonecast.after=%s: use wait, reboot, poweroff, shell or wizard"), val);
}

static int parse_uint(unsigned *out, const char *key, const char *val, unsigned lo, unsigned hi,
		      struct cc_error *err)
{
	char *end;
	unsigned long v = strtoul(val, &end, 10);

	if (!*val || *end || v < lo || v > hi)
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("%s=%s: a number from %u to %u"), key, val,
			       lo, hi);
	*out = (unsigned)v;
	return 0;
}

/* pxelinux's ip=CLIENT:SERVER:GATEWAY:NETMASK: keep the server. */
static void parse_ip(struct cc_bootargs *b, const char *val)
{
	const char *c1 = strchr(val, ':'), *c2;
	char server[48];

	if (!c1 || !(c2 = strchr(c1 + 1, ':')) || (size_t)(c2 - c1 - 1) >= sizeof(server))
		return;
	memcpy(server, c1 + 1, (size_t)(c2 - c1 - 1));
	server[c2 - c1 - 1] = '\0';
	if (is_ipv4(server))
		snprintf(b->boot_server, sizeof(b->boot_server), "%s", server);
}

static void warn_unknown(struct cc_bootargs *b, const char *key)
{
	size_t n = strlen(b->warnings);

	snprintf(b->warnings + n, sizeof(b->warnings) - n, "%s%s", n ? "\n" : "", key);
}

static int parse_one(struct cc_bootargs *b, const char *key, const char *val,
		     struct cc_error *err)
{
	if (!strcmp(key, "ip"))
		parse_ip(b, val);
	if (strncmp(key, "clonecast.", 10))
		return 0;
	key += 10;
	if (!strcmp(key, "lang")) {
		if (strcmp(val, "en") && strcmp(val, "de") && strcmp(val, "fr") && strcmp(val, "es"))
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("clonecast.lang=%s: the languages are en, de, fr and es"),
				       val);
		return set(b->lang, sizeof(b->lang), "clonecast.lang", val, err);
	}
	if (!strcmp(key, "net"))
		return parse_net(b, val, err);
	if (!strcmp(key, "gateway"))
		return set(b->gateway, sizeof(b->gateway), "clonecast.gateway", val, err);
	if (!strcmp(key, "dns"))
		return set(b->dns, sizeof(b->dns), "clonecast.dns", val, err);
	if (!strcmp(key, "iface"))
		return set(b->iface, sizeof(b->iface), "clonecast.iface", val, err);
	if (!strcmp(key, "repo"))
		return set(b->repo, sizeof(b->repo), "clonecast.repo", val, err);
	if (!strcmp(key, "run")) {
		int n;

		if (set(b->run, sizeof(b->run), "clonecast.run", val, err) < 0)
			return -CC_E_BAD_ARGS;
		n = cc_split_words(val, b->run_buf, sizeof(b->run_buf), b->run_argv,
				   CC_BOOT_MAX_WORDS, err);
		if (n < 0) {
			char why[sizeof(err->detail)];
			snprintf(why, sizeof(why), "%s", err->detail);
			return cc_fail(err, CC_E_BAD_ARGS, 0, "clonecast.run: %s", why);
		}
		b->run_argc = n;
		return 0;
	}
	if (!strcmp(key, "password"))
		return set(b->password, sizeof(b->password), "clonecast.password", val, err);
	if (!strcmp(key, "key"))
		return set(b->key, sizeof(b->key), "clonecast.key", val, err);
	if (!strcmp(key, "known_hosts"))
		return set(b->known_hosts, sizeof(b->known_hosts), "clonecast.known_hosts", val, err);
	if (!strcmp(key, "after"))
		return parse_after(b, val, err);
	if (!strcmp(key, "term"))
		return set(b->term, sizeof(b->term), "clonecast.term", val, err);
	if (!strcmp(key, "rows"))
		return parse_uint(&b->rows, "clonecast.rows", val, 10, 500, err);
	if (!strcmp(key, "cols"))
		return parse_uint(&b->cols, "clonecast.cols", val, 30, 500, err);
	/* read by the first stage (live/init) */
	if (!strcmp(key, "root") || !strcmp(key, "break"))
		return 0;
	warn_unknown(b, key - 10);
	return 0;
}

int cc_bootargs_parse(const char *cmdline, struct cc_bootargs *b, struct cc_error *err)
{
	const char *s = cmdline;
	char word[4096];

	memset(b, 0, sizeof(*b));
	for (;;) {
		size_t o = 0;
		int quote = 0, ret;
		char *eq;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		for (; *s && (quote || !isspace((unsigned char)*s)); s++) {
			if (*s == '"') {
				quote = !quote;
				continue;
			}
			if (o + 1 < sizeof(word))
				word[o++] = *s;
		}
		word[o] = '\0';
		eq = strchr(word, '=');
		if (eq)
			*eq = '\0';
		if ((ret = parse_one(b, word, eq ? eq + 1 : "", err)) < 0)
			return ret;
	}
	return 0;
}
