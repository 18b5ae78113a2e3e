/*
 * demo-tool - the demo's files and disk descriptions through the engine
 * (demo.c, sysdisks.c).
 *   demo-tool DIR
 *       cc_demo_prepare(DIR); prints "prepared DIR in N ms"
 *   demo-tool --describe FILE
 *       cc_describe_disk_file(FILE), printed as below
 *   demo-tool --list
 *       cc_list_disks(), printed as below
 * A disk is printed as one line "disk name path size table nparts is_file
 * removable mounted live_medium model", then one line per partition
 * "part name path start size fstype label mounted" ("-" for an empty field).
 * On failure: "error: NAME: detail" on stderr and exit status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "sysinfo.h"

static int fail(const struct cc_error *err, int code)
{
	fprintf(stderr, "error: %s: %s\n", cc_errname(code), err->detail);
	return 1;
}

static const char *dash(const char *s)
{
	return s[0] ? s : "-";
}

static void show(const struct cc_disk_info *d)
{
	unsigned i;

	printf("disk %s %s %llu %s %u %d %d %d %d %s\n", d->name, d->path,
	       (unsigned long long)d->size, dash(d->table), d->nparts, d->is_file, d->removable,
	       d->mounted, d->live_medium, dash(d->model));
	for (i = 0; i < d->nparts; i++) {
		const struct cc_part_info *p = &d->parts[i];

		printf("part %s %s %llu %llu %s %s %d\n", p->name, p->path,
		       (unsigned long long)p->start, (unsigned long long)p->size, dash(p->fstype),
		       dash(p->label), p->mounted);
	}
}

int main(int argc, char **argv)
{
	struct cc_error err;
	int rc;

	cc_error_clear(&err);
	if (argc == 3 && !strcmp(argv[1], "--describe")) {
		struct cc_disk_info d;

		if ((rc = cc_describe_disk_file(argv[2], &d, &err)) < 0)
			return fail(&err, rc);
		show(&d);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		struct cc_disk_info *v;
		unsigned n, i;

		if ((rc = cc_list_disks(&v, &n, &err)) < 0)
			return fail(&err, rc);
		for (i = 0; i < n; i++)
			show(&v[i]);
		free(v);
		return 0;
	}
	if (argc == 2 && argv[1][0] != '-') {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		if ((rc = cc_demo_prepare(argv[1], &err)) < 0)
			return fail(&err, rc);
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("prepared %s in %lld ms\n", argv[1],
		       (long long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000));
		return 0;
	}
	fprintf(stderr, "usage: demo-tool DIR | --describe FILE | --list\n");
	return 2;
}
