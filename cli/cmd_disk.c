/* cmd_disk.c - savedisk, saveparts, restoredisk, restoreparts, list, and
 * check of an image directory. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dev.h"
#include "disk_job.h"
#include "filepart.h"
#include "fs.h"
#include "i18n.h"
#include "imgdir.h"

#define DEFAULT_REPO "/home/partimag"

enum { OPT_PROGRESS = 300, OPT_OVERWRITE, OPT_CHECK, OPT_GROW };

/* Options shared by the disk commands. */
struct disk_args {
	const char *repo;
	struct cc_compress_opts comp;
	uint64_t split_bytes;
	int check, batch, grow, force, overwrite;
	enum cli_progress_mode pm;
	struct cli_net_opts net;
	struct cli_mcast_args mcast; /* restore: --multicast ... */
};

static int parse_disk_args(int argc, char **argv, struct disk_args *a, int saving,
			   void (*usage)(FILE *))
{
	static const struct option lo[] = {
		{"repo", required_argument, NULL, 'r'},
		{"compress", required_argument, NULL, 'z'},
		{"threads", required_argument, NULL, 'j'},
		{"split", required_argument, NULL, 'i'},
		{"check", no_argument, NULL, OPT_CHECK},
		{"batch", no_argument, NULL, 'b'},
		{"grow", no_argument, NULL, OPT_GROW},
		{"force", no_argument, NULL, 'f'},
		{"overwrite", no_argument, NULL, OPT_OVERWRITE},
		{"quiet", no_argument, NULL, 'q'},
		{"progress", required_argument, NULL, OPT_PROGRESS},
		{"help", no_argument, NULL, 'h'},
		CLI_NET_LONGOPTS,
		CLI_MCAST_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct cc_error err;
	char *end;
	int c, r;

	memset(a, 0, sizeof(*a));
	a->repo = DEFAULT_REPO;
	a->comp.codec = CC_CODEC_ZSTD;
	a->pm = CLI_PROGRESS_AUTO;
	while ((c = getopt_long(argc, argv, "r:z:j:i:bfqh" CLI_NET_SHORTOPTS, lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			a->repo = optarg;
			break;
		case 'z':
			if (!saving || cc_compress_parse(optarg, &a->comp, &err) < 0) {
				if (saving)
					fprintf(stderr, "clonecast: %s\n", err.detail);
				return -1;
			}
			break;
		case 'j':
			a->comp.threads = (unsigned)strtoul(optarg, &end, 10);
			if (*end || a->comp.threads > 256) {
				fprintf(stderr, _("clonecast: --threads takes a number up to 256\n"));
				return -1;
			}
			break;
		case 'i':
			errno = 0;
			a->split_bytes = strtoull(optarg, &end, 10) * 1000000ull;
			if (errno || *end) {
				fprintf(stderr, _("clonecast: -i takes a size in MB (10^6 bytes)\n"));
				return -1;
			}
			break;
		case OPT_CHECK:
			a->check = 1;
			break;
		case 'b':
			a->batch = 1;
			break;
		case OPT_GROW:
			a->grow = 1;
			break;
		case 'f':
			a->force = 1;
			break;
		case OPT_OVERWRITE:
			a->overwrite = 1;
			break;
		case 'q':
			a->pm = CLI_PROGRESS_NONE;
			break;
		case OPT_PROGRESS:
			if (cli_parse_progress(optarg, &a->pm) < 0)
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			if (!saving && (r = cli_mcast_option(c, optarg, &a->mcast)) != 0) {
				if (r < 0)
					return -1;
				break;
			}
			if ((r = cli_net_option(c, optarg, &a->net)) <= 0)
				return -1;
			break;
		}
	}
	return 0;
}

/* "sda" means /dev/sda (as in Clonezilla), unless a file of that name is
 * in the current directory. */
static int resolve_devices(char **devs, int n, int readonly, const char **names)
{
	static char paths[64][300], pnames[64][64];
	static struct cc_loop loops[64]; /* live until the process ends */
	struct stat st;
	int i;

	for (i = 0; i < n && i < 64; i++) {
		char file[4096];
		unsigned num;

		/* disk.img#2: partition 2 of an image file, through a loop window */
		if (stat(devs[i], &st) < 0 && cc_is_file_part(devs[i], file, sizeof(file), &num)) {
			struct cc_error err;
			int ret = cc_file_part_attach(devs[i], readonly, &loops[i], pnames[i],
						      sizeof(pnames[i]), &err);

			if (ret < 0)
				return cli_report_error(&err, ret);
			devs[i] = loops[i].path;
			if (names)
				names[i] = pnames[i];
			continue;
		}
		if (strchr(devs[i], '/') || stat(devs[i], &st) == 0)
			continue;
		snprintf(paths[i], sizeof(paths[i]), "/dev/%s", devs[i]);
		if (stat(paths[i], &st) == 0 && S_ISBLK(st.st_mode))
			devs[i] = paths[i];
	}
	return 0;
}

/* The command line as typed, for Info-saved-by-cmd.txt. */
static char *join_args(int argc, char **argv)
{
	size_t len = 16;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 3;
	if (!(s = malloc(len)))
		return NULL;
	strcpy(s, "clonecast");
	for (i = 0; i < argc; i++) {
		strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static void save_usage(FILE *f)
{
	fprintf(f, _("Usage: clonecast savedisk  [OPTIONS] IMAGE DISK...\n"
		     "       clonecast saveparts [OPTIONS] IMAGE PART...\n"
		     "Save disks (partition table, boot code, every partition) or partitions\n"
		     "into the image directory IMAGE of a repository (Clonezilla's layout).\n"
		     "  -z, --compress ALGO[:LEVEL]  zstd (default), gzip, none\n"
		     "  -j, --threads N         compression threads\n"
		     "  -i, --split MB          split image files every MB million bytes\n"
		     "      --check             verify the image before finishing it\n"
		     "  -f, --force             save dirty or hibernated filesystems anyway\n"
		     "      --overwrite         replace an existing image of that name\n"
		     "  -q, --quiet             no progress\n"));
	fputs(_(CLI_NET_USAGE), f);
}

static int do_save(int argc, char **argv, int whole)
{
	struct disk_args a;
	struct cc_disk_save_opts o;
	struct cc_repo *repo = NULL;
	struct cc_events ev;
	struct cli_render rr;
	struct cc_error err;
	char *cmdline = join_args(argc, argv);
	const char *names[64] = {NULL};
	int ret;

	if (parse_disk_args(argc, argv, &a, 1, save_usage) < 0 || argc - optind < 2) {
		save_usage(stderr);
		free(cmdline);
		return 2;
	}
	if (cli_repo_open(a.repo, &a.net, a.batch, &repo)) {
		free(cmdline);
		return 1;
	}
	if (resolve_devices(argv + optind + 1, argc - optind - 1, 1, names)) {
		cc_repo_close(repo);
		free(cmdline);
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.repo = repo;
	o.image = argv[optind];
	o.devices = (const char *const *)argv + optind + 1;
	o.names = names;
	o.ndevices = (unsigned)(argc - optind - 1);
	o.whole_disks = whole;
	o.comp = a.comp;
	o.split_bytes = a.split_bytes;
	o.check_after = a.check;
	o.fs_flags = a.force ? CC_FS_FORCE : 0;
	o.replace = a.overwrite;
	o.cmdline = cmdline;
	cc_error_clear(&err);
	cli_events_init(&ev, &rr, a.pm, _("saving"));
	ret = cc_savedisk(&o, &ev, &err);
	cli_render_end(&rr);
	cc_repo_close(repo);
	free(cmdline);
	if (ret < 0)
		return cli_report_error(&err, ret);
	if (a.pm != CLI_PROGRESS_NONE)
		fprintf(stderr, _("clonecast: image '%s' saved in %s\n"), o.image, a.repo);
	return 0;
}

int cmd_savedisk(int argc, char **argv)
{
	return do_save(argc, argv, 1);
}

int cmd_saveparts(int argc, char **argv)
{
	return do_save(argc, argv, 0);
}

/* "ATA VBOX HARDDISK, 64.4 GB" for the confirmation. */
static void describe_disk(const char *path, char *buf, size_t len)
{
	char name[64], p[128], model[128] = "";
	struct cc_dev *dev;
	struct cc_error err;
	uint64_t size = 0;
	FILE *f;

	cc_disk_name(path, 0, name, sizeof(name));
	snprintf(p, sizeof(p), "/sys/block/%s/device/model", name);
	if ((f = fopen(p, "re"))) {
		if (fgets(model, sizeof(model), f))
			model[strcspn(model, "\n")] = '\0';
		fclose(f);
	}
	if (cc_dev_open(path, CC_DEV_READ, &dev, &err) == 0) {
		size = dev->size;
		cc_dev_close(dev);
	}
	snprintf(buf, len, "%s%s%.1f GB", model, model[0] ? ", " : "", (double)size / 1e9);
}

/* image NULL: the one a multicast sender sends. */
static int confirm_restore(const struct disk_args *a, char **devs, int n, const char *image)
{
	char answer[16], desc[256];
	int i;

	if (a->batch)
		return 0;
	if (!isatty(0)) {
		fprintf(stderr, _("clonecast: restoring overwrites the target; add -b (--batch) to "
				  "confirm it when no one can answer\n"));
		return -1;
	}
	if (image)
		fprintf(stderr, _("Image '%s' will be restored. EVERYTHING on these will be "
				  "overwritten:\n"),
			image);
	else
		fprintf(stderr, _("The image a multicast sender sends will be restored. "
				  "EVERYTHING on these will be overwritten:\n"));
	for (i = 0; i < n; i++) {
		describe_disk(devs[i], desc, sizeof(desc));
		fprintf(stderr, "    %s  (%s)\n", devs[i], desc);
	}
	fprintf(stderr, _("Type yes to continue: "));
	if (!fgets(answer, sizeof(answer), stdin) || strcmp(answer, "yes\n")) {
		fprintf(stderr, _("clonecast: nothing was written\n"));
		return -1;
	}
	return 0;
}

static void restore_usage(FILE *f)
{
	fprintf(f, _("Usage: clonecast restoredisk  [OPTIONS] IMAGE DISK...\n"
		     "       clonecast restoreparts [OPTIONS] IMAGE PART...\n"
		     "       clonecast restoredisk  [OPTIONS] --multicast DISK...\n"
		     "Restore an image directory (ours or Clonezilla's) onto disks or partitions.\n"
		     "  -b, --batch             do not ask for confirmation\n"
		     "      --grow              enlarge the last partition and its filesystem\n"
		     "                          to fill a larger disk\n"
		     "  -q, --quiet             no progress\n"
		     "      --multicast         the image comes from 'clonecast mcast-serve' by\n"
		     "                          multicast (udpcast): no IMAGE, no -r\n"
		     "      --interface IF      with --multicast: the network interface\n"
		     "      --portbase PORT     with --multicast: the server's port (default 2232)\n"
		     "      --timeout SECONDS   with --multicast: give up when no transfer started\n"
		     "                          within SECONDS (default: wait for ever)\n"
		     "      --multicast-stream FILE|-  read the stream from a file instead\n"));
	fputs(_(CLI_NET_USAGE), f);
}

static int do_restore(int argc, char **argv, int whole)
{
	struct disk_args a;
	struct cc_disk_restore_opts o;
	struct cc_repo *repo = NULL;
	struct cc_events ev;
	struct cli_render rr;
	struct cc_error err;
	int ret;

	if (parse_disk_args(argc, argv, &a, 0, restore_usage) < 0 ||
	    argc - optind < (a.mcast.on ? 1 : 2)) {
		restore_usage(stderr);
		return 2;
	}
	if (a.mcast.on) { /* no IMAGE: it comes from the stream */
		if (resolve_devices(argv + optind, argc - optind, 0, NULL) ||
		    confirm_restore(&a, argv + optind, argc - optind, NULL) < 0)
			return 1;
		return cli_mcast_restore(&a.mcast, (const char *const *)argv + optind,
					 (unsigned)(argc - optind), whole, a.grow, a.net.timeout_s,
					 a.pm);
	}
	if (cli_repo_open(a.repo, &a.net, a.batch, &repo))
		return 1;
	if (resolve_devices(argv + optind + 1, argc - optind - 1, 0, NULL)) {
		cc_repo_close(repo);
		return 1;
	}
	if (confirm_restore(&a, argv + optind + 1, argc - optind - 1, argv[optind]) < 0) {
		cc_repo_close(repo);
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.repo = repo;
	o.image = argv[optind];
	o.devices = (const char *const *)argv + optind + 1;
	o.ndevices = (unsigned)(argc - optind - 1);
	o.whole_disks = whole;
	o.grow = a.grow;
	cc_error_clear(&err);
	cli_events_init(&ev, &rr, a.pm, _("restoring"));
	ret = cc_restoredisk(&o, &ev, &err);
	cli_render_end(&rr);
	cc_repo_close(repo);
	if (ret < 0)
		return cli_report_error(&err, ret);
	if (a.pm != CLI_PROGRESS_NONE)
		fprintf(stderr, _("clonecast: image '%s' restored\n"), o.image);
	return 0;
}

int cmd_restoredisk(int argc, char **argv)
{
	return do_restore(argc, argv, 1);
}

int cmd_restoreparts(int argc, char **argv)
{
	return do_restore(argc, argv, 0);
}

/* check -r REPO IMAGE (an image directory). */
int cmd_check_imgdir(const char *repo_dir, const struct cli_net_opts *net, int batch,
		     const char *image, enum cli_progress_mode pm)
{
	struct cc_repo *repo = NULL;
	struct cc_events ev;
	struct cli_render rr;
	struct cc_error err;
	int ret;

	if (cli_repo_open(repo_dir, net, batch, &repo))
		return 1;
	cc_error_clear(&err);
	cli_events_init(&ev, &rr, pm, _("checking"));
	ret = cc_check_imgdir(repo, image, &ev, &err);
	cli_render_end(&rr);
	cc_repo_close(repo);
	if (ret < 0)
		return cli_report_error(&err, ret);
	printf(_("%s: good: every partition image and checksum verified\n"), image);
	return 0;
}

static void list_usage(FILE *f)
{
	fprintf(f, _("Usage: clonecast list [-r REPO] [-b]\n"
		     "List the complete images of a repository: name, date, size, disks.\n"));
	fputs(_(CLI_NET_USAGE), f);
}

int cmd_list(int argc, char **argv)
{
	struct disk_args a;
	struct cc_repo *repo = NULL;
	struct cc_imgdir **v = NULL;
	struct cc_error err;
	unsigned n = 0, i, k;
	int ret;

	if (parse_disk_args(argc, argv, &a, 0, list_usage) < 0 || argc != optind) {
		list_usage(stderr);
		return 2;
	}
	if (cli_repo_open(a.repo, &a.net, a.batch, &repo))
		return 1;
	ret = cc_imgdir_list(repo, &v, &n, &err);
	cc_repo_close(repo);
	if (ret < 0)
		return cli_report_error(&err, ret);
	for (i = 0; i < n; i++) {
		char when[32], size[32], what[512] = "";
		time_t t = (time_t)v[i]->mtime;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
		cli_fmt_bytes(v[i]->bytes, size, sizeof(size));
		for (k = 0; k < v[i]->ndisks; k++)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%s",
				 k ? " " : "", v[i]->disks[k]);
		if (!v[i]->ndisks)
			for (k = 0; k < v[i]->nparts; k++)
				snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%s",
					 k ? " " : "", v[i]->parts[k].name);
		printf("%-32s %s  %10s  %s\n", v[i]->name, when, size, what);
	}
	cc_imgdir_list_free(v, n);
	return 0;
}
