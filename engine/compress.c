/*
 * compress.c - codec names, option parsing, magic detection and the
 * dispatch to the back ends (st_zstd.c, st_gzip.c, st_misc.c); see
 * compress.h.
 */
#include "compress.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"

#define ZSTD_DEFAULT_LEVEL 3
#define ZSTD_MAX_LEVEL	   19
#define GZIP_DEFAULT_LEVEL 1
#define GZIP_MAX_LEVEL	   9

/* Bytes peeked before choosing a decoder (the xz magic is 6 bytes). */
#define PEEK_MIN 6
/* A leading skippable frame (zstd and lz4 share the magic range) is looked
 * past when it is at most this long, to see whose frame follows it. */
#define PEEK_SKIPPABLE_MAX (1u << 20)

struct codec_info {
	enum cc_codec codec;
	const char *name;
	const char *suffix;
};

/* Suffixes as Clonezilla names its image files (sda1.ntfs-ptcl-img.gz.aa). */
static const struct codec_info codecs[] = {
	{CC_CODEC_NONE, "none", "uncomp"}, {CC_CODEC_GZIP, "gzip", "gz"},
	{CC_CODEC_ZSTD, "zstd", "zst"},	   {CC_CODEC_BZIP2, "bzip2", "bz2"},
	{CC_CODEC_XZ, "xz", "xz"},	   {CC_CODEC_LZ4, "lz4", "lz4"},
};

static const struct codec_info *codec_info(enum cc_codec c)
{
	size_t i;

	for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i].codec == c)
			return &codecs[i];
	return NULL;
}

const char *cc_codec_name(enum cc_codec c)
{
	const struct codec_info *ci = codec_info(c);

	return ci ? ci->name : "unknown";
}

const char *cc_codec_suffix(enum cc_codec c)
{
	const struct codec_info *ci = codec_info(c);

	return ci ? ci->suffix : "unknown";
}

/* Parse the decimal level after "codec:"; 0 and -CC_E_BAD_ARGS as usual. */
static int parse_level(const char *spec, const char *txt, int max, int *level,
		       struct cc_error *err)
{
	char *end;
	long v;

	if (*txt < '0' || *txt > '9')
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("invalid compression '%s': the level after ':' must be a number "
				 "from 1 to %d"),
			       spec, max);
	errno = 0;
	v = strtol(txt, &end, 10);
	if (*end || errno || v < 1 || v > max)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("invalid compression '%s': the level must be from 1 to %d"), spec,
			       max);
	*level = (int)v;
	return 0;
}

/*
 * "zstd", "zstd:19", "gzip", "gzip:6", "none".  The level stored is the
 * one that will be used: a spec without a level gets the codec's default
 * (zstd 3, gzip 1), so callers can show it.
 */
int cc_compress_parse(const char *spec, struct cc_compress_opts *opts, struct cc_error *err)
{
	const char *colon;
	size_t nlen;
	int level;

	if (!spec || !*spec)
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("no compression given (use zstd, zstd:LEVEL, gzip, gzip:LEVEL or "
				 "none)"));
	colon = strchr(spec, ':');
	nlen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (nlen == 4 && !strncmp(spec, "zstd", 4)) {
		level = ZSTD_DEFAULT_LEVEL;
		if (colon && parse_level(spec, colon + 1, ZSTD_MAX_LEVEL, &level, err) < 0)
			return -CC_E_BAD_ARGS;
		opts->codec = CC_CODEC_ZSTD;
	} else if (nlen == 4 && !strncmp(spec, "gzip", 4)) {
		level = GZIP_DEFAULT_LEVEL;
		if (colon && parse_level(spec, colon + 1, GZIP_MAX_LEVEL, &level, err) < 0)
			return -CC_E_BAD_ARGS;
		opts->codec = CC_CODEC_GZIP;
	} else if (nlen == 4 && !strncmp(spec, "none", 4)) {
		if (colon)
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("invalid compression '%s': 'none' takes no level"), spec);
		level = 0;
		opts->codec = CC_CODEC_NONE;
	} else {
		return cc_fail(err, CC_E_BAD_ARGS, 0,
			       _("unknown compression '%s' (use zstd, zstd:LEVEL, gzip, "
				 "gzip:LEVEL or none)"),
			       spec);
	}
	opts->level = level;
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* zstd and lz4 skippable frames: magic 0x184D2A50..0x184D2A5F. */
static int is_skippable(const unsigned char *p, size_t len)
{
	return len >= 4 && (le32(p) & 0xfffffff0u) == 0x184d2a50u;
}

enum cc_codec cc_codec_detect(const unsigned char *head, size_t len)
{
	static const unsigned char xz[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};

	if (len >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8)
		return CC_CODEC_GZIP;
	if (len >= 4 && le32(head) == 0xfd2fb528u)
		return CC_CODEC_ZSTD;
	if (len >= 4 && (le32(head) == 0x184d2204u || le32(head) == 0x184c2102u))
		return CC_CODEC_LZ4; /* frame, or legacy (lz4 -l) */
	if (len >= 4 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h' && head[3] >= '1' &&
	    head[3] <= '9')
		return CC_CODEC_BZIP2;
	if (len >= 6 && !memcmp(head, xz, 6))
		return CC_CODEC_XZ;
	if (is_skippable(head, len)) {
		/* Whose frame follows?  Unknown without the bytes: zstd (the
		 * skippable frame is zstd's invention and what pzstd writes). */
		uint64_t skip = len >= 8 ? 8 + (uint64_t)le32(head + 4) : UINT64_MAX;
		if (skip < len && cc_codec_detect(head + skip, len - skip) == CC_CODEC_LZ4)
			return CC_CODEC_LZ4;
		return CC_CODEC_ZSTD;
	}
	return CC_CODEC_NONE;
}

int cc_compress_new(const struct cc_compress_opts *opts, struct cc_ostream *next,
		    struct cc_error *err, struct cc_ostream **out)
{
	*out = NULL;
	switch (opts->codec) {
	case CC_CODEC_NONE:
		*out = next;
		return 0;
	case CC_CODEC_ZSTD:
		if (opts->level < 0 || opts->level > ZSTD_MAX_LEVEL)
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("zstd level %d is out of range (1 to %d)"), opts->level,
				       ZSTD_MAX_LEVEL);
		return cc_zstd_compress_new(opts->level ? opts->level : ZSTD_DEFAULT_LEVEL,
					    opts->threads, next, err, out);
	case CC_CODEC_GZIP:
		if (opts->level < 0 || opts->level > GZIP_MAX_LEVEL)
			return cc_fail(err, CC_E_BAD_ARGS, 0,
				       _("gzip level %d is out of range (1 to %d)"), opts->level,
				       GZIP_MAX_LEVEL);
		return cc_gzip_compress_new(opts->level ? opts->level : GZIP_DEFAULT_LEVEL,
					    opts->threads, next, err, out);
	case CC_CODEC_BZIP2:
	case CC_CODEC_XZ:
	case CC_CODEC_LZ4:
		break;
	}
	return cc_fail(err, CC_E_UNSUPPORTED, 0,
		       _("images cannot be written with %s compression (use zstd or gzip)"),
		       cc_codec_name(opts->codec));
}

/* Read from src into head[*len..want); stops early only at the end. */
static int peek(struct cc_istream *src, unsigned char *head, size_t *len, size_t want)
{
	while (*len < want) {
		ssize_t n = cc_istream_read(src, head + *len, want - *len);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

static int decoder_new(enum cc_codec c, struct cc_istream *src, struct cc_istream **out)
{
	switch (c) {
	case CC_CODEC_GZIP:
		return cc_gzip_decompress_new(src, out);
	case CC_CODEC_ZSTD:
		return cc_zstd_decompress_new(src, out);
	case CC_CODEC_BZIP2:
		return cc_bzip2_decompress_new(src, out);
	case CC_CODEC_XZ:
		return cc_xz_decompress_new(src, out);
	case CC_CODEC_LZ4:
		return cc_lz4_decompress_new(src, out);
	case CC_CODEC_NONE:
		break;
	}
	*out = src;
	return 0;
}

int cc_decompress_auto(struct cc_istream *src, struct cc_error *err, struct cc_istream **out,
		       enum cc_codec *codec)
{
	unsigned char small[16], *head = small;
	struct cc_istream *pre;
	enum cc_codec c;
	size_t len = 0;
	int r;

	*out = NULL;
	r = peek(src, head, &len, PEEK_MIN);
	if (r == 0 && is_skippable(head, len))
		r = peek(src, head, &len, 8);
	if (r < 0)
		return r;
	if (len >= 8 && is_skippable(head, len) && le32(head + 4) <= PEEK_SKIPPABLE_MAX) {
		size_t want = 8 + (size_t)le32(head + 4) + 4;
		if (!(head = malloc(want)))
			return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
		memcpy(head, small, len);
		r = peek(src, head, &len, want);
		if (r < 0) {
			free(head);
			return r;
		}
	}
	c = cc_codec_detect(head, len);
	r = cc_istream_prepend(src, head, len, &pre);
	if (head != small)
		free(head);
	if (r < 0)
		return r;
	r = decoder_new(c, pre, out);
	if (r < 0) {
		pre->src = NULL; /* give src back to the caller */
		cc_istream_free(pre);
		return r;
	}
	if (codec)
		*codec = c;
	return 0;
}

int cc_codec_zero_tail(struct cc_istream *s, const unsigned char *buf, size_t len,
		       uint64_t off, const char *what)
{
	unsigned char tmp[65536];
	ssize_t n;
	size_t i;

	for (;;) {
		for (i = 0; i < len; i++)
			if (buf[i])
				return cc_fail(s->err, CC_E_CORRUPT, 0,
					       _("garbage after the end of the %s data at "
						 "compressed byte %llu"),
					       what, (unsigned long long)(off + i));
		off += len;
		n = cc_istream_read(s->src, tmp, sizeof(tmp));
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		s->bytes_in += (uint64_t)n;
		buf = tmp;
		len = (size_t)n;
	}
}
