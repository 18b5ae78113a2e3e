/*
 * ptable-tool - a disk's partition table through the engine (ptable.c).
 *   ptable-tool save DISK NAME OUTDIR
 *       save the table and boot records of DISK (named NAME, e.g. sda) as
 *       the Clonezilla image directory OUTDIR (its parent is the repository)
 *   ptable-tool restore REPO IMAGE SAVEDNAME DISK TARGETNAME [--grow]
 *       restore the table saved for SAVEDNAME in REPO/IMAGE onto DISK
 *   ptable-tool show DISK NAME
 *       print the table as the engine reads it: a header line
 *       "label id sector_size disk_sectors nparts", then one line per
 *       partition "name num start size type extended bootable uuid label"
 * On failure: "error: NAME: detail" on stderr and exit status 1.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "imgdir.h"
#include "ptable.h"
#include "repo.h"

static int fail(const struct cc_error *err, int code)
{
	fprintf(stderr, "error: %s: %s\n", cc_errname(code), err->detail);
	return 1;
}

static void show(const struct cc_ptable *pt)
{
	unsigned i;

	printf("%s %s %u %llu %u\n", pt->label, pt->id[0] ? pt->id : "-", pt->sector_size,
	       (unsigned long long)pt->disk_sectors, pt->nparts);
	for (i = 0; i < pt->nparts; i++) {
		const struct cc_ptable_part *p = &pt->parts[i];

		printf("%s %u %llu %llu %s %d %d %s %s\n", p->name, p->num,
		       (unsigned long long)p->start, (unsigned long long)p->size, p->type,
		       p->extended, p->bootable, p->uuid[0] ? p->uuid : "-",
		       p->label[0] ? p->label : "-");
	}
}

static int cmd_save(const char *disk, const char *name, const char *outdir)
{
	char *a = strdup(outdir), *b = strdup(outdir);
	struct cc_imgdir_writer *w = NULL;
	struct cc_repo *r = NULL;
	struct cc_ptable pt;
	struct cc_error err;
	char line[80];
	int rc;

	cc_error_clear(&err);
	rc = cc_ptable_read(disk, name, &pt, &err);
	if (!rc)
		rc = cc_repo_open(dirname(a), &r, &err);
	if (!rc)
		rc = cc_imgdir_begin(r, basename(b), 1, &w, &err);
	if (!rc)
		rc = cc_ptable_save(w, disk, name, &pt, &err);
	if (!rc) {
		snprintf(line, sizeof(line), "%s\n", name);
		rc = cc_imgdir_put(w, "disk", line, strlen(line));
	}
	if (!rc) {
		rc = cc_imgdir_commit(w);
		w = NULL;
	}
	if (w)
		cc_imgdir_abort(w);
	cc_ptable_free(&pt);
	cc_repo_close(r);
	free(a);
	free(b);
	return rc ? fail(&err, rc) : 0;
}

static int cmd_restore(char **argv, int grow)
{
	struct cc_repo *r = NULL;
	struct cc_ptable pt;
	struct cc_error err;
	int rc;

	cc_error_clear(&err);
	rc = cc_repo_open(argv[0], &r, &err);
	if (!rc)
		rc = cc_ptable_restore(r, argv[1], argv[2], argv[3], argv[4], grow, &pt, &err);
	cc_repo_close(r);
	if (rc)
		return fail(&err, rc);
	show(&pt);
	cc_ptable_free(&pt);
	return 0;
}

static int cmd_show(const char *disk, const char *name)
{
	struct cc_ptable pt;
	struct cc_error err;
	int rc = cc_ptable_read(disk, name, &pt, &err);

	if (rc)
		return fail(&err, rc);
	show(&pt);
	cc_ptable_free(&pt);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: ptable-tool save DISK NAME OUTDIR\n"
			"       ptable-tool restore REPO IMAGE SAVEDNAME DISK TARGETNAME [--grow]\n"
			"       ptable-tool show DISK NAME\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "save"))
		return cmd_save(argv[2], argv[3], argv[4]);
	if ((argc == 7 || (argc == 8 && !strcmp(argv[7], "--grow"))) &&
	    !strcmp(argv[1], "restore"))
		return cmd_restore(argv + 2, argc == 8);
	if (argc == 4 && !strcmp(argv[1], "show"))
		return cmd_show(argv[2], argv[3]);
	return usage();
}
