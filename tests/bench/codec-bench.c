/*
 * codec-bench.c - speed and ratio of our compressors against the CLIs.
 *
 *   gcc -O2 -std=gnu11 -D_GNU_SOURCE -Iengine -o build/codec-bench \
 *       tests/bench/codec-bench.c build/libclonecast.a -lzstd -lisal -lz -llz4 -lbz2 \
 *       -llzma -lpthread
 *   build/codec-bench FILE [THREADS] [RUNS] [ONLY]
 *
 * Rows: the CLIs (pigz -1, gzip -1, zstd -1/-3 -T<threads>) writing to a
 * file in /dev/shm; our gzip and zstd streams (THREADS threads) writing to
 * a counting sink; the raw block scheme of st_gzip.c (1 MiB blocks, 32 KiB
 * dictionary, sync flush) on ONE core for every ISA-L level and zlib -1,
 * to choose the default; and decompression of our output.  Best of RUNS
 * (default 3) wall times, with the CPU seconds (user + sys, all threads)
 * of that run; MB = 10^6 bytes; ratio = input / output.  ONLY: run just
 * the rows whose name contains it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <isa-l.h>
#include <zlib.h>

#include "compress.h"
#include "error.h"
#include "stream.h"

#define MiB	 (1u << 20)
#define BLOCK	 MiB
#define DICT	 32768u
#define OUT_PATH "/dev/shm/codec-bench.out"

static unsigned char *in;
static size_t in_len;
static int runs = 3;
static const char *only;

static int skip(const char *name)
{
	return only && !strstr(name, only);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU seconds (user + sys) of this process and its waited-for children. */
static double cpu(void)
{
	struct rusage a, b;

	getrusage(RUSAGE_SELF, &a);
	getrusage(RUSAGE_CHILDREN, &b);
	return (double)(a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec +
			b.ru_stime.tv_sec) +
	       (double)(a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec +
			b.ru_stime.tv_usec) *
		       1e-6;
}

static double cpu_used; /* CPU seconds of the best run */

static void row(const char *name, double secs, size_t out_len)
{
	printf("%-34s %7.3f s %8.1f MB/s %6.2f cpu-s %12zu bytes  ratio %.4f\n", name, secs,
	       (double)in_len / secs / 1e6, cpu_used, out_len, (double)in_len / (double)out_len);
	fflush(stdout);
}

/* Time one run; keep the best wall time and its CPU time. */
static void timed(double *best, double t0, double c0)
{
	double t = now() - t0;

	if (t < *best) {
		*best = t;
		cpu_used = cpu() - c0;
	}
}

/* ---- the CLIs ---- */

static void cli(const char *name, const char *cmd, const char *file)
{
	char buf[1024];
	double best = 1e30, t;
	struct stat st;
	int i;

	if (skip(name))
		return;
	snprintf(buf, sizeof(buf), "%s < '%s' > %s", cmd, file, OUT_PATH);
	for (i = 0; i < runs; i++) {
		double c = cpu();
		t = now();
		if (system(buf) != 0) {
			printf("%-34s failed\n", name);
			return;
		}
		timed(&best, t, c);
	}
	if (stat(OUT_PATH, &st) == 0)
		row(name, best, (size_t)st.st_size);
	unlink(OUT_PATH);
}

/* Time `dec` reading what `enc` made of file. */
static void cli_decode(const char *name, const char *enc, const char *dec, const char *file)
{
	char buf[1024];
	double best = 1e30, t;
	int i;

	if (skip(name))
		return;
	snprintf(buf, sizeof(buf), "%s < '%s' > %s.z", enc, file, OUT_PATH);
	if (system(buf) != 0)
		return;
	snprintf(buf, sizeof(buf), "%s < %s.z > /dev/null", dec, OUT_PATH);
	for (i = 0; i < runs; i++) {
		double c = cpu();
		t = now();
		if (system(buf) != 0)
			printf("%-34s failed\n", name);
		timed(&best, t, c);
	}
	printf("%-34s %7.3f s %8.1f MB/s %6.2f cpu-s (MB/s of decompressed data)\n", name,
	       best, (double)in_len / best / 1e6, cpu_used);
	snprintf(buf, sizeof(buf), "rm -f %s.z", OUT_PATH);
	if (system(buf) != 0)
		return;
}

/* ---- our streams ---- */

static int count_write(struct cc_ostream *s, const void *buf, size_t len)
{
	(void)buf;
	s->bytes_out += len;
	return 0;
}

static int count_finish(struct cc_ostream *s)
{
	(void)s;
	return 0;
}

static const struct cc_ostream_ops count_ops = {"count", count_write, count_finish, NULL};

static size_t ours_once(const struct cc_compress_opts *o, double *secs)
{
	struct cc_error err;
	struct cc_ostream *sink = cc_ostream_new(&count_ops, NULL, NULL, &err), *c;
	size_t pos, out = 0;
	double t = now();
	int r = cc_compress_new(o, sink, &err, &c);

	for (pos = 0; r == 0 && pos < in_len; pos += 4 * MiB)
		r = cc_ostream_write(c, in + pos, in_len - pos < 4 * MiB ? in_len - pos : 4 * MiB);
	if (r == 0)
		r = cc_ostream_finish(c);
	*secs = now() - t;
	if (r < 0)
		fprintf(stderr, "compress: %s\n", err.detail);
	else
		out = (size_t)sink->bytes_out;
	cc_ostream_free(r == 0 || c ? c : sink);
	return out;
}

static void ours(const char *spec, unsigned threads)
{
	struct cc_compress_opts o;
	struct cc_error err;
	char name[64];
	double best = 1e30, t;
	size_t out = 0;
	int i;

	snprintf(name, sizeof(name), "ours %s, %u threads", spec, threads);
	if (skip(name) || cc_compress_parse(spec, &o, &err) < 0)
		return;
	o.threads = threads;
	for (i = 0; i < runs; i++) {
		double c = cpu(), t0 = now();
		out = ours_once(&o, &t);
		timed(&best, t0, c);
	}
	row(name, best, out);
}

/* ---- the block scheme on one core ---- */

static size_t blocks_isal(int level, size_t level_buf_size, unsigned char *out, size_t cap)
{
	struct isal_zstream *zs = malloc(sizeof(*zs));
	unsigned char *lb = malloc(level_buf_size ? level_buf_size : 1);
	size_t off, total = 0;

	for (off = 0; off < in_len; off += BLOCK) {
		size_t len = in_len - off < BLOCK ? in_len - off : BLOCK;
		int last = off + len >= in_len;

		isal_deflate_init(zs);
		zs->level = (uint32_t)level;
		zs->level_buf = lb;
		zs->level_buf_size = (uint32_t)level_buf_size;
		if (off)
			isal_deflate_set_dict(zs, in + off - DICT, DICT);
		zs->next_in = in + off;
		zs->avail_in = (uint32_t)len;
		zs->next_out = out;
		zs->avail_out = (uint32_t)cap;
		zs->end_of_stream = (uint16_t)last;
		zs->flush = last ? NO_FLUSH : SYNC_FLUSH;
		isal_deflate(zs);
		crc32_gzip_refl(0, in + off, len);
		total += zs->total_out;
	}
	free(lb);
	free(zs);
	return total + 18;
}

static size_t blocks_zlib(int level, unsigned char *out, size_t cap)
{
	size_t off, total = 0;
	z_stream z;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	for (off = 0; off < in_len; off += BLOCK) {
		size_t len = in_len - off < BLOCK ? in_len - off : BLOCK;
		int last = off + len >= in_len;

		deflateReset(&z);
		if (off)
			deflateSetDictionary(&z, in + off - DICT, DICT);
		z.next_in = in + off;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
		crc32_gzip_refl(0, in + off, len);
		total += cap - z.avail_out;
	}
	deflateEnd(&z);
	return total + 18;
}

static void one_core(void)
{
	static const struct {
		const char *name;
		int level;
		size_t buf;
	} isal[] = {
		{"1 core: ISA-L 0", 0, 0},
		{"1 core: ISA-L 1", 1, ISAL_DEF_LVL1_DEFAULT},
		{"1 core: ISA-L 2", 2, ISAL_DEF_LVL2_DEFAULT},
		{"1 core: ISA-L 3 (default buf)", 3, ISAL_DEF_LVL3_DEFAULT},
		{"1 core: ISA-L 3 (small buf) *", 3, ISAL_DEF_LVL3_SMALL},
	};
	size_t cap = 2 * BLOCK, out_len = 0, i;
	unsigned char *out = malloc(cap);
	double best, t;
	int r;

	for (i = 0; i < sizeof(isal) / sizeof(isal[0]); i++) {
		if (skip(isal[i].name))
			continue;
		for (best = 1e30, r = 0; r < runs; r++) {
			double c = cpu();
			t = now();
			out_len = blocks_isal(isal[i].level, isal[i].buf, out, cap);
			timed(&best, t, c);
		}
		row(isal[i].name, best, out_len);
	}
	for (best = 1e30, r = 0; r < runs && !skip("1 core: zlib 1"); r++) {
		double c = cpu();
		t = now();
		out_len = blocks_zlib(1, out, cap);
		timed(&best, t, c);
	}
	if (!skip("1 core: zlib 1"))
		row("1 core: zlib 1", best, out_len);
	free(out);
}

/* ---- decompression of our output ---- */

static void decode(const char *spec, unsigned threads)
{
	struct cc_compress_opts o;
	struct cc_error err;
	struct cc_ostream *sink, *c;
	struct cc_istream *src, *d;
	const unsigned char *z;
	unsigned char *buf = malloc(4 * MiB);
	double best = 1e30, t;
	size_t zlen, total = 0;
	char name[64];
	ssize_t n;
	int i;

	snprintf(name, sizeof(name), "decode ours %s", spec);
	if (skip(name)) {
		free(buf);
		return;
	}
	cc_compress_parse(spec, &o, &err);
	o.threads = threads;
	cc_ostream_mem(&err, &sink);
	cc_compress_new(&o, sink, &err, &c);
	cc_ostream_write(c, in, in_len);
	cc_ostream_finish(c);
	z = cc_ostream_mem_data(sink, &zlen);
	for (i = 0; i < runs; i++) {
		double c0 = cpu();
		t = now();
		cc_istream_mem(z, zlen, &err, &src);
		cc_decompress_auto(src, &err, &d, NULL);
		for (total = 0; (n = cc_istream_read(d, buf, 4 * MiB)) > 0;)
			total += (size_t)n;
		cc_istream_free(d);
		timed(&best, t, c0);
		if (n < 0 || total != in_len)
			fprintf(stderr, "decode %s failed: %s\n", spec, err.detail);
	}
	printf("%-34s %7.3f s %8.1f MB/s %6.2f cpu-s (MB/s of decompressed data)\n", name,
	       best, (double)in_len / best / 1e6, cpu_used);
	cc_ostream_free(c);
	free(buf);
}

int main(int argc, char **argv)
{
	unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
	char cmd[128];
	FILE *f;
	long n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [THREADS] [RUNS]\n", argv[0]);
		return 2;
	}
	if (argc > 3)
		runs = atoi(argv[3]);
	if (argc > 4)
		only = argv[4];
	if (!(f = fopen(argv[1], "rb")) || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0) {
		perror(argv[1]);
		return 1;
	}
	in_len = (size_t)n;
	in = malloc(in_len);
	rewind(f);
	if (fread(in, 1, in_len, f) != in_len) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);
	printf("# %s: %zu bytes, %u threads, best of %d\n", argv[1], in_len, threads, runs);

	snprintf(cmd, sizeof(cmd), "pigz -1 -p %u", threads);
	cli("pigz -1", cmd, argv[1]);
	cli("gzip -1", "gzip -1", argv[1]);
	snprintf(cmd, sizeof(cmd), "zstd -q -1 -T%u", threads);
	cli("zstd -1", cmd, argv[1]);
	snprintf(cmd, sizeof(cmd), "zstd -q -3 -T%u", threads);
	cli("zstd -3", cmd, argv[1]);

	ours("gzip", threads);
	ours("gzip", 1);
	ours("gzip:2", threads);
	ours("gzip:6", threads);
	ours("zstd:1", threads);
	ours("zstd:2", threads);
	ours("zstd:3", threads);
	ours("zstd:4", threads);
	ours("zstd:5", threads);
	one_core();

	decode("gzip", threads);
	decode("zstd", threads);
	cli_decode("decode gzip -dc (pigz -1 file)", "pigz -1", "gzip -dc", argv[1]);
	cli_decode("decode pigz -dc (pigz -1 file)", "pigz -1", "pigz -dc", argv[1]);
	cli_decode("decode zstd -dc (zstd -3 file)", "zstd -q -3 -T0", "zstd -q -dc", argv[1]);
	free(in);
	return 0;
}
