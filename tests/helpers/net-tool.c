/*
 * net-tool - network interfaces through the engine (netcfg.c).
 *   net-tool list
 *       one line per interface: "name mac carrier addr" (carrier 1, 0 or
 *       -1; addr "-" when there is none)
 *   net-tool dhcp IF TIMEOUT
 *       ask DHCP on IF for at most TIMEOUT seconds and apply the lease;
 *       prints it as addr=, gateway=, dns=, server=, next_server= lines
 *   net-tool static IF ADDR/PREFIX GATEWAY DNS
 *       static set-up (GATEWAY and DNS may be "")
 * On failure: "error: NAME: detail" on stderr and exit status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sysinfo.h"

static int fail(const struct cc_error *err, int code)
{
	fprintf(stderr, "error: %s: %s\n", cc_errname(code), err->detail);
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: net-tool list | dhcp IF TIMEOUT | static IF ADDR/PREFIX GW DNS\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct cc_error err;
	int rc;

	cc_error_clear(&err);
	if (argc == 2 && !strcmp(argv[1], "list")) {
		struct cc_netif *v;
		unsigned n, i;

		if ((rc = cc_net_list(&v, &n, &err)) < 0)
			return fail(&err, rc);
		for (i = 0; i < n; i++)
			printf("%s %s %d %s\n", v[i].name, v[i].mac[0] ? v[i].mac : "-", v[i].carrier,
			       v[i].addr[0] ? v[i].addr : "-");
		free(v);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "dhcp")) {
		struct cc_net_lease l;

		if ((rc = cc_net_dhcp(argv[2], (unsigned)strtoul(argv[3], NULL, 10), &l, &err)) < 0)
			return fail(&err, rc);
		printf("addr=%s\ngateway=%s\ndns=%s\nserver=%s\nnext_server=%s\n", l.addr, l.gateway,
		       l.dns, l.server, l.next_server);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "static")) {
		if ((rc = cc_net_static(argv[2], argv[3], argv[4], argv[5], &err)) < 0)
			return fail(&err, rc);
		return 0;
	}
	return usage();
}
