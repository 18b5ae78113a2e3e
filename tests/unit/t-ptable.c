/*
 * t-ptable.c - cc_run(), partition names, sfdisk dumps (made here with the
 * real sfdisk on files in /dev/shm), saving through a fake image writer,
 * restoring from a directory repository, malformed dumps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "imgdir.h"
#include "ptable.h"
#include "repo.h"
#include "run.h"
#include "tap.h"

static char dir[64];

/* Run a bash command line (the tests use process substitution). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	pid_t pid;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/bin/bash", "bash", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *path_of(const char *name)
{
	static char p[8][128];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static unsigned char *slurp(const char *path, size_t off, size_t len)
{
	unsigned char *b = malloc(len);
	int fd = open(path, O_RDONLY);

	if (!b || fd < 0 || pread(fd, b, len, (off_t)off) != (ssize_t)len) {
		free(b);
		b = NULL;
	}
	if (fd >= 0)
		close(fd);
	return b;
}

/* ---- cc_run ---- */

static void test_run(void)
{
	struct cc_error err;
	size_t n = 8u << 20, len = 0, i;
	char *in = malloc(n), *out = NULL;
	int rc, fd;

	for (i = 0; i < n; i++)
		in[i] = (char)(i * 7 + i / 4096);
	{
		const char *argv[] = {"cat", NULL};
		rc = cc_run(argv, in, n, &out, &len, &err);
		ok(rc == 0 && len == n && out && !memcmp(out, in, n),
		   "8 MiB through cat: in and out at once, no deadlock");
		ok(out && out[len] == '\0', "output is NUL-terminated");
		free(out);
	}
	{
		const char *argv[] = {"true", NULL};
		is_int(cc_run(argv, in, n, NULL, NULL, &err), 0,
		       "a child that reads no input: no SIGPIPE, status 0");
	}
	{
		const char *argv[] = {"sh", "-c", "head -c 3000000 /dev/zero; echo e >&2", NULL};
		is_int(cc_run(argv, NULL, 0, NULL, NULL, &err), 0, "output not wanted: discarded");
	}
	{
		const char *argv[] = {"sh", "-c", "head -c 3000000 /dev/zero >&2; exit 4", NULL};
		rc = cc_run(argv, NULL, 0, NULL, NULL, &err);
		is_int(rc, -CC_E_IO, "a lot on standard error, then a failure");
	}
	{
		const char *argv[] = {"sh", "-c", "echo 'first line' >&2; echo >&2; "
						  "for i in 2 3 4; do echo L$i >&2; done; exit 3",
				      NULL};
		rc = cc_run(argv, NULL, 0, &out, &len, &err);
		is_int(rc, -CC_E_IO, "exit status 3 is an I/O error");
		ok(strstr(err.detail, "exit status 3") &&
			   strstr(err.detail, "first line / L2 / L3") &&
			   !strstr(err.detail, "L4") && strstr(err.detail, "sh -c"),
		   "message: the command, the status, the first 3 lines: %s", err.detail);
		ok(out == NULL, "no output on failure");
	}
	{
		const char *argv[] = {"sh", "-c", "kill -9 $$", NULL};
		rc = cc_run(argv, NULL, 0, NULL, NULL, &err);
		ok(rc == -CC_E_IO && strstr(err.detail, "signal 9"), "killed: %s", err.detail);
	}
	{
		const char *argv[] = {"clonecast-no-such-program", "x", NULL};
		rc = cc_run(argv, NULL, 0, NULL, NULL, &err);
		ok(rc == -CC_E_NOTFOUND && strstr(err.detail, "clonecast-no-such-program") &&
			   strstr(err.detail, "not installed"),
		   "missing program: %s", err.detail);
	}
	{
		const char *argv[] = {"sgdisk", "-p", "/dev/null", NULL};
		char *old = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin");

		setenv("PATH", "/nonexistent", 1);
		rc = cc_run(argv, NULL, 0, NULL, NULL, &err);
		setenv("PATH", old, 1);
		free(old);
		ok(rc == -CC_E_NOTFOUND && strstr(err.detail, "sgdisk is not installed") &&
			   strstr(err.detail, "gdisk"),
		   "sgdisk missing names its package: %s", err.detail);
	}
	{
		const char *argv[] = {"sh", "-c", "printf '%s' \"$LC_ALL\"", NULL};
		rc = cc_run(argv, NULL, 0, &out, &len, &err);
		ok(rc == 0 && out && !strcmp(out, "C"), "the child runs with LC_ALL=C");
		free(out);
	}
	fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC: must not leak anyway */
	if (fd >= 0 && dup2(fd, 57) == 57) {
		const char *argv[] = {"sh", "-c", "test -e /proc/self/fd/57 && echo LEAK; true",
				      NULL};
		rc = cc_run(argv, NULL, 0, &out, &len, &err);
		ok(rc == 0 && out && !strstr(out, "LEAK"),
		   "other descriptors are closed in the child");
		free(out);
		close(57);
	}
	if (fd >= 0)
		close(fd);
	{
		const char *argv[] = {"sh", "-c", "cat; echo done", NULL};
		rc = cc_run(argv, "", 0, &out, &len, &err);
		ok(rc == 0 && out && !strcmp(out, "done\n"), "empty input: stdin at EOF at once");
		free(out);
		rc = cc_run(argv, NULL, 0, &out, &len, &err);
		ok(rc == 0 && out && !strcmp(out, "done\n"), "no input: /dev/null");
		free(out);
	}
	free(in);
}

/* ---- names ---- */

static void test_names(void)
{
	char b[64], small[4];

	cc_part_name("sda", 1, b, sizeof(b));
	is_str(b, "sda1", "sda + 1");
	cc_part_name("sda", 12, b, sizeof(b));
	is_str(b, "sda12", "sda + 12");
	cc_part_name("nvme0n1", 2, b, sizeof(b));
	is_str(b, "nvme0n1p2", "nvme0n1 + 2 takes a p");
	cc_part_name("mmcblk0", 1, b, sizeof(b));
	is_str(b, "mmcblk0p1", "mmcblk0 + 1");
	cc_part_name("loop3", 5, b, sizeof(b));
	is_str(b, "loop3p5", "loop3 + 5");
	cc_part_name("cciss/c0d0", 1, b, sizeof(b));
	is_str(b, "cciss/c0d0p1", "cciss/c0d0 + 1");
	cc_part_name("nvme0n1", 123, small, sizeof(small));
	is_str(small, "nvm", "a short buffer is cut, not overrun");
}

/* ---- dumps of real tables ---- */

static const char mbr_script[] = "label: dos\n"
				 "label-id: 0x12345678\n"
				 "size=10M, type=7, bootable\n"
				 "size=10M, type=83\n"
				 "size=10M, type=c\n"
				 "type=5\n"
				 "size=20M, type=83\n"
				 "type=82\n";

#define G1 "11111111-2222-3333-4444-555555555501"
#define G2 "11111111-2222-3333-4444-555555555502"
#define G3 "11111111-2222-3333-4444-555555555503"
#define G4 "11111111-2222-3333-4444-555555555504"
#define GD "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"
#define ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define LNX "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
#define MSD "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
#define SWP "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"

static const char gpt_script[] =
	"label: gpt\n"
	"label-id: " GD "\n"
	"size=8M, type=" ESP ", uuid=" G1 ", name=\"EFI system partition\"\n"
	"size=16M, type=" MSD ", uuid=" G2 ", name=\"Basic data, with a comma\"\n"
	"size=16M, type=" LNX ", uuid=" G3 ", name=\"r\xc3\xa9seau\"\n"
	"type=" SWP ", uuid=" G4 "\n";

static int make_disk(const char *name, unsigned mib, const char *script)
{
	char tmp[160];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.sfscript", path_of(name));
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputs(script, f);
	fclose(f);
	return sh("rm -f '%s' && truncate -s %uM '%s' && sfdisk -q '%s' < '%s' >/dev/null 2>&1",
		  path_of(name), mib, path_of(name), path_of(name), tmp);
}

struct want {
	unsigned num;
	const char *name;
	uint64_t start, size;
	const char *type;
	int extended, bootable;
	const char *uuid, *label;
};

static void check_parts(const struct cc_ptable *pt, const struct want *w, unsigned n,
			const char *what)
{
	unsigned i;
	int good = pt->nparts == n;

	for (i = 0; good && i < n; i++) {
		const struct cc_ptable_part *p = &pt->parts[i];

		good = p->num == w[i].num && !strcmp(p->name, w[i].name) &&
		       p->start == w[i].start && p->size == w[i].size &&
		       !strcmp(p->type, w[i].type) && p->extended == w[i].extended &&
		       p->bootable == w[i].bootable && !strcmp(p->uuid, w[i].uuid) &&
		       !strcmp(p->label, w[i].label);
		if (!good)
			diag("%s: partition %u: got %u %s %llu+%llu type %s ext %d boot %d uuid %s "
			     "label '%s'",
			     what, i, p->num, p->name, (unsigned long long)p->start,
			     (unsigned long long)p->size, p->type, p->extended, p->bootable,
			     p->uuid, p->label);
	}
	ok(good, "%s: every partition field", what);
}

static const struct want mbr_want[] = {
	{1, "sdb1", 2048, 20480, "7", 0, 1, "", ""},
	{2, "sdb2", 22528, 20480, "83", 0, 0, "", ""},
	{3, "sdb3", 43008, 20480, "c", 0, 0, "", ""},
	{4, "sdb4", 63488, 141312, "5", 1, 0, "", ""},
	{5, "sdb5", 65536, 40960, "83", 0, 0, "", ""},
	{6, "sdb6", 108544, 96256, "82", 0, 0, "", ""},
};

static void test_read_mbr(void)
{
	struct cc_ptable pt;
	struct cc_error err;
	int rc;

	ok(make_disk("mbr.img", 100, mbr_script) == 0, "sfdisk made an MBR disk file");
	rc = cc_ptable_read(path_of("mbr.img"), "sdb", &pt, &err);
	is_int(rc, 0, "read the MBR table");
	if (rc) {
		diag("%s", err.detail);
		return;
	}
	is_str(pt.label, "dos", "label dos");
	is_str(pt.id, "0x12345678", "label-id");
	is_uint(pt.sector_size, 512, "sector size");
	is_uint(pt.disk_sectors, 204800, "disk sectors from the file size");
	check_parts(&pt, mbr_want, 6, "MBR 3 primaries + extended with 2 logicals");
	ok(pt.dump && strstr(pt.dump, "label: dos") && strstr(pt.dump, "mbr.img1 : start="),
	   "the original dump is kept");
	cc_ptable_free(&pt);
	ok(pt.dump == NULL, "free clears the dump");

	sh("cp '%s' '%s' && truncate -s 50M '%s'", path_of("mbr.img"), path_of("cut.img"),
	   path_of("cut.img"));
	rc = cc_ptable_read(path_of("cut.img"), "sdb", &pt, &err);
	ok(rc == -CC_E_CORRUPT && strstr(err.detail, "goes past the end"),
	   "a disk cut short under its table: %s", err.detail);
}

static const struct want gpt_want[] = {
	{1, "sdc1", 2048, 16384, ESP, 0, 0, G1, "EFI system partition"},
	{2, "sdc2", 18432, 32768, MSD, 0, 0, G2, "Basic data, with a comma"},
	{3, "sdc3", 51200, 32768, LNX, 0, 0, G3, "r\xc3\xa9seau"},
	{4, "sdc4", 83968, 45056, SWP, 0, 0, G4, ""},
};

static void test_read_gpt(void)
{
	struct cc_ptable pt;
	struct cc_error err;
	struct want nv[4];
	char names[4][16];
	unsigned i;
	int rc;

	ok(make_disk("gpt.img", 64, gpt_script) == 0, "sfdisk made a GPT disk file");
	rc = cc_ptable_read(path_of("gpt.img"), "sdc", &pt, &err);
	is_int(rc, 0, "read the GPT table");
	if (rc) {
		diag("%s", err.detail);
		return;
	}
	is_str(pt.label, "gpt", "label gpt");
	is_str(pt.id, GD, "disk GUID");
	is_uint(pt.disk_sectors, 131072, "disk sectors");
	check_parts(&pt, gpt_want, 4, "GPT with 4 named partitions");
	ok(strstr(pt.dump, "last-lba: 131038") != NULL, "dump has last-lba");
	cc_ptable_free(&pt);

	rc = cc_ptable_read(path_of("gpt.img"), "nvme0n1", &pt, &err);
	memcpy(nv, gpt_want, sizeof(nv));
	for (i = 0; i < 4; i++) {
		snprintf(names[i], sizeof(names[i]), "nvme0n1p%u", i + 1);
		nv[i].name = names[i];
	}
	if (!rc)
		check_parts(&pt, nv, 4, "nvme-style names take a p");
	else
		ok(0, "read as nvme0n1: %s", err.detail);
	cc_ptable_free(&pt);

	sh("rm -f '%s' && truncate -s 8M '%s'", path_of("blank.img"), path_of("blank.img"));
	rc = cc_ptable_read(path_of("blank.img"), "sdd", &pt, &err);
	ok(rc == -CC_E_NOTFOUND && strstr(err.detail, "no partition table"),
	   "a blank disk has no partition table: %s", err.detail);
	rc = cc_ptable_read(path_of("missing.img"), "sdd", &pt, &err);
	is_int(rc, -CC_E_NOTFOUND, "a missing disk file");
}

/* ---- malformed dumps ---- */

static void test_malformed(void)
{
	static const struct {
		const char *dump;
		int code;
		const char *what;
	} t[] = {
		{"", -CC_E_CORRUPT, "empty"},
		{"hello world\n", -CC_E_CORRUPT, "prose"},
		{"label: sun\n", -CC_E_UNSUPPORTED, "a Sun label"},
		{"label: dos\nunit: cylinders\n", -CC_E_CORRUPT, "cylinders"},
		{"label: dos\n/dev/sda1 : start=abc, size=10, type=83\n", -CC_E_CORRUPT,
		 "bad start"},
		{"label: dos\n/dev/sda1 : start=-5, size=10, type=83\n", -CC_E_CORRUPT, "negative"},
		{"label: dos\n/dev/sda1 : start=2048, type=83\n", -CC_E_CORRUPT, "no size"},
		{"label: dos\n/dev/sda : start=2048, size=10\n", -CC_E_CORRUPT, "no number"},
		{"label: dos\nstart=2048, size=10\n", -CC_E_CORRUPT, "no name"},
		{"label: dos\n/dev/sda1 : start=99999999999999999999999, size=1\n", -CC_E_CORRUPT,
		 "overflowing number"},
		{"label: dos\n/dev/sda1 : start=18446744073709551615, size=2\n", -CC_E_CORRUPT,
		 "end past 2^64"},
		{"label: dos\n/dev/sda1 : start=2048, size=100\n/dev/sda2 : start=2100, size=10\n",
		 -CC_E_CORRUPT, "overlap"},
		{"label: dos\n/dev/sda1 : start=2048, size=100\n/dev/sda1 : start=4096, size=10\n",
		 -CC_E_CORRUPT, "same number twice"},
		{"label: dos\n/dev/sda5 : start=2048, size=100, type=83\n", -CC_E_CORRUPT,
		 "logical without extended"},
		{"label: dos\n/dev/sda1 : start=2048, size=100, type=5\n"
		 "/dev/sda5 : start=4096, size=100, type=83\n",
		 -CC_E_CORRUPT, "logical outside the extended"},
		{"label: dos\n/dev/sda1 : start=2048, size=100, type=5\n"
		 "/dev/sda2 : start=4096, size=100, type=f\n",
		 -CC_E_CORRUPT, "two extended"},
		{"label: dos\n/dev/sda1 : start=0, size=100\n", -CC_E_CORRUPT, "in the MBR"},
		{"label: gpt\nfirst-lba: 2048\n/dev/sda1 : start=34, size=100\n", -CC_E_CORRUPT,
		 "before first-lba"},
		{"label: gpt\nlast-lba: 5000\n/dev/sda1 : start=2048, size=5000\n", -CC_E_CORRUPT,
		 "after last-lba"},
		{"label: gpt\n/dev/sda1 : start=2048, size=10, name=\"open\n", -CC_E_CORRUPT,
		 "unterminated quote"},
		{"label: gpt\n/dev/sda1 : start=2048, size=10, uuid=not a uuid!\n", -CC_E_CORRUPT,
		 "bad uuid"},
		{"label: gpt\nlabel-id: {x}\n", -CC_E_CORRUPT, "bad label-id"},
		{"label: gpt\nsector-size: 1000\n", -CC_E_CORRUPT, "bad sector size"},
		{"label: dos\n/dev/sda1 : start=2048, size=10, type=83 junk\n", -CC_E_CORRUPT,
		 "bad type"},
	};
	struct cc_ptable pt;
	struct cc_error err;
	char big[20000];
	size_t i, n = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = cc_ptable_parse_dump(t[i].dump, "sda", &pt, &err);

		ok(rc == t[i].code && err.detail[0] && !pt.dump && !pt.nparts,
		   "malformed (%s): %s", t[i].what, rc ? err.detail : "accepted");
	}
	n += (size_t)snprintf(big, sizeof(big), "label: gpt\n");
	for (i = 1; i <= 130; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "/dev/sda%zu : start=%zu, size=1\n",
				      i, 4096 + i);
	is_int(cc_ptable_parse_dump(big, "sda", &pt, &err), -CC_E_CORRUPT, "130 partitions");

	/* old (sfdisk < 2.26) dumps: no label line, empty slots */
	is_int(cc_ptable_parse_dump("# partition table of /dev/sda\nunit: sectors\n\n"
				    "/dev/sda1 : start=       63, size=  2000000, Id=83, bootable\n"
				    "/dev/sda2 : start=        0, size=        0, Id= 0\n",
				    "sda", &pt, &err),
	       0, "an old sfdisk dump");
	ok(!strcmp(pt.label, "dos") && pt.nparts == 1 && pt.parts[0].bootable &&
		   !strcmp(pt.parts[0].type, "83") && pt.parts[0].start == 63,
	   "old dump: dos, one partition, empty slot skipped");
	cc_ptable_free(&pt);

	/* \xHH escapes and attrs */
	is_int(cc_ptable_parse_dump("label: gpt\n/dev/sda1 : start=2048, size=10, type=" LNX
				    ", uuid=" G1 ", name=\"quo\\x22te\", attrs=\"GUID:63\"\n",
				    "sda", &pt, &err),
	       0, "escapes and attrs");
	is_str(pt.parts[0].label, "quo\"te", "\\x22 is a quote");
	cc_ptable_free(&pt);
}

/* Random damage to a real dump: errors or success, never a crash (ASan). */
static void test_fuzz(void)
{
	struct cc_ptable pt;
	struct cc_error err;
	char *src = NULL, *buf;
	size_t len, i;
	int j, fine = 1;
	FILE *f;

	sh("sfdisk -d '%s' > '%s.sf' 2>/dev/null; sfdisk -d '%s' >> '%s.sf' 2>/dev/null",
	   path_of("mbr.img"), path_of("fz"), path_of("gpt.img"), path_of("fz"));
	f = fopen(path_of("fz.sf"), "r");
	if (!f) {
		ok(0, "dumps for the fuzz loop");
		return;
	}
	src = calloc(1, 65536);
	len = fread(src, 1, 65535, f);
	fclose(f);
	buf = malloc(len + 1);
	srand(42);
	for (j = 0; j < 3000; j++) {
		memcpy(buf, src, len + 1);
		for (i = 0; i < 1 + (size_t)(rand() % 6); i++) {
			size_t at = (size_t)rand() % len;
			static const char pool[] = "=,:\" \n\\x09azAZ-";

			buf[at] = rand() % 2 ? pool[rand() % (sizeof(pool) - 1)]
					     : (char)(rand() % 255 + 1);
		}
		if (rand() % 5 == 0)
			buf[rand() % len] = '\0';
		if (cc_ptable_parse_dump(buf, "sda", &pt, &err) == 0)
			cc_ptable_free(&pt);
		else if (!err.detail[0])
			fine = 0;
	}
	ok(fine, "3000 damaged dumps: each one parsed or refused with a message");
	free(buf);
	free(src);
}

/* ---- saving through a fake writer ---- */

struct file {
	char name[128];
	unsigned char *data;
	size_t len;
};

struct cc_imgdir_writer {
	struct file f[32];
	unsigned n;
};

int cc_imgdir_put(struct cc_imgdir_writer *w, const char *file, const void *data, size_t len)
{
	struct file *f = &w->f[w->n++];

	snprintf(f->name, sizeof(f->name), "%s", file);
	f->data = malloc(len + 1);
	memcpy(f->data, data, len);
	f->data[len] = 0;
	f->len = len;
	return 0;
}

static const struct file *find(const struct cc_imgdir_writer *w, const char *name)
{
	unsigned i;

	for (i = 0; i < w->n; i++)
		if (!strcmp(w->f[i].name, name))
			return &w->f[i];
	return NULL;
}

static void writer_free(struct cc_imgdir_writer *w)
{
	unsigned i;

	for (i = 0; i < w->n; i++)
		free(w->f[i].data);
	w->n = 0;
}

/* Write the collected files as image directory REPO/img. */
static int writer_dump(const struct cc_imgdir_writer *w, const char *img)
{
	unsigned i;

	sh("rm -rf '%s' && mkdir -p '%s'", path_of(img), path_of(img));
	for (i = 0; i < w->n; i++) {
		char p[256];
		FILE *f;

		snprintf(p, sizeof(p), "%s/%s", path_of(img), w->f[i].name);
		f = fopen(p, "w");
		if (!f || fwrite(w->f[i].data, 1, w->f[i].len, f) != w->f[i].len)
			return -1;
		fclose(f);
	}
	return 0;
}

static int file_is(const struct cc_imgdir_writer *w, const char *name, const char *disk,
		   size_t off, size_t len)
{
	const struct file *f = find(w, name);
	unsigned char *b = slurp(path_of(disk), off, len);
	int same = f && b && f->len == len && !memcmp(f->data, b, len);

	free(b);
	return same;
}

static void test_save_mbr(struct cc_imgdir_writer *w)
{
	struct cc_ptable pt;
	struct cc_error err;
	const struct file *f;
	int rc;

	/* boot code and hidden data as a boot loader would leave them */
	sh("head -c 440 /dev/urandom | dd of='%s' conv=notrunc status=none",
	   path_of("mbr.img"));
	sh("head -c %u /dev/urandom | dd of='%s' bs=512 seek=1 conv=notrunc status=none",
	   2047 * 512, path_of("mbr.img"));
	sh("head -c 446 /dev/urandom | dd of='%s' bs=512 seek=63488 conv=notrunc status=none",
	   path_of("mbr.img"));
	rc = cc_ptable_read(path_of("mbr.img"), "sdb", &pt, &err);
	if (rc) {
		ok(0, "read before save: %s", err.detail);
		return;
	}
	rc = cc_ptable_save(w, path_of("mbr.img"), "sdb", &pt, &err);
	is_int(rc, 0, "save the MBR disk");
	cc_ptable_free(&pt);
	if (rc) {
		diag("%s", err.detail);
		return;
	}
	is_uint(w->n, 7, "7 files for an MBR disk with one extended partition");
	f = find(w, "sdb-pt.sf");
	ok(f && strstr((char *)f->data, "device: /dev/sdb\n") &&
		   strstr((char *)f->data, "\n/dev/sdb1 : start=        2048, size=       20480, "
					   "type=7, bootable\n") &&
		   strstr((char *)f->data, "\n/dev/sdb6 : start=") &&
			   !strstr((char *)f->data, "img"),
	   "sdb-pt.sf names the real disk, /dev/sdb, like sfdisk -d /dev/sdb");
	f = find(w, "sdb-chs.sf");
	ok(f && !strcmp((char *)f->data, "cylinders=12\nheads=255\nsectors=63\n"),
	   "sdb-chs.sf from sfdisk -g: 12 cylinders, 255 heads, 63 sectors");
	f = find(w, "sdb-pt.parted");
	ok(f && strstr((char *)f->data, "\nDisk /dev/sdb: 204800s\n") &&
		   strstr((char *)f->data, "Partition Table: msdos"),
	   "sdb-pt.parted: parted unit s print, Disk /dev/sdb");
	f = find(w, "sdb-pt.parted.compact");
	ok(f && strstr((char *)f->data, "\nDisk /dev/sdb: 105MB\n"), "sdb-pt.parted.compact");
	ok(file_is(w, "sdb-mbr", "mbr.img", 0, 512), "sdb-mbr: the first 512 bytes");
	ok(file_is(w, "sdb-hidden-data-after-mbr", "mbr.img", 512, 2047 * 512),
	   "sdb-hidden-data-after-mbr: sectors 1-2047");
	ok(file_is(w, "sdb4-ebr", "mbr.img", 63488 * 512, 512),
	   "sdb4-ebr: the first sector of the extended partition");
}

static void test_save_gpt(struct cc_imgdir_writer *w)
{
	struct cc_ptable pt;
	struct cc_error err;
	const struct file *f;
	int rc;

	rc = cc_ptable_read(path_of("gpt.img"), "nvme0n1", &pt, &err);
	if (rc) {
		ok(0, "read before save: %s", err.detail);
		return;
	}
	rc = cc_ptable_save(w, path_of("gpt.img"), "nvme0n1", &pt, &err);
	is_int(rc, 0, "save the GPT disk");
	cc_ptable_free(&pt);
	if (rc) {
		diag("%s", err.detail);
		return;
	}
	is_uint(w->n, 9, "9 files for a GPT disk");
	f = find(w, "nvme0n1-pt.sf");
	ok(f && strstr((char *)f->data, "device: /dev/nvme0n1\n") &&
		   strstr((char *)f->data, "\n/dev/nvme0n1p4 : start=") &&
		   strstr((char *)f->data, "last-lba: 131038\n"),
	   "nvme0n1-pt.sf");
	ok(file_is(w, "nvme0n1-gpt-1st", "gpt.img", 0, 34 * 512), "gpt-1st: LBA 0-33");
	ok(file_is(w, "nvme0n1-gpt-2nd", "gpt.img", (131072 - 32) * 512, 32 * 512),
	   "gpt-2nd: the last 32 sectors, as Clonezilla's dd saves them");
	f = find(w, "nvme0n1-gpt.gdisk");
	ok(f && f->len == 17920 && file_is(w, "nvme0n1-mbr", "gpt.img", 0, 512) &&
		   !memcmp(f->data + 512, "EFI PART", 8),
	   "gpt.gdisk: sgdisk -b (MBR, header, entries, backup header)");
	f = find(w, "nvme0n1-gpt.sgdisk");
	ok(f && strstr((char *)f->data, "Disk /dev/nvme0n1: 131072 sectors") &&
		   strstr((char *)f->data, GD),
	   "gpt.sgdisk: sgdisk -p");
	ok(!find(w, "nvme0n1-hidden-data-after-mbr"), "no hidden data file for GPT");
}

/* ---- restoring from a directory ---- */

/* sfdisk -d of both, device names reduced to partition numbers. */
static int same_dump(const char *a, const char *b)
{
	static const char norm[] =
		"sed -e '/^device:/d' -e 's/^[^ ]*[^0-9]\\([0-9][0-9]*\\) :/\\1 :/'";

	return sh("cmp -s <(sfdisk -d '%s' | %s) <(sfdisk -d '%s' | %s)", path_of(a), norm,
		  path_of(b), norm) == 0;
}

static void test_restore(struct cc_imgdir_writer *mbr, struct cc_imgdir_writer *gpt)
{
	struct cc_repo *r = NULL;
	struct cc_ptable pt;
	struct cc_error err;
	unsigned char *a, *b;
	int rc;

	if (writer_dump(mbr, "repo/img") || writer_dump(gpt, "repo/gimg")) {
		ok(0, "wrote the saved files");
		return;
	}
	rc = cc_repo_open(path_of("repo"), &r, &err);
	if (rc) {
		ok(0, "open the repository: %s", err.detail);
		return;
	}
	sh("rm -f '%s'; truncate -s 100M '%s'", path_of("t1.img"), path_of("t1.img"));
	rc = cc_ptable_restore(r, "img", "sdb", path_of("t1.img"), "sdx", 0, &pt, &err);
	is_int(rc, 0, "restore the MBR table to a blank file of the same size");
	if (rc)
		diag("%s", err.detail);
	ok(!rc && pt.nparts == 6 && !strcmp(pt.parts[5].name, "sdx6") &&
		   pt.parts[5].size == 96256,
	   "the table as written, with the target's names");
	cc_ptable_free(&pt);
	ok(same_dump("mbr.img", "t1.img"), "sfdisk -d of source and target agree");
	a = slurp(path_of("mbr.img"), 0, 2048 * 512);
	b = slurp(path_of("t1.img"), 0, 2048 * 512);
	ok(a && b && !memcmp(a, b, 2048 * 512), "MBR and hidden sectors identical");
	free(a);
	free(b);
	a = slurp(path_of("mbr.img"), 63488 * 512, 512);
	b = slurp(path_of("t1.img"), 63488 * 512, 512);
	ok(a && b && !memcmp(a, b, 512), "the EBR: boot code and table identical");
	free(a);
	free(b);

	sh("rm -f '%s'; truncate -s 150M '%s'", path_of("t2.img"), path_of("t2.img"));
	rc = cc_ptable_restore(r, "img", "sdb", path_of("t2.img"), "sdy", 1, &pt, &err);
	is_int(rc, 0, "restore the MBR table with grow to a larger file");
	ok(!rc && pt.parts[3].size == 307200 - 63488 && pt.parts[5].size == 307200 - 108544 &&
		   pt.parts[4].size == 40960,
	   "grow: the last logical partition and its extended reach the end");
	cc_ptable_free(&pt);

	sh("rm -f '%s'; truncate -s 50M '%s'", path_of("t3.img"), path_of("t3.img"));
	rc = cc_ptable_restore(r, "img", "sdb", path_of("t3.img"), "sdz", 0, &pt, &err);
	ok(rc == -CC_E_TOOSMALL && strstr(err.detail, "52428800 bytes (0.05 GB)") &&
		   strstr(err.detail, "104857600 bytes (0.10 GB)"),
	   "a smaller disk is refused: %s", err.detail);
	ok(sh("cmp -s -n 52428800 '%s' /dev/zero", path_of("t3.img")) == 0,
	   "and left untouched (all zero)");

	sh("rm -f '%s'; truncate -s 64M '%s'", path_of("t4.img"), path_of("t4.img"));
	rc = cc_ptable_restore(r, "gimg", "nvme0n1", path_of("t4.img"), "sda", 0, &pt, &err);
	is_int(rc, 0, "restore the GPT table to a blank file of the same size");
	if (rc)
		diag("%s", err.detail);
	cc_ptable_free(&pt);
	ok(same_dump("gpt.img", "t4.img"), "GPT: same table, disk GUID and partition UUIDs");
	ok(sh("cmp -s <(sgdisk -p '%s' | tail -n +2) <(sgdisk -p '%s' | tail -n +2)",
	      path_of("gpt.img"), path_of("t4.img")) == 0,
	   "sgdisk -p agrees too");

	sh("rm -f '%s'; truncate -s 100M '%s'", path_of("t5.img"), path_of("t5.img"));
	rc = cc_ptable_restore(r, "gimg", "nvme0n1", path_of("t5.img"), "sda", 1, &pt, &err);
	is_int(rc, 0, "restore the GPT table with grow to a larger file");
	ok(!rc && pt.nparts == 4 && pt.parts[3].start + pt.parts[3].size == 204800 - 2048 &&
		   pt.parts[2].size == 32768,
	   "grow: the last GPT partition ends on the last 1 MiB boundary before the backup");
	ok(sh("sgdisk -v '%s' | grep -q 'No problems found'", path_of("t5.img")) == 0,
	   "sgdisk -v finds no problem");
	cc_ptable_free(&pt);

	rc = cc_ptable_restore(r, "nosuch", "sdb", path_of("t5.img"), "sda", 0, &pt, &err);
	is_int(rc, -CC_E_NOTFOUND, "a missing image");
	cc_repo_close(r);
}

int main(void)
{
	struct cc_imgdir_writer wm, wg;

	snprintf(dir, sizeof(dir), "/dev/shm/t-ptable.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	memset(&wm, 0, sizeof(wm));
	memset(&wg, 0, sizeof(wg));
	test_run();
	test_names();
	test_read_mbr();
	test_read_gpt();
	test_malformed();
	test_fuzz();
	test_save_mbr(&wm);
	test_save_gpt(&wg);
	test_restore(&wm, &wg);
	writer_free(&wm);
	writer_free(&wg);
	sh("rm -rf '%s'", dir);
	return done_testing();
}
