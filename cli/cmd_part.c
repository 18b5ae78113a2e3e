/* cmd_part.c - save-part, restore-part, check, info. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "cli.h"
#include "fs.h"
#include "i18n.h"
#include "job.h"

enum { OPT_PROGRESS = 256, OPT_CHECKSUM, OPT_RAW };

int cli_parse_progress(const char *s, enum cli_progress_mode *m)
{
	if (!strcmp(s, "auto"))
		*m = CLI_PROGRESS_AUTO;
	else if (!strcmp(s, "line"))
		*m = CLI_PROGRESS_LINE;
	else if (!strcmp(s, "plain"))
		*m = CLI_PROGRESS_PLAIN;
	else if (!strcmp(s, "none"))
		*m = CLI_PROGRESS_NONE;
	else {
		fprintf(stderr, _("clonecast: --progress takes auto, line, plain or none\n"));
		return -1;
	}
	return 0;
}

static int parse_checksum(const char *s, int *mode)
{
	static const struct {
		const char *name;
		int mode;
	} t[] = {{"none", CC_CSUM_NONE}, {"crc32", CC_CSUM_CRC32},
		 {"xxh64", CC_CSUM_XXH64}, {"xxh128", CC_CSUM_XXH128}};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcasecmp(s, t[i].name)) {
			*mode = t[i].mode;
			return 0;
		}
	fprintf(stderr, _("clonecast: --checksum takes crc32, xxh64, xxh128 or none\n"));
	return -1;
}

int cli_parse_number(const char *opt, const char *s, unsigned long min, unsigned long max,
		     unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || end == s || *out > max || *out < min || s[0] == '-') {
		fprintf(stderr, _("clonecast: %s takes a number from %lu to %lu\n"), opt, min, max);
		return -1;
	}
	return 0;
}

static int parse_uint(const char *s, const char *opt, unsigned long max, unsigned long *out)
{
	return cli_parse_number(opt, s, 0, max, out);
}

/*
 * An output file is written under a temporary name in the same directory
 * and renamed into place only when complete, so a save that fails or is
 * interrupted never leaves a file that looks like a good image.
 */
struct output {
	const char *path;
	char tmp[PATH_MAX];
	int fd;
};

static int output_open(struct output *o, const char *path, int overwrite)
{
	struct stat st;
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;

	o->path = path;
	o->tmp[0] = '\0';
	if (!strcmp(path, "-")) {
		if (isatty(1)) {
			fprintf(stderr, _("clonecast: refusing to write an image to a terminal\n"));
			return -1;
		}
		o->fd = 1;
		return 0;
	}
	if (!overwrite && stat(path, &st) == 0) {
		fprintf(stderr, _("clonecast: '%s' exists; choose another name or add --overwrite\n"),
			path);
		return -1;
	}
	snprintf(o->tmp, sizeof(o->tmp), "%.*s.%s.partial-XXXXXX", dirlen, path,
		 path + dirlen);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		fprintf(stderr, _("clonecast: cannot create '%s': %s\n"), o->tmp, strerror(errno));
		return -1;
	}
	fchmod(o->fd, 0644);
	return 0;
}

static int output_commit(struct output *o)
{
	if (!o->tmp[0])
		return 0;
	if (rename(o->tmp, o->path) < 0) {
		fprintf(stderr, _("clonecast: cannot rename '%s' to '%s': %s\n"), o->tmp, o->path,
			strerror(errno));
		unlink(o->tmp);
		return -1;
	}
	return 0;
}

static void output_discard(struct output *o)
{
	if (o->tmp[0])
		unlink(o->tmp);
}

static void print_save_summary(const struct cc_part_result *r, const char *src)
{
	char used[32], stored[32], el[32];
	double secs = (double)r->elapsed_ms / 1000.0;

	cli_fmt_bytes(r->used_bytes, used, sizeof(used));
	cli_fmt_bytes(r->stored_bytes, stored, sizeof(stored));
	cli_fmt_duration(r->elapsed_ms, el, sizeof(el));
	fprintf(stderr,
		_("clonecast: saved %s (%s): %s of used data into %s (ratio %.2f) in %s, %.1f MB/s\n"),
		src, r->fs_type, used, stored,
		r->stored_bytes ? (double)r->used_bytes / (double)r->stored_bytes : 0.0, el,
		secs > 0 ? (double)r->used_bytes / 1e6 / secs : 0.0);
}

static void save_usage(FILE *f)
{
	fprintf(f, _("Usage: clonecast save-part [OPTIONS] SOURCE OUTPUT|-\n"
		     "Save the used blocks of the filesystem on SOURCE (a partition or a file)\n"
		     "as a partclone image.\n"
		     "  -z, --compress ALGO[:LEVEL]  zstd (default, level 3), gzip (level 1), none\n"
		     "  -j, --threads N          compression threads (default: all CPUs)\n"
		     "      --raw                copy every block, whatever the filesystem\n"
		     "  -f, --force              save a dirty or hibernated NTFS, an unclean ext4\n"
		     "      --checksum MODE      crc32 (default, any partclone reads it), xxh64,\n"
		     "                           xxh128 (partclone 0.3.39 and later), none\n"
		     "  -k, --blocks-per-checksum N  blocks covered by one checksum\n"
		     "                           (default: 1 MiB worth, as partclone)\n"
		     "      --overwrite          replace an existing OUTPUT\n"
		     "  -q, --quiet              no progress\n"
		     "      --progress MODE      auto, line, plain or none\n"));
}

int cmd_save_part(int argc, char **argv)
{
	static const struct option lo[] = {
		{"compress", required_argument, NULL, 'z'},
		{"threads", required_argument, NULL, 'j'},
		{"raw", no_argument, NULL, OPT_RAW},
		{"force", no_argument, NULL, 'f'},
		{"checksum", required_argument, NULL, OPT_CHECKSUM},
		{"blocks-per-checksum", required_argument, NULL, 'k'},
		{"overwrite", no_argument, NULL, 'O'},
		{"quiet", no_argument, NULL, 'q'},
		{"progress", required_argument, NULL, OPT_PROGRESS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cc_save_opts so;
	enum cli_progress_mode pm = CLI_PROGRESS_AUTO;
	struct cc_error err;
	struct cc_events ev;
	struct cli_render rr;
	struct cc_part_result res;
	struct cc_ostream *sink = NULL;
	struct output out;
	unsigned long v;
	int overwrite = 0, c, ret;

	memset(&so, 0, sizeof(so));
	so.comp.codec = CC_CODEC_ZSTD;
	so.checksum_mode = -1;
	cc_error_clear(&err);
	while ((c = getopt_long(argc, argv, "z:j:fk:qOh", lo, NULL)) != -1) {
		switch (c) {
		case 'z':
			if (cc_compress_parse(optarg, &so.comp, &err) < 0)
				return cli_report_error(&err, -CC_E_BAD_ARGS) + 1;
			break;
		case 'j':
			if (parse_uint(optarg, "--threads", 256, &v) < 0)
				return 2;
			so.comp.threads = (unsigned)v;
			break;
		case 'f':
			so.fs_flags |= CC_FS_FORCE;
			break;
		case OPT_RAW:
			so.force_fs = "raw";
			break;
		case OPT_CHECKSUM:
			if (parse_checksum(optarg, &so.checksum_mode) < 0)
				return 2;
			break;
		case 'k':
			if (parse_uint(optarg, "--blocks-per-checksum", 1u << 20, &v) < 0)
				return 2;
			so.blocks_per_checksum = (uint32_t)v;
			break;
		case 'O':
			overwrite = 1;
			break;
		case 'q':
			pm = CLI_PROGRESS_NONE;
			break;
		case OPT_PROGRESS:
			if (cli_parse_progress(optarg, &pm) < 0)
				return 2;
			break;
		case 'h':
			save_usage(stdout);
			return 0;
		default:
			save_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		save_usage(stderr);
		return 2;
	}
	so.source = argv[optind];
	if (output_open(&out, argv[optind + 1], overwrite) < 0)
		return 1;
	if (cc_ostream_fd(out.fd, out.tmp[0] ? out.tmp : "stdout", out.fd != 1, out.fd != 1, &err,
			  &sink) < 0) {
		output_discard(&out);
		return cli_report_error(&err, -CC_E_NOMEM);
	}
	cli_events_init(&ev, &rr, pm, _("saving"));
	ret = cc_save_part(&so, sink, &ev, NULL, &res, &err);
	cli_render_end(&rr);
	if (ret < 0) {
		output_discard(&out);
		return cli_report_error(&err, ret);
	}
	if (output_commit(&out) < 0)
		return 1;
	if (pm != CLI_PROGRESS_NONE)
		print_save_summary(&res, so.source);
	return 0;
}

/* Open INPUT ("-" is standard input) as a stream. */
static int open_input(const char *path, struct cc_istream **in, struct cc_error *err)
{
	int fd;

	if (!strcmp(path, "-"))
		return cc_istream_fd(0, _("standard input"), 0, err, in);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_fail(err, errno == ENOENT ? CC_E_NOTFOUND : CC_E_IO, errno,
			       _("cannot open '%s'"), path);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (cc_istream_fd(fd, path, 1, err, in) < 0) {
		close(fd);
		return -CC_E_NOMEM;
	}
	return 0;
}

static int restore_or_check(int argc, char **argv, int check_only)
{
	static const struct option lo[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"progress", required_argument, NULL, OPT_PROGRESS},
		{"raw", no_argument, NULL, OPT_RAW},
		{"repo", required_argument, NULL, 'r'},
		{"batch", no_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct cli_net_opts net = {0};
	int batch = 0;
	enum cli_progress_mode pm = CLI_PROGRESS_AUTO;
	unsigned flags = check_only ? CC_RESTORE_CHECK_ONLY : 0;
	const char *repo = NULL;
	struct stat st;
	struct cc_error err;
	struct cc_events ev;
	struct cli_render rr;
	struct cc_part_result res;
	struct cc_istream *in = NULL;
	const char *usage_text = check_only
		? _("Usage: clonecast check [-q] [--raw] INPUT|-\n"
		    "       clonecast check [-q] [-b] -r REPO IMAGE   (an image directory;\n"
		    "          the network options are those of savedisk)\n"
		    "Verify every checksum of an image; writes nothing. Exit status 0 only if\n"
		    "the whole image is good.\n")
		: _("Usage: clonecast restore-part [-q] [--raw] INPUT|- TARGET\n"
		    "Restore an image (partclone, ntfsclone or raw; compressed or not) onto\n"
		    "TARGET, a partition or a file (created sparse if missing).\n"
		    "  --raw   the input is a raw (dd) image even if it holds no known filesystem\n");
	char used[32], el[32];
	int c, ret;

	cc_error_clear(&err);
	while ((c = getopt_long(argc, argv, check_only ? "qr:bh" CLI_NET_SHORTOPTS : "qh", lo, NULL)) != -1) {
		switch (c) {
		case 'q':
			pm = CLI_PROGRESS_NONE;
			break;
		case 'r':
			repo = optarg;
			break;
		case 'b':
			batch = 1;
			break;
		case OPT_PROGRESS:
			if (cli_parse_progress(optarg, &pm) < 0)
				return 2;
			break;
		case OPT_RAW:
			flags |= CC_RESTORE_ALLOW_RAW;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			if (check_only && cli_net_option(c, optarg, &net) > 0)
				break;
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (argc - optind != (check_only ? 1 : 2)) {
		fputs(usage_text, stderr);
		return 2;
	}
	/* check of an image directory: -r REPO IMAGE, or the directory's path */
	if (check_only && repo)
		return cmd_check_imgdir(repo, &net, batch, argv[optind], pm);
	if (check_only && stat(argv[optind], &st) == 0 && S_ISDIR(st.st_mode)) {
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", argv[optind]);
		while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
			dir[strlen(dir) - 1] = '\0';
		slash = strrchr(dir, '/');
		if (!slash)
			return cmd_check_imgdir(".", NULL, 1, dir, pm);
		*slash = '\0';
		return cmd_check_imgdir(slash == dir ? "/" : dir, NULL, 1, slash + 1, pm);
	}
	if ((ret = open_input(argv[optind], &in, &err)) < 0)
		return cli_report_error(&err, ret);
	cli_events_init(&ev, &rr, pm, check_only ? _("checking") : _("restoring"));
	ret = cc_restore_part(in, check_only ? NULL : argv[optind + 1], flags, &ev, NULL, &res,
			      &err);
	cli_render_end(&rr);
	if (ret < 0)
		return cli_report_error(&err, ret);
	cli_fmt_bytes(res.used_bytes, used, sizeof(used));
	cli_fmt_duration(res.elapsed_ms, el, sizeof(el));
	if (check_only)
		printf(_("%s: good: %s image of %s, %s of data, %s checksums verified\n"),
		       argv[optind], cc_imgfmt_name(res.info.format), res.fs_type, used,
		       cc_csum_name(res.info.checksum_mode));
	else if (pm != CLI_PROGRESS_NONE)
		fprintf(stderr, _("clonecast: restored %s of %s data to %s in %s\n"), used,
			res.fs_type, argv[optind + 1], el);
	if (res.backup_boot_fixed && pm != CLI_PROGRESS_NONE)
		fprintf(stderr, _("clonecast: the image had no NTFS backup boot sector (partclone "
				  "drops it); it was rebuilt from the boot sector\n"));
	return 0;
}

int cmd_restore_part(int argc, char **argv)
{
	return restore_or_check(argc, argv, 0);
}

int cmd_check(int argc, char **argv)
{
	return restore_or_check(argc, argv, 1);
}

int cmd_info(int argc, char **argv)
{
	struct cc_error err;
	struct cc_image_info ii;
	struct cc_istream *in = NULL;
	enum cc_codec codec = CC_CODEC_NONE;
	char used[32], dev[32];
	int ret;

	cc_error_clear(&err);
	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && !strcmp(argv[1], "--help")) {
			printf(_("Usage: clonecast info INPUT\n"));
			return 0;
		}
		fprintf(stderr, _("Usage: clonecast info INPUT\n"));
		return 2;
	}
	if ((ret = open_input(argv[1], &in, &err)) < 0)
		return cli_report_error(&err, ret);
	if ((ret = cc_probe_image(in, &ii, &codec, &err)) < 0)
		return cli_report_error(&err, ret);
	cli_fmt_bytes(ii.used_blocks * ii.block_size, used, sizeof(used));
	cli_fmt_bytes(ii.device_size, dev, sizeof(dev));
	/* Machine-readable "key: value" lines; keys are not translated. */
	printf("format: %s\n", cc_imgfmt_name(ii.format));
	if (ii.creator[0])
		printf("creator: %s\n", ii.creator);
	printf("filesystem: %s\n", ii.fs_tag);
	printf("compression: %s\n", cc_codec_name(codec));
	printf("block_size: %" PRIu32 "\n", ii.block_size);
	printf("blocks_total: %" PRIu64 "\n", ii.total_blocks);
	printf("blocks_used: %" PRIu64 "\n", ii.used_blocks);
	printf("used_bytes: %" PRIu64 " (%s)\n", ii.used_blocks * ii.block_size, used);
	printf("device_size: %" PRIu64 " (%s)\n", ii.device_size, dev);
	printf("checksum: %s\n", cc_csum_name(ii.checksum_mode));
	if (ii.checksum_mode != CC_CSUM_NONE)
		printf("blocks_per_checksum: %" PRIu32 "\n", ii.blocks_per_checksum);
	return 0;
}
