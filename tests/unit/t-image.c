/*
 * t-image.c - checksums, the partclone 0002 writer and the image readers
 * (partclone 0002/0001, ntfsclone, raw), all in memory.  Expected images
 * are built here by hand, field by field, with a byte-wise CRC reference,
 * independently of the writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>
#include <zlib.h>

#include "bitmap.h"
#include "checksum.h"
#include "error.h"
#include "image.h"
#include "stream.h"
#include "tap.h"

/* ---- small tools ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fill_random(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(rnd() >> 24);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(99);
	}
	return p;
}

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		if (!(b->p = realloc(b->p, b->cap)))
			exit(99);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_le(struct buf *b, uint64_t v, int n)
{
	unsigned char c[8];
	int i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	put(b, c, (size_t)n);
}

static void set_le(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* partclone's crc32(): byte-wise table, reflected 0xEDB88320, no final NOT. */
static uint32_t ref_tab[256];

static void ref_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		for (c = i, j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
		ref_tab[i] = c;
	}
}

static uint32_t ref_crc(uint32_t crc, const unsigned char *p, size_t n)
{
	while (n--)
		crc = (crc >> 8) ^ ref_tab[(crc ^ *p++) & 0xff];
	return crc;
}

/* partclone's crc32_0001(): the first byte, n times. */
static uint32_t ref_crc0001(uint32_t crc, const unsigned char *p, size_t n)
{
	while (n--)
		crc = (crc >> 8) ^ ref_tab[(crc ^ *p) & 0xff];
	return crc;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- reading an image in memory ---- */

struct result {
	int ret;	     /* 0 or the error */
	int open_ret;	     /* cc_image_open's result */
	struct cc_error err;
	struct cc_image_info info;
	unsigned char *dev; /* reconstructed device (info.device_size bytes) */
	uint64_t dev_size;
	unsigned extents;
	int order_ok;	     /* extents ascending, in range, runs of used blocks */
	uint64_t max_block;  /* last block returned */
	int have_bitmap;
};

static void result_free(struct result *r)
{
	free(r->dev);
	memset(r, 0, sizeof(*r));
}

static int extent_ok(const struct cc_image *img, const struct cc_extent *e, uint64_t *next_off)
{
	const struct cc_bitmap *bm = cc_image_bitmap(img);
	const struct cc_image_info *ii = cc_image_get_info(img);
	uint64_t i, n;

	if (!e->len || e->offset < *next_off)
		return 0;
	*next_off = e->offset + e->len;
	if (ii->format == CC_FMT_RAW)
		return e->first_block == e->offset / 512;
	if (e->first_block * ii->block_size != e->offset)
		return 0;
	if (!bm)
		return 1;
	if (e->len % ii->block_size)
		return 0;
	n = e->len / ii->block_size;
	for (i = 0; i < n; i++)
		if (e->first_block + i >= bm->nbits || !cc_bitmap_test(bm, e->first_block + i))
			return 0;
	return 1;
}

static void read_image(const unsigned char *data, size_t len, struct result *r)
{
	struct cc_istream *in = NULL;
	struct cc_image *img = NULL;
	struct cc_extent e;
	uint64_t next_off = 0, cap = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	r->order_ok = 1;
	if (cc_istream_mem(data, len, &r->err, &in) < 0)
		exit(99);
	if ((ret = cc_image_open(in, &r->err, &img)) < 0) {
		cc_istream_free(in);
		r->ret = r->open_ret = ret;
		return;
	}
	r->info = *cc_image_get_info(img);
	r->have_bitmap = cc_image_bitmap(img) != NULL;
	while ((ret = cc_image_next(img, &e)) > 0) {
		r->extents++;
		if (!extent_ok(img, &e, &next_off))
			r->order_ok = 0;
		if (e.offset + e.len > cap) {
			uint64_t ncap = (e.offset + e.len) * 2;

			if (ncap > ((uint64_t)1 << 31)) {
				r->order_ok = 0;
				continue;
			}
			r->dev = realloc(r->dev, (size_t)ncap);
			memset(r->dev + cap, 0, (size_t)(ncap - cap));
			cap = ncap;
		}
		memcpy(r->dev + e.offset, e.data, e.len);
		if (e.offset + e.len > r->dev_size)
			r->dev_size = e.offset + e.len;
		r->max_block = e.first_block + (e.len ? (e.len - 1) / (r->info.block_size
								       ? r->info.block_size
								       : 512)
						      : 0);
	}
	r->ret = ret;
	if (ret == 0 && cc_image_next(img, &e) != 0)
		r->order_ok = 0; /* the end must stay the end */
	if (ret < 0 && cc_image_next(img, &e) != ret)
		r->order_ok = 0; /* an error must stay */
	r->info = *cc_image_get_info(img);
	cc_image_free(img);
}

/* ---- hand-built partclone 0002 images ---- */

struct spec {
	uint32_t bs;
	uint64_t total;
	int mode;
	uint32_t bpc; /* as stored: 0 for mode NONE */
	int reseed;
	uint64_t dev_size;
	char fs[16];
	char creator[15];
};

static size_t csize(int mode)
{
	return mode == CC_CSUM_CRC32	? 4
	       : mode == CC_CSUM_XXH64	? 8
	       : mode == CC_CSUM_XXH128 ? 16
					: 0;
}

static uint64_t popcount_bm(const unsigned char *bm, uint64_t total)
{
	uint64_t i, n = 0;

	for (i = 0; i < total; i++)
		n += (uint64_t)((bm[i >> 3] >> (i & 7)) & 1);
	return n;
}

static void v2_header(struct buf *b, const struct spec *s, uint64_t used_sb, uint64_t used_bm,
		      int bitmap_mode)
{
	unsigned char h[110];

	memset(h, 0, sizeof(h));
	memcpy(h, "partclone-image", 15);
	memcpy(h + 16, s->creator, strlen(s->creator));
	memcpy(h + 30, "0002", 4);
	h[34] = 0xDE;
	h[35] = 0xC0;
	memcpy(h + 36, s->fs, strlen(s->fs));
	set_le(h + 52, s->dev_size, 8);
	set_le(h + 60, s->total, 8);
	set_le(h + 68, used_sb, 8);
	set_le(h + 76, used_bm, 8);
	set_le(h + 84, s->bs, 4);
	set_le(h + 88, 18, 4);
	set_le(h + 92, 2, 2);
	set_le(h + 94, 64, 2);
	set_le(h + 96, (uint64_t)s->mode, 2);
	set_le(h + 98, csize(s->mode), 2);
	set_le(h + 100, s->bpc, 4);
	h[104] = (unsigned char)s->reseed;
	h[105] = (unsigned char)bitmap_mode;
	set_le(h + 106, ref_crc(0xFFFFFFFFu, h, 106), 4);
	put(b, h, sizeof(h));
}

/* Checksum of data[from..to) as partclone stores it; with reseed 0 the
 * state covers everything since `origin`. */
static void ref_csum(int mode, const unsigned char *origin, const unsigned char *from, size_t n,
		     int reseed, unsigned char *out)
{
	const unsigned char *p = reseed ? from : origin;
	size_t len = reseed ? n : (size_t)(from - origin) + n;
	XXH128_hash_t h;

	if (mode == CC_CSUM_CRC32) {
		set_le(out, ref_crc(0xFFFFFFFFu, p, len), 4);
	} else if (mode == CC_CSUM_XXH64) {
		set_le(out, XXH64(p, len, 0), 8);
	} else if (mode == CC_CSUM_XXH128) {
		h = XXH3_128bits(p, len);
		set_le(out, h.low64, 8);
		set_le(out + 8, h.high64, 8);
	}
}

/* The whole image for device `dev` and bitmap `bm`. */
static void build_v2(struct buf *b, const struct spec *s, const unsigned char *bm,
		     const unsigned char *dev)
{
	uint64_t used = popcount_bm(bm, s->total), i, k = 0;
	size_t nb = (size_t)((s->total + 7) / 8);
	unsigned char *data = xmalloc((size_t)(used * s->bs)), c[16];
	uint32_t crc = 0xFFFFFFFFu;

	v2_header(b, s, used, used, 1);
	put(b, bm, nb);
	put_le(b, ref_crc(0xFFFFFFFFu, bm, nb), 4);
	for (i = 0; i < s->total; i++)
		if ((bm[i >> 3] >> (i & 7)) & 1)
			memcpy(data + (k++) * s->bs, dev + i * s->bs, s->bs);
	for (i = 0; i < used;) {
		uint64_t n = s->bpc && s->bpc < used - i ? s->bpc : used - i;

		put(b, data + i * s->bs, (size_t)(n * s->bs));
		if (s->bpc && s->mode == CC_CSUM_CRC32) {
			/* chained by hand: the cumulative form is quadratic */
			crc = ref_crc(s->reseed ? 0xFFFFFFFFu : crc, data + i * s->bs,
				      (size_t)(n * s->bs));
			put_le(b, crc, 4);
		} else if (s->bpc) {
			ref_csum(s->mode, data, data + i * s->bs, (size_t)(n * s->bs), s->reseed,
				 c);
			put(b, c, csize(s->mode));
		}
		i += n;
	}
	free(data);
}

/* Write with the engine's writer, feeding `chunk` blocks at a time
 * (0: vary the sizes). */
static int write_v2(const struct spec *s, const struct cc_bitmap *bm, const unsigned char *dev,
		    uint32_t bpc_param, uint64_t chunk, struct buf *out, struct cc_error *err)
{
	struct cc_ptcl_params p;
	struct cc_ostream *os = NULL;
	struct cc_ptcl_writer *w = NULL;
	uint64_t i, used = cc_bitmap_count(bm), k = 0, step = 1;
	unsigned char *data = xmalloc((size_t)(used * s->bs));
	const unsigned char *mem;
	size_t len;
	int ret;

	memset(&p, 0, sizeof(p));
	memcpy(p.fs_tag, s->fs, strlen(s->fs));
	p.device_size = s->dev_size;
	p.total_blocks = s->total;
	p.used_blocks_sb = used;
	p.block_size = s->bs;
	p.checksum_mode = s->mode;
	p.blocks_per_checksum = bpc_param;
	p.reseed = s->reseed;
	for (i = 0; i < s->total; i++)
		if (cc_bitmap_test(bm, i))
			memcpy(data + (k++) * s->bs, dev + i * s->bs, s->bs);
	if (cc_ostream_mem(err, &os) < 0)
		exit(99);
	if ((ret = cc_ptcl_writer_new(&p, bm, os, err, &w)) < 0)
		goto out;
	for (i = 0; i < used; i += step) {
		step = chunk ? chunk : (rnd() % 13) + 1;
		if (step > used - i)
			step = used - i;
		if ((ret = cc_ptcl_writer_blocks(w, data + i * s->bs, step)) < 0)
			goto out;
	}
	if ((ret = cc_ptcl_writer_finish(w)) < 0)
		goto out;
	mem = cc_ostream_mem_data(os, &len);
	out->len = 0;
	put(out, mem, len);
out:
	cc_ptcl_writer_free(w);
	cc_ostream_free(os);
	free(data);
	return ret;
}

static void spec_init(struct spec *s, uint32_t bs, uint64_t total, int mode, uint32_t bpc,
		      int reseed)
{
	memset(s, 0, sizeof(*s));
	s->bs = bs;
	s->total = total;
	s->mode = mode;
	s->bpc = mode == CC_CSUM_NONE ? 0 : bpc;
	s->reseed = mode == CC_CSUM_NONE ? 1 : reseed;
	s->dev_size = total * bs + 3 * bs / 2; /* a partition a bit larger than the fs */
	strcpy(s->fs, "EXTFS");
	strcpy(s->creator, "clonecast-0.1");
}

/* The device as a restore should see it: used blocks only. */
static unsigned char *expected_dev(const struct spec *s, const struct cc_bitmap *bm,
				   const unsigned char *dev)
{
	unsigned char *e = calloc(1, (size_t)s->dev_size);
	uint64_t i;

	if (!e)
		exit(99);
	for (i = 0; i < s->total; i++)
		if (cc_bitmap_test(bm, i))
			memcpy(e + i * s->bs, dev + i * s->bs, s->bs);
	return e;
}

static int same_dev(const struct result *r, const unsigned char *want, uint64_t size)
{
	uint64_t i;

	if (r->dev_size > size)
		return 0;
	if (r->dev_size && memcmp(r->dev, want, (size_t)r->dev_size))
		return 0;
	for (i = r->dev_size; i < size; i++)
		if (want[i])
			return 0;
	return 1;
}

/* ---- checksums ---- */

static unsigned char hexval(char c)
{
	return (unsigned char)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
}

static void test_checksums(void)
{
	/* The example header of CLONEZILLA-FACTS.md 1.1 (partclone.ntfs 0.3.23). */
	static const char *hex = /* the hexdump rows, as printed there */
		"7061 7274 636c 6f6e 652d 696d 6167 6500"
		"302e 332e 3233 0000 0000 0000 0000 3030"
		"3032 dec0 4e54 4653 0000 0000 0000 0000"
		"0000 0000 0000 0004 0000 0000 ff3f 0000"
		"0000 0000 5a05 0000 0000 0000 5a05 0000"
		"0000 0000 0010 0000 1200 0000 0200 4000"
		"2000 0400 0001 0000 0101";
	unsigned char h[106], *big;
	size_t n = 0, i, lens[] = {0, 1, 3, 7, 8, 15, 16, 63, 64, 100, 511, 4096, 65537};
	struct cc_csum c;
	uint32_t seeds[] = {0xFFFFFFFFu, 0, 0x12345678u};
	int ok_all = 1, known;
	unsigned char out[16], want[16];
	XXH128_hash_t h128;
	double secs;

	for (i = 0; hex[i] && n < sizeof(h); i++) {
		if (hex[i] == ' ')
			continue;
		h[n++] = (unsigned char)(hexval(hex[i]) << 4 | hexval(hex[i + 1]));
		i++;
	}
	is_int((long long)n, 106, "example header is 106 bytes");
	is_uint(cc_ptcl_crc32(CC_PTCL_CRC_SEED, h, 106), 0x45B3FAFAu,
		"example partclone header has CRC 0x45B3FAFA");
	is_uint(ref_crc(0xFFFFFFFFu, h, 106), 0x45B3FAFAu, "byte-wise reference agrees");
	is_uint(cc_ptcl_crc32(CC_PTCL_CRC_SEED, h, 106), ~crc32(0, h, 106) & 0xFFFFFFFFu,
		"partclone CRC is the NOT of zlib's");

	big = xmalloc(1 << 20);
	fill_random(big, 1 << 20);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t s;

		for (s = 0; s < 3; s++) {
			size_t off = rnd() % 64, split = lens[i] ? rnd() % lens[i] : 0;
			uint32_t a = cc_ptcl_crc32(seeds[s], big + off, lens[i]);
			uint32_t b = ref_crc(seeds[s], big + off, lens[i]);
			uint32_t ch = cc_ptcl_crc32(cc_ptcl_crc32(seeds[s], big + off, split),
						    big + off + split, lens[i] - split);

			if (a != b || ch != b) {
				ok_all = 0;
				diag("len %zu seed %08x: %08x %08x %08x", lens[i], seeds[s], a, b,
				     ch);
			}
		}
	}
	ok(ok_all, "fast CRC equals the byte-wise reference (lengths 0..65537, seeds, chained)");
	is_uint(cc_ptcl_crc32(CC_PTCL_CRC_SEED, big, 1 << 20), ref_crc(0xFFFFFFFFu, big, 1 << 20),
		"fast CRC of 1 MiB equals the reference");

	is_int((long long)cc_csum_size(CC_CSUM_NONE, &known), 0, "size of none is 0");
	is_int((long long)cc_csum_size(CC_CSUM_CRC32, &known), 4, "size of CRC32 is 4");
	is_int((long long)cc_csum_size(CC_CSUM_XXH64, &known), 8, "size of XXH64 is 8");
	is_int((long long)cc_csum_size(CC_CSUM_XXH128, &known), 16, "size of XXH128 is 16");
	cc_csum_size(0x21, &known);
	ok(!known, "mode 0x21 is unknown");
	is_str(cc_csum_name(CC_CSUM_XXH128), "XXH128", "name of 0x31");
	is_str(cc_csum_name(0x77), "unknown", "name of an unknown mode");
	is_int(cc_csum_init(&c, 0x77), -CC_E_UNSUPPORTED, "init of an unknown mode fails");

	/* XXH64 and XXH128 against the one-shot functions, fed in pieces. */
	ok(cc_csum_init(&c, CC_CSUM_XXH64) == 0, "XXH64 state");
	cc_csum_update(&c, big, 1000);
	cc_csum_update(&c, big + 1000, 70000);
	cc_csum_final(&c, out);
	set_le(want, XXH64(big, 71000, 0), 8);
	is_mem(out, want, 8, "XXH64 streaming equals XXH64(seed 0), little-endian");
	cc_csum_reset(&c);
	cc_csum_update(&c, big + 5, 333);
	cc_csum_final(&c, out);
	set_le(want, XXH64(big + 5, 333, 0), 8);
	is_mem(out, want, 8, "XXH64 after reset");
	cc_csum_free(&c);

	ok(cc_csum_init(&c, CC_CSUM_XXH128) == 0, "XXH128 state");
	cc_csum_update(&c, big, 1);
	cc_csum_update(&c, big + 1, 300000);
	cc_csum_final(&c, out);
	h128 = XXH3_128bits(big, 300001);
	set_le(want, h128.low64, 8);
	set_le(want + 8, h128.high64, 8);
	is_mem(out, want, 16, "XXH128 streaming equals XXH3_128bits, low64 then high64 LE");
	cc_csum_update(&c, big + 300001, 10);
	cc_csum_final(&c, out);
	h128 = XXH3_128bits(big, 300011);
	set_le(want, h128.low64, 8);
	set_le(want + 8, h128.high64, 8);
	is_mem(out, want, 16, "XXH128 continues after a digest (reseed 0)");
	cc_csum_free(&c);

	ok(cc_csum_init(&c, CC_CSUM_CRC32) == 0, "CRC32 state");
	cc_csum_update(&c, big, 4096);
	cc_csum_final(&c, out);
	set_le(want, ref_crc(0xFFFFFFFFu, big, 4096), 4);
	is_mem(out, want, 4, "CRC32 state stores the partclone CRC little-endian");
	cc_csum_free(&c);

	secs = now();
	for (i = 0; i < 256; i++)
		n += cc_ptcl_crc32(CC_PTCL_CRC_SEED, big, 1 << 20) & 1;
	secs = now() - secs;
	diag("partclone CRC32: %.0f MB/s (256 MiB in %.3f s)",
	     secs > 0 ? 256 * 1.048576 / secs : 0.0, secs);
	free(big);
}

/* ---- the writer, byte for byte ---- */

static void test_writer_bytes(void)
{
	static const int used_list[] = {0, 1, 2, 5, 8, 9, 10, 11, 12, 20};
	struct spec s;
	struct cc_bitmap bm;
	struct cc_error err = {0, 0, ""};
	struct buf want = {0}, got = {0};
	unsigned char *dev;
	size_t i;

	spec_init(&s, 512, 21, CC_CSUM_CRC32, 3, 1);
	s.dev_size = 21 * 512;
	cc_bitmap_init(&bm, 21, NULL);
	for (i = 0; i < sizeof(used_list) / sizeof(used_list[0]); i++)
		cc_bitmap_set(&bm, (uint64_t)used_list[i]);
	dev = xmalloc(21 * 512);
	fill_random(dev, 21 * 512);
	build_v2(&want, &s, bm.bytes, dev);
	is_int(write_v2(&s, &bm, dev, 3, 0, &got, &err), 0, "writer: 21 blocks, 10 used, bpc 3");
	is_int((long long)got.len, (long long)(110 + 3 + 4 + 10 * 512 + 4 * 4),
	       "writer: size = 110 + ceil(T/8) + 4 + U*bs + ceil(U/bpc)*cs");
	ok(got.len == want.len && !memcmp(got.p, want.p, want.len),
	   "writer output equals the hand-built image byte for byte");
	if (got.len >= 110) {
		is_mem(got.p, "partclone-image\0", 16, "magic at 0");
		is_mem(got.p + 16, "clonecast-0.1\0", 14, "creator at 16");
		is_mem(got.p + 30, "0002", 4, "version at 30");
		is_mem(got.p + 34, "\xde\xc0", 2, "endianness 0xC0DE at 34");
		is_mem(got.p + 36, "EXTFS\0\0\0\0\0\0\0\0\0\0\0", 16, "fs tag at 36");
		is_mem(got.p + 84, "\x00\x02\x00\x00\x12\x00\x00\x00\x02\x00\x40\x00", 12,
		       "block size, feature size 18, version 2, 64 bits at 84");
		is_mem(got.p + 96, "\x20\x00\x04\x00\x03\x00\x00\x00\x01\x01", 10,
		       "CRC32, size 4, bpc 3, reseed 1, bitmap BIT at 96");
		is_uint(got.p[76], 10, "used_bitmap at 76");
		is_uint(ref_crc(0xFFFFFFFFu, got.p, 106),
			(uint32_t)got.p[106] | (uint32_t)got.p[107] << 8 |
				(uint32_t)got.p[108] << 16 | (uint32_t)got.p[109] << 24,
			"header CRC at 106");
		is_uint(got.p[110 + 2], 0x10, "bitmap byte 2 has only block 20 (tail bits clear)");
	}

	/* XXH128 without reseed, and mode NONE (bpc 0, reseed 1, bitmap CRC kept). */
	spec_init(&s, 512, 21, CC_CSUM_XXH128, 4, 0);
	s.dev_size = 21 * 512;
	want.len = 0;
	build_v2(&want, &s, bm.bytes, dev);
	is_int(write_v2(&s, &bm, dev, 4, 1, &got, &err), 0, "writer: XXH128, bpc 4, no reseed");
	ok(got.len == want.len && !memcmp(got.p, want.p, want.len),
	   "XXH128/no-reseed output equals the hand-built image");
	spec_init(&s, 512, 21, CC_CSUM_NONE, 0, 1);
	s.dev_size = 21 * 512;
	want.len = 0;
	build_v2(&want, &s, bm.bytes, dev);
	is_int(write_v2(&s, &bm, dev, 77, 0, &got, &err), 0, "writer: mode none");
	ok(got.len == want.len && !memcmp(got.p, want.p, want.len),
	   "mode none: bpc 0, reseed 1, bitmap CRC present, blocks concatenated");

	/* default blocks_per_checksum = 1 MiB / bs */
	spec_init(&s, 4096, 21, CC_CSUM_CRC32, 256, 1);
	free(dev);
	dev = xmalloc(21 * 4096);
	fill_random(dev, 21 * 4096);
	want.len = 0;
	build_v2(&want, &s, bm.bytes, dev);
	is_int(write_v2(&s, &bm, dev, 0, 0, &got, &err), 0, "writer: bpc 0 means the default");
	ok(got.len == want.len && !memcmp(got.p, want.p, want.len) && got.p[100] == 0 &&
		   got.p[101] == 1,
	   "default blocks_per_checksum is 256 for 4 KiB blocks");
	free(dev);
	cc_bitmap_free(&bm);
	free(want.p);
	free(got.p);
}

/* ---- round trips ---- */

static void make_bitmap(struct cc_bitmap *bm, uint64_t total, int kind)
{
	uint64_t i;

	cc_bitmap_init(bm, total, NULL);
	for (i = 0; i < total; i++) {
		int set = 0;

		switch (kind) {
		case 0: /* sparse random runs */
			set = (rnd() % 100) < 45 || (i / 37) % 3 == 0;
			break;
		case 1: /* nothing used */
			break;
		case 2: /* everything used */
			set = 1;
			break;
		case 3: /* every other block */
			set = i & 1;
			break;
		case 4: /* one block at the end */
			set = i == total - 1;
			break;
		}
		if (set)
			cc_bitmap_set(bm, i);
	}
}

static const char *kind_name[] = {"sparse", "none used", "all used", "alternate", "last only"};

/* Write an image of `kind` with the writer, compare it with the hand-built
 * one, read it back; 1 if everything matches. */
static int round_trip(int mode, int reseed, uint32_t bpc, int kind)
{
	struct spec s;
	struct cc_bitmap bm;
	struct cc_error err = {0, 0, ""};
	struct buf img = {0}, want = {0};
	struct result r;
	unsigned char *dev, *edev;
	uint32_t bs = kind == 2 ? 4096 : 512;
	uint64_t total = kind == 2 ? 700 : 3001;
	int good;

	spec_init(&s, bs, total, mode, bpc, reseed);
	make_bitmap(&bm, total, kind);
	dev = xmalloc((size_t)s.dev_size);
	fill_random(dev, (size_t)s.dev_size);
	build_v2(&want, &s, bm.bytes, dev);
	good = write_v2(&s, &bm, dev, bpc, 0, &img, &err) == 0 && img.len == want.len &&
	       !memcmp(img.p, want.p, img.len);
	read_image(img.p, img.len, &r);
	edev = expected_dev(&s, &bm, dev);
	good = good && r.ret == 0 && r.order_ok && same_dev(&r, edev, s.dev_size) &&
	       r.info.format == CC_FMT_PTCL2 && r.info.used_blocks == cc_bitmap_count(&bm) &&
	       r.info.total_blocks == total && r.info.block_size == bs &&
	       r.info.device_size == s.dev_size && r.info.checksum_mode == mode &&
	       r.info.blocks_per_checksum == s.bpc && r.info.reseed == s.reseed && r.have_bitmap &&
	       !strcmp(r.info.fs_tag, "EXTFS") && !strcmp(r.info.creator, "clonecast-0.1");
	if (kind == 2 && r.extents != 1)
		good = 0; /* one run in one 2.8 MB batch: one extent */
	if (!good)
		diag("round trip failed: %s reseed %d bpc %u %s: %s (%s)", cc_csum_name(mode),
		     reseed, bpc, kind_name[kind], cc_errname(r.ret), r.err.detail);
	result_free(&r);
	free(edev);
	free(dev);
	free(img.p);
	free(want.p);
	cc_bitmap_free(&bm);
	return good;
}

static void test_round_trips(void)
{
	static const int modes[] = {CC_CSUM_NONE, CC_CSUM_CRC32, CC_CSUM_XXH64, CC_CSUM_XXH128};
	static const uint32_t bpcs[] = {1, 7, 256};
	int mi, reseed, bi, kind;

	for (mi = 0; mi < 4; mi++)
		for (reseed = 0; reseed < 2; reseed++)
			for (bi = 0; bi < 3; bi++)
				for (kind = 0; kind < 5; kind++) {
					if (modes[mi] == CC_CSUM_NONE && (reseed == 0 || bi > 0))
						continue;
					ok(round_trip(modes[mi], reseed, bpcs[bi], kind),
					   "round trip %s reseed %d bpc %u, %s",
					   cc_csum_name(modes[mi]), reseed, bpcs[bi],
					   kind_name[kind]);
				}
}

/* ---- corruption, truncation, trailing data ---- */

/* A small image: bs 512, 100 blocks, sparse, the given mode and bpc 7. */
static void small_image(struct buf *img, struct cc_bitmap *bm, unsigned char **dev, int mode,
			int reseed)
{
	struct spec s;

	spec_init(&s, 512, 100, mode, 7, reseed);
	make_bitmap(bm, 100, 0);
	*dev = xmalloc((size_t)s.dev_size);
	fill_random(*dev, (size_t)s.dev_size);
	img->len = 0;
	build_v2(img, &s, bm->bytes, *dev);
}

/* n-th used block (0-based) */
static uint64_t nth_used(const struct cc_bitmap *bm, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < bm->nbits; i++)
		if (cc_bitmap_test(bm, i) && n-- == 0)
			return i;
	return ~0ull;
}

static void test_flips(void)
{
	static const int modes[] = {CC_CSUM_CRC32, CC_CSUM_XXH64, CC_CSUM_XXH128};
	int mi;

	for (mi = 0; mi < 3; mi++) {
		struct buf img = {0};
		struct cc_bitmap bm;
		unsigned char *dev;
		struct result r;
		size_t data0 = 110 + 13 + 4, cs = csize(modes[mi]), grp = 7 * 512 + cs, pos;
		uint64_t first, last;
		char want[128];

		small_image(&img, &bm, &dev, modes[mi], mi != 1);
		first = nth_used(&bm, 14);
		last = nth_used(&bm, 20);
		/* a byte inside the 3rd group's 2nd block */
		pos = data0 + 2 * grp + 512 + 100;
		img.p[pos] ^= 0x40;
		read_image(img.p, img.len, &r);
		snprintf(want, sizeof(want), "blocks %llu..%llu ", (unsigned long long)first,
			 (unsigned long long)last);
		is_str(cc_errname(r.ret), "CHECKSUM", "flipped data byte -> CHECKSUM");
		ok(strstr(r.err.detail, want) != NULL, "%s: message names %s: %s",
		   cc_csum_name(modes[mi]), want, r.err.detail);
		snprintf(want, sizeof(want), "image bytes %llu..",
			 (unsigned long long)(data0 + 2 * grp));
		ok(strstr(r.err.detail, want) != NULL, "message names the image offset %s", want);
		ok(r.max_block < first, "no block of the bad group was returned (last %llu)",
		   (unsigned long long)r.max_block);
		result_free(&r);
		img.p[pos] ^= 0x40;

		/* a byte of a stored checksum */
		pos = data0 + 4 * grp - 1;
		img.p[pos] ^= 1;
		read_image(img.p, img.len, &r);
		is_str(cc_errname(r.ret), "CHECKSUM", "flipped checksum byte -> CHECKSUM");
		result_free(&r);
		img.p[pos] ^= 1;

		/* the bitmap, then the header */
		img.p[115] ^= 0x08;
		read_image(img.p, img.len, &r);
		ok(r.ret == -CC_E_CORRUPT && strstr(r.err.detail, "bitmap checksum"),
		   "flipped bitmap bit -> CORRUPT (%s)", r.err.detail);
		result_free(&r);
		img.p[115] ^= 0x08;
		img.p[60] ^= 0x01;
		read_image(img.p, img.len, &r);
		ok(r.ret == -CC_E_CORRUPT && strstr(r.err.detail, "header checksum"),
		   "flipped header byte -> CORRUPT (%s)", r.err.detail);
		result_free(&r);
		img.p[60] ^= 0x01;

		read_image(img.p, img.len, &r);
		is_int(r.ret, 0, "restored image reads cleanly again");
		result_free(&r);
		free(img.p);
		free(dev);
		cc_bitmap_free(&bm);
	}
}

/* Every proper prefix must fail with `code`; trailing bytes with CORRUPT. */
static void check_truncations(const unsigned char *img, size_t len, const char *what)
{
	struct result r;
	size_t cut, bad = 0, first_bad = 0;
	unsigned char *more;

	for (cut = 0; cut < len; cut += cut < 6000 || len - cut < 64 ? 1 : 61) {
		read_image(img, cut, &r);
		if (r.ret != -CC_E_TRUNCATED) {
			if (!bad++)
				first_bad = cut;
			if (bad < 4)
				diag("%s cut at %zu: %s %s", what, cut, cc_errname(r.ret),
				     r.err.detail);
		}
		result_free(&r);
	}
	ok(!bad, "%s: truncations of a %zu-byte image -> TRUNCATED (%zu bad, first at %zu)", what,
	   len, bad, first_bad);
	more = xmalloc(len + 4096);
	memcpy(more, img, len);
	fill_random(more + len, 4096);
	read_image(more, len + 1, &r);
	ok(r.ret == -CC_E_CORRUPT, "%s: one trailing byte -> CORRUPT (%s)", what, r.err.detail);
	result_free(&r);
	read_image(more, len + 4096, &r);
	ok(r.ret == -CC_E_CORRUPT && strstr(r.err.detail, "trailing"),
	   "%s: 4 KiB of trailing garbage -> CORRUPT (%s)", what, r.err.detail);
	result_free(&r);
	read_image(img, len, &r);
	is_int(r.ret, 0, "the complete image reads");
	result_free(&r);
	free(more);
}

static void test_truncation(void)
{
	struct buf img = {0};
	struct cc_bitmap bm;
	unsigned char *dev;
	struct result r;
	struct spec s;

	small_image(&img, &bm, &dev, CC_CSUM_CRC32, 1);
	check_truncations(img.p, img.len, "v2 CRC32");
	read_image(img.p, img.len - 3, &r);
	ok(strstr(r.err.detail, "checksum after block 99 ") != NULL,
	   "cut in the final checksum names the last block: %s", r.err.detail);
	result_free(&r);
	read_image(img.p, 110 + 13 + 4 + 700, &r);
	ok(strstr(r.err.detail, "block 3,") || strstr(r.err.detail, "block "),
	   "cut in the data names the block: %s", r.err.detail);
	result_free(&r);
	free(img.p);
	free(dev);
	cc_bitmap_free(&bm);

	memset(&img, 0, sizeof(img));
	small_image(&img, &bm, &dev, CC_CSUM_XXH128, 0);
	check_truncations(img.p, img.len, "v2 XXH128 no reseed");
	free(img.p);
	free(dev);
	cc_bitmap_free(&bm);

	memset(&img, 0, sizeof(img));
	small_image(&img, &bm, &dev, CC_CSUM_NONE, 1);
	check_truncations(img.p, img.len, "v2 mode none");
	free(img.p);
	free(dev);
	cc_bitmap_free(&bm);

	/* zero used blocks: the image ends after the bitmap CRC */
	memset(&img, 0, sizeof(img));
	img.len = 0;
	spec_init(&s, 4096, 30, CC_CSUM_CRC32, 256, 1);
	make_bitmap(&bm, 30, 1);
	dev = xmalloc((size_t)s.dev_size);
	build_v2(&img, &s, bm.bytes, dev);
	is_int((long long)img.len, 110 + 4 + 4, "0 used blocks: header, bitmap, bitmap CRC");
	check_truncations(img.p, img.len, "v2 0 used");
	free(img.p);
	free(dev);
	cc_bitmap_free(&bm);
}

/* ---- hostile headers ---- */

static void refresh_crc(unsigned char *h)
{
	set_le(h + 106, ref_crc(0xFFFFFFFFu, h, 106), 4);
}

struct hostile {
	const char *name;
	int off, size;
	uint64_t val;
	int code;
};

static void test_hostile(void)
{
	static const struct hostile t[] = {
		{"block size 0", 84, 4, 0, CC_E_CORRUPT},
		{"block size 3", 84, 4, 3, CC_E_CORRUPT},
		{"block size 256", 84, 4, 256, CC_E_CORRUPT},
		{"block size 1536", 84, 4, 1536, CC_E_CORRUPT},
		{"block size 128 MiB", 84, 4, 128u << 20, CC_E_CORRUPT},
		{"block size 2^31", 84, 4, 1u << 31, CC_E_CORRUPT},
		{"2^43+1 blocks", 60, 8, (1ull << 43) + 1, CC_E_CORRUPT},
		{"2^63 blocks", 60, 8, 1ull << 63, CC_E_CORRUPT},
		{"used > total", 68, 8, 101, CC_E_CORRUPT},
		{"used_bitmap > total", 76, 8, 101, CC_E_CORRUPT},
		{"used_bitmap != popcount", 76, 8, 3, CC_E_CORRUPT},
		{"device smaller than the blocks", 52, 8, 100 * 512 - 1, CC_E_CORRUPT},
		{"unknown checksum mode 0x21", 96, 2, 0x21, CC_E_UNSUPPORTED},
		{"checksum size 8 for CRC32", 98, 2, 8, CC_E_CORRUPT},
		{"bpc 0 with CRC32", 100, 4, 0, CC_E_CORRUPT},
		{"bpc 2^20 (512 MiB groups)", 100, 4, 1u << 20, CC_E_UNSUPPORTED},
		{"bpc 2^32-1", 100, 4, 0xFFFFFFFFu, CC_E_UNSUPPORTED},
		{"big-endian marker", 34, 2, 0xDEC0, CC_E_UNSUPPORTED},
		{"bitmap mode BYTE", 105, 1, 8, CC_E_UNSUPPORTED},
		{"bitmap mode 2", 105, 1, 2, CC_E_UNSUPPORTED},
		{"bitmap mode NONE with a sparse bitmap", 105, 1, 0, CC_E_CORRUPT},
		{"image version 1", 92, 2, 1, CC_E_CORRUPT},
	};
	struct buf img = {0};
	struct cc_bitmap bm;
	unsigned char *dev, *copy;
	struct result r;
	size_t i;

	small_image(&img, &bm, &dev, CC_CSUM_CRC32, 1);
	copy = xmalloc(img.len);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memcpy(copy, img.p, img.len);
		set_le(copy + t[i].off, t[i].val, t[i].size);
		refresh_crc(copy);
		read_image(copy, img.len, &r);
		ok(r.ret == -t[i].code, "hostile header: %s -> %s (%s: %s)", t[i].name,
		   cc_errname(t[i].code), cc_errname(r.ret), r.err.detail);
		result_free(&r);
	}

	/* header CRC itself */
	memcpy(copy, img.p, img.len);
	copy[107] ^= 1;
	read_image(copy, img.len, &r);
	ok(r.ret == -CC_E_CORRUPT, "bad header CRC -> CORRUPT (%s)", r.err.detail);
	result_free(&r);

	/* 2^43 blocks, a bitmap of 2^40 bytes announced but 13 bytes there: no
	 * terabyte allocation, just TRUNCATED. */
	memcpy(copy, img.p, img.len);
	set_le(copy + 60, 1ull << 43, 8);
	set_le(copy + 52, (1ull << 43) * 512, 8);
	refresh_crc(copy);
	read_image(copy, img.len, &r);
	ok(r.ret == -CC_E_TRUNCATED, "2^43 blocks with a short bitmap -> TRUNCATED (%s)",
	   r.err.detail);
	result_free(&r);

	/* no bitmap, 2^43 blocks all "used", a few bytes of data */
	memcpy(copy, img.p, img.len);
	set_le(copy + 60, 1ull << 43, 8);
	set_le(copy + 68, 1ull << 43, 8);
	set_le(copy + 76, 1ull << 43, 8);
	set_le(copy + 52, (1ull << 43) * 512, 8);
	copy[105] = 0;
	set_le(copy + 96, CC_CSUM_NONE, 2);
	set_le(copy + 98, 0, 2);
	refresh_crc(copy);
	read_image(copy, img.len, &r);
	ok(r.ret == -CC_E_TRUNCATED && !r.have_bitmap,
	   "bitmap NONE, 2^43 blocks, short data -> TRUNCATED (%s)", r.err.detail);
	result_free(&r);

	/* versions and magic */
	memcpy(copy, img.p, img.len);
	memcpy(copy + 30, "0003", 4);
	read_image(copy, img.len, &r);
	ok(r.ret == -CC_E_UNSUPPORTED, "format 0003 -> UNSUPPORTED (%s)", r.err.detail);
	result_free(&r);
	read_image(img.p, 20, &r);
	ok(r.ret == -CC_E_TRUNCATED, "20 bytes of a partclone header -> TRUNCATED");
	result_free(&r);
	read_image(img.p, 7, &r);
	ok(r.ret == -CC_E_TRUNCATED, "7 bytes of the magic -> TRUNCATED, not raw");
	result_free(&r);
	free(copy);
	free(img.p);
	free(dev);
	cc_bitmap_free(&bm);
}

/* ---- format 0001 ---- */

static void build_v1(struct buf *b, uint32_t bs, uint64_t total, const struct cc_bitmap *bm,
		     const unsigned char *dev, int crc_bytes, uint64_t used_sb)
{
	unsigned char h[4160];
	uint64_t i;
	uint32_t crc = 0xFFFFFFFFu;

	memset(h, 0, sizeof(h));
	memcpy(h, "partclone-image", 15);
	memcpy(h + 15, "NTFS", 4);
	memcpy(h + 30, "0001", 4);
	set_le(h + 36, bs, 4);
	set_le(h + 40, 12345, 8); /* wrong on purpose: readers use total * bs */
	set_le(h + 48, total, 8);
	set_le(h + 56, used_sb, 8);
	put(b, h, sizeof(h));
	for (i = 0; i < total; i++) {
		unsigned char v = cc_bitmap_test(bm, i) ? 1 : (i % 3 ? 0 : 7); /* 7 = unused too */

		put(b, &v, 1);
	}
	put(b, "BiTmAgIc", 8);
	for (i = 0; i < total; i++) {
		if (!cc_bitmap_test(bm, i))
			continue;
		put(b, dev + i * bs, bs);
		crc = ref_crc0001(crc, dev + i * bs, bs);
		put_le(b, crc, crc_bytes);
	}
}

static void test_v1(void)
{
	int crc_bytes, kind;

	for (crc_bytes = 4; crc_bytes <= 8; crc_bytes += 4) {
		for (kind = 0; kind < 5; kind++) {
			struct cc_bitmap bm;
			struct buf img = {0};
			struct result r;
			unsigned char *dev, *edev;
			struct spec s;
			uint64_t total = kind == 0 ? 120 : 40;

			make_bitmap(&bm, total, kind);
			dev = xmalloc(total * 1024);
			fill_random(dev, total * 1024);
			build_v1(&img, 1024, total, &bm, dev, crc_bytes, cc_bitmap_count(&bm));
			read_image(img.p, img.len, &r);
			spec_init(&s, 1024, total, CC_CSUM_CRC32, 1, 0);
			s.dev_size = total * 1024;
			edev = expected_dev(&s, &bm, dev);
			ok(r.ret == 0 && r.order_ok && same_dev(&r, edev, s.dev_size) &&
				   r.info.format == CC_FMT_PTCL1 &&
				   r.info.device_size == total * 1024 &&
				   r.info.checksum_size ==
					   (unsigned)(cc_bitmap_count(&bm) ? crc_bytes : 4) &&
				   r.info.used_blocks == cc_bitmap_count(&bm) &&
				   r.info.bitmap_mode == 8 && !strcmp(r.info.fs_tag, "NTFS"),
			   "v1 %d-byte CRC, %s: reads back (%s %s)", crc_bytes, kind_name[kind],
			   cc_errname(r.ret), r.err.detail);
			result_free(&r);
			if (kind == 0) {
				char name[64];

				snprintf(name, sizeof(name), "v1 %d-byte CRC", crc_bytes);
				check_truncations(img.p, img.len, name);
				/* flip the first byte of the 3rd used block */
				img.p[4160 + total + 8 + 2 * (1024 + crc_bytes)] ^= 0x11;
				read_image(img.p, img.len, &r);
				snprintf(name, sizeof(name), "blocks %llu..%llu ",
					 (unsigned long long)nth_used(&bm, 2),
					 (unsigned long long)nth_used(&bm, 2));
				ok(r.ret == -CC_E_CHECKSUM && strstr(r.err.detail, name),
				   "v1: changed first byte -> CHECKSUM naming %s(%s)", name,
				   r.err.detail);
				result_free(&r);
				img.p[4160 + total + 8 + 2 * (1024 + crc_bytes)] ^= 0x11;
				img.p[4160 + total + 3] ^= 1;
				read_image(img.p, img.len, &r);
				ok(r.ret == -CC_E_CORRUPT && strstr(r.err.detail, "BiTmAgIc"),
				   "v1: damaged bitmap end mark -> CORRUPT (%s)", r.err.detail);
				result_free(&r);
			}
			free(edev);
			free(dev);
			free(img.p);
			cc_bitmap_free(&bm);
		}
	}
	{
		struct buf img = {0};
		struct cc_bitmap bm;
		unsigned char dev[1024];
		struct result r;

		make_bitmap(&bm, 40, 2);
		memset(dev, 0, sizeof(dev));
		build_v1(&img, 1024, 1, &bm, dev, 4, 1);
		set_le(img.p + 36, 0, 4);
		read_image(img.p, img.len, &r);
		ok(r.ret == -CC_E_CORRUPT, "v1 block size 0 -> CORRUPT (%s)", r.err.detail);
		result_free(&r);
		set_le(img.p + 36, 1024, 4);
		set_le(img.p + 48, 1ull << 43, 8);
		read_image(img.p, img.len, &r);
		ok(r.ret == -CC_E_TRUNCATED, "v1 2^43 blocks, short byte bitmap -> TRUNCATED (%s)",
		   r.err.detail);
		result_free(&r);
		set_le(img.p + 36, 64u << 20, 4);
		read_image(img.p, img.len, &r);
		ok(r.ret == -CC_E_CORRUPT, "v1 2^43 blocks of 64 MiB overflow -> CORRUPT (%s)",
		   r.err.detail);
		result_free(&r);
		set_le(img.p + 36, 1024, 4);
		set_le(img.p + 48, 1, 8);
		set_le(img.p + 56, 2, 8);
		read_image(img.p, img.len, &r);
		ok(r.ret == -CC_E_CORRUPT, "v1 used > total -> CORRUPT (%s)", r.err.detail);
		result_free(&r);
		free(img.p);
		cc_bitmap_free(&bm);
	}
}

/* ---- ntfsclone ---- */

struct nc_cmd {
	int gap;	/* 1: GAP count; 0: NEXT */
	int64_t count;
};

static void nc_header(struct buf *b, unsigned major, unsigned minor, uint32_t cs,
		      uint64_t dev_size, uint64_t nr, uint64_t inuse, uint32_t offset)
{
	unsigned char h[64];

	memset(h, 0, sizeof(h));
	memcpy(h, "\0ntfsclone-image", 16);
	h[16] = (unsigned char)major;
	h[17] = (unsigned char)minor;
	set_le(h + 18, cs, 4);
	set_le(h + 22, dev_size, 8);
	set_le(h + 30, nr, 8);
	set_le(h + 38, inuse, 8);
	set_le(h + 46, offset, 4);
	put(b, h, major >= 10 ? offset : 46);
}

/* A stream for the device dev (dev_size bytes) saving the clusters in
 * `used` (nr + 1 entries, the last one the backup boot sector). */
static void nc_build(struct buf *b, const unsigned char *dev, uint32_t cs, uint64_t dev_size,
		     uint64_t nr, const unsigned char *used, unsigned minor, uint32_t offset)
{
	uint64_t lcn, last = 0, inuse = 0;
	int first = 1;

	for (lcn = 0; lcn < nr; lcn++)
		inuse += used[lcn];
	nc_header(b, 10, minor, cs, dev_size, nr, inuse, offset);
	for (lcn = 0; lcn <= nr; lcn++) {
		uint64_t len;

		if (!used[lcn])
			continue;
		if ((first && lcn) || (!first && lcn - last > 1)) {
			put(b, "\0", 1);
			put_le(b, first ? lcn : lcn - last - 1, 8);
		}
		first = 0;
		put(b, "\x01", 1);
		len = (lcn + 1) * cs >= dev_size ? dev_size - lcn * cs : cs;
		put(b, dev + lcn * cs, (size_t)len);
		last = lcn;
	}
	if (first || nr - last > 0) {
		if (!used[nr]) {
			put(b, "\0", 1);
			put_le(b, first ? nr : nr - last - 1, 8);
		}
	}
}

static void test_ntfsclone(void)
{
	const uint32_t cs = 4096;
	const uint64_t nr = 10, dev_size = 10 * 4096 + 512;
	unsigned char used[11] = {1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1};
	unsigned char *dev = xmalloc(dev_size), *edev = calloc(1, dev_size);
	struct buf img = {0};
	struct result r;
	uint64_t lcn;

	fill_random(dev, dev_size);
	for (lcn = 0; lcn <= nr; lcn++)
		if (used[lcn])
			memcpy(edev + lcn * cs, dev + lcn * cs,
			       lcn == nr ? (size_t)(dev_size - lcn * cs) : cs);
	nc_build(&img, dev, cs, dev_size, nr, used, 1, 56);
	read_image(img.p, img.len, &r);
	ok(r.ret == 0 && r.order_ok && same_dev(&r, edev, dev_size) && r.dev_size == dev_size,
	   "ntfsclone: reads back, backup boot sector as a 512-byte partial cluster (%s)",
	   r.err.detail);
	is_int(r.extents, 3, "ntfsclone: consecutive clusters batched (0-2, 5-6, 9-10)");
	ok(r.info.format == CC_FMT_NTFSCLONE && r.info.total_blocks == nr &&
		   r.info.used_blocks == 6 && r.info.block_size == cs &&
		   r.info.device_size == dev_size && !strcmp(r.info.fs_tag, "NTFS") &&
		   !strcmp(r.info.creator, "ntfsclone 10.1") && !r.have_bitmap,
	   "ntfsclone: info fields");
	result_free(&r);
	check_truncations(img.p, img.len, "ntfsclone 10.1");

	/* a bad command byte, gaps past the end or negative */
	{
		size_t pos = 56 + 3 * (1 + cs); /* after three NEXT clusters: the GAP */

		img.p[pos] = 0x02;
		read_image(img.p, img.len, &r);
		ok(r.ret == -CC_E_CORRUPT && strstr(r.err.detail, "0x02"),
		   "ntfsclone: command byte 0x02 -> CORRUPT (%s)", r.err.detail);
		result_free(&r);
		img.p[pos] = 0x00;
		set_le(img.p + pos + 1, 8, 8);
		read_image(img.p, img.len, &r);
		ok(r.ret == -CC_E_CORRUPT && strstr(r.err.detail, "past the end"),
		   "ntfsclone: gap past the end -> CORRUPT (%s)", r.err.detail);
		result_free(&r);
		set_le(img.p + pos + 1, (uint64_t)-5, 8);
		read_image(img.p, img.len, &r);
		ok(r.ret == -CC_E_CORRUPT, "ntfsclone: negative gap -> CORRUPT (%s)", r.err.detail);
		result_free(&r);
		set_le(img.p + pos + 1, 2, 8);
	}

	/* no backup boot sector: fine for 10.0, truncated for 10.1 */
	used[10] = 0;
	img.len = 0;
	nc_build(&img, dev, cs, dev_size, nr, used, 0, 56);
	read_image(img.p, img.len, &r);
	ok(r.ret == 0, "ntfsclone 10.0 without the backup boot sector reads (%s)", r.err.detail);
	result_free(&r);
	img.p[17] = 1;
	read_image(img.p, img.len, &r);
	ok(r.ret == -CC_E_TRUNCATED && strstr(r.err.detail, "backup boot sector"),
	   "ntfsclone 10.1 without the backup boot sector -> TRUNCATED (%s)", r.err.detail);
	result_free(&r);

	/* unused clusters at the end (a trailing gap), a bigger header offset */
	memset(used, 0, sizeof(used));
	used[1] = used[10] = 1;
	img.len = 0;
	nc_build(&img, dev, cs, dev_size, nr, used, 1, 64);
	read_image(img.p, img.len, &r);
	ok(r.ret == 0 && r.extents == 2, "ntfsclone: leading gap, offset_to_image_data 64 (%s)",
	   r.err.detail);
	result_free(&r);

	/* batching: 2000 used clusters + boot sector = two 4 MiB extents and a rest */
	{
		const uint64_t nr2 = 2000, dev2 = 2000 * 4096 + 4096;
		unsigned char *u2 = xmalloc(nr2 + 1), *d2 = xmalloc(dev2);

		memset(u2, 1, nr2 + 1);
		fill_random(d2, dev2);
		img.len = 0;
		nc_build(&img, d2, cs, dev2, nr2, u2, 1, 56);
		read_image(img.p, img.len, &r);
		ok(r.ret == 0 && r.extents == 2 && same_dev(&r, d2, dev2),
		   "ntfsclone: 2001 consecutive clusters -> 2 extents of up to 4 MiB (%u)",
		   r.extents);
		result_free(&r);
		free(u2);
		free(d2);
	}

	/* hostile headers */
	{
		static const struct {
			const char *name;
			unsigned major;
			uint32_t cs;
			uint64_t dev, nr, inuse;
			uint32_t off;
			int code;
		} t[] = {
			{"cluster size 0", 10, 0, 1 << 20, 10, 1, 56, CC_E_CORRUPT},
			{"cluster size 3000", 10, 3000, 1 << 20, 10, 1, 56, CC_E_CORRUPT},
			{"cluster size 4 MiB", 10, 4u << 20, 1ull << 40, 10, 1, 56, CC_E_CORRUPT},
			{"2^50 clusters", 10, 4096, 1ull << 62, 1ull << 50, 1, 56, CC_E_CORRUPT},
			{"2^43 clusters of 2 MiB overflow", 10, 2u << 20, 1ull << 62, 1ull << 43, 1,
			 56, CC_E_CORRUPT},
			{"negative clusters", 10, 4096, 1 << 20, (uint64_t)-1, 1, 56, CC_E_CORRUPT},
			{"inuse > clusters", 10, 4096, 1 << 20, 10, 11, 56, CC_E_CORRUPT},
			{"device too small", 10, 4096, 4096 * 9, 10, 1, 56, CC_E_CORRUPT},
			{"data offset 10", 10, 4096, 1 << 20, 10, 1, 10, CC_E_CORRUPT},
			{"data offset 1 MiB", 10, 4096, 1 << 20, 10, 1, 1 << 20, CC_E_CORRUPT},
			{"format 11.0", 11, 4096, 1 << 20, 10, 1, 56, CC_E_UNSUPPORTED},
			{"2^43 clusters, no data", 10, 4096, 1ull << 60, 1ull << 43, 5, 56,
			 CC_E_TRUNCATED},
		};
		size_t i;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			unsigned char h[64];

			memset(h, 0, sizeof(h));
			memcpy(h, "\0ntfsclone-image", 16);
			h[16] = (unsigned char)t[i].major;
			set_le(h + 18, t[i].cs, 4);
			set_le(h + 22, t[i].dev, 8);
			set_le(h + 30, t[i].nr, 8);
			set_le(h + 38, t[i].inuse, 8);
			set_le(h + 46, t[i].off, 4);
			read_image(h, sizeof(h), &r);
			ok(r.ret == -t[i].code, "ntfsclone hostile header: %s -> %s (%s)",
			   t[i].name, cc_errname(t[i].code), r.err.detail);
			result_free(&r);
		}
	}
	free(img.p);
	free(dev);
	free(edev);
}

/* ---- raw ---- */

static void test_raw(void)
{
	unsigned char *big = xmalloc(9u << 20);
	struct result r;

	read_image((const unsigned char *)"abc", 3, &r);
	ok(r.ret == 0 && r.info.format == CC_FMT_RAW && r.extents == 1 && r.dev_size == 3 &&
		   r.info.device_size == 3 && r.info.block_size == 512 &&
		   !memcmp(r.dev, "abc", 3) && !strcmp(r.info.fs_tag, "raw"),
	   "raw: a 3-byte stream is one extent, device_size 3 at the end");
	result_free(&r);
	fill_random(big, 9u << 20);
	big[0] = 'x';
	read_image(big, 9u << 20, &r);
	ok(r.ret == 0 && r.extents == 3 && r.order_ok && r.dev_size == 9u << 20 &&
		   !memcmp(r.dev, big, 9u << 20) && r.info.total_blocks == (9u << 20) / 512,
	   "raw: 9 MiB -> 3 consecutive extents");
	result_free(&r);
	read_image(big, 0, &r);
	ok(r.ret == -CC_E_TRUNCATED, "an empty stream is not an image (%s)", r.err.detail);
	result_free(&r);
	is_str(cc_imgfmt_name(CC_FMT_PTCL1), "partclone v1", "format names");
	is_str(cc_imgfmt_name(CC_FMT_RAW), "raw", "format name raw");
	free(big);
}

/* ---- writer misuse ---- */

static void test_writer_errors(void)
{
	struct spec s;
	struct cc_bitmap bm;
	struct cc_ptcl_params p;
	struct cc_ostream *os;
	struct cc_ptcl_writer *w = NULL;
	struct cc_error err = {0, 0, ""};
	unsigned char blk[512 * 8];

	memset(blk, 0xab, sizeof(blk));
	spec_init(&s, 512, 40, CC_CSUM_CRC32, 4, 1);
	make_bitmap(&bm, 40, 3); /* 20 used */
	memset(&p, 0, sizeof(p));
	strcpy(p.fs_tag, "FAT16");
	p.device_size = 40 * 512;
	p.total_blocks = 40;
	p.used_blocks_sb = 20;
	p.block_size = 512;
	p.checksum_mode = CC_CSUM_CRC32;
	p.reseed = 1;
	cc_ostream_mem(&err, &os);
	is_int(cc_ptcl_writer_new(&p, &bm, os, &err, &w), 0, "writer for 20 used blocks");
	is_int(cc_ptcl_writer_blocks(w, blk, 2), 0, "2 blocks");
	is_int(cc_ptcl_writer_finish(w), -CC_E_IO, "finish after 2 of 20 blocks fails");
	ok(strstr(err.detail, "2 blocks") && strstr(err.detail, "20 used"),
	   "the message names both counts: %s", err.detail);
	cc_ptcl_writer_free(w);
	cc_ostream_free(os);

	cc_ostream_mem(&err, &os);
	cc_ptcl_writer_new(&p, &bm, os, &err, &w);
	is_int(cc_ptcl_writer_blocks(w, blk, 8), 0, "8 blocks");
	is_int(cc_ptcl_writer_blocks(w, blk, 8), 0, "16 blocks");
	is_int(cc_ptcl_writer_blocks(w, blk, 8), -CC_E_IO, "24 of 20 blocks fails");
	is_int(cc_ptcl_writer_finish(w), -CC_E_IO, "and stays failed");
	cc_ptcl_writer_free(w);
	cc_ostream_free(os);

	cc_ostream_mem(&err, &os);
	p.block_size = 1000;
	is_int(cc_ptcl_writer_new(&p, &bm, os, &err, &w), -CC_E_BAD_ARGS, "block size 1000");
	p.block_size = 512;
	p.total_blocks = 41;
	is_int(cc_ptcl_writer_new(&p, &bm, os, &err, &w), -CC_E_BAD_ARGS,
	       "total blocks != bitmap bits");
	p.total_blocks = 40;
	p.device_size = 40 * 512 - 1;
	is_int(cc_ptcl_writer_new(&p, &bm, os, &err, &w), -CC_E_BAD_ARGS, "device too small");
	p.device_size = 40 * 512;
	p.checksum_mode = 0x99;
	is_int(cc_ptcl_writer_new(&p, &bm, os, &err, &w), -CC_E_BAD_ARGS, "unknown mode");
	p.checksum_mode = CC_CSUM_CRC32;
	p.fs_tag[0] = '\0';
	is_int(cc_ptcl_writer_new(&p, &bm, os, &err, &w), -CC_E_BAD_ARGS, "empty fs tag");
	strcpy(p.fs_tag, "FAT16");
	p.blocks_per_checksum = 1u << 20;
	is_int(cc_ptcl_writer_new(&p, &bm, os, &err, &w), -CC_E_BAD_ARGS, "512 MiB per checksum");
	ok(w == NULL, "no writer on failure");
	cc_ostream_free(os);
	cc_bitmap_free(&bm);
}

/* ---- speed (diagnostics only) ---- */

static void test_speed(void)
{
	struct spec s;
	struct cc_bitmap bm;
	struct cc_error err = {0, 0, ""};
	struct buf img = {0};
	unsigned char *dev;
	struct result r;
	double t0;

	spec_init(&s, 4096, 16384, CC_CSUM_CRC32, 256, 1);
	make_bitmap(&bm, s.total, 2);
	dev = xmalloc((size_t)s.dev_size);
	fill_random(dev, (size_t)s.dev_size);
	t0 = now();
	is_int(write_v2(&s, &bm, dev, 0, 1024, &img, &err), 0, "write a 64 MiB image");
	diag("writer: 64 MiB in %.3f s (with the test's gathering copy)", now() - t0);
	t0 = now();
	read_image(img.p, img.len, &r);
	t0 = now() - t0;
	ok(r.ret == 0 && !memcmp(r.dev, dev, 64u << 20), "read it back");
	diag("reader: 64 MiB in %.3f s (with the test's copy into a device buffer)", t0);
	result_free(&r);
	free(img.p);
	free(dev);
	cc_bitmap_free(&bm);
}

int main(void)
{
	ref_init();
	test_checksums();
	test_writer_bytes();
	test_round_trips();
	test_flips();
	test_truncation();
	test_hostile();
	test_v1();
	test_ntfsclone();
	test_raw();
	test_writer_errors();
	test_speed();
	return done_testing();
}
