/*
 * fmt_raw.c - a plain byte stream (partclone.dd output, dd images): the
 * data of the device from byte 0, returned in extents of up to 4 MiB at
 * consecutive offsets.  The size is learnt only at the end of the stream:
 * device_size, total_blocks and used_blocks stay 0 until cc_image_next()
 * returned 0.  block_size is 512, so first_block = offset / 512 is a
 * sector number.
 */
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "error.h"
#include "i18n.h"
#include "image_fmt.h"

#define RAW_BLOCK 512u

struct raw {
	unsigned char *buf;
	uint64_t offset; /* device offset of the next extent */
};

static int raw_next(struct cc_image *img, struct cc_extent *ext)
{
	struct raw *r = img->priv;
	size_t got;
	int ret;

	if (!r->buf && !(r->buf = malloc(CC_IMG_BATCH_BYTES)))
		return cc_fail(img->err, CC_E_NOMEM, 0, _("out of memory"));
	if ((ret = cc_img_read(img, r->buf, CC_IMG_BATCH_BYTES, &got)) < 0)
		return ret;
	if (!got) {
		img->info.device_size = r->offset;
		img->info.total_blocks = (r->offset + RAW_BLOCK - 1) / RAW_BLOCK;
		img->info.used_blocks = img->info.total_blocks;
		img->info.used_blocks_sb = img->info.total_blocks;
		return 0;
	}
	ext->offset = r->offset;
	ext->len = got;
	ext->data = r->buf;
	ext->first_block = r->offset / RAW_BLOCK;
	r->offset += got;
	return 1;
}

static void raw_free(struct cc_image *img)
{
	struct raw *r = img->priv;

	if (r)
		free(r->buf);
	free(r);
	img->priv = NULL;
}

static const struct cc_image_ops raw_ops = {raw_next, raw_free};

int cc_fmt_raw_open(struct cc_image *img)
{
	struct cc_image_info *ii = &img->info;

	if (!(img->priv = calloc(1, sizeof(struct raw))))
		return cc_fail(img->err, CC_E_NOMEM, 0, _("out of memory"));
	img->ops = &raw_ops;
	ii->format = CC_FMT_RAW;
	strcpy(ii->fs_tag, "raw");
	ii->creator[0] = '\0';
	ii->block_size = RAW_BLOCK;
	ii->checksum_mode = CC_CSUM_NONE;
	ii->checksum_size = 0;
	ii->blocks_per_checksum = 0;
	ii->reseed = 0;
	ii->bitmap_mode = 0;
	return 0;
}
