/*
 * compress.h - compressors (save) and decompressors (restore) as streams.
 *
 * Save: cc_compress_new() puts a compressor in front of `next`.
 * Restore: cc_decompress_auto() peeks at the first bytes of `src` and
 * puts the matching decompressor in front of it: gzip (1f 8b), zstd
 * (28 b5 2f fd), bzip2 ("BZh"), xz (fd 37 7a 58 5a 00), lz4 frame
 * (04 22 4d 18); anything else passes through unchanged.  Concatenated
 * members/frames are read as one stream, as gunzip and zstd -d do.  A
 * stream that ends inside a member/frame is -CC_E_TRUNCATED; bad data is
 * -CC_E_CORRUPT with the compressed byte offset in the message.
 */
#ifndef CC_COMPRESS_H
#define CC_COMPRESS_H

#include "stream.h"

enum cc_codec {
	CC_CODEC_NONE = 0,
	CC_CODEC_GZIP,
	CC_CODEC_ZSTD,
	CC_CODEC_BZIP2,
	CC_CODEC_XZ,
	CC_CODEC_LZ4,
};

struct cc_compress_opts {
	enum cc_codec codec; /* NONE, GZIP or ZSTD for saving */
	int level;	     /* 0 = the codec's default (zstd 3, gzip 1) */
	unsigned threads;    /* 0 = number of online CPUs */
};

/* Parse "zstd", "gzip:6", "none" into opts (threads untouched). */
int cc_compress_parse(const char *spec, struct cc_compress_opts *opts, struct cc_error *err);
const char *cc_codec_name(enum cc_codec c); /* "zstd", "gzip", "none", ... */
const char *cc_codec_suffix(enum cc_codec c); /* "zst", "gz", "uncomp", "bz2", "xz", "lz4" */

/* Identify the codec of a stream by its first bytes (len >= 6 preferred). */
enum cc_codec cc_codec_detect(const unsigned char *head, size_t len);

int cc_compress_new(const struct cc_compress_opts *opts, struct cc_ostream *next,
		    struct cc_error *err, struct cc_ostream **out);

/* On success *out owns src; on failure src is still the caller's. If
 * codec is not NULL it receives the codec found. */
int cc_decompress_auto(struct cc_istream *src, struct cc_error *err, struct cc_istream **out,
		       enum cc_codec *codec);

/* Back ends, for compress.c only (st_zstd.c, st_gzip.c, st_misc.c). */
int cc_zstd_compress_new(int level, unsigned threads, struct cc_ostream *next,
			 struct cc_error *err, struct cc_ostream **out);
int cc_gzip_compress_new(int level, unsigned threads, struct cc_ostream *next,
			 struct cc_error *err, struct cc_ostream **out);
int cc_zstd_decompress_new(struct cc_istream *src, struct cc_istream **out);
int cc_gzip_decompress_new(struct cc_istream *src, struct cc_istream **out);
int cc_bzip2_decompress_new(struct cc_istream *src, struct cc_istream **out);
int cc_xz_decompress_new(struct cc_istream *src, struct cc_istream **out);
int cc_lz4_decompress_new(struct cc_istream *src, struct cc_istream **out);
/* After the last member/frame: 0 if buf[0..len) and the rest of src are
 * zero bytes (padding), else -CC_E_CORRUPT naming `what` and offset `off`. */
int cc_codec_zero_tail(struct cc_istream *s, const unsigned char *buf, size_t len,
		       uint64_t off, const char *what);

#endif
