/*
 * imgdump - read an image file with the engine's readers (no decompression).
 *   imgdump IMAGE [OUT_RAW]
 * Prints the image info one field per line (format=, fs=, creator=,
 * block_size=, total_blocks=, used_blocks=, used_blocks_sb=, device_size=,
 * checksum=, checksum_size=, bpc=, reseed=, bitmap_mode=), reads every
 * extent (verifying every checksum) and, with OUT_RAW, writes each extent
 * at its offset into OUT_RAW (created or truncated), then sets its size to
 * device_size: a sparse restore.  On failure: "error: NAME: detail" on
 * stderr and exit status 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checksum.h"
#include "error.h"
#include "image.h"
#include "stream.h"

static void print_info(const struct cc_image_info *ii, unsigned long long extents,
		       unsigned long long bytes)
{
	printf("format=%s\n", cc_imgfmt_name(ii->format));
	printf("fs=%s\n", ii->fs_tag);
	printf("creator=%s\n", ii->creator);
	printf("block_size=%u\n", ii->block_size);
	printf("total_blocks=%llu\n", (unsigned long long)ii->total_blocks);
	printf("used_blocks=%llu\n", (unsigned long long)ii->used_blocks);
	printf("used_blocks_sb=%llu\n", (unsigned long long)ii->used_blocks_sb);
	printf("device_size=%llu\n", (unsigned long long)ii->device_size);
	printf("checksum=%s\n", cc_csum_name(ii->checksum_mode));
	printf("checksum_size=%u\n", ii->checksum_size);
	printf("bpc=%u\n", ii->blocks_per_checksum);
	printf("reseed=%d\n", ii->reseed);
	printf("bitmap_mode=%d\n", ii->bitmap_mode);
	printf("extents=%llu\n", extents);
	printf("data_bytes=%llu\n", bytes);
}

static int fail(const struct cc_error *err, int code)
{
	fprintf(stderr, "error: %s: %s\n", cc_errname(code), err->detail);
	return 1;
}

static int write_all_at(int fd, const unsigned char *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cc_error err = {0, 0, ""};
	struct cc_istream *in = NULL;
	struct cc_image *img = NULL;
	struct cc_extent e;
	unsigned long long extents = 0, bytes = 0;
	int fd, out = -1, ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: imgdump IMAGE [OUT_RAW]\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0) {
		perror(argv[1]);
		return 1;
	}
	if ((ret = cc_istream_fd(fd, argv[1], 1, &err, &in)) < 0)
		return fail(&err, ret);
	if ((ret = cc_image_open(in, &err, &img)) < 0) {
		cc_istream_free(in);
		return fail(&err, ret);
	}
	if (argc == 3 && (out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		perror(argv[2]);
		cc_image_free(img);
		return 1;
	}
	while ((ret = cc_image_next(img, &e)) > 0) {
		extents++;
		bytes += e.len;
		if (out >= 0 && write_all_at(out, e.data, e.len, e.offset) < 0) {
			perror(argv[2]);
			cc_image_free(img);
			return 1;
		}
	}
	print_info(cc_image_get_info(img), extents, bytes);
	if (ret < 0) {
		cc_image_free(img);
		if (out >= 0)
			close(out);
		return fail(&err, ret);
	}
	if (out >= 0) {
		off_t size = (off_t)cc_image_get_info(img)->device_size;

		if (ftruncate(out, size) < 0 || close(out) < 0) {
			perror(argv[2]);
			cc_image_free(img);
			return 1;
		}
	}
	cc_image_free(img);
	return 0;
}
