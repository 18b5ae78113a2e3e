/*
 * netcfg.c - network interfaces and their set-up (sysinfo.h).
 *
 * Interfaces come from /sys/class/net (type 1 = ARPHRD_ETHER, so veth,
 * virtio, e1000, wlan; not lo, ifb or dummy, whose driver ETHTOOL_GDRVINFO
 * names), their IPv4 address from getifaddrs().
 *
 * DHCP runs busybox udhcpc (a `udhcpc` in PATH or `busybox udhcpc`), else
 * ISC dhclient, with a script of ours that only writes the lease's
 * variables to a file in a private temporary directory; this code then
 * applies them with ip(8) and writes resolv.conf, so the result is the
 * same whichever client ran, and nothing else on the system is touched.
 * Both clients are one-shot: no daemon stays behind to renew the lease
 * (dhclient backgrounds itself once it has a lease; it is stopped through
 * its pid file).  Checked with BusyBox 1.35.0 and isc-dhclient-4.4.3-P1
 * against dnsmasq 2.90 in network namespaces (tests/t7300-netcfg.sh):
 *  - udhcpc -f -q -n -t N -T 2 sends N DISCOVERs 2 s apart and exits
 *    non-zero ("no lease, failing") when nobody answers; its script gets $1 =
 *    deconfig, then bound, with $ip, $subnet (dotted), $mask (prefix),
 *    $router, $dns (space separated), $serverid, $siaddr, $tftp,
 *    $boot_file, $domain.
 *  - dhclient -1 gives up after the config file's "timeout" and exits
 *    non-zero ("No DHCPOFFERS received."); its script gets $reason
 *    (PREINIT, then BOUND) and $new_ip_address, $new_subnet_mask,
 *    $new_routers, $new_domain_name_servers, $new_dhcp_server_identifier,
 *    $new_next_server (the BOOTP siaddr), $new_filename, $new_domain_name.
 *    Once bound it forks into the background (closing its standard
 *    error first, writing its pid file after).
 * A client that fails within the first half of the time asked for failed
 * for another reason than silence: its own message is passed on.
 */
#include "sysinfo.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"
#include "run.h"
#include "sysfile.h"

#define CARRIER_WAIT_MS 5000
#define UDHCPC_PAUSE	2 /* -T: seconds between DISCOVERs */

static int sys_net(const char *ifname, const char *attr, char *buf, size_t len)
{
	char p[PATH_MAX];

	cc_fmt(p, sizeof(p), "/sys/class/net/%s/%s", ifname, attr);
	return cc_read_small(p, buf, len);
}

/* 1 link, 0 no link, -1 unknown (the interface is down: EINVAL). */
static int carrier(const char *ifname)
{
	char v[16];

	if (sys_net(ifname, "carrier", v, sizeof(v)) < 0)
		return -1;
	return v[0] == '1' ? 1 : v[0] == '0' ? 0 : -1;
}

/* The driver's name ("veth", "e1000", "ifb"), "" if it does not say. */
static void driver_of(int sock, const char *ifname, char *out, size_t len)
{
	struct ethtool_drvinfo info;
	struct ifreq ifr;

	out[0] = '\0';
	if (sock < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	memset(&info, 0, sizeof(info));
	info.cmd = ETHTOOL_GDRVINFO;
	cc_fmt(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (char *)&info;
	if (ioctl(sock, SIOCETHTOOL, &ifr) == 0)
		cc_fmt(out, len, "%.*s", (int)sizeof(info.driver), info.driver);
}

static unsigned mask_prefix(const struct in_addr *m)
{
	return (unsigned)__builtin_popcount(m->s_addr);
}

/* The first IPv4 address of ifname as "a.b.c.d/p", "" if none. */
static void ipv4_of(const struct ifaddrs *all, const char *ifname, char *out, size_t len)
{
	const struct ifaddrs *a;

	out[0] = '\0';
	for (a = all; a; a = a->ifa_next) {
		char ip[INET_ADDRSTRLEN];
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)a->ifa_addr;
		const struct sockaddr_in *nm =
			(const struct sockaddr_in *)(const void *)a->ifa_netmask;

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || strcmp(a->ifa_name, ifname))
			continue;
		if (!inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip)))
			continue;
		cc_fmt(out, len, "%s/%u", ip, nm ? mask_prefix(&nm->sin_addr) : 32);
		return;
	}
}

static int by_name(const void *a, const void *b)
{
	return strverscmp(((const struct cc_netif *)a)->name, ((const struct cc_netif *)b)->name);
}

int cc_net_list(struct cc_netif **out, unsigned *n, struct cc_error *err)
{
	struct ifaddrs *all = NULL;
	struct cc_netif *v = NULL;
	unsigned cnt = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int sock, rc = 0;

	*out = NULL;
	*n = 0;
	dir = opendir("/sys/class/net");
	if (!dir)
		return cc_fail(err, CC_E_IO, errno,
			       _("cannot list the network interfaces in /sys/class/net (is sysfs "
				 "mounted?)"));
	if (getifaddrs(&all) < 0)
		all = NULL; /* no addresses shown */
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	while ((de = readdir(dir))) {
		char type[16], drv[40];
		struct cc_netif *f;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "lo") ||
		    strlen(de->d_name) >= sizeof(f->name))
			continue;
		if (sys_net(de->d_name, "type", type, sizeof(type)) < 0 || strcmp(type, "1"))
			continue;
		driver_of(sock, de->d_name, drv, sizeof(drv));
		if (!strcmp(drv, "ifb") || !strcmp(drv, "dummy"))
			continue;
		if (cnt == cap) {
			struct cc_netif *nv = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*nv));

			if (!nv) {
				rc = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
				break;
			}
			v = nv;
		}
		f = &v[cnt++];
		memset(f, 0, sizeof(*f));
		cc_fmt(f->name, sizeof(f->name), "%s", de->d_name);
		sys_net(f->name, "address", f->mac, sizeof(f->mac));
		f->carrier = carrier(f->name);
		ipv4_of(all, f->name, f->addr, sizeof(f->addr));
	}
	if (sock >= 0)
		close(sock);
	if (all)
		freeifaddrs(all);
	closedir(dir);
	if (rc < 0) {
		free(v);
		return rc;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), by_name);
	*out = v;
	*n = cnt;
	return 0;
}

/* ---- common checks and actions ---- */

static int check_ifname(const char *ifname, struct cc_error *err)
{
	char p[PATH_MAX];
	struct stat st;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/') ||
	    !strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return cc_fail(err, CC_E_BAD_ARGS, 0, _("'%s' is not a network interface name"),
			       ifname ? ifname : "");
	cc_fmt(p, sizeof(p), "/sys/class/net/%s", ifname);
	if (stat(p, &st) < 0)
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("there is no network interface %s: choose one of the list"),
			       ifname);
	return 0;
}

static int run_ip(const char *const argv[], struct cc_error *err)
{
	return cc_run(argv, NULL, 0, NULL, NULL, err);
}

static int link_up(const char *ifname, struct cc_error *err)
{
	const char *argv[] = {"ip", "link", "set", "dev", ifname, "up", NULL};

	return run_ip(argv, err);
}

/* Replace the IPv4 addresses of ifname by addr ("a.b.c.d/p"). */
static int set_addr(const char *ifname, const char *addr, struct cc_error *err)
{
	const char *flush[] = {"ip", "-4", "addr", "flush", "dev", ifname, NULL};
	const char *add[] = {"ip", "addr", "add", addr, "broadcast", "+", "dev", ifname, NULL};
	int rc;

	if ((rc = run_ip(flush, err)) < 0 || (rc = run_ip(add, err)) < 0)
		return rc;
	return 0;
}

static int set_gateway(const char *ifname, const char *gw, struct cc_error *err)
{
	const char *argv[] = {"ip", "route", "replace", "default", "via", gw, "dev", ifname, NULL};

	return run_ip(argv, err);
}

/* Write "nameserver" lines for the space-separated servers in `dns`.  The
 * file is rewritten in place: /etc/resolv.conf may be a symbolic link. */
static int write_resolv(const char *dns, const char *domain, struct cc_error *err)
{
	const char *path = getenv("CLONECAST_RESOLV_CONF");
	char text[1024], word[64];
	size_t len = 0;
	const char *p = dns;
	int fd;

	if (!path || !*path)
		path = "/etc/resolv.conf";
	len += (size_t)snprintf(text, sizeof(text), "# written by clonecast\n");
	if (domain && *domain && strlen(domain) < 256 && !strpbrk(domain, "\n\r"))
		len += (size_t)snprintf(text + len, sizeof(text) - len, "search %s\n", domain);
	while (*p) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n && n < sizeof(word) && len + n + 16 < sizeof(text)) {
			memcpy(word, p, n);
			word[n] = '\0';
			len += (size_t)snprintf(text + len, sizeof(text) - len, "nameserver %s\n",
						word);
		}
		p += n;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return cc_fail(err, errno == EACCES ? CC_E_PERM : CC_E_IO, errno,
			       _("cannot write the name server list to %s"), path);
	if (write(fd, text, len) != (ssize_t)len) {
		int e = errno ? errno : EIO;

		close(fd);
		return cc_fail(err, CC_E_IO, e, _("cannot write the name server list to %s"), path);
	}
	if (close(fd) < 0)
		return cc_fail(err, CC_E_IO, errno, _("cannot write the name server list to %s"),
			       path);
	return 0;
}

static int is_ipv4(const char *s)
{
	struct in_addr a;

	return s && inet_pton(AF_INET, s, &a) == 1;
}

/* Each space-separated word of s is an IPv4 or IPv6 address. */
static int valid_dns_list(const char *s)
{
	char word[INET6_ADDRSTRLEN + 1];
	int any = 0;

	while (*s) {
		size_t n;
		unsigned char buf[sizeof(struct in6_addr)];

		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (!n)
			break;
		if (n >= sizeof(word))
			return 0;
		memcpy(word, s, n);
		word[n] = '\0';
		if (inet_pton(AF_INET, word, buf) != 1 && inet_pton(AF_INET6, word, buf) != 1)
			return 0;
		any = 1;
		s += n;
	}
	return any;
}

/* "a.b.c.d/p" -> address and prefix; -1 if not valid. */
static int parse_cidr(const char *s, struct in_addr *a, unsigned *prefix)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long p;

	if (!slash || (size_t)(slash - s) >= sizeof(ip) || !isdigit((unsigned char)slash[1]))
		return -1;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET, ip, a) != 1)
		return -1;
	errno = 0;
	p = strtoul(slash + 1, &end, 10);
	if (errno || *end || p < 1 || p > 32)
		return -1;
	*prefix = (unsigned)p;
	return 0;
}

static uint32_t prefix_mask(unsigned prefix)
{
	return prefix ? htonl(0xffffffffu << (32 - prefix)) : 0;
}

/* ---- static set-up ---- */

int cc_net_static(const char *ifname, const char *addr, const char *gateway, const char *dns,
		  struct cc_error *err)
{
	struct in_addr a, g;
	unsigned prefix;
	int rc;

	if ((rc = check_ifname(ifname, err)) < 0)
		return rc;
	if (!addr || parse_cidr(addr, &a, &prefix) < 0)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("'%s' is not an IPv4 address with a prefix length: write it like "
				 "192.168.1.20/24"),
			       addr ? addr : "");
	if (gateway && *gateway) {
		uint32_t m = prefix_mask(prefix);

		if (inet_pton(AF_INET, gateway, &g) != 1)
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("'%s' is not an IPv4 address: write the gateway like "
					 "192.168.1.1, or leave it empty"),
				       gateway);
		if ((g.s_addr & m) != (a.s_addr & m))
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("the gateway %s is not in the network of %s: check the "
					 "address, its prefix length and the gateway"),
				       gateway, addr);
		if (g.s_addr == a.s_addr)
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("the gateway %s is this machine's own address: give the "
					 "router's address"),
				       gateway);
	}
	if (dns && *dns && !valid_dns_list(dns))
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("'%s' is not a name server address: write it like 192.168.1.1, "
				 "or leave it empty"),
			       dns);
	if ((rc = set_addr(ifname, addr, err)) < 0 || (rc = link_up(ifname, err)) < 0)
		return rc;
	if (gateway && *gateway && (rc = set_gateway(ifname, gateway, err)) < 0)
		return rc;
	if (dns && *dns) {
		char list[256];
		size_t i;

		/* commas are accepted between servers */
		cc_fmt(list, sizeof(list), "%s", dns);
		for (i = 0; list[i]; i++)
			if (list[i] == ',')
				list[i] = ' ';
		if ((rc = write_resolv(list, NULL, err)) < 0)
			return rc;
	}
	return 0;
}

/* ---- DHCP ---- */

enum client { UDHCPC, BUSYBOX_UDHCPC, DHCLIENT };

static int busybox_has_udhcpc(void)
{
	const char *argv[] = {"busybox", "--list", NULL};
	char *out = NULL;
	size_t len;
	int has = 0;

	if (cc_run(argv, NULL, 0, &out, &len, NULL) == 0 && out)
		has = !strncmp(out, "udhcpc\n", 7) || strstr(out, "\nudhcpc\n") != NULL;
	free(out);
	return has;
}

static int pick_client(enum client *c, struct cc_error *err)
{
	if (cc_in_path("udhcpc"))
		*c = UDHCPC;
	else if (cc_in_path("busybox") && busybox_has_udhcpc())
		*c = BUSYBOX_UDHCPC;
	else if (cc_in_path("dhclient"))
		*c = DHCLIENT;
	else
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("no DHCP client is installed: install the Debian package "
				 "'busybox' (udhcpc) or 'isc-dhcp-client' (dhclient), or set the "
				 "address by hand"));
	return 0;
}

/* The scripts only write the lease's variables into the file `lease`. */
static const char udhcpc_script[] =
	"#!/bin/sh\n"
	"# clonecast: hand the lease to the caller; configure nothing\n"
	"case \"$1\" in\n"
	"bound|renew)\n"
	"\t{\n"
	"\techo \"ip=$ip\"; echo \"subnet=$subnet\"; echo \"mask=$mask\"\n"
	"\techo \"router=$router\"; echo \"dns=$dns\"; echo \"domain=$domain\"\n"
	"\techo \"serverid=$serverid\"; echo \"siaddr=$siaddr\"; echo \"tftp=$tftp\"\n"
	"\techo \"boot_file=$boot_file\"\n"
	"\t} > '%s/lease'\n"
	"\t;;\n"
	"esac\n"
	"exit 0\n";

static const char dhclient_script[] =
	"#!/bin/sh\n"
	"# clonecast: hand the lease to the caller; configure nothing\n"
	"case \"$reason\" in\n"
	"BOUND|RENEW|REBIND|REBOOT)\n"
	"\t{\n"
	"\techo \"ip=$new_ip_address\"; echo \"subnet=$new_subnet_mask\"\n"
	"\techo \"router=$new_routers\"; echo \"dns=$new_domain_name_servers\"\n"
	"\techo \"domain=$new_domain_name\"; echo \"serverid=$new_dhcp_server_identifier\"\n"
	"\techo \"siaddr=$new_next_server\"; echo \"tftp=$new_tftp_server_name\"\n"
	"\techo \"boot_file=$new_filename\"\n"
	"\t} > '%s/lease'\n"
	"\t;;\n"
	"esac\n"
	"exit 0\n";

struct tmpdir {
	char dir[PATH_MAX - 32];
	char script[PATH_MAX], lease[PATH_MAX], conf[PATH_MAX], pid[PATH_MAX], leases[PATH_MAX];
};

static int write_file(const char *path, const char *text, mode_t mode, struct cc_error *err)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0)
		return cc_fail(err, CC_E_IO, errno, _("cannot create the temporary file %s"), path);
	if (write(fd, text, len) != (ssize_t)len) {
		int e = errno ? errno : EIO;

		close(fd);
		return cc_fail(err, CC_E_IO, e, _("cannot write the temporary file %s"), path);
	}
	if (close(fd) < 0)
		return cc_fail(err, CC_E_IO, errno, _("cannot write the temporary file %s"), path);
	return 0;
}

static int tmp_make(struct tmpdir *t, enum client c, unsigned timeout_s, struct cc_error *err)
{
	const char *base = getenv("TMPDIR");
	char text[PATH_MAX + 1024];

	if (!base || !*base || base[0] != '/' || strlen(base) > 256 || strchr(base, '\''))
		base = "/tmp";
	cc_fmt(t->dir, sizeof(t->dir), "%s/clonecast-dhcp.XXXXXX", base);
	if (!mkdtemp(t->dir))
		return cc_fail(err, CC_E_IO, errno,
			       _("cannot create a temporary directory in %s for the DHCP client"),
			       base);
	cc_fmt(t->script, sizeof(t->script), "%s/script", t->dir);
	cc_fmt(t->lease, sizeof(t->lease), "%s/lease", t->dir);
	cc_fmt(t->conf, sizeof(t->conf), "%s/dhclient.conf", t->dir);
	cc_fmt(t->pid, sizeof(t->pid), "%s/dhclient.pid", t->dir);
	cc_fmt(t->leases, sizeof(t->leases), "%s/dhclient.leases", t->dir);
	cc_fmt(text, sizeof(text), c == DHCLIENT ? dhclient_script : udhcpc_script, t->dir);
	if (write_file(t->script, text, 0700, err) < 0)
		return -CC_E_IO;
	if (c == DHCLIENT) {
		cc_fmt(text, sizeof(text),
		    "timeout %u;\nretry 60;\ninitial-interval 1;\n"
		    "request subnet-mask, broadcast-address, routers, domain-name,\n"
		    "\tdomain-name-servers, host-name, tftp-server-name;\n",
		    timeout_s);
		if (write_file(t->conf, text, 0600, err) < 0)
			return -CC_E_IO;
	}
	return 0;
}

static void tmp_remove(struct tmpdir *t)
{
	const char *files[] = {t->script, t->lease, t->conf, t->pid, t->leases};
	size_t i;

	if (!t->dir[0])
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(t->dir);
}

/* dhclient went to the background with the lease: stop it.  The daemon
 * writes its pid file after it has closed its standard error (which is
 * when cc_run() returns), so give it a moment to appear. */
static void stop_dhclient(const struct tmpdir *t)
{
	int waited;

	for (waited = 0; waited < 2000; waited += 10) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		char v[32], p[64], comm[64];
		long pid;

		if (cc_read_small(t->pid, v, sizeof(v)) == 0 && (pid = strtol(v, NULL, 10)) > 1) {
			cc_fmt(p, sizeof(p), "/proc/%ld/comm", pid);
			if (cc_read_small(p, comm, sizeof(comm)) == 0 && !strcmp(comm, "dhclient"))
				kill((pid_t)pid, SIGTERM);
			return;
		}
		nanosleep(&ts, NULL);
	}
}

struct lease_vars {
	char ip[64], subnet[64], mask[16], router[256], dns[256], domain[256];
	char serverid[64], siaddr[64], tftp[256];
};

static void first_word(const char *s, char *out, size_t len)
{
	size_t n;

	s += strspn(s, " \t");
	n = strcspn(s, " \t");
	cc_fmt(out, len, "%.*s", (int)n, s);
}

static int read_lease(const char *path, struct lease_vars *lv)
{
	char line[1024];
	FILE *f = fopen(path, "re");

	memset(lv, 0, sizeof(*lv));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		static const struct {
			const char *key;
			size_t off, len;
		} keys[] = {
#define K(k) {#k, offsetof(struct lease_vars, k), sizeof(((struct lease_vars *)0)->k)}
			K(ip), K(subnet), K(mask), K(router), K(dns), K(domain), K(serverid),
			K(siaddr), K(tftp),
#undef K
		};
		char *eq = strchr(line, '=');
		size_t i;

		if (!eq)
			continue;
		*eq = '\0';
		eq[1 + strcspn(eq + 1, "\r\n")] = '\0';
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(line, keys[i].key))
				cc_fmt((char *)lv + keys[i].off, keys[i].len, "%s", eq + 1);
	}
	fclose(f);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Apply the lease the script wrote and describe it. */
static int apply_lease(const char *ifname, const struct lease_vars *lv, struct cc_net_lease *l,
		       struct cc_error *err)
{
	struct in_addr m;
	unsigned prefix = 0;
	char addr[64], gw[48], dns1[48], next[48];
	int rc;

	if (!is_ipv4(lv->ip))
		return cc_fail(err, CC_E_IO, 0,
			       _("the DHCP client on %s gave no usable address ('%s')"), ifname,
			       lv->ip);
	if (inet_pton(AF_INET, lv->subnet, &m) == 1)
		prefix = mask_prefix(&m);
	else if (lv->mask[0])
		prefix = (unsigned)strtoul(lv->mask, NULL, 10);
	if (prefix < 1 || prefix > 32)
		prefix = 24; /* no subnet mask in the lease: what nearly every LAN uses */
	cc_fmt(addr, sizeof(addr), "%s/%u", lv->ip, prefix);
	first_word(lv->router, gw, sizeof(gw));
	first_word(lv->dns, dns1, sizeof(dns1));
	if (gw[0] && !is_ipv4(gw))
		gw[0] = '\0';
	next[0] = '\0';
	if (is_ipv4(lv->siaddr) && strcmp(lv->siaddr, "0.0.0.0"))
		cc_fmt(next, sizeof(next), "%s", lv->siaddr);
	else if (lv->tftp[0])
		first_word(lv->tftp, next, sizeof(next));

	if ((rc = set_addr(ifname, addr, err)) < 0)
		return rc;
	if (gw[0] && (rc = set_gateway(ifname, gw, err)) < 0)
		return rc;
	if (lv->dns[0] && valid_dns_list(lv->dns) &&
	    (rc = write_resolv(lv->dns, lv->domain, err)) < 0)
		return rc;
	if (l) {
		memset(l, 0, sizeof(*l));
		cc_fmt(l->addr, sizeof(l->addr), "%s", addr);
		cc_fmt(l->gateway, sizeof(l->gateway), "%s", gw);
		cc_fmt(l->dns, sizeof(l->dns), "%s", dns1);
		cc_fmt(l->server, sizeof(l->server), "%s", lv->serverid);
		cc_fmt(l->next_server, sizeof(l->next_server), "%s", next);
	}
	return 0;
}

/* Wait up to 5 s for a link; 0 if there is one (or we cannot tell).  The
 * kernel attaches the interface's queue (and sets operstate "up") a moment
 * after the carrier, from its link-watch work: a packet sent before that
 * is dropped, which would cost the DHCP client a whole retry. */
static int wait_carrier(const char *ifname, struct cc_error *err)
{
	int waited, c = -1;

	for (waited = 0; waited <= CARRIER_WAIT_MS; waited += 50) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		char op[32];

		if ((c = carrier(ifname)) == 1 &&
		    (sys_net(ifname, "operstate", op, sizeof(op)) < 0 || !strcmp(op, "up") ||
		     !strcmp(op, "unknown")))
			return 0;
		nanosleep(&ts, NULL);
	}
	if (c == 0)
		return cc_fail(err, CC_E_CONNECT, 0,
			       _("no network cable on %s (no link): plug the cable in, check "
				 "the other end (switch, router), or choose another interface"),
			       ifname);
	return 0;
}

int cc_net_dhcp(const char *ifname, unsigned timeout_s, struct cc_net_lease *lease,
		struct cc_error *err)
{
	struct tmpdir t;
	struct lease_vars lv;
	struct cc_error e;
	enum client c = DHCLIENT;
	char tries[16], pause[16];
	double t0, elapsed;
	int rc;

	if (lease)
		memset(lease, 0, sizeof(*lease));
	memset(&t, 0, sizeof(t));
	if ((rc = check_ifname(ifname, err)) < 0)
		return rc;
	if (timeout_s < UDHCPC_PAUSE)
		timeout_s = UDHCPC_PAUSE;
	if ((rc = pick_client(&c, err)) < 0 || (rc = link_up(ifname, err)) < 0 ||
	    (rc = wait_carrier(ifname, err)) < 0)
		return rc;
	if ((rc = tmp_make(&t, c, timeout_s, err)) < 0) {
		tmp_remove(&t);
		return rc;
	}
	cc_fmt(tries, sizeof(tries), "%u", (timeout_s + UDHCPC_PAUSE - 1) / UDHCPC_PAUSE);
	cc_fmt(pause, sizeof(pause), "%u", UDHCPC_PAUSE);
	cc_error_clear(&e);
	t0 = now_s();
	if (c == DHCLIENT) {
		const char *argv[] = {"dhclient", "-4",	    "-1",     "-v",	"-cf", t.conf,
				      "-lf",	  t.leases, "-pf",    t.pid,	"-sf", t.script,
				      ifname,	  NULL};

		rc = cc_run(argv, NULL, 0, NULL, NULL, &e);
		if (rc == 0)
			stop_dhclient(&t);
	} else {
		const char *argv[] = {"busybox", "udhcpc", "-i", ifname, "-n",	"-q",	  "-f",
				      "-t",	 tries,	   "-T", pause,	 "-s", t.script, NULL};

		rc = cc_run(c == UDHCPC ? argv + 1 : argv, NULL, 0, NULL, NULL, &e);
	}
	elapsed = now_s() - t0;
	if (read_lease(t.lease, &lv) < 0) {
		tmp_remove(&t);
		/* the client gave up (it prints "no lease" / "No DHCPOFFERS") or
		 * failed at once for another reason, which its message says */
		if (rc == -CC_E_IO && elapsed < timeout_s / 2.0) {
			if (err)
				*err = e;
			return rc;
		}
		if (rc < 0 && rc != -CC_E_IO) {
			if (err)
				*err = e;
			return rc;
		}
		return cc_fail(err, CC_E_TIMEOUT, 0,
			       _("no answer from a DHCP server on %s within %u s: check the cable "
				 "and that a DHCP server is on this network, or set the address by "
				 "hand"),
			       ifname, timeout_s);
	}
	tmp_remove(&t);
	return apply_lease(ifname, &lv, lease, err);
}
