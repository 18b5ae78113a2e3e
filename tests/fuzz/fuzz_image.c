/* fuzz_image.c - libFuzzer target: every image reader (partclone 0001 and
 * 0002 headers, bitmaps and checksummed data, ntfsclone, raw) on
 * uncompressed input, read to the end with the checks of fuzz_common.h.
 *
 * A mutation almost never keeps partclone's CRCs right, so most inputs
 * would stop at the header checksum.  A partclone input is therefore read
 * twice: as it is (the checksum errors), then with its checksums made to
 * match (fixup_v2, fixup_v1: the header CRC, the bitmap CRC and count, the
 * 0001 end mark, every data checksum that fits in the input), so the
 * fuzzer reaches the header fields, the bitmap and the data behind them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "error.h"
#include "fuzz_common.h"
#include "image.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
	while (n--) {
		*p++ = (unsigned char)v;
		v >>= 8;
	}
}

static int sane_bs(uint64_t bs)
{
	return bs >= 512 && bs <= (64u << 20) && !(bs & (bs - 1));
}

/* Format 0002: bitmap CRC and count, header CRC, data checksums. */
static void fixup_v2(unsigned char *d, size_t size)
{
	uint64_t total = get_le(d + 60, 8), used = 0, pos = 110, i;
	uint32_t bs = (uint32_t)get_le(d + 84, 4), bpc = (uint32_t)get_le(d + 100, 4);
	int mode = (int)get_le(d + 96, 2), reseed = d[104], bmode = d[105], known;
	size_t cs = cc_csum_size(mode, &known);
	struct cc_csum c;

	if (bmode == 1 && total <= (uint64_t)size * 8) {
		uint64_t nbytes = (total + 7) / 8;

		if (pos + nbytes + 4 <= size) {
			if (total & 7)
				d[pos + nbytes - 1] &= (unsigned char)((1u << (total & 7)) - 1);
			for (i = 0; i < nbytes; i++)
				used += (uint64_t)__builtin_popcount(d[pos + i]);
			put_le(d + pos + nbytes, cc_ptcl_crc32(CC_PTCL_CRC_SEED, d + pos, nbytes), 4);
			put_le(d + 76, used, 8);
			pos += nbytes + 4;
		} else {
			bmode = -1;
		}
	} else if (bmode == 0) {
		used = total;
	} else {
		bmode = -1;
	}
	put_le(d + 106, cc_ptcl_crc32(CC_PTCL_CRC_SEED, d, 106), 4);
	if (bmode < 0 || !known || !cs || !bpc || !sane_bs(bs) || cc_csum_init(&c, mode) < 0)
		return;
	while (used) {
		uint64_t k = used < bpc ? used : bpc, len = k * bs;

		if (pos + len + cs > size)
			break;
		cc_csum_update(&c, d + pos, (size_t)len);
		cc_csum_final(&c, d + pos + len);
		if (reseed)
			cc_csum_reset(&c);
		pos += len + cs;
		used -= k;
	}
	cc_csum_free(&c);
}

/* Format 0001: "BiTmAgIc" after the byte map, then crc32_0001() after every
 * used block (8-byte CRCs when header byte 4159 is odd, else 4). */
static void fixup_v1(unsigned char *d, size_t size)
{
	uint64_t total = get_le(d + 48, 8), pos = 4160, used = 0, i;
	uint32_t bs = (uint32_t)get_le(d + 36, 4), crc = CC_PTCL_CRC_SEED;
	size_t cs = d[4159] & 1 ? 8 : 4;
	unsigned char *fill;

	if (total > size || pos + total + 8 > size)
		return;
	for (i = 0; i < total; i++)
		used += d[pos + i] == 1;
	memcpy(d + pos + total, "BiTmAgIc", 8);
	pos += total + 8;
	if (!sane_bs(bs) || bs > size || !(fill = malloc(bs)))
		return;
	for (; used && pos + bs + cs <= size; used--) {
		memset(fill, d[pos], bs);
		crc = cc_ptcl_crc32(crc, fill, bs);
		put_le(d + pos + bs, crc, 4);
		memset(d + pos + bs + 4, 0, cs - 4);
		pos += bs + cs;
	}
	free(fill);
}

static void read_image(const unsigned char *data, size_t size)
{
	struct cc_error err = {0, 0, ""};
	struct cc_istream *in;
	struct cc_image *img;
	int ret;

	if (cc_istream_mem(data, size, &err, &in) < 0)
		return;
	if ((ret = cc_image_open(in, &err, &img)) < 0) {
		fuzz_check_error(&err, ret);
		cc_istream_free(in);
		return;
	}
	fuzz_drain_image(img, &err);
	cc_image_free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy;
	int v1;

	read_image(data, size);
	if (size < 110 || memcmp(data, "partclone-image", 15))
		return 0;
	if (!memcmp(data + 30, "0002", 4))
		v1 = 0;
	else if (!memcmp(data + 30, "0001", 4) && size >= 4160)
		v1 = 1;
	else
		return 0;
	if (!(copy = malloc(size)))
		return 0;
	memcpy(copy, data, size);
	if (v1)
		fixup_v1(copy, size);
	else
		fixup_v2(copy, size);
	if (memcmp(copy, data, size))
		read_image(copy, size);
	free(copy);
	return 0;
}
