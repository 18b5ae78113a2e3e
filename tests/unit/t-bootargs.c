/* t-bootargs.c - the live system's kernel command line (clonecast.*) and the
 * small files an unattended job fetches (cc_fetch with local addresses). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootargs.h"
#include "error.h"
#include "fetch.h"
#include "tap.h"

static void test_pxe_line(void)
{
	struct cc_bootargs b;
	struct cc_error err = {0};
	const char *line =
		"BOOT_IMAGE=clonecast/vmlinuz initrd=clonecast/initrd.img quiet "
		"ip=10.0.2.15:10.0.2.2:10.0.2.2:255.255.255.0 BOOTIF=01-52-54-00-12-34-56 "
		"clonecast.lang=de clonecast.net=dhcp clonecast.repo=ssh://img@10.0.2.2:2222/srv "
		"clonecast.run=\"restoredisk -b --label 'Room 12' lab-2026 sda\" "
		"clonecast.password=tftp:///clonecast/pw clonecast.after=poweroff "
		"clonecast.rows=40 clonecast.cols=120 clonecast.term=vt220 clonecast.colour=1\n";

	ok(cc_bootargs_parse(line, &b, &err) == 0, "a PXE menu line parses");
	is_str(b.lang, "de", "language");
	is_int(b.net, CC_BOOT_NET_DHCP, "network: dhcp");
	is_str(b.repo, "ssh://img@10.0.2.2:2222/srv", "repository");
	is_str(b.run, "restoredisk -b --label 'Room 12' lab-2026 sda", "run, as given");
	is_int(b.run_argc, 6, "run: six words ('Room 12' is one)");
	is_str(b.run_argv[0], "restoredisk", "  word 1");
	is_str(b.run_argv[3], "Room 12", "  the quoted word without its quotes");
	is_str(b.run_argv[5], "sda", "  the last word");
	ok(b.run_argv[6] == NULL, "  argv ends with NULL");
	is_str(b.password, "tftp:///clonecast/pw", "password address");
	is_int(b.after, CC_BOOT_AFTER_POWEROFF, "after: poweroff");
	is_uint(b.rows, 40, "rows");
	is_uint(b.cols, 120, "cols");
	is_str(b.term, "vt220", "term");
	is_str(b.boot_server, "10.0.2.2", "boot server from ip=");
	is_str(b.warnings, "clonecast.colour", "an unknown clonecast option is a warning, not an error");
}

static void test_defaults_and_static(void)
{
	struct cc_bootargs b;
	struct cc_error err = {0};

	ok(cc_bootargs_parse("quiet splash", &b, &err) == 0, "no clonecast options");
	is_int(b.net, CC_BOOT_NET_AUTO, "network: left to the wizard");
	is_int(b.after, CC_BOOT_AFTER_WAIT, "after: wait");
	is_int(b.run_argc, 0, "nothing to run");
	is_str(b.boot_server, "", "no boot server");

	ok(cc_bootargs_parse("clonecast.net=192.168.7.20/24 clonecast.gateway=192.168.7.1 "
			     "clonecast.dns=192.168.7.1,9.9.9.9 clonecast.iface=52:54:00:12:34:56 "
			     "clonecast.net=off",
			     &b, &err) == 0,
	   "a static address, then off (the last one counts)");
	is_int(b.net, CC_BOOT_NET_OFF, "network: off");
	ok(cc_bootargs_parse("clonecast.net=192.168.7.20/24 clonecast.gateway=192.168.7.1 "
			     "clonecast.dns=192.168.7.1,9.9.9.9 clonecast.iface=eth1",
			     &b, &err) == 0,
	   "a static address");
	is_int(b.net, CC_BOOT_NET_STATIC, "network: static");
	is_str(b.addr, "192.168.7.20/24", "  address/prefix");
	is_str(b.gateway, "192.168.7.1", "  gateway");
	is_str(b.dns, "192.168.7.1,9.9.9.9", "  name servers");
	is_str(b.iface, "eth1", "  interface");
	ok(cc_bootargs_parse("clonecast.root=tftp:///x/root.sfs clonecast.break", &b, &err) == 0 &&
		   !b.warnings[0],
	   "the first stage's options are not warned about");
}

static void bad(const char *line, const char *words)
{
	struct cc_bootargs b;
	struct cc_error err = {0};
	int ret = cc_bootargs_parse(line, &b, &err);

	ok(ret == -CC_E_BAD_ARGS && strstr(err.detail, words), "refused: %s", line);
	if (!strstr(err.detail, words))
		diag("  got '%s', want it to contain '%s'", err.detail, words);
}

static void test_bad(void)
{
	char many[1024] = "clonecast.run=\"";
	int i;

	bad("clonecast.lang=xx", "clonecast.lang=xx");
	bad("clonecast.net=10.0.0.5", "prefix length");
	bad("clonecast.after=halt", "clonecast.after=halt");
	bad("clonecast.rows=3", "clonecast.rows=3");
	bad("clonecast.cols=wide", "clonecast.cols=wide");
	bad("clonecast.run=\"restoredisk 'lab sda\"", "quote");
	for (i = 0; i < CC_BOOT_MAX_WORDS + 1; i++)
		strcat(many, "w ");
	strcat(many, "\"");
	bad(many, "more than");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void test_fetch_local(void)
{
	char dir[] = "/tmp/t-bootargs.XXXXXX", src[256], med[256], dst[256], buf[512] = {0};
	struct cc_fetch_ctx ctx = {0};
	struct cc_error err = {0};
	struct stat st;
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(src, sizeof(src), "%s/pw", dir);
	snprintf(med, sizeof(med), "%s/medium", dir);
	snprintf(dst, sizeof(dst), "%s/out", dir);
	write_file(src, "secret\n");
	mkdir(med, 0755);
	snprintf(buf, sizeof(buf), "%s/known", med);
	write_file(buf, "[10.0.2.2]:2222 ssh-ed25519 AAAA\n");

	ok(cc_fetch(src, dst, &ctx, &err) == 0, "fetch a path");
	fd = open(dst, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	ok(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 7 && !strcmp(buf, "secret\n"),
	   "  the same bytes");
	if (fd >= 0)
		close(fd);
	ok(stat(dst, &st) == 0 && (st.st_mode & 0777) == 0600, "  mode 0600");

	ctx.medium_dir = med;
	ok(cc_fetch("medium:/known", dst, &ctx, &err) == 0, "fetch medium:/known");
	ok(stat(dst, &st) == 0 && st.st_size == 33, "  the medium's file");

	ok(cc_fetch("medium:/missing", dst, &ctx, &err) < 0 && strstr(err.detail, "medium:/missing"),
	   "a missing file is an error naming it");
	ok(stat(dst, &st) < 0, "  and leaves no file behind");
	ctx.medium_dir = NULL;
	ok(cc_fetch("medium:/known", dst, &ctx, &err) < 0, "medium:/ without a medium is an error");
	ok(cc_fetch("gopher://x/y", dst, &ctx, &err) < 0 && strstr(err.detail, "gopher://x/y"),
	   "an unknown kind of address is an error naming it");
	ok(cc_fetch("tftp:///clonecast/pw", dst, &ctx, &err) < 0,
	   "tftp:/// without a known boot server is an error");

	snprintf(buf, sizeof(buf), "%s/big", dir);
	fd = open(buf, O_WRONLY | O_CREAT, 0644);
	ok(fd >= 0 && ftruncate(fd, (2 << 20)) == 0, "a 2 MiB file");
	if (fd >= 0)
		close(fd);
	ok(cc_fetch(buf, dst, &ctx, &err) < 0, "  is too big for a password or key file");
	ok(stat(dst, &st) < 0, "  and leaves no file behind");

	snprintf(buf, sizeof(buf), "rm -rf '%s'", dir);
	if (system(buf) != 0)
		diag("could not remove %s", dir);
}

int main(void)
{
	test_pxe_line();
	test_defaults_and_static();
	test_bad();
	test_fetch_local();
	return done_testing();
}
