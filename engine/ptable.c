/*
 * ptable.c - see ptable.h.
 *
 * The table itself always goes through sfdisk (util-linux >= 2.26 dumps
 * and writes both MBR and GPT); the boot records are plain bytes.  What
 * was checked against the real tools (util-linux 2.38.1, gdisk 1.0.9,
 * parted 3.5, Clonezilla 5.3.17's ocs-functions):
 *  - <disk>-pt.sf is `sfdisk -d /dev/<disk>`: device names are the
 *    kernel's ("/dev/sda1"); sfdisk takes only the trailing number of a
 *    partition's name when it reads a dump, so renaming is safe.
 *  - <disk>-chs.sf is "cylinders=C\nheads=H\nsectors=S\n" from
 *    `sfdisk -g` ("C cylinders, H heads, S sectors/track"; 255/63 on files
 *    and loop devices).
 *  - <disk>-hidden-data-after-mbr: `dd skip=1 bs=512 count=<first start-1>`
 *    where the first start is the smallest of all partitions; skipped
 *    when that is >= hidden_data_after_mbr_limit, which is 1024 *MB*
 *    (2097152 sectors), not 1024 sectors.  Restored only when it fits
 *    before the target's first partition, else skipped.
 *  - <disk>-gpt-2nd: Clonezilla takes the disk size N from "Disk /dev/X:
 *    Ns" of parted and runs `dd skip=N-33+1 bs=512 count=33`; parted 3.x
 *    prints the number of sectors, so the file is the last 32 sectors
 *    (16384 bytes), which its dd fallback writes back at N-32.  We write
 *    the same 32 sectors, so that fallback puts them where they belong.
 *  - restore: Clonezilla drops "last-lba:" from a GPT dump before feeding
 *    it to `sfdisk --force --wipe always`; it then writes the first 446
 *    bytes of <disk>-mbr (MBR and GPT alike) and the first 446 bytes of
 *    each extended partition's <part>-ebr at that partition's start
 *    (ocs-restore-ebr), and zeroes the last 1024 sectors of the disk
 *    first (no stale backup GPT survives).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ptable.h"
#include "dev.h"
#include "error.h"
#include "i18n.h"
#include "imgdir.h"
#include "repo.h"
#include "run.h"

#define DUMP_MAX	(4u << 20) /* a bigger <disk>-pt.sf is not a dump */
#define SMALL_MAX	(64u << 10)
#define MBR_BYTES	512
#define BOOT_CODE	446	 /* bytes of boot code restored */
#define GPT1_SECTORS	34	 /* LBA 0-33: protective MBR, header, entries */
#define GPT2_SECTORS	32	 /* what Clonezilla's dd really saves (see above) */
#define GPT_TAIL	33	 /* backup entries + header after the last usable LBA */
#define HIDDEN_LIMIT	(1024ull * 1024 * 1024 / 512) /* hidden_data_after_mbr_limit */
#define TAIL_ZERO	1024	 /* sectors zeroed at the end before a restore */
#define ALIGN		2048	 /* sfdisk's default grain, 1 MiB */

/* ---- names ---- */

void cc_part_name(const char *disk, unsigned num, char *out, size_t len)
{
	size_t n = strlen(disk);

	if (!len)
		return;
	snprintf(out, len, n && isdigit((unsigned char)disk[n - 1]) ? "%sp%u" : "%s%u", disk,
		 num);
}

/* Clonezilla's to_filename: "cciss/c0d0" -> "cciss-c0d0". */
static void to_filename(const char *name, char *out, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		out[i] = name[i] == '/' ? '-' : name[i];
	out[i] = '\0';
}

/* "<disk>-<suffix>" or "<part>-<suffix>" as a file of the image. */
static void img_file(const char *name, const char *suffix, char *out, size_t len)
{
	char fn[128];

	to_filename(name, fn, sizeof(fn));
	snprintf(out, len, "%s-%s", fn, suffix);
}

/* The trailing number of a device name: "/dev/sda12" -> 12, 0 if none. */
static unsigned trailing_number(const char *s, size_t len)
{
	size_t i = len;
	unsigned long v;

	while (i && isdigit((unsigned char)s[i - 1]))
		i--;
	if (i == len || len - i > 6)
		return 0;
	v = strtoul(s + i, NULL, 10);
	return (unsigned)v;
}

/* ---- a growing text buffer ---- */

struct text {
	char *p;
	size_t len, cap;
	int oom;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 1024;
		char *p;

		while (cap < t->len + n + 1)
			cap *= 2;
		p = realloc(t->p, cap);
		if (!p) {
			t->oom = 1;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* ---- parsing sfdisk --dump ---- */

struct hdr {
	int have_label, have_first, have_last;
	uint64_t first_lba, last_lba;
};

struct parse {
	struct cc_ptable *pt;
	struct hdr h;
	const char *disk_name;
	unsigned lineno;
	struct cc_error *err;
};

static int bad(struct parse *ps, const char *what)
{
	return cc_fail(ps->err, CC_E_CORRUPT, 0,
		       _("the partition table dump of %s is not valid at line %u: %s"),
		       ps->disk_name, ps->lineno, what);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* A decimal number and nothing else (spaces around are trimmed). */
static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	while (*s == ' ')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	while (*end == ' ')
		end++;
	return *end ? -1 : 0;
}

/* Copy a short token value (type, uuid, label-id): letters, digits, '-'. */
static int copy_token(char *dst, size_t len, const char *v)
{
	size_t n = strlen(v), i;

	if (!n || n >= len)
		return -1;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '-')
			return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Truncate a UTF-8 string to fit len bytes without cutting a character. */
static void copy_utf8(char *dst, size_t len, const char *src, size_t n)
{
	if (n >= len) {
		n = len - 1;
		while (n && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int parse_header(struct parse *ps, char *line)
{
	struct cc_ptable *pt = ps->pt;
	char *colon = strchr(line, ':'), *key = line, *val;
	uint64_t v;

	if (!colon)
		return bad(ps, _("neither a header line nor a partition"));
	*colon = '\0';
	key = trim(key);
	val = trim(colon + 1);
	if (!strcmp(key, "label")) {
		if (strcmp(val, "dos") && strcmp(val, "gpt"))
			return cc_fail(ps->err, CC_E_UNSUPPORTED, 0,
				       _("the partition table of %s is of type '%s': only MBR "
					 "(dos) and GPT tables are supported"),
				       ps->disk_name, val);
		snprintf(pt->label, sizeof(pt->label), "%s", val);
		ps->h.have_label = 1;
	} else if (!strcmp(key, "label-id")) {
		if (copy_token(pt->id, sizeof(pt->id), val) < 0)
			return bad(ps, _("bad label-id"));
	} else if (!strcmp(key, "unit")) {
		if (strcmp(val, "sectors"))
			return bad(ps, _("the unit is not sectors"));
	} else if (!strcmp(key, "sector-size")) {
		if (parse_u64(val, &v) < 0 || v < 512 || v > 65536 || (v & (v - 1)))
			return bad(ps, _("bad sector-size"));
		pt->sector_size = (unsigned)v;
	} else if (!strcmp(key, "first-lba")) {
		if (parse_u64(val, &ps->h.first_lba) < 0)
			return bad(ps, _("bad first-lba"));
		ps->h.have_first = 1;
	} else if (!strcmp(key, "last-lba")) {
		if (parse_u64(val, &ps->h.last_lba) < 0)
			return bad(ps, _("bad last-lba"));
		ps->h.have_last = 1;
	}
	/* device:, table-length:, grain: and future headers are not needed */
	return 0;
}

/* Read one value at *pp (after '='): quoted with \xHH escapes, or up to ','. */
static int field_value(char **pp, char *out, size_t len)
{
	char *p = *pp;
	size_t n = 0;

	while (*p == ' ')
		p++;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			int c = (unsigned char)*p;

			if (*p == '\\' && p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
				c = hexval(p[2]) * 16 + hexval(p[3]);
				p += 3;
			} else if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
				c = (unsigned char)*++p;
			}
			if (n + 1 < len)
				out[n++] = (char)c;
		}
		if (*p != '"')
			return -1;
		p++;
		while (*p == ' ')
			p++;
		if (*p && *p != ',')
			return -1;
	} else {
		char *start = p;

		while (*p && *p != ',')
			p++;
		n = (size_t)(p - start);
		while (n && start[n - 1] == ' ')
			n--;
		if (n >= len)
			return -1;
		memcpy(out, start, n);
	}
	out[n] = '\0';
	*pp = p;
	return 0;
}

struct fields {
	int have_start, have_size;
	uint64_t start, size;
};

static int set_field(struct parse *ps, struct cc_ptable_part *p, struct fields *f,
		     const char *key, char *val)
{
	if (!strcmp(key, "start")) {
		if (parse_u64(val, &f->start) < 0)
			return bad(ps, _("bad start"));
		f->have_start = 1;
	} else if (!strcmp(key, "size")) {
		if (parse_u64(val, &f->size) < 0)
			return bad(ps, _("bad size"));
		f->have_size = 1;
	} else if (!strcmp(key, "type") || !strcmp(key, "Id")) {
		if (copy_token(p->type, sizeof(p->type), trim(val)) < 0)
			return bad(ps, _("bad partition type"));
	} else if (!strcmp(key, "uuid")) {
		if (copy_token(p->uuid, sizeof(p->uuid), val) < 0)
			return bad(ps, _("bad partition uuid"));
	} else if (!strcmp(key, "name")) {
		copy_utf8(p->label, sizeof(p->label), val, strlen(val));
	}
	/* attrs= and unknown fields stay in the dump text only */
	return 0;
}

static int parse_fields(struct parse *ps, char *p, struct cc_ptable_part *part,
			struct fields *f)
{
	char key[32], val[512];

	for (;;) {
		size_t k = 0;
		int r;

		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			return 0;
		while (*p && *p != '=' && *p != ',' && *p != ' ') {
			if (k + 1 >= sizeof(key))
				return bad(ps, _("field name too long"));
			key[k++] = *p++;
		}
		key[k] = '\0';
		while (*p == ' ')
			p++;
		if (*p != '=') {
			if (!strcmp(key, "bootable"))
				part->bootable = 1;
			else if (*p && *p != ',')
				return bad(ps, _("a field without a value"));
			continue;
		}
		p++;
		if (field_value(&p, val, sizeof(val)) < 0)
			return bad(ps, _("bad field value"));
		r = set_field(ps, part, f, key, val);
		if (r)
			return r;
	}
}

static int parse_part(struct parse *ps, char *line)
{
	struct cc_ptable *pt = ps->pt;
	struct cc_ptable_part part;
	struct fields f = {0, 0, 0, 0};
	char *sep = strstr(line, " :");
	unsigned i;
	int r;

	memset(&part, 0, sizeof(part));
	if (!sep)
		return bad(ps, _("a partition line without a device name"));
	part.num = trailing_number(line, (size_t)(sep - line));
	if (!part.num)
		return bad(ps, _("the device name has no partition number"));
	r = parse_fields(ps, sep + 2, &part, &f);
	if (r)
		return r;
	if (!f.have_start || !f.have_size)
		return bad(ps, _("a partition without start or size"));
	if (!f.size)
		return 0; /* an empty slot, as old sfdisk (< 2.26) dumps have them */
	if (f.size > UINT64_MAX - f.start)
		return bad(ps, _("a partition beyond any disk"));
	for (i = 0; i < pt->nparts; i++)
		if (pt->parts[i].num == part.num)
			return bad(ps, _("a partition number appears twice"));
	if (pt->nparts >= CC_PTABLE_MAX)
		return bad(ps, _("too many partitions"));
	part.start = f.start;
	part.size = f.size;
	cc_part_name(ps->disk_name, part.num, part.name, sizeof(part.name));
	pt->parts[pt->nparts++] = part;
	return 0;
}

static int parse_line(struct parse *ps, char *line)
{
	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	if (!strchr(line, '='))
		return parse_header(ps, line);
	return parse_part(ps, line);
}

static int is_extended_type(const char *t)
{
	if (!strncasecmp(t, "0x", 2))
		t += 2;
	while (*t == '0' && t[1])
		t++;
	return !strcasecmp(t, "5") || !strcasecmp(t, "f") || !strcasecmp(t, "85");
}

static uint64_t part_end(const struct cc_ptable_part *p)
{
	return p->start + p->size; /* exclusive */
}

static int overlap(const struct cc_ptable_part *a, const struct cc_ptable_part *b)
{
	return a->start < part_end(b) && b->start < part_end(a);
}

static int invalid(struct cc_error *err, const char *disk, const struct cc_ptable_part *p,
		   const char *why)
{
	return cc_fail(err, CC_E_CORRUPT, 0,
		       _("the partition table of %s is not valid: partition %u (sectors %llu-%llu) "
			 "%s; repair the table with fdisk or gdisk first"),
		       disk, p->num, (unsigned long long)p->start,
		       (unsigned long long)(part_end(p) - 1), why);
}

static const struct cc_ptable_part *container_of_logical(const struct cc_ptable *pt,
							const struct cc_ptable_part *l)
{
	unsigned i;

	for (i = 0; i < pt->nparts; i++) {
		const struct cc_ptable_part *e = &pt->parts[i];

		if (e->extended && l->start > e->start && part_end(l) <= part_end(e))
			return e;
	}
	return NULL;
}

static int check_dos(const struct cc_ptable *pt, const char *disk, struct cc_error *err)
{
	unsigned i, j, ext = 0;

	for (i = 0; i < pt->nparts; i++) {
		const struct cc_ptable_part *p = &pt->parts[i];

		if (!p->start)
			return invalid(err, disk, p, _("starts in the MBR"));
		if (p->extended && (p->num > 4 || ++ext > 1))
			return invalid(err, disk, p,
				       _("is a second or a logical extended partition"));
		if (p->num > 4 && !container_of_logical(pt, p))
			return invalid(err, disk, p,
				       _("is logical but not inside the extended partition"));
		for (j = 0; j < i; j++) {
			const struct cc_ptable_part *q = &pt->parts[j];

			if ((p->num > 4) == (q->num > 4) && overlap(p, q))
				return invalid(err, disk, p, _("overlaps another partition"));
		}
	}
	return 0;
}

static int check_gpt(const struct cc_ptable *pt, const struct hdr *h, const char *disk,
		     struct cc_error *err)
{
	unsigned i, j;

	for (i = 0; i < pt->nparts; i++) {
		const struct cc_ptable_part *p = &pt->parts[i];

		if (p->start < (h->have_first ? h->first_lba : GPT1_SECTORS))
			return invalid(err, disk, p, _("starts before the first usable sector"));
		if (h->have_last && part_end(p) - 1 > h->last_lba)
			return invalid(err, disk, p, _("ends after the last usable sector"));
		for (j = 0; j < i; j++)
			if (overlap(p, &pt->parts[j]))
				return invalid(err, disk, p, _("overlaps another partition"));
	}
	return 0;
}

static void sort_parts(struct cc_ptable *pt)
{
	unsigned i, j;

	for (i = 1; i < pt->nparts; i++) {
		struct cc_ptable_part t = pt->parts[i];

		for (j = i; j && pt->parts[j - 1].num > t.num; j--)
			pt->parts[j] = pt->parts[j - 1];
		pt->parts[j] = t;
	}
}

int cc_ptable_parse_dump(const char *dump, const char *disk_name, struct cc_ptable *pt,
			 struct cc_error *err)
{
	struct parse ps;
	char *copy, *line, *next;
	unsigned i;
	int rc = 0;

	memset(pt, 0, sizeof(*pt));
	memset(&ps, 0, sizeof(ps));
	ps.pt = pt;
	ps.disk_name = disk_name;
	ps.err = err;
	pt->sector_size = 512;
	copy = strdup(dump);
	if (!copy)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	for (line = copy; line && !rc; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ps.lineno++;
		rc = parse_line(&ps, line);
	}
	free(copy);
	if (rc)
		goto fail;
	if (!ps.h.have_label && !pt->nparts) {
		ps.lineno = 1;
		rc = bad(&ps, _("no \"label:\" line and no partition: not an sfdisk dump"));
		goto fail;
	}
	if (!ps.h.have_label) /* sfdisk < 2.26 wrote no label line: dos only */
		snprintf(pt->label, sizeof(pt->label), "dos");
	sort_parts(pt);
	if (!strcmp(pt->label, "dos")) {
		for (i = 0; i < pt->nparts; i++)
			pt->parts[i].extended = is_extended_type(pt->parts[i].type);
		rc = check_dos(pt, disk_name, err);
	} else {
		rc = check_gpt(pt, &ps.h, disk_name, err);
	}
	if (rc)
		goto fail;
	pt->dump = strdup(dump);
	if (!pt->dump) {
		rc = cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		goto fail;
	}
	return 0;
fail:
	memset(pt, 0, sizeof(*pt));
	return rc;
}

void cc_ptable_free(struct cc_ptable *pt)
{
	if (!pt)
		return;
	free(pt->dump);
	pt->dump = NULL;
}

/* ---- rewriting a dump for another disk ---- */

struct rewrite {
	const char *disk_name;	      /* partition names are made from it */
	int drop_last_lba;	      /* GPT restore: sfdisk computes it */
	const struct cc_ptable *want; /* new sizes by number, or NULL */
};

static const struct cc_ptable_part *find_num(const struct cc_ptable *pt, unsigned num)
{
	unsigned i;

	for (i = 0; pt && i < pt->nparts; i++)
		if (pt->parts[i].num == num)
			return &pt->parts[i];
	return NULL;
}

/* The "size=" field of a partition line's fields, or NULL. */
static const char *size_field(const char *fields)
{
	const char *p = fields;

	while ((p = strstr(p, "size=")) != NULL) {
		const char *b = p;

		while (b > fields && b[-1] == ' ')
			b--;
		if (b == fields || b[-1] == ',')
			return p;
		p += 5;
	}
	return NULL;
}

static void rewrite_part(struct text *t, const char *line, size_t len, const struct rewrite *rw)
{
	const char *sep = memmem(line, len, " :", 2);
	const struct cc_ptable_part *want;
	const char *fields, *sz, *end = line + len;
	char name[80];
	unsigned num;

	num = sep ? trailing_number(line, (size_t)(sep - line)) : 0;
	if (!num) {
		text_add(t, line, len);
		return;
	}
	cc_part_name(rw->disk_name, num, name, sizeof(name));
	text_str(t, "/dev/");
	text_str(t, name);
	fields = sep;
	want = find_num(rw->want, num);
	sz = want ? size_field(fields) : NULL;
	if (sz && sz < end) {
		const char *v = sz + 5, *ve;
		char num_txt[32];
		uint64_t old;

		while (v < end && *v == ' ')
			v++;
		ve = v;
		while (ve < end && isdigit((unsigned char)*ve))
			ve++;
		old = strtoull(v, NULL, 10);
		if (old != want->size) {
			snprintf(num_txt, sizeof(num_txt), "size=%12llu",
				 (unsigned long long)want->size);
			text_add(t, fields, (size_t)(sz - fields));
			text_str(t, num_txt);
			fields = ve;
		}
	}
	text_add(t, fields, (size_t)(end - fields));
}

static int rewrite_dump(const char *dump, const struct rewrite *rw, char **out, size_t *out_len,
			struct cc_error *err)
{
	struct text t = {NULL, 0, 0, 0};
	const char *line = dump;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line), skip = 0;

		while (skip < len && (line[skip] == ' ' || line[skip] == '\t'))
			skip++;
		if (!strncmp(line + skip, "device:", 7)) {
			text_str(&t, "device: /dev/");
			text_str(&t, rw->disk_name);
		} else if (rw->drop_last_lba && !strncmp(line + skip, "last-lba:", 9)) {
			line = nl ? nl + 1 : line + len;
			continue;
		} else if (memchr(line, '=', len) && line[skip] != '#') {
			rewrite_part(&t, line, len, rw);
		} else {
			text_add(&t, line, len);
		}
		if (nl)
			text_add(&t, "\n", 1);
		line = nl ? nl + 1 : line + len;
	}
	if (!t.p)
		text_add(&t, "", 0);
	if (t.oom) {
		free(t.p);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	*out = t.p;
	*out_len = t.len;
	return 0;
}

/* ---- reading a disk's table ---- */

static int disk_size(const char *path, uint64_t *bytes, unsigned *ss, int *blk,
		     struct cc_error *err)
{
	struct cc_dev *dev;
	int rc = cc_dev_open(path, CC_DEV_READ, &dev, err);

	if (rc)
		return rc;
	*bytes = dev->size;
	if (ss)
		*ss = dev->sector_size;
	if (blk)
		*blk = dev->is_blockdev;
	cc_dev_close(dev);
	return 0;
}

static int check_bounds(const struct cc_ptable *pt, const char *path, struct cc_error *err)
{
	unsigned i;

	for (i = 0; i < pt->nparts; i++) {
		const struct cc_ptable_part *p = &pt->parts[i];

		if (part_end(p) <= pt->disk_sectors)
			continue;
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("partition %s of '%s' (sectors %llu-%llu) goes past the end of "
				 "the disk (%llu sectors): the disk was cut short or its table is "
				 "damaged; repair it with fdisk or gdisk first"),
			       p->name, path, (unsigned long long)p->start,
			       (unsigned long long)(part_end(p) - 1),
			       (unsigned long long)pt->disk_sectors);
	}
	return 0;
}

int cc_ptable_read(const char *disk_path, const char *disk_name, struct cc_ptable *pt,
		   struct cc_error *err)
{
	const char *argv[] = {"sfdisk", "--dump", disk_path, NULL};
	struct cc_error e;
	uint64_t bytes;
	char *out = NULL;
	size_t len;
	int rc;

	memset(pt, 0, sizeof(*pt));
	rc = disk_size(disk_path, &bytes, NULL, NULL, err);
	if (rc)
		return rc;
	cc_error_clear(&e);
	rc = cc_run(argv, NULL, 0, &out, &len, &e);
	if (rc == -CC_E_IO && strstr(e.detail, "does not contain a recognized partition table"))
		return cc_fail(err, CC_E_NOTFOUND, 0,
			       _("'%s' has no partition table (neither MBR nor GPT): save it as "
				 "a partition or filesystem, or partition it first"),
			       disk_path);
	if (rc) {
		if (err)
			*err = e;
		return rc;
	}
	rc = cc_ptable_parse_dump(out, disk_name, pt, err);
	free(out);
	if (rc)
		return rc;
	pt->disk_sectors = bytes / pt->sector_size;
	rc = check_bounds(pt, disk_path, err);
	if (rc)
		cc_ptable_free(pt);
	return rc;
}

/* ---- saving ---- */

/* Replace "Disk <path>:" at the start of a line by "Disk /dev/<name>:" */
static int rename_disk_line(char **text, const char *path, const char *name,
			    struct cc_error *err)
{
	struct text t = {NULL, 0, 0, 0};
	char pat[4200];
	char *p = *text, *hit;
	size_t plen;

	snprintf(pat, sizeof(pat), "Disk %s:", path);
	plen = strlen(pat);
	hit = !strncmp(p, pat, plen) ? p : NULL;
	if (!hit) {
		char nlpat[4201];

		snprintf(nlpat, sizeof(nlpat), "\n%s", pat);
		hit = strstr(p, nlpat);
		if (hit)
			hit++;
	}
	if (!hit)
		return 0;
	text_add(&t, p, (size_t)(hit - p));
	text_str(&t, "Disk /dev/");
	text_str(&t, name);
	text_str(&t, hit + plen - 1); /* from the ':' */
	if (t.oom) {
		free(t.p);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	free(*text);
	*text = t.p;
	return 0;
}

struct saver {
	struct cc_imgdir_writer *w;
	struct cc_dev *dev;
	const char *path, *name;
	const struct cc_ptable *pt;
	struct cc_error *err;
};

static int put(struct saver *s, const char *file, const void *data, size_t len)
{
	return cc_imgdir_put(s->w, file, data, len);
}

static int put_bytes(struct saver *s, const char *file, uint64_t off, size_t len)
{
	char *buf = malloc(len ? len : 1);
	int rc;

	if (!buf)
		return cc_fail(s->err, CC_E_NOMEM, 0, _("out of memory"));
	rc = cc_dev_pread(s->dev, buf, len, off, s->err);
	if (!rc)
		rc = put(s, file, buf, len);
	free(buf);
	return rc;
}

/* Run a program and save its standard output, "Disk PATH:" renamed
 * (parted prints the absolute path, sgdisk the path as given). */
static int put_output(struct saver *s, const char *file, const char *const argv[])
{
	char *out = NULL, *abs = realpath(s->path, NULL);
	size_t len;
	int rc = cc_run(argv, NULL, 0, &out, &len, s->err);

	if (!rc)
		rc = rename_disk_line(&out, s->path, s->name, s->err);
	if (!rc && abs)
		rc = rename_disk_line(&out, abs, s->name, s->err);
	free(abs);
	if (!rc)
		rc = put(s, file, out, strlen(out));
	free(out);
	return rc;
}

static int save_dump(struct saver *s)
{
	struct rewrite rw = {s->name, 0, NULL};
	char file[160], *text;
	size_t len;
	int rc;

	if (!s->pt->dump)
		return cc_fail(s->err, CC_E_BAD_ARGS, 0,
			       _("no partition table was read from '%s'"), s->path);
	rc = rewrite_dump(s->pt->dump, &rw, &text, &len, s->err);
	if (rc)
		return rc;
	img_file(s->name, "pt.sf", file, sizeof(file));
	rc = put(s, file, text, len);
	free(text);
	return rc;
}

/* The number just before `word` in text ("8 cylinders"), or 0. */
static unsigned long long number_before(const char *text, const char *word)
{
	const char *w = strstr(text, word), *b;

	if (!w)
		return 0;
	b = w;
	while (b > text && isdigit((unsigned char)b[-1]))
		b--;
	return b == w ? 0 : strtoull(b, NULL, 10);
}

static int save_chs(struct saver *s)
{
	const char *argv[] = {"sfdisk", "-g", s->path, NULL};
	unsigned long long c = 0, h = 0, sec = 0;
	char *out = NULL, file[160], text[128];
	struct cc_error e;

	cc_error_clear(&e);
	if (!cc_run(argv, NULL, 0, &out, NULL, &e)) {
		c = number_before(out, " cylinders");
		h = number_before(out, " heads");
		sec = number_before(out, " sectors");
	}
	free(out);
	if (!h || !sec) { /* what sfdisk says for files: 255 heads, 63 sectors */
		h = 255;
		sec = 63;
		c = s->pt->disk_sectors / (255 * 63);
	}
	snprintf(text, sizeof(text), "cylinders=%llu\nheads=%llu\nsectors=%llu\n", c, h, sec);
	img_file(s->name, "chs.sf", file, sizeof(file));
	return put(s, file, text, strlen(text));
}

static int save_parted(struct saver *s)
{
	const char *argv_s[] = {"parted", "-s", s->path, "unit", "s", "print", NULL};
	const char *argv_c[] = {"parted", "-s", s->path, "unit", "compact", "print", NULL};
	char file[160];
	int rc;

	img_file(s->name, "pt.parted", file, sizeof(file));
	rc = put_output(s, file, argv_s);
	if (rc)
		return rc;
	img_file(s->name, "pt.parted.compact", file, sizeof(file));
	return put_output(s, file, argv_c);
}

static uint64_t first_start(const struct cc_ptable *pt)
{
	uint64_t m = UINT64_MAX;
	unsigned i;

	for (i = 0; i < pt->nparts; i++)
		if (pt->parts[i].start < m)
			m = pt->parts[i].start;
	return m;
}

static int save_dos(struct saver *s)
{
	const struct cc_ptable *pt = s->pt;
	uint64_t first = first_start(pt);
	char file[160], pname[64];
	unsigned i;
	int rc;

	/* Clonezilla: dd skip=1 bs=512 count=<first start - 1>, if below the limit */
	if (first != UINT64_MAX && first > 1 && first - 1 < HIDDEN_LIMIT) {
		img_file(s->name, "hidden-data-after-mbr", file, sizeof(file));
		rc = put_bytes(s, file, 512, (size_t)((first - 1) * 512));
		if (rc)
			return rc;
	}
	for (i = 0; i < pt->nparts; i++) {
		if (!pt->parts[i].extended)
			continue;
		cc_part_name(s->name, pt->parts[i].num, pname, sizeof(pname));
		img_file(pname, "ebr", file, sizeof(file));
		rc = put_bytes(s, file, pt->parts[i].start * pt->sector_size, MBR_BYTES);
		if (rc)
			return rc;
	}
	return 0;
}

static int read_file(const char *path, char **data, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*data = NULL;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (off_t)SMALL_MAX ||
	    !(*data = malloc((size_t)st.st_size))) {
		close(fd);
		return -1;
	}
	n = read(fd, *data, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*data);
		*data = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* sgdisk -b writes its backup to a file (and says nothing when it cannot). */
static int save_gdisk_backup(struct saver *s)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[4096], path[4200], file[160], *data = NULL;
	const char *argv[] = {"sgdisk", "-b", path, s->path, NULL};
	size_t len = 0;
	int rc;

	snprintf(dir, sizeof(dir), "%s/clonecast-gdisk.XXXXXX", tmp);
	if (!mkdtemp(dir))
		return cc_fail(s->err, CC_E_IO, errno,
			       _("cannot create a temporary directory in %s for sgdisk (set "
				 "TMPDIR to a writable directory)"),
			       tmp);
	snprintf(path, sizeof(path), "%s/gpt.gdisk", dir);
	rc = cc_run(argv, NULL, 0, NULL, NULL, s->err);
	if (!rc && (read_file(path, &data, &len) < 0 || len < 2 * MBR_BYTES)) {
		free(data);
		rc = cc_fail(s->err, CC_E_IO, 0,
			     _("'sgdisk -b' made no backup of the GPT of '%s': check it with "
			       "'sgdisk -v %s'"),
			     s->path, s->path);
	}
	unlink(path);
	rmdir(dir);
	if (rc)
		return rc;
	img_file(s->name, "gpt.gdisk", file, sizeof(file));
	rc = put(s, file, data, len);
	free(data);
	return rc;
}

static int save_gpt(struct saver *s)
{
	const char *argv[] = {"sgdisk", "-p", s->path, NULL};
	uint64_t n = s->dev->size / 512;
	char file[160];
	int rc;

	if (n < GPT1_SECTORS + GPT2_SECTORS)
		return cc_fail(s->err, CC_E_CORRUPT, 0, _("'%s' is too small to hold a GPT"),
			       s->path);
	img_file(s->name, "gpt-1st", file, sizeof(file));
	rc = put_bytes(s, file, 0, GPT1_SECTORS * 512);
	if (rc)
		return rc;
	img_file(s->name, "gpt-2nd", file, sizeof(file));
	rc = put_bytes(s, file, (n - GPT2_SECTORS) * 512, GPT2_SECTORS * 512);
	if (rc)
		return rc;
	rc = save_gdisk_backup(s);
	if (rc)
		return rc;
	img_file(s->name, "gpt.sgdisk", file, sizeof(file));
	return put_output(s, file, argv);
}

int cc_ptable_save(struct cc_imgdir_writer *w, const char *disk_path, const char *disk_name,
		   const struct cc_ptable *pt, struct cc_error *err)
{
	struct saver s = {w, NULL, disk_path, disk_name, pt, err};
	char file[160];
	int rc;

	rc = cc_dev_open(disk_path, CC_DEV_READ, &s.dev, err);
	if (rc)
		return rc;
	if (s.dev->size < MBR_BYTES) {
		rc = cc_fail(err, CC_E_CORRUPT, 0, _("'%s' is smaller than one sector"), disk_path);
		goto out;
	}
	rc = save_dump(&s);
	if (!rc)
		rc = save_chs(&s);
	if (!rc)
		rc = save_parted(&s);
	if (!rc) {
		img_file(disk_name, "mbr", file, sizeof(file));
		rc = put_bytes(&s, file, 0, MBR_BYTES);
	}
	if (!rc)
		rc = !strcmp(pt->label, "gpt") ? save_gpt(&s) : save_dos(&s);
out:
	cc_dev_close(s.dev);
	return rc;
}

/* ---- restoring ---- */

struct saved {
	struct cc_ptable src, want;
	char *mbr, *hidden;
	size_t mbr_len, hidden_len;
	char *ebr[CC_PTABLE_MAX];
	size_t ebr_len[CC_PTABLE_MAX];
	char *script;
	size_t script_len;
};

static void saved_free(struct saved *sv)
{
	unsigned i;

	cc_ptable_free(&sv->src);
	free(sv->mbr);
	free(sv->hidden);
	for (i = 0; i < CC_PTABLE_MAX; i++)
		free(sv->ebr[i]);
	free(sv->script);
	free(sv);
}

/* Prefix err->detail with "image 'X', file 'Y': ". */
static int in_file(struct cc_error *err, int rc, const char *image, const char *file)
{
	char tmp[sizeof(err->detail)];

	if (!err)
		return rc;
	snprintf(tmp, sizeof(tmp),
		 _("image '%s', file '%s': %s (the image is damaged: use another one)"), image,
		 file, err->detail);
	memcpy(err->detail, tmp, sizeof(tmp));
	return rc;
}

static int get_file(struct cc_repo *r, const char *image, const char *file, size_t max,
		    int optional, char **data, size_t *len, struct cc_error *err)
{
	char path[512];
	struct cc_error e;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", image, file);
	cc_error_clear(&e);
	rc = cc_repo_get(r, path, max, data, len, &e);
	if (rc == -CC_E_NOTFOUND && optional) {
		*data = NULL;
		*len = 0;
		return 0;
	}
	if (rc && err)
		*err = e;
	return rc;
}

static int load_saved(struct cc_repo *r, const char *image, const char *saved,
		      struct saved *sv, struct cc_error *err)
{
	char file[160], pname[64], *dump;
	size_t len;
	unsigned i;
	int rc;

	img_file(saved, "pt.sf", file, sizeof(file));
	rc = get_file(r, image, file, DUMP_MAX, 0, &dump, &len, err);
	if (rc)
		return rc;
	rc = cc_ptable_parse_dump(dump, saved, &sv->src, err);
	free(dump);
	if (rc)
		return in_file(err, rc, image, file);
	img_file(saved, "mbr", file, sizeof(file));
	rc = get_file(r, image, file, SMALL_MAX, 0, &sv->mbr, &sv->mbr_len, err);
	if (rc)
		return rc;
	if (sv->mbr_len < BOOT_CODE)
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("image '%s', file '%s' has %zu bytes instead of 512: the image "
				 "is damaged"),
			       image, file, sv->mbr_len);
	if (strcmp(sv->src.label, "dos"))
		return 0;
	img_file(saved, "hidden-data-after-mbr", file, sizeof(file));
	rc = get_file(r, image, file, (size_t)(HIDDEN_LIMIT * 512), 1, &sv->hidden,
		      &sv->hidden_len, err);
	if (rc)
		return rc;
	for (i = 0; i < sv->src.nparts; i++) {
		if (!sv->src.parts[i].extended)
			continue;
		cc_part_name(saved, sv->src.parts[i].num, pname, sizeof(pname));
		img_file(pname, "ebr", file, sizeof(file));
		rc = get_file(r, image, file, SMALL_MAX, 1, &sv->ebr[i], &sv->ebr_len[i], err);
		if (rc)
			return rc;
		if (sv->ebr[i] && sv->ebr_len[i] < BOOT_CODE)
			return cc_fail(err, CC_E_CORRUPT, 0,
				       _("image '%s', file '%s' has %zu bytes instead of 512: the "
					 "image is damaged"),
				       image, file, sv->ebr_len[i]);
	}
	return 0;
}

static uint64_t last_end(const struct cc_ptable *pt)
{
	uint64_t m = 0;
	unsigned i;

	for (i = 0; i < pt->nparts; i++)
		if (part_end(&pt->parts[i]) > m)
			m = part_end(&pt->parts[i]);
	return m;
}

/*
 * Enlarge the partition(s) ending last to the end of a disk of n sectors:
 * a logical partition and its extended container together.  MBR: to the
 * last sector (as sfdisk does by default), at most 2^32-1 sectors long.  GPT: to the last usable
 * sector (33 sectors before the end stay for the backup table), and to a
 * 1 MiB boundary if the partition ended on one.
 */
static void grow(struct cc_ptable *pt, uint64_t n)
{
	int gpt = !strcmp(pt->label, "gpt");
	uint64_t end = last_end(pt), limit = gpt ? n - GPT_TAIL : n;
	unsigned i;

	for (i = 0; i < pt->nparts; i++) {
		struct cc_ptable_part *p = &pt->parts[i];
		uint64_t new_end = limit;

		if (part_end(p) != end)
			continue;
		if (gpt && end % ALIGN == 0)
			new_end = limit / ALIGN * ALIGN;
		if (!gpt && new_end - p->start > UINT32_MAX) /* an MBR entry's 32 bits */
			new_end = p->start + UINT32_MAX;
		if (new_end > end)
			p->size = new_end - p->start;
	}
}

static double gb(uint64_t bytes)
{
	return (double)bytes / 1e9;
}

static int check_target(const struct saved *sv, const char *path, uint64_t bytes, unsigned ss,
			struct cc_error *err)
{
	const struct cc_ptable *pt = &sv->src;
	uint64_t need = last_end(pt) + (!strcmp(pt->label, "gpt") ? GPT_TAIL : 0);

	if (ss != pt->sector_size)
		return cc_fail(err, CC_E_UNSUPPORTED, 0,
			       _("the saved partition table uses %u-byte sectors but '%s' has "
				 "%u-byte sectors: restore to a disk with %u-byte sectors"),
			       pt->sector_size, path, ss, pt->sector_size);
	need *= pt->sector_size;
	if (bytes < need || bytes < GPT1_SECTORS * 512)
		return cc_fail(err, CC_E_TOOSMALL, 0,
			       _("'%s' is too small: it has %llu bytes (%.2f GB) but the saved "
				 "partitions need %llu bytes (%.2f GB); use a disk at least that "
				 "large (shrink the partitions before saving to fit a smaller "
				 "one)"),
			       path, (unsigned long long)bytes, gb(bytes), (unsigned long long)need,
			       gb(need));
	return 0;
}

/* Clonezilla zeroes the disk's last 1024 sectors first: no stale backup GPT. */
static int zero_tail(const char *path, uint64_t bytes, struct cc_error *err)
{
	uint64_t len = (uint64_t)TAIL_ZERO * 512;
	struct cc_dev *dev;
	char *zero;
	int rc;

	if (len > bytes)
		len = bytes;
	zero = calloc(1, (size_t)len);
	if (!zero)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	rc = cc_dev_open(path, CC_DEV_WRITE, &dev, err);
	if (!rc) {
		rc = cc_dev_pwrite(dev, zero, (size_t)len, bytes - len, err);
		if (rc)
			cc_dev_close(dev);
		else
			rc = cc_dev_close_sync(dev, err);
	}
	free(zero);
	return rc;
}

static int write_boot_records(const struct saved *sv, const char *path, struct cc_error *err)
{
	const struct cc_ptable *pt = &sv->want;
	struct cc_dev *dev;
	uint64_t first = first_start(pt);
	unsigned i;
	int rc;

	rc = cc_dev_open(path, CC_DEV_WRITE, &dev, err);
	if (rc)
		return rc;
	rc = cc_dev_pwrite(dev, sv->mbr, BOOT_CODE, 0, err);
	/* the hidden data only where it fits before the first partition */
	if (!rc && sv->hidden_len >= 512 && first != UINT64_MAX &&
	    sv->hidden_len / 512 <= (first * pt->sector_size) / 512 - 1)
		rc = cc_dev_pwrite(dev, sv->hidden, sv->hidden_len / 512 * 512, 512, err);
	for (i = 0; !rc && i < pt->nparts; i++)
		if (pt->parts[i].extended && sv->ebr[i])
			rc = cc_dev_pwrite(dev, sv->ebr[i], BOOT_CODE,
					   pt->parts[i].start * pt->sector_size, err);
	if (rc) {
		cc_dev_close(dev);
		return rc;
	}
	return cc_dev_close_sync(dev, err);
}

/* Ask the kernel to re-read the table (a loop device without partition
 * scanning says EINVAL, a busy disk EBUSY: the table is written anyway). */
static int reread(const char *path, struct cc_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return cc_fail(err, CC_E_IO, errno, _("cannot open '%s'"), path);
	if (ioctl(fd, BLKRRPART) < 0 && errno != EBUSY && errno != EINVAL) {
		int e = errno;

		close(fd);
		return cc_fail(err, CC_E_IO, e,
			       _("the kernel cannot re-read the partition table of '%s'"), path);
	}
	close(fd);
	return 0;
}

/* The table read back must be the one we asked for. */
static int verify(const struct cc_ptable *want, const struct cc_ptable *got, const char *path,
		  struct cc_error *err)
{
	unsigned i;

	for (i = 0; i < want->nparts || i < got->nparts; i++) {
		const struct cc_ptable_part *a = i < want->nparts ? &want->parts[i] : NULL;
		const struct cc_ptable_part *b = i < got->nparts ? &got->parts[i] : NULL;

		if (!a || !b || a->num != b->num || a->start != b->start || a->size != b->size ||
		    strcasecmp(a->type, b->type) || strcasecmp(a->uuid, b->uuid))
			return cc_fail(err, CC_E_IO, 0,
				       _("sfdisk wrote a different partition table to '%s' than "
					 "the image's (partition %u): check the disk with "
					 "'sfdisk -d %s'"),
				       path, a ? a->num : b->num, path);
	}
	if (strcmp(want->label, got->label) || strcasecmp(want->id, got->id))
		return cc_fail(err, CC_E_IO, 0,
			       _("sfdisk wrote a different partition table to '%s' than the "
				 "image's (label or disk identifier): check it with "
				 "'sfdisk -d %s'"),
			       path, path);
	return 0;
}

static int write_table(struct saved *sv, const char *path, struct cc_error *err)
{
	const char *argv[] = {"sfdisk", "--force", "--no-reread", "--wipe", "always", path, NULL};

	return cc_run(argv, sv->script, sv->script_len, NULL, NULL, err);
}

int cc_ptable_restore(struct cc_repo *r, const char *image, const char *saved_name,
		      const char *disk_path, const char *target_name, int grow_last,
		      struct cc_ptable *pt, struct cc_error *err)
{
	struct saved *sv = calloc(1, sizeof(*sv));
	struct rewrite rw = {target_name, 0, NULL};
	uint64_t bytes;
	unsigned ss;
	int blk, rc;

	memset(pt, 0, sizeof(*pt));
	if (!sv)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	rc = load_saved(r, image, saved_name, sv, err);
	if (!rc)
		rc = disk_size(disk_path, &bytes, &ss, &blk, err);
	if (!rc)
		rc = check_target(sv, disk_path, bytes, ss, err);
	if (rc)
		goto out;
	sv->want = sv->src;
	sv->want.dump = NULL;
	sv->want.disk_sectors = bytes / ss;
	if (grow_last)
		grow(&sv->want, sv->want.disk_sectors);
	rw.drop_last_lba = !strcmp(sv->src.label, "gpt");
	rw.want = &sv->want;
	rc = rewrite_dump(sv->src.dump, &rw, &sv->script, &sv->script_len, err);
	/* nothing was written so far; from here on the disk changes */
	if (!rc)
		rc = zero_tail(disk_path, bytes, err);
	if (!rc)
		rc = write_table(sv, disk_path, err);
	if (!rc)
		rc = write_boot_records(sv, disk_path, err);
	if (!rc && blk)
		rc = reread(disk_path, err);
	if (!rc)
		rc = cc_ptable_read(disk_path, target_name, pt, err);
	if (!rc) {
		rc = verify(&sv->want, pt, disk_path, err);
		if (rc)
			cc_ptable_free(pt);
	}
out:
	saved_free(sv);
	return rc;
}
