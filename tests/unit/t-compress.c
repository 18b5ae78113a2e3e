/*
 * t-compress.c - the compression layer: option parsing, magic detection,
 * round trips through our gzip and zstd writers at several sizes and thread
 * counts, interoperability with the gzip/pigz/zstd/bzip2/xz/lz4 CLIs in both
 * directions, truncation and corruption detection for every decoder, and
 * the abort paths (free without finish, failing sink).
 *
 * Temporary files live in a mkdtemp directory under /dev/shm.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <zlib.h>

#include "compress.h"
#include "error.h"
#include "stream.h"
#include "tap.h"

#define MiB	 (1u << 20)
#define GZ_BLOCK MiB /* st_gzip.c's block size */

static char tmpdir[64];

/* ---- data ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const char *const words[] = {
	"the", "partition", "image", "block", "bitmap", "cluster", "ntfs", "restore",
	"save", "device", "sector", "<entry>", "0x7fff", "kernel", "windows", "\n",
	"        ", "system32", "config", "=", "true", "false", "{\"id\":", "};\n",
};

/* Deterministic data mixing text, binary-like tables, random and zeros. */
static unsigned char *make_data(size_t len, uint64_t seed)
{
	unsigned char *d = malloc(len ? len : 1);
	size_t pos = 0;

	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	while (pos < len) {
		size_t n = 4096 + rng() % 200000, i;
		int kind = (int)(rng() % 4);

		if (n > len - pos)
			n = len - pos;
		for (i = 0; i < n;) {
			if (kind == 0) { /* text */
				const char *w = words[rng() % (sizeof(words) / sizeof(words[0]))];
				size_t k = strlen(w);
				if (k > n - i)
					k = n - i;
				memcpy(d + pos + i, w, k);
				i += k;
				if (i < n)
					d[pos + i++] = ' ';
			} else if (kind == 1) { /* binary-ish: small values, repeats */
				uint64_t v = rng();
				size_t k = 1 + v % 16, j;
				for (j = 0; j < k && i < n; j++, i++)
					d[pos + i] = (unsigned char)((v >> 8) % 7 * 37 + j);
			} else if (kind == 2) { /* random */
				d[pos + i++] = (unsigned char)rng();
			} else {
				d[pos + i++] = 0;
			}
		}
		pos += n;
	}
	return d;
}

/* ---- streams ---- */

static const size_t write_chunks[] = {1, 3, 100000, 2 * MiB + 5, 65536, 7};
static const size_t read_chunks[] = {1, 7, 4096, 65539, MiB, 3 * MiB};

/* Compress data with opts into a fresh buffer. */
static int compress_buf(const struct cc_compress_opts *opts, const unsigned char *data,
			size_t len, unsigned char **out, size_t *out_len, struct cc_error *err)
{
	struct cc_ostream *sink, *c;
	const unsigned char *p;
	size_t pos = 0, k = 0;
	int r;

	*out = NULL;
	*out_len = 0;
	if ((r = cc_ostream_mem(err, &sink)) < 0)
		return r;
	if ((r = cc_compress_new(opts, sink, err, &c)) < 0) {
		cc_ostream_free(sink);
		return r;
	}
	while (pos < len && r == 0) {
		size_t n = write_chunks[k++ % (sizeof(write_chunks) / sizeof(write_chunks[0]))];
		if (n > len - pos)
			n = len - pos;
		r = cc_ostream_write(c, data + pos, n);
		pos += n;
	}
	if (r == 0)
		r = cc_ostream_finish(c);
	if (r == 0) {
		p = cc_ostream_mem_data(sink, out_len);
		*out = malloc(*out_len ? *out_len : 1);
		if (*out_len)
			memcpy(*out, p, *out_len);
	}
	cc_ostream_free(c);
	return r;
}

/* Decode data with cc_decompress_auto, reading in odd chunk sizes. */
static int decompress_buf(const unsigned char *data, size_t len, unsigned char **out,
			  size_t *out_len, enum cc_codec *codec, struct cc_error *err)
{
	struct cc_istream *src, *d;
	size_t cap = 4 * MiB, k = 0;
	unsigned char *buf = malloc(cap);
	int r;

	*out_len = 0;
	*out = NULL;
	cc_error_clear(err);
	if ((r = cc_istream_mem(data, len, err, &src)) < 0) {
		free(buf);
		return r;
	}
	if ((r = cc_decompress_auto(src, err, &d, codec)) < 0) {
		cc_istream_free(src);
		free(buf);
		return r;
	}
	for (;;) {
		size_t want = read_chunks[k++ % (sizeof(read_chunks) / sizeof(read_chunks[0]))];
		ssize_t n;
		if (cap - *out_len < want) {
			cap = 2 * cap + want;
			buf = realloc(buf, cap);
		}
		n = cc_istream_read(d, buf + *out_len, want);
		if (n < 0) {
			r = (int)n;
			break;
		}
		if (n == 0)
			break;
		*out_len += (size_t)n;
	}
	cc_istream_free(d);
	*out = buf;
	return r;
}

/* A source that returns 1 to 7 bytes per read, to split every header. */
struct trickle {
	const unsigned char *data;
	size_t len, pos;
	unsigned k;
};

static ssize_t trickle_read(struct cc_istream *s, void *buf, size_t len)
{
	struct trickle *t = s->priv;
	size_t n = 1 + t->k++ % 7;

	if (n > len)
		n = len;
	if (n > t->len - t->pos)
		n = t->len - t->pos;
	memcpy(buf, t->data + t->pos, n);
	t->pos += n;
	s->bytes_in += n;
	return (ssize_t)n;
}

static void trickle_free(struct cc_istream *s)
{
	free(s->priv);
}

static const struct cc_istream_ops trickle_ops = {"trickle", trickle_read, trickle_free};

/* Decode data arriving in tiny pieces; 0 when the output matched. */
static int decode_trickle(const unsigned char *data, size_t len, const unsigned char *want,
			  size_t want_len, struct cc_error *err)
{
	struct trickle *t = calloc(1, sizeof(*t));
	struct cc_istream *src, *d;
	unsigned char *buf = malloc(want_len + MiB);
	size_t got = 0;
	ssize_t n;
	int r;

	t->data = data;
	t->len = len;
	cc_error_clear(err);
	src = cc_istream_new(&trickle_ops, t, NULL, err);
	if ((r = cc_decompress_auto(src, err, &d, NULL)) < 0) {
		cc_istream_free(src);
		free(buf);
		return r;
	}
	while ((n = cc_istream_read(d, buf + got, want_len + MiB - got)) > 0)
		got += (size_t)n;
	r = n < 0 ? (int)n : got != want_len || memcmp(buf, want, got) ? -1000 : 0;
	cc_istream_free(d);
	free(buf);
	return r;
}

/* Decode and return only the result code (0 when the output matched). */
static int decode_rc(const unsigned char *data, size_t len, const unsigned char *want,
		     size_t want_len, struct cc_error *err)
{
	unsigned char *out;
	size_t out_len;
	int r = decompress_buf(data, len, &out, &out_len, NULL, err);

	if (r == 0 && (out_len != want_len || memcmp(out, want, want_len)))
		r = -1000;
	free(out);
	return r;
}

/* ---- files and commands ---- */

static char *tpath(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f))
		diag("cannot write %s", path);
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *d;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	d = malloc(n > 0 ? (size_t)n : 1);
	if (n > 0 && fread(d, 1, (size_t)n, f) != (size_t)n) {
		free(d);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return d;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell command in tmpdir; its exit status (-1 if it did not run). */
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	int n, st;
	va_list ap;

	n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", tmpdir);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static int have(const char *tool)
{
	return sh("command -v %s >/dev/null 2>&1", tool) == 0;
}

/* ---- gzip structure ---- */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Our gzip output must be one member with a plain 10-byte header, whose
 * deflate data ends exactly 8 bytes before EOF, with a correct trailer. */
static int one_gzip_member(const unsigned char *gz, size_t len, const unsigned char *data,
			   size_t data_len)
{
	unsigned char *out = malloc(data_len + 1);
	z_stream z;
	size_t rest;
	int r, good;

	if (len < 18 || gz[0] != 0x1f || gz[1] != 0x8b || gz[2] != 8 || gz[3] != 0) {
		free(out);
		return 0;
	}
	memset(&z, 0, sizeof(z));
	inflateInit2(&z, -15);
	z.next_in = (unsigned char *)gz + 10;
	z.avail_in = (uInt)(len - 10);
	z.next_out = out;
	z.avail_out = (uInt)(data_len + 1);
	r = inflate(&z, Z_FINISH);
	rest = z.avail_in;
	good = r == Z_STREAM_END && z.total_out == data_len && !memcmp(out, data, data_len) &&
	       rest == 8 &&
	       le32(gz + len - 8) == (uint32_t)crc32(0, data, (uInt)data_len) &&
	       le32(gz + len - 4) == (uint32_t)data_len;
	inflateEnd(&z);
	free(out);
	return good;
}

/* ---- tests ---- */

static void test_parse(void)
{
	static const struct {
		const char *spec;
		int codec, level;
	} good[] = {
		{"zstd", CC_CODEC_ZSTD, 3},   {"zstd:1", CC_CODEC_ZSTD, 1},
		{"zstd:19", CC_CODEC_ZSTD, 19}, {"gzip", CC_CODEC_GZIP, 1},
		{"gzip:6", CC_CODEC_GZIP, 6},   {"gzip:9", CC_CODEC_GZIP, 9},
		{"none", CC_CODEC_NONE, 0},
	};
	static const char *const bad[] = {
		"", "zstd:", "zstd:0", "zstd:20", "zstd:-1", "zstd:3x", "zstd:+3", "gzip:0",
		"gzip:10", "none:1", "lzma", "ZSTD", "zstd3", "gzip:99999999999999999999",
	};
	struct cc_compress_opts o;
	struct cc_error err;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&o, 0xff, sizeof(o));
		o.threads = 7;
		ok(cc_compress_parse(good[i].spec, &o, &err) == 0 &&
			   (int)o.codec == good[i].codec && o.level == good[i].level &&
			   o.threads == 7,
		   "parse '%s' -> %s level %d", good[i].spec, cc_codec_name(good[i].codec),
		   good[i].level);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cc_error_clear(&err);
		ok(cc_compress_parse(bad[i], &o, &err) == -CC_E_BAD_ARGS &&
			   err.code == CC_E_BAD_ARGS && err.detail[0],
		   "parse '%s' is rejected: %s", bad[i], err.detail);
	}
	ok(cc_compress_parse(NULL, &o, &err) == -CC_E_BAD_ARGS, "parse NULL is rejected");
}

static void test_names(void)
{
	is_str(cc_codec_name(CC_CODEC_NONE), "none", "name none");
	is_str(cc_codec_name(CC_CODEC_GZIP), "gzip", "name gzip");
	is_str(cc_codec_name(CC_CODEC_ZSTD), "zstd", "name zstd");
	is_str(cc_codec_name(CC_CODEC_BZIP2), "bzip2", "name bzip2");
	is_str(cc_codec_name(CC_CODEC_XZ), "xz", "name xz");
	is_str(cc_codec_name(CC_CODEC_LZ4), "lz4", "name lz4");
	is_str(cc_codec_suffix(CC_CODEC_NONE), "uncomp", "suffix none");
	is_str(cc_codec_suffix(CC_CODEC_GZIP), "gz", "suffix gzip");
	is_str(cc_codec_suffix(CC_CODEC_ZSTD), "zst", "suffix zstd");
	is_str(cc_codec_suffix(CC_CODEC_BZIP2), "bz2", "suffix bzip2");
	is_str(cc_codec_suffix(CC_CODEC_XZ), "xz", "suffix xz");
	is_str(cc_codec_suffix(CC_CODEC_LZ4), "lz4", "suffix lz4");
}

static void test_detect(void)
{
	static const struct {
		const char *name;
		unsigned char b[16];
		size_t len;
		enum cc_codec want;
	} t[] = {
		{"gzip", {0x1f, 0x8b, 8, 0, 0, 0}, 6, CC_CODEC_GZIP},
		{"gzip, 3 bytes", {0x1f, 0x8b, 8}, 3, CC_CODEC_GZIP},
		{"gzip method 7 is not gzip", {0x1f, 0x8b, 7, 0, 0, 0}, 6, CC_CODEC_NONE},
		{"zstd", {0x28, 0xb5, 0x2f, 0xfd, 0x24, 0}, 6, CC_CODEC_ZSTD},
		{"zstd skippable", {0x5a, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 1, 2}, 10, CC_CODEC_ZSTD},
		{"lz4 behind a skippable frame",
		 {0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 1, 2, 0x04, 0x22, 0x4d, 0x18},
		 14,
		 CC_CODEC_LZ4},
		{"bzip2", {'B', 'Z', 'h', '9', 0x31, 0x41}, 6, CC_CODEC_BZIP2},
		{"BZh0 is not bzip2", {'B', 'Z', 'h', '0', 0x31, 0x41}, 6, CC_CODEC_NONE},
		{"xz", {0xfd, '7', 'z', 'X', 'Z', 0}, 6, CC_CODEC_XZ},
		{"xz, 5 bytes", {0xfd, '7', 'z', 'X', 'Z'}, 5, CC_CODEC_NONE},
		{"lz4 frame", {0x04, 0x22, 0x4d, 0x18, 0x64, 0x40}, 6, CC_CODEC_LZ4},
		{"lz4 legacy", {0x02, 0x21, 0x4c, 0x18, 0, 0}, 6, CC_CODEC_LZ4},
		{"partclone image", {'p', 'a', 'r', 't', 'c', 'l'}, 6, CC_CODEC_NONE},
		{"zeros", {0}, 6, CC_CODEC_NONE},
		{"empty", {0}, 0, CC_CODEC_NONE},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(cc_codec_detect(t[i].b, t[i].len), t[i].want, t[i].name);
}

static void test_roundtrips(const unsigned char *big, size_t big_len)
{
	static const char *const specs[] = {"gzip", "zstd", "zstd:1", "none"};
	const size_t sizes[] = {0, 1, GZ_BLOCK, GZ_BLOCK + 1, big_len};
	static const unsigned threads[] = {1, 2, 4};
	struct cc_compress_opts o;
	struct cc_error err;
	size_t si, zi, ti;

	for (si = 0; si < sizeof(specs) / sizeof(specs[0]); si++)
		for (zi = 0; zi < sizeof(sizes) / sizeof(sizes[0]); zi++)
			for (ti = 0; ti < 3; ti++) {
				unsigned char *c, *d;
				size_t clen, dlen;
				enum cc_codec codec = (enum cc_codec)-1;
				int r1, r2;

				cc_compress_parse(specs[si], &o, &err);
				o.threads = threads[ti];
				r1 = compress_buf(&o, big, sizes[zi], &c, &clen, &err);
				r2 = r1 ? r1
					: decompress_buf(c, clen, &d, &dlen, &codec, &err);
				ok(r1 == 0 && r2 == 0 && dlen == sizes[zi] &&
					   !memcmp(d, big, dlen) && codec == o.codec &&
					   (o.codec != CC_CODEC_GZIP ||
					    one_gzip_member(c, clen, big, sizes[zi])),
				   "round trip %s, %zu bytes, %u threads -> %zu bytes%s%s",
				   specs[si], sizes[zi], threads[ti], clen, r1 || r2 ? ": " : "",
				   r1 || r2 ? err.detail : "");
				free(c);
				if (!r1)
					free(d);
			}
	/* zlib levels in parallel, on less data (they are slow) */
	for (si = 2; si <= 9; si += 7) {
		char spec[16];
		unsigned char *c, *d;
		size_t clen, dlen, n = 3 * MiB + 12345;
		int r;

		snprintf(spec, sizeof(spec), "gzip:%zu", si);
		cc_compress_parse(spec, &o, &err);
		o.threads = 2;
		r = compress_buf(&o, big, n, &c, &clen, &err);
		if (!r)
			r = decompress_buf(c, clen, &d, &dlen, NULL, &err);
		ok(r == 0 && dlen == n && !memcmp(d, big, n) && one_gzip_member(c, clen, big, n),
		   "round trip %s, %zu bytes, 2 threads -> %zu bytes", spec, n, clen);
		free(c);
		if (!r)
			free(d);
	}
}

/* A gzip member with every optional header field (FEXTRA, FNAME, FCOMMENT,
 * FHCRC), written by zlib, followed by a plain member. */
static void test_gzip_header_fields(const unsigned char *data, size_t len)
{
	static unsigned char extra[] = "AB\x04\x00xyzw";
	size_t cap = len + len / 2 + 1024, zlen, dlen;
	unsigned char *z = malloc(2 * cap), *d;
	struct cc_error err;
	gz_header h;
	z_stream s;
	int i, r;

	zlen = 0;
	for (i = 0; i < 2; i++) {
		memset(&s, 0, sizeof(s));
		memset(&h, 0, sizeof(h));
		h.extra = extra;
		h.extra_len = 8;
		h.name = (unsigned char *)"disk.img";
		h.comment = (unsigned char *)"a comment";
		h.hcrc = 1;
		deflateInit2(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
		if (i == 0)
			deflateSetHeader(&s, &h);
		s.next_in = (unsigned char *)data + (i ? len / 2 : 0);
		s.avail_in = (uInt)(i ? len - len / 2 : len / 2);
		s.next_out = z + zlen;
		s.avail_out = (uInt)cap;
		deflate(&s, Z_FINISH);
		zlen += cap - s.avail_out;
		deflateEnd(&s);
	}
	ok(z[3] == 0x1e, "zlib wrote FEXTRA, FNAME, FCOMMENT and FHCRC");
	r = decompress_buf(z, zlen, &d, &dlen, NULL, &err);
	ok(r == 0 && dlen == len && !memcmp(d, data, len),
	   "gzip header with extra, name, comment and header CRC: %s", r ? err.detail : "ok");
	free(d);
	r = decode_trickle(z, zlen, data, len, &err);
	ok(r == 0, "the same from 1-7 byte reads: %s", r ? err.detail : "ok");
	for (i = 3; i < 40; i += 2)
		if (decode_trickle(z, (size_t)i, data, len, &err) != -CC_E_TRUNCATED)
			break;
	ok(i >= 40, "cut inside that header (3..39 bytes) is truncated");
	z[12] ^= 1; /* in the extra field: the header CRC no longer matches */
	is_int(decode_rc(z, zlen, data, len, &err), -CC_E_CORRUPT, "gzip header CRC mismatch");
	diag("  %s", err.detail);
	free(z);
}

/* Incompressible and all-zero data, and threads = 0 (online CPUs). */
static void test_special_data(void)
{
	static const char *const specs[] = {"gzip", "gzip:9", "zstd", "zstd:19"};
	size_t n = 3 * MiB + 1, i, k, clen, dlen;
	unsigned char *rnd = malloc(n), *zero = calloc(1, n), *c, *d;
	struct cc_compress_opts o;
	struct cc_error err;
	int r;

	rng_state = 42;
	for (i = 0; i < n; i++)
		rnd[i] = (unsigned char)(rng() >> 32);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		for (k = 0; k < 2; k++) {
			const unsigned char *data = k ? zero : rnd;
			cc_compress_parse(specs[i], &o, &err);
			o.threads = 0;
			r = compress_buf(&o, data, n, &c, &clen, &err);
			if (!r)
				r = decompress_buf(c, clen, &d, &dlen, NULL, &err);
			ok(r == 0 && dlen == n && !memcmp(d, data, n) &&
				   (o.codec != CC_CODEC_GZIP || one_gzip_member(c, clen, data, n)),
			   "round trip %s of %zu %s bytes, threads 0 -> %zu bytes", specs[i], n,
			   k ? "zero" : "random", clen);
			free(c);
			if (!r)
				free(d);
		}
	free(rnd);
	free(zero);
}

/* Our output read by the real tools. */
static void test_cli_reads_ours(const unsigned char *big, size_t big_len)
{
	static const size_t sizes[] = {0, 1, 5 * MiB + 3};
	struct cc_compress_opts o;
	struct cc_error err;
	size_t i, n, clen;
	unsigned char *c;

	write_file(tpath("orig"), big, big_len);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i] < big_len ? sizes[i] : big_len;
		write_file(tpath("orig"), big, n);
		cc_compress_parse("gzip", &o, &err);
		o.threads = 4;
		if (compress_buf(&o, big, n, &c, &clen, &err)) {
			ok(0, "compress for the CLIs: %s", err.detail);
			continue;
		}
		write_file(tpath("ours.gz"), c, clen);
		free(c);
		is_int(sh("gzip -dc ours.gz > out && cmp -s out orig"), 0,
		       "gzip -dc reads our gzip output");
		is_int(sh("gzip -t ours.gz"), 0, "gzip -t accepts our gzip output");
		if (have("pigz"))
			is_int(sh("pigz -dc ours.gz > out && cmp -s out orig"), 0,
			       "pigz -dc reads our gzip output");
		else
			tap_skip("pigz not installed");

		cc_compress_parse("zstd", &o, &err);
		o.threads = 2;
		if (compress_buf(&o, big, n, &c, &clen, &err)) {
			ok(0, "compress for the CLIs: %s", err.detail);
			continue;
		}
		write_file(tpath("ours.zst"), c, clen);
		free(c);
		is_int(sh("zstd -q -dc ours.zst > out && cmp -s out orig"), 0,
		       "zstd -dc reads our zstd output");
		is_int(sh("zstd -q -t ours.zst"), 0, "zstd -t accepts our zstd output");
		is_int(sh("zstd -lv ours.zst 2>/dev/null | grep -q 'Check: XXH64'"), 0,
		       "our zstd output carries a content checksum");
	}
}

struct cli_case {
	const char *name;
	const char *cmd; /* makes `file` from orig / part1 / part2 */
	const char *tool;
	enum cc_codec codec;
	int concat; /* expected output is part1 + part2 */
};

static const struct cli_case cli_cases[] = {
	{"gzip", "gzip -c orig > file", "gzip", CC_CODEC_GZIP, 0},
	{"gzip with a name", "cp orig named && gzip -f named && mv named.gz file", "gzip",
	 CC_CODEC_GZIP, 0},
	{"gzip -9", "gzip -9 -c < orig > file", "gzip", CC_CODEC_GZIP, 0},
	{"gzip --rsyncable (Clonezilla -z1)", "gzip -c --fast --rsyncable < orig > file", "gzip",
	 CC_CODEC_GZIP, 0},
	{"pigz -b 1024 --rsyncable (-z1p)", "pigz -c --fast -b 1024 --rsyncable < orig > file",
	 "pigz", CC_CODEC_GZIP, 0},
	{"pigz", "pigz -p 2 -c < orig > file", "pigz", CC_CODEC_GZIP, 0},
	{"pigz -i (independent blocks)", "pigz -i -c < orig > file", "pigz", CC_CODEC_GZIP, 0},
	{"gzip + pigz members", "gzip -c part1 > file && pigz -c part2 >> file", "pigz",
	 CC_CODEC_GZIP, 1},
	{"zstd -T0", "zstd -q -T0 -c < orig > file", "zstd", CC_CODEC_ZSTD, 0},
	{"zstd -19", "zstd -q -19 -c < orig > file", "zstd", CC_CODEC_ZSTD, 0},
	{"two zstd frames", "zstd -q -c part1 > file && zstd -q -1 -c part2 >> file", "zstd",
	 CC_CODEC_ZSTD, 1},
	{"bzip2", "bzip2 -c < orig > file", "bzip2", CC_CODEC_BZIP2, 0},
	{"two bzip2 streams", "bzip2 -c part1 > file && bzip2 -1 -c part2 >> file", "bzip2",
	 CC_CODEC_BZIP2, 1},
	{"xz", "xz -c < orig > file", "xz", CC_CODEC_XZ, 0},
	{"xz -T2 (blocks)", "xz -T2 --block-size=1MiB -c < orig > file", "xz", CC_CODEC_XZ, 0},
	{"two xz streams", "xz -c part1 > file && xz -1 -c part2 >> file", "xz", CC_CODEC_XZ, 1},
	{"lz4", "lz4 -q -c < orig > file", "lz4", CC_CODEC_LZ4, 0},
	{"lz4 -BX -B4", "lz4 -q -BX -B4 -c < orig > file", "lz4", CC_CODEC_LZ4, 0},
	{"lz4 -l (legacy)", "lz4 -q -l -c < orig > file", "lz4", CC_CODEC_LZ4, 0},
	{"two lz4 frames", "lz4 -q -c part1 > file && lz4 -q -c part2 >> file", "lz4",
	 CC_CODEC_LZ4, 1},
	{"two lz4 legacy frames", "lz4 -q -l -c part1 > file && lz4 -q -l -c part2 >> file",
	 "lz4", CC_CODEC_LZ4, 1},
};

static const struct cli_case *cli_case(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cli_cases) / sizeof(cli_cases[0]); i++)
		if (!strcmp(cli_cases[i].name, name))
			return &cli_cases[i];
	BUG("no such cli_case");
}

static unsigned char *make_cli_file(const struct cli_case *cc, size_t *len)
{
	if (sh("rm -f file && %s", cc->cmd) != 0)
		return NULL;
	return read_file(tpath("file"), len);
}

/* Files made by the tools, read by us; truncated and corrupted copies. */
static void test_cli_files(const unsigned char *data, size_t len)
{
	size_t half = len / 2 + 777, i, flen, dlen, want_len;
	unsigned char *want = malloc(len), *f, *d;
	struct cc_error err;
	enum cc_codec codec;
	int r;

	write_file(tpath("orig"), data, len);
	write_file(tpath("part1"), data, half);
	write_file(tpath("part2"), data + half, len - half);
	for (i = 0; i < sizeof(cli_cases) / sizeof(cli_cases[0]); i++) {
		const struct cli_case *cc = &cli_cases[i];

		if (!have(cc->tool)) {
			tap_skip(cc->tool);
			continue;
		}
		if (!(f = make_cli_file(cc, &flen))) {
			ok(0, "%s: cannot make the file (%s)", cc->name, cc->cmd);
			continue;
		}
		memcpy(want, data, len);
		want_len = len;
		codec = (enum cc_codec)-1;
		r = decompress_buf(f, flen, &d, &dlen, &codec, &err);
		ok(r == 0 && codec == cc->codec && dlen == want_len && !memcmp(d, want, dlen),
		   "%s: file of %zu bytes decoded%s%s", cc->name, flen, r ? ": " : "",
		   r ? err.detail : "");
		free(d);
		r = decode_trickle(f, flen, want, want_len, &err);
		ok(r == 0, "%s: decoded from 1-7 byte reads%s%s", cc->name, r ? ": " : "",
		   r ? err.detail : "");
		free(f);
	}
	free(want);
}

/* Cut points inside the header, the data and the trailer of each format. */
static void test_truncation(const unsigned char *data, size_t len)
{
	static const struct {
		const char *name;
		size_t cut[5]; /* bytes kept; 0 ends; >= 1000000 means len - (v - 1000000) */
	} t[] = {
		{"gzip", {5, 11, 500000, 1000006, 1000001}},
		{"gzip + pigz members", {500000, 1000004, 1000001, 0}},
		{"zstd -T0", {5, 9, 400000, 1000002, 1000001}},
		{"two zstd frames", {5, 300000, 1000003, 1000001, 0}},
		{"bzip2", {5, 12, 300000, 1000003, 1000001}},
		{"two bzip2 streams", {300000, 1000003, 1000001, 0}},
		{"xz", {7, 14, 300000, 1000006, 1000001}},
		{"two xz streams", {300000, 1000010, 1000001, 0}},
		{"lz4", {5, 9, 300000, 1000002, 1000001}},
		{"lz4 -BX -B4", {5, 300000, 1000003, 1000001, 0}},
		{"lz4 -l (legacy)", {6, 300001, 0}},
	};
	struct cc_error err;
	size_t i, j;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct cli_case *cc = cli_case(t[i].name);
		size_t flen, keep;
		unsigned char *f;

		if (!have(cc->tool)) {
			tap_skip(cc->tool);
			continue;
		}
		if (!(f = make_cli_file(cc, &flen))) {
			ok(0, "%s: cannot make the file", cc->name);
			continue;
		}
		for (j = 0; j < 5 && t[i].cut[j]; j++) {
			keep = t[i].cut[j] >= 1000000 ? flen - (t[i].cut[j] - 1000000)
						      : t[i].cut[j];
			is_int(decode_rc(f, keep, data, len, &err), -CC_E_TRUNCATED,
			       cc->name);
			diag("  cut to %zu of %zu bytes: %s", keep, flen, err.detail);
		}
		free(f);
	}
}

static void flip_test(const char *name, unsigned char *f, size_t flen, size_t at,
		      const unsigned char *data, size_t len)
{
	struct cc_error err;
	int r;

	f[at] ^= 0x55;
	r = decode_rc(f, flen, data, len, &err);
	f[at] ^= 0x55;
	ok(r == -CC_E_CORRUPT, "%s: flipped byte %zu of %zu -> %s (%s)", name, at, flen,
	   r == -1000 ? "WRONG DATA" : cc_errname(r), err.detail);
}

static void test_corruption(const unsigned char *data, size_t len)
{
	static const char *const cases[] = {"gzip", "pigz", "gzip --rsyncable (Clonezilla -z1)",
					    "zstd -T0", "bzip2", "xz", "lz4", "lz4 -BX -B4", NULL};
	size_t i, flen;
	unsigned char *f;

	for (i = 0; cases[i]; i++) {
		const struct cli_case *cc = cli_case(cases[i]);
		if (!have(cc->tool)) {
			tap_skip(cc->tool);
			continue;
		}
		if (!(f = make_cli_file(cc, &flen))) {
			ok(0, "%s: cannot make the file", cc->name);
			continue;
		}
		flip_test(cc->name, f, flen, flen / 2, data, len);
		flip_test(cc->name, f, flen, flen / 3 + 1, data, len);
		if (cc->codec == CC_CODEC_GZIP) {
			flip_test("gzip CRC32", f, flen, flen - 6, data, len);
			flip_test("gzip ISIZE", f, flen, flen - 2, data, len);
		}
		if (cc->codec == CC_CODEC_ZSTD)
			flip_test("zstd checksum", f, flen, flen - 2, data, len);
		free(f);
	}
}

/* Our own output: truncation and corruption, and padding after it. */
static void test_ours_damaged(const unsigned char *data, size_t len)
{
	static const char *const specs[] = {"gzip", "zstd"};
	struct cc_compress_opts o;
	struct cc_error err;
	size_t i, clen;
	unsigned char *c;

	for (i = 0; i < 2; i++) {
		unsigned char *p;
		size_t cuts[] = {i ? 4 : 3, 6, 10, 12, 0, 0, 0}, j;

		cc_compress_parse(specs[i], &o, &err);
		o.threads = 2;
		if (compress_buf(&o, data, len, &c, &clen, &err)) {
			ok(0, "compress %s: %s", specs[i], err.detail);
			continue;
		}
		cuts[4] = clen / 2;
		cuts[5] = clen - 5;
		cuts[6] = clen - 1;
		for (j = 0; j < 7; j++) {
			is_int(decode_rc(c, cuts[j], data, len, &err), -CC_E_TRUNCATED, specs[i]);
			diag("  our %s cut to %zu of %zu bytes: %s", specs[i], cuts[j], clen,
			     err.detail);
		}
		flip_test(specs[i], c, clen, clen / 2, data, len);
		flip_test(specs[i], c, clen, clen - 3, data, len);

		p = calloc(1, clen + 4100);
		memcpy(p, c, clen);
		is_int(decode_rc(p, clen + 4100, data, len, &err), 0,
		       "zero padding after the last member/frame is the end");
		p[clen + 4000] = 'x';
		is_int(decode_rc(p, clen + 4100, data, len, &err), -CC_E_CORRUPT,
		       "garbage after zero padding is corrupt");
		diag("  %s", err.detail);
		memcpy(p + clen, "garbage", 7);
		is_int(decode_rc(p, clen + 7, data, len, &err), -CC_E_CORRUPT,
		       "garbage after the last member/frame is corrupt");
		diag("  %s", err.detail);
		memcpy(p + clen, c, 4);
		is_int(decode_rc(p, clen + 4, data, len, &err), -CC_E_TRUNCATED,
		       "the start of another member/frame is truncated");
		free(p);
		free(c);
	}
}

static void test_padding_misc(const unsigned char *data, size_t len)
{
	static const struct {
		const char *cc;
		size_t pad;
		int want;
	} t[] = {
		{"bzip2", 1000, 0}, {"xz", 4, 0},	 {"xz", 400, 0}, {"xz", 3, -CC_E_CORRUPT},
		{"lz4", 999, 0},    {"lz4 -l (legacy)", 8, 0}, {"pigz", 512, 0},
	};
	struct cc_error err;
	size_t i, flen;
	unsigned char *f, *p;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct cli_case *cc = cli_case(t[i].cc);
		if (!have(cc->tool) || !(f = make_cli_file(cc, &flen))) {
			tap_skip(cc->tool);
			continue;
		}
		p = calloc(1, flen + t[i].pad);
		memcpy(p, f, flen);
		is_int(decode_rc(p, flen + t[i].pad, data, len, &err), t[i].want, cc->name);
		diag("  %s + %zu zero bytes: %s", cc->name, t[i].pad, err.detail);
		free(p);
		free(f);
	}
}

/* Skippable frames in front of zstd and lz4 frames. */
static void test_skippable(const unsigned char *data, size_t len)
{
	static const unsigned char skip[13] = {0x53, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 1, 2, 3, 4, 5};
	struct cc_compress_opts o;
	struct cc_error err;
	unsigned char *c, *p, *d;
	size_t clen, dlen;
	enum cc_codec codec;
	int r;

	cc_compress_parse("zstd:1", &o, &err);
	o.threads = 1;
	if (compress_buf(&o, data, len, &c, &clen, &err)) {
		ok(0, "compress: %s", err.detail);
		return;
	}
	p = malloc(clen + 26);
	memcpy(p, skip, 13);
	memcpy(p + 13, c, clen);
	memcpy(p + 13 + clen, skip, 13);
	r = decompress_buf(p, clen + 26, &d, &dlen, &codec, &err);
	ok(r == 0 && codec == CC_CODEC_ZSTD && dlen == len && !memcmp(d, data, len),
	   "zstd between skippable frames");
	free(d);
	r = decompress_buf(p, 13, &d, &dlen, &codec, &err);
	ok(r == 0 && codec == CC_CODEC_ZSTD && dlen == 0,
	   "a lone skippable frame is an empty zstd stream: %s", r ? err.detail : "ok");
	free(d);
	free(p);
	free(c);

	if (!have("lz4") || !(c = make_cli_file(cli_case("lz4"), &clen))) {
		tap_skip("lz4");
		return;
	}
	p = malloc(clen + 13);
	memcpy(p, skip, 13);
	memcpy(p + 13, c, clen);
	r = decompress_buf(p, clen + 13, &d, &dlen, &codec, &err);
	ok(r == 0 && codec == CC_CODEC_LZ4 && dlen == len && !memcmp(d, data, len),
	   "lz4 behind a skippable frame: %s", r ? err.detail : "ok");
	free(d);
	free(p);
	free(c);
}

/* Frames needing more memory than we allow are refused, not allocated. */
static void test_limits(const unsigned char *data, size_t len)
{
	static const struct cli_case big_window = {
		"zstd --long=30 from a pipe", "zstd -q --long=30 -c < orig > file", "zstd",
		CC_CODEC_ZSTD, 0};
	struct cc_error err;
	unsigned char *f;
	size_t flen;

	write_file(tpath("orig"), data, len);
	if (!have("zstd") || !(f = make_cli_file(&big_window, &flen))) {
		tap_skip("zstd");
		return;
	}
	is_int(decode_rc(f, flen, data, len, &err), -CC_E_UNSUPPORTED,
	       "zstd frame with a 1 GiB window");
	diag("  %s", err.detail);
	free(f);
}

static void test_empty_and_none(void)
{
	struct cc_istream *src, *d;
	struct cc_ostream *sink, *c;
	struct cc_compress_opts o = {CC_CODEC_NONE, 0, 0};
	struct cc_error err;
	enum cc_codec codec = CC_CODEC_GZIP;
	unsigned char buf[16];

	cc_istream_mem("", 0, &err, &src);
	ok(cc_decompress_auto(src, &err, &d, &codec) == 0 && codec == CC_CODEC_NONE,
	   "an empty input is an empty NONE stream");
	is_int(cc_istream_read(d, buf, sizeof(buf)), 0, "and reads 0 bytes");
	cc_istream_free(d);

	cc_istream_mem("hello", 5, &err, &src);
	ok(cc_decompress_auto(src, &err, &d, &codec) == 0 && codec == CC_CODEC_NONE &&
		   cc_istream_read(d, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5),
	   "a short plain input passes through");
	cc_istream_free(d);

	cc_ostream_mem(&err, &sink);
	ok(cc_compress_new(&o, sink, &err, &c) == 0 && c == sink,
	   "compress none is the next stream itself");
	o.codec = CC_CODEC_XZ;
	ok(cc_compress_new(&o, sink, &err, &c) == -CC_E_UNSUPPORTED, "we do not write xz: %s",
	   err.detail);
	o.codec = CC_CODEC_ZSTD;
	o.level = 23;
	ok(cc_compress_new(&o, sink, &err, &c) == -CC_E_BAD_ARGS, "zstd level 23: %s",
	   err.detail);
	cc_ostream_free(sink);
}

/* ---- abort paths ---- */

static int fail_write(struct cc_ostream *s, const void *buf, size_t len)
{
	(void)buf;
	s->bytes_out += len;
	if (s->bytes_out > 3 * MiB)
		return cc_fail(s->err, CC_E_IO, 5, "test sink fails at byte %llu",
			       (unsigned long long)s->bytes_out);
	return 0;
}

static int fail_finish(struct cc_ostream *s)
{
	(void)s;
	return 0;
}

static const struct cc_ostream_ops fail_ops = {"failing", fail_write, fail_finish, NULL};

static void test_abort(const unsigned char *data, size_t len)
{
	static const char *const specs[] = {"gzip", "gzip:6", "zstd"};
	struct cc_compress_opts o;
	struct cc_error err;
	size_t i, pos;
	int r;

	for (i = 0; i < 3; i++) {
		struct cc_ostream *sink, *c;

		cc_compress_parse(specs[i], &o, &err);
		o.threads = 4;
		cc_ostream_mem(&err, &sink);
		r = cc_compress_new(&o, sink, &err, &c);
		for (pos = 0; r == 0 && pos < 10 * MiB; pos += MiB / 2)
			r = cc_ostream_write(c, data + pos, MiB / 2);
		cc_ostream_free(c);
		ok(r == 0, "%s, 4 threads: free() after 10 MiB without finish()", specs[i]);

		cc_ostream_mem(&err, &sink);
		r = cc_compress_new(&o, sink, &err, &c);
		cc_ostream_free(c);
		ok(r == 0, "%s, 4 threads: free() right after new()", specs[i]);

		/* A sink that fails after 3 MiB: the error comes back, nothing hangs. */
		sink = cc_ostream_new(&fail_ops, NULL, NULL, &err);
		cc_error_clear(&err);
		r = cc_compress_new(&o, sink, &err, &c);
		for (pos = 0; r == 0 && pos + MiB <= len; pos += MiB)
			r = cc_ostream_write(c, data + pos, MiB);
		if (r == 0)
			r = cc_ostream_finish(c);
		ok(r == -CC_E_IO && err.code == CC_E_IO,
		   "%s: the sink's error comes back (%s)", specs[i], err.detail);
		is_int(cc_ostream_write(c, data, 10), r, "and the stream stays failed");
		cc_ostream_free(c);
	}
}

static void cleanup(void)
{
	if (tmpdir[0])
		sh("cd / && rm -rf '%s'", tmpdir);
}

int main(void)
{
	size_t big_len = 20 * MiB, small_len = 3 * MiB + 4321;
	unsigned char *big, *small;

	strcpy(tmpdir, "/dev/shm/t-compress.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		strcpy(tmpdir, "/tmp/t-compress.XXXXXX");
		if (!mkdtemp(tmpdir)) {
			ok(0, "mkdtemp");
			return done_testing();
		}
	}
	atexit(cleanup);
	big = make_data(big_len, 1);
	small = make_data(small_len, 2);

	test_parse();
	test_names();
	test_detect();
	test_empty_and_none();
	test_roundtrips(big, big_len);
	test_special_data();
	test_cli_reads_ours(big, big_len);
	test_cli_files(small, small_len);
	test_gzip_header_fields(small, small_len);
	test_truncation(small, small_len);
	test_corruption(small, small_len);
	test_ours_damaged(small, small_len);
	test_padding_misc(small, small_len);
	test_skippable(small, small_len);
	test_limits(small, small_len);
	test_abort(big, big_len);

	free(big);
	free(small);
	return done_testing();
}
