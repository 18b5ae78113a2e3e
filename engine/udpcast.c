/* udpcast.c - reading udp-sender's and udp-receiver's messages; see udpcast.h. */
#include "udpcast.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* "20 971 520" (thousands separated by single spaces) */
static uint64_t spaced_number(const char *p, const char **end)
{
	uint64_t v = 0;

	while (*p == ' ')
		p++;
	while (isdigit((unsigned char)*p) || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		if (*p != ' ')
			v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	*end = p;
	return v;
}

static int starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* An IPv4 address at p into out (digits and dots only). */
static void addr_at(const char *p, char *out, size_t len)
{
	size_t n = strspn(p, "0123456789.");

	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

void cc_udpc_parse(const char *line, struct cc_udpc_line *o)
{
	const char *p;
	unsigned a, b;

	memset(o, 0, sizeof(*o));
	o->num = -1;
	if (starts(line, "bytes=")) {
		o->ev = CC_UDPC_BYTES;
		o->bytes = spaced_number(line + 6, &p);
		if ((p = strstr(p, "re-xmits=")) && (p = strchr(p, '(')) &&
		    sscanf(p + 1, " %u.%u%%", &a, &b) == 2)
			o->rexmit_permille = a * 10 + b % 10;
	} else if (starts(line, "New connection from ")) {
		o->ev = CC_UDPC_JOINED;
		addr_at(line + 20, o->addr, sizeof(o->addr));
		if ((p = strstr(line, "(#")))
			sscanf(p + 2, "%d", &o->num);
	} else if (starts(line, "Ready. Press")) {
		o->ev = CC_UDPC_READY;
	} else if (starts(line, "Starting transfer")) {
		o->ev = CC_UDPC_STARTING;
	} else if (starts(line, "Dropping client #")) {
		o->ev = CC_UDPC_DROPPING;
		sscanf(line + 17, "%d", &o->num);
	} else if (starts(line, "Disconnecting #")) {
		o->ev = CC_UDPC_DISCONNECT;
		sscanf(line + 15, "%d", &o->num);
		if ((p = strchr(line, '(')))
			addr_at(p + 1, o->addr, sizeof(o->addr));
	} else if (starts(line, "Transfer complete")) {
		o->ev = CC_UDPC_COMPLETE;
	} else if (starts(line, "No participants")) {
		o->ev = CC_UDPC_NO_CLIENTS;
	} else if (starts(line, "Connected as #")) {
		o->ev = CC_UDPC_CONNECTED;
		sscanf(line + 14, "%d", &o->num);
		if ((p = strstr(line, " to ")))
			addr_at(p + 4, o->addr, sizeof(o->addr));
	} else if (starts(line, "Receiver timeout")) {
		o->ev = CC_UDPC_RECV_TIMEOUT;
	} else if (strstr(line, "dropped by sender")) {
		o->ev = CC_UDPC_DROPPED;
	} else if (starts(line, "No suitable network interface") || strstr(line, "SIOCGIFCONF")) {
		o->ev = CC_UDPC_NO_INTERFACE;
	} else {
		o->ev = CC_UDPC_OTHER;
	}
}
