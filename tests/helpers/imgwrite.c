/*
 * imgwrite - write a partclone 0002 image with the engine's writer.
 *   imgwrite RAWFILE BLOCKSIZE FSTAG OUT.pcl [CSUM [BPC [RESEED]]]
 *       every block of RAWFILE that is not all zero is used
 *   imgwrite --like IMAGE.pcl RAWFILE OUT.pcl [CSUM [BPC [RESEED]]]
 *       the header fields and the bitmap come from the partclone image
 *       IMAGE.pcl (its data is not read); the blocks from RAWFILE
 * CSUM: none, crc32, xxh64, xxh128 (or partclone's -a numbers 0..3);
 * BPC: blocks per checksum, 0 = partclone's default.
 * On failure: "error: NAME: detail" on stderr and exit status 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bitmap.h"
#include "checksum.h"
#include "error.h"
#include "image.h"
#include "stream.h"

#define CHUNK_BYTES (4u << 20)

static int fail(const struct cc_error *err, int code)
{
	fprintf(stderr, "error: %s: %s\n", cc_errname(code), err->detail);
	return 1;
}

static int parse_mode(const char *s)
{
	static const struct {
		const char *name;
		int mode;
	} t[] = {{"none", CC_CSUM_NONE},  {"0", CC_CSUM_NONE},	{"crc32", CC_CSUM_CRC32},
		 {"1", CC_CSUM_CRC32},	  {"xxh64", CC_CSUM_XXH64}, {"2", CC_CSUM_XXH64},
		 {"xxh128", CC_CSUM_XXH128}, {"3", CC_CSUM_XXH128}};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].name))
			return t[i].mode;
	fprintf(stderr, "imgwrite: unknown checksum mode '%s'\n", s);
	exit(2);
}

static int read_at(int fd, unsigned char *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int all_zero(const unsigned char *p, size_t n)
{
	return !p[0] && !memcmp(p, p + 1, n - 1);
}

/* Bitmap of the non-zero blocks of the raw file. */
static int scan_raw(int fd, uint64_t size, struct cc_ptcl_params *p, struct cc_bitmap *bm,
		    struct cc_error *err)
{
	unsigned char *buf = malloc(p->block_size);
	uint64_t i;
	int ret;

	if (!buf)
		return cc_fail(err, CC_E_NOMEM, 0, "out of memory");
	p->total_blocks = size / p->block_size;
	p->device_size = size;
	if ((ret = cc_bitmap_init(bm, p->total_blocks, err)) < 0) {
		free(buf);
		return ret;
	}
	for (i = 0; i < p->total_blocks; i++) {
		if (read_at(fd, buf, p->block_size, i * p->block_size) < 0) {
			free(buf);
			return cc_fail(err, CC_E_IO, 0, "cannot read block %llu",
				       (unsigned long long)i);
		}
		if (!all_zero(buf, p->block_size))
			cc_bitmap_set(bm, i);
	}
	p->used_blocks_sb = cc_bitmap_count(bm);
	free(buf);
	return 0;
}

/* Parameters and bitmap of an existing partclone image. */
static int take_like(const char *path, struct cc_ptcl_params *p, struct cc_bitmap *bm,
		     struct cc_error *err)
{
	const struct cc_image_info *ii;
	const struct cc_bitmap *src;
	struct cc_istream *in;
	struct cc_image *img;
	int fd = open(path, O_RDONLY), ret;

	if (fd < 0)
		return cc_fail(err, CC_E_IO, 0, "cannot open %s", path);
	if ((ret = cc_istream_fd(fd, path, 1, err, &in)) < 0)
		return ret;
	if ((ret = cc_image_open(in, err, &img)) < 0) {
		cc_istream_free(in);
		return ret;
	}
	ii = cc_image_get_info(img);
	if (!(src = cc_image_bitmap(img))) {
		cc_image_free(img);
		return cc_fail(err, CC_E_UNSUPPORTED, 0, "%s has no bitmap", path);
	}
	memcpy(p->fs_tag, ii->fs_tag, strnlen(ii->fs_tag, sizeof(p->fs_tag) - 1));
	p->device_size = ii->device_size;
	p->total_blocks = ii->total_blocks;
	p->used_blocks_sb = ii->used_blocks_sb;
	p->block_size = ii->block_size;
	p->checksum_mode = ii->checksum_mode;
	p->blocks_per_checksum = ii->blocks_per_checksum;
	p->reseed = ii->reseed;
	if ((ret = cc_bitmap_init(bm, src->nbits, err)) == 0)
		memcpy(bm->bytes, src->bytes, cc_bitmap_nbytes(src));
	cc_image_free(img);
	return ret;
}

static int copy_blocks(int fd, const struct cc_bitmap *bm, uint32_t bs, struct cc_ptcl_writer *w,
		       struct cc_error *err)
{
	uint64_t from = 0, start, count, max = CHUNK_BYTES / bs ? CHUNK_BYTES / bs : 1;
	unsigned char *buf = malloc(max * bs);
	int ret = 0;

	if (!buf)
		return cc_fail(err, CC_E_NOMEM, 0, "out of memory");
	while (cc_bitmap_next_run(bm, &from, &start, &count, max)) {
		if (read_at(fd, buf, count * bs, start * bs) < 0) {
			ret = cc_fail(err, CC_E_IO, 0, "cannot read blocks %llu..%llu",
				      (unsigned long long)start,
				      (unsigned long long)(start + count - 1));
			break;
		}
		if ((ret = cc_ptcl_writer_blocks(w, buf, count)) < 0)
			break;
	}
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	struct cc_error err = {0, 0, ""};
	struct cc_ptcl_params p;
	struct cc_bitmap bm = {0, NULL};
	struct cc_ostream *out = NULL;
	struct cc_ptcl_writer *w = NULL;
	const char *raw, *dst;
	struct stat st;
	int fd, ofd, ret, opt;

	memset(&p, 0, sizeof(p));
	p.checksum_mode = CC_CSUM_CRC32;
	p.reseed = 1;
	if (argc >= 4 && !strcmp(argv[1], "--like")) {
		raw = argv[3];
		dst = argv[4];
		if (argc < 5) {
			fprintf(stderr, "usage: imgwrite --like IMAGE.pcl RAWFILE OUT.pcl\n");
			return 2;
		}
		if ((ret = take_like(argv[2], &p, &bm, &err)) < 0)
			return fail(&err, ret);
		opt = 5;
	} else if (argc >= 5) {
		raw = argv[1];
		dst = argv[4];
		p.block_size = (uint32_t)strtoul(argv[2], NULL, 0);
		memcpy(p.fs_tag, argv[3], strnlen(argv[3], sizeof(p.fs_tag) - 1));
		opt = 5;
	} else {
		fprintf(stderr, "usage: imgwrite RAWFILE BLOCKSIZE FSTAG OUT.pcl [CSUM [BPC "
				"[RESEED]]]\n       imgwrite --like IMAGE.pcl RAWFILE OUT.pcl "
				"[CSUM [BPC [RESEED]]]\n");
		return 2;
	}
	if (argc > opt)
		p.checksum_mode = parse_mode(argv[opt]);
	if (argc > opt + 1)
		p.blocks_per_checksum = (uint32_t)strtoul(argv[opt + 1], NULL, 0);
	if (argc > opt + 2)
		p.reseed = atoi(argv[opt + 2]);
	if ((fd = open(raw, O_RDONLY)) < 0 || fstat(fd, &st) < 0) {
		perror(raw);
		return 1;
	}
	if (!bm.bytes) {
		if (!p.block_size) {
			fprintf(stderr, "imgwrite: bad block size\n");
			return 2;
		}
		if ((ret = scan_raw(fd, (uint64_t)st.st_size, &p, &bm, &err)) < 0)
			return fail(&err, ret);
	}
	if ((ofd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		perror(dst);
		return 1;
	}
	if ((ret = cc_ostream_fd(ofd, dst, 1, 0, &err, &out)) < 0)
		return fail(&err, ret);
	if ((ret = cc_ptcl_writer_new(&p, &bm, out, &err, &w)) < 0 ||
	    (ret = copy_blocks(fd, &bm, p.block_size, w, &err)) < 0 ||
	    (ret = cc_ptcl_writer_finish(w)) < 0 || (ret = cc_ostream_finish(out)) < 0) {
		cc_ptcl_writer_free(w);
		cc_ostream_free(out);
		cc_bitmap_free(&bm);
		return fail(&err, ret);
	}
	cc_ptcl_writer_free(w);
	cc_ostream_free(out);
	cc_bitmap_free(&bm);
	close(fd);
	return 0;
}
