/*
 * image.c - cc_image_open(): tell the image format by its first bytes and
 * hand the stream to the format's reader (fmt_ptcl_read.c,
 * fmt_ntfsclone.c, fmt_raw.c); the shared read helpers of image_fmt.h.
 */
#include "image.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"
#include "image_fmt.h"

/* Enough for every magic: partclone's version string ends at byte 34. */
#define PEEK_BYTES 64

static const char ptcl_magic[] = "partclone-image";  /* 15 bytes, both versions */
static const char ntfsclone_magic[] = "\0ntfsclone-image"; /* 16 bytes */

uint16_t cc_get_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t cc_get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t cc_get_le64(const unsigned char *p)
{
	return (uint64_t)cc_get_le32(p) | (uint64_t)cc_get_le32(p + 4) << 32;
}

void cc_put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

void cc_put_le32(unsigned char *p, uint32_t v)
{
	cc_put_le16(p, (uint16_t)v);
	cc_put_le16(p + 2, (uint16_t)(v >> 16));
}

void cc_put_le64(unsigned char *p, uint64_t v)
{
	cc_put_le32(p, (uint32_t)v);
	cc_put_le32(p + 4, (uint32_t)(v >> 32));
}

void cc_img_copy_str(char *dst, size_t dst_size, const unsigned char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < dst_size && src[i]; i++)
		dst[i] = (char)src[i];
	dst[i] = '\0';
}

/* The stream failed with r: make sure img->err says so. */
static int stream_error(struct cc_image *img, int r)
{
	struct cc_error *se = img->in->err;

	if (se && se->code == -r) {
		if (img->err && se != img->err)
			*img->err = *se;
		return r;
	}
	return cc_fail(img->err, r, 0, _("cannot read the image at byte %llu"),
		       (unsigned long long)img->pos);
}

int cc_img_read(struct cc_image *img, void *buf, size_t len, size_t *got)
{
	unsigned char *p = buf;
	size_t n = 0;

	while (n < len) {
		ssize_t r = cc_istream_read(img->in, p + n, len - n);

		if (r < 0) {
			img->pos += n;
			*got = n;
			return stream_error(img, (int)r);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	img->pos += n;
	*got = n;
	return 0;
}

int cc_img_unread(struct cc_image *img, const void *buf, size_t len)
{
	struct cc_istream *p;
	int ret;

	if (!len)
		return 0;
	if ((ret = cc_istream_prepend(img->in, buf, len, &p)) < 0)
		return stream_error(img, ret);
	img->in = p;
	img->pos -= len;
	return 0;
}

int cc_img_expect_end(struct cc_image *img)
{
	unsigned char c;
	size_t got;
	int ret;

	if ((ret = cc_img_read(img, &c, 1, &got)) < 0)
		return ret;
	if (got)
		return cc_fail(img->err, CC_E_CORRUPT, 0,
			       _("trailing data after the last block (at image byte %llu)"),
			       (unsigned long long)(img->pos - 1));
	return 0;
}

/* Read what there is of the first PEEK_BYTES bytes (a raw stream may be
 * shorter). */
static int peek(struct cc_istream *in, struct cc_error *err, unsigned char *head, size_t *n)
{
	*n = 0;
	while (*n < PEEK_BYTES) {
		ssize_t r = cc_istream_read(in, head + *n, PEEK_BYTES - *n);

		if (r < 0) {
			if (in->err && in->err->code == (int)-r) {
				if (err && in->err != err)
					*err = *in->err;
			} else {
				cc_fail(err, (int)r, 0, _("cannot read the start of the image"));
			}
			return (int)r;
		}
		if (r == 0)
			break;
		*n += (size_t)r;
	}
	return 0;
}

/* The stream starts with the magic, or is shorter and equals its start
 * (a truncated image of that format rather than a tiny raw image). */
static int has_magic(const unsigned char *head, size_t n, const char *magic, size_t mlen)
{
	return n && !memcmp(head, magic, n < mlen ? n : mlen);
}

static enum cc_imgfmt detect(const unsigned char *head, size_t n, int *ptcl_version)
{
	*ptcl_version = 0;
	if (has_magic(head, n, ptcl_magic, 15)) {
		if (n >= 34 && !memcmp(head + 30, "0001", 4))
			*ptcl_version = 1;
		else if (n >= 34 && !memcmp(head + 30, "0002", 4))
			*ptcl_version = 2;
		return *ptcl_version == 1 ? CC_FMT_PTCL1 : CC_FMT_PTCL2;
	}
	if (has_magic(head, n, ntfsclone_magic, 16))
		return CC_FMT_NTFSCLONE;
	return CC_FMT_RAW;
}

/* Detach our prepend stream from the caller's stream (open failed). */
static void give_back(struct cc_image *img, struct cc_istream *orig)
{
	struct cc_istream *s = img->in, *next;

	while (s && s != orig) {
		next = s->src;
		s->src = NULL;
		cc_istream_free(s);
		s = next;
	}
	img->in = NULL;
}

static void image_release(struct cc_image *img)
{
	if (img->ops && img->ops->free)
		img->ops->free(img);
	cc_bitmap_free(&img->bm);
	free(img);
}

int cc_image_open(struct cc_istream *in, struct cc_error *err, struct cc_image **out)
{
	unsigned char head[PEEK_BYTES];
	struct cc_image *img;
	enum cc_imgfmt f;
	size_t n;
	int ret, ver;

	*out = NULL;
	if ((ret = peek(in, err, head, &n)) < 0)
		return ret;
	if (!(img = calloc(1, sizeof(*img))))
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	img->err = err;
	if ((ret = cc_istream_prepend(in, head, n, &img->in)) < 0) {
		free(img);
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
	}
	f = detect(head, n, &ver);
	img->info.format = f;
	if (!n) {
		ret = cc_fail(err, CC_E_TRUNCATED, 0, _("the image is empty"));
	} else if (f == CC_FMT_PTCL1 || f == CC_FMT_PTCL2) {
		if (n < 34)
			ret = cc_fail(err, CC_E_TRUNCATED, 0,
				      _("image ends inside the partclone header (at byte %zu)"), n);
		else if (!ver)
			ret = cc_fail(err, CC_E_UNSUPPORTED, 0,
				      _("partclone image format '%.4s' is not supported (only 0001 "
					"and 0002 are)"),
				      (const char *)head + 30);
		else
			ret = cc_fmt_ptcl_open(img, ver);
	} else if (f == CC_FMT_NTFSCLONE) {
		ret = cc_fmt_ntfsclone_open(img);
	} else {
		ret = cc_fmt_raw_open(img);
	}
	if (ret < 0) {
		give_back(img, in);
		image_release(img);
		return ret;
	}
	*out = img;
	return 0;
}

const struct cc_image_info *cc_image_get_info(const struct cc_image *img)
{
	return &img->info;
}

const struct cc_bitmap *cc_image_bitmap(const struct cc_image *img)
{
	return img->bm.bytes ? &img->bm : NULL;
}

int cc_image_next(struct cc_image *img, struct cc_extent *ext)
{
	int ret;

	if (img->state < 0)
		return img->state;
	if (img->state > 0)
		return 0;
	ret = img->ops->next(img, ext);
	if (ret < 0)
		img->state = ret;
	else if (ret == 0)
		img->state = 1;
	return ret;
}

void cc_image_free(struct cc_image *img)
{
	if (!img)
		return;
	cc_istream_free(img->in);
	img->in = NULL;
	image_release(img);
}

const char *cc_imgfmt_name(enum cc_imgfmt f)
{
	switch (f) {
	case CC_FMT_PTCL1:
		return "partclone v1";
	case CC_FMT_PTCL2:
		return "partclone v2";
	case CC_FMT_NTFSCLONE:
		return "ntfsclone";
	case CC_FMT_RAW:
		return "raw";
	}
	return "unknown";
}
