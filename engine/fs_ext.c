/*
 * fs_ext.c - ext2/3/4 through libext2fs.
 *
 * One bitmap bit per filesystem block, as partclone.extfs does: block_size
 * is the filesystem block size and total_blocks is s_blocks_count.  The
 * blocks before s_first_data_block (block 0 of a 1 KiB-block filesystem,
 * which holds the boot block) are used, as in partclone.  libext2fs computes
 * the bitmaps of BLOCK_UNINIT groups (backup superblocks and descriptors,
 * flex_bg tables), so those blocks are copied like any other used block.
 *
 * bigalloc: libext2fs keeps one bit per cluster.  partclone 0.3.23 gives up
 * on bigalloc ("bitmap error at 0 group"), so there is nothing to match; we
 * keep block_size = the block size (so the image stays restorable by
 * partclone) and expand each used cluster to its blocks.  s_free_blocks_count
 * counts blocks (free clusters times the cluster ratio), the same unit.
 */
#include "fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <et/com_err.h>
#include <ext2fs/ext2_err.h>
#include <ext2fs/ext2fs.h>

#include "dev.h"
#include "error.h"
#include "i18n.h"

#define EXT_CHUNK_BITS (1u << 20) /* bitmap bits fetched from libext2fs at a time */

struct ext_priv {
	ext2_filsys fs;
};

static int ext_probe(const unsigned char *head, size_t len, uint64_t device_size)
{
	const unsigned char *sb = head + 1024;
	uint32_t log_bs, per_group;

	(void)device_size;
	if (len < 2048 || sb[56] != 0x53 || sb[57] != 0xEF)
		return 0;
	log_bs = (uint32_t)sb[24] | (uint32_t)sb[25] << 8 | (uint32_t)sb[26] << 16 |
		 (uint32_t)sb[27] << 24;
	per_group = (uint32_t)sb[32] | (uint32_t)sb[33] << 8 | (uint32_t)sb[34] << 16 |
		    (uint32_t)sb[35] << 24;
	if (log_bs > 6 || per_group == 0)
		return 10; /* the magic alone: open() will say what is wrong */
	return 90;
}

static void quiet_com_err(const char *whoami, long code, const char *fmt, va_list args)
{
	(void)whoami;
	(void)code;
	(void)fmt;
	(void)args;
}

/* Map a libext2fs/errno code to ours. */
static int ext_code(errcode_t e)
{
	if (e == EXT2_ET_UNSUPP_FEATURE || e == EXT2_ET_RO_UNSUPP_FEATURE ||
	    e == EXT2_ET_UNIMPLEMENTED)
		return CC_E_UNSUPPORTED_FS;
	if (e == ENOMEM || e == EXT2_ET_NO_MEMORY)
		return CC_E_NOMEM;
	if (e == EIO || e == EXT2_ET_SHORT_READ)
		return CC_E_IO;
	if (e == EACCES || e == EPERM)
		return CC_E_PERM;
	return CC_E_CORRUPT;
}

/* ext4 = uses a feature that ext3 does not know (blkid's rule). */
static const char *ext_type(const struct ext2_super_block *s)
{
	uint32_t ext3_ro = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE |
			   0x0004 /* btree_dir */;
	uint32_t ext3_in = EXT2_FEATURE_INCOMPAT_FILETYPE | EXT3_FEATURE_INCOMPAT_RECOVER |
			   EXT2_FEATURE_INCOMPAT_META_BG;

	if ((s->s_feature_ro_compat & ~ext3_ro) || (s->s_feature_incompat & ~ext3_in))
		return "ext4";
	if (s->s_feature_compat & EXT3_FEATURE_COMPAT_HAS_JOURNAL)
		return "ext3";
	return "ext2";
}

static int ext_check_clean(const struct cc_fs *fs, const struct ext2_super_block *s,
			   struct cc_error *err)
{
	const char *path = fs->dev->path;

	if (s->s_state & EXT2_ERROR_FS)
		return cc_fail(err, CC_E_DIRTY_FS, 0,
			       _("the %s filesystem on '%s' has errors recorded in its superblock: run 'e2fsck -f %s', or pass --force to copy it as it is"),
			       fs->info.type, path, path);
	if (s->s_feature_incompat & EXT3_FEATURE_INCOMPAT_RECOVER)
		return cc_fail(err, CC_E_DIRTY_FS, 0,
			       _("the journal of the %s filesystem on '%s' needs recovery (it is mounted or was not unmounted cleanly): unmount it, run 'e2fsck -f %s', or pass --force to copy it as it is"),
			       fs->info.type, path, path);
	if (!(s->s_state & EXT2_VALID_FS))
		return cc_fail(err, CC_E_DIRTY_FS, 0,
			       _("the %s filesystem on '%s' was not unmounted cleanly (or is mounted): unmount it and run 'e2fsck -f %s', or pass --force to copy it as it is"),
			       fs->info.type, path, path);
	return 0;
}

static void ext_label_uuid(struct cc_fs_info *in, const struct ext2_super_block *s)
{
	const unsigned char *u = s->s_uuid;
	size_t n = 0;

	while (n < sizeof(s->s_volume_name) && n < sizeof(in->label) - 1 && s->s_volume_name[n])
		n++;
	memcpy(in->label, s->s_volume_name, n);
	in->label[n] = '\0';
	snprintf(in->uuid, sizeof(in->uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
}

static int ext_open(struct cc_fs *fs, unsigned flags, struct cc_error *err)
{
	struct cc_fs_info *in = &fs->info;
	const char *path = fs->dev->path;
	struct ext2_super_block *s;
	struct ext_priv *p;
	uint64_t total, nfree;
	errcode_t e;
	int ret;

	initialize_ext2_error_table();
	set_com_err_hook(quiet_com_err);
	p = calloc(1, sizeof(*p));
	if (!p)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory while opening '%s'"), path);
	e = ext2fs_open2(path, NULL, EXT2_FLAG_64BITS | EXT2_FLAG_SOFTSUPP_FEATURES, 0, 0,
			 unix_io_manager, &p->fs);
	if (e) {
		free(p);
		return cc_fail(err, ext_code(e), 0,
			       _("cannot open the ext2/3/4 filesystem on '%s' (%s): run 'e2fsck -f %s' if it is one, or copy it with --raw"),
			       path, error_message(e), path);
	}
	fs->priv = p;
	s = p->fs->super;
	in->type = ext_type(s);
	in->ptcl_tag = "EXTFS";
	in->block_size = (uint32_t)p->fs->blocksize;
	total = ext2fs_blocks_count(s);
	nfree = ext2fs_free_blocks_count(s);
	ret = 0;
	if (total == 0 || total > fs->dev->size / in->block_size)
		ret = cc_fail(err, CC_E_CORRUPT, 0,
			      _("the %s filesystem on '%s' has %llu blocks of %u bytes but the device holds only %llu bytes: the partition or image file is truncated; restore its full size, or copy it with --raw"),
			      in->type, path, (unsigned long long)total, (unsigned)in->block_size,
			      (unsigned long long)fs->dev->size);
	else if (nfree > total)
		ret = cc_fail(err, CC_E_FS_INCONSISTENT, 0,
			      _("the superblock of the %s filesystem on '%s' counts %llu free blocks out of %llu: run 'e2fsck -f %s', then try again"),
			      in->type, path, (unsigned long long)nfree, (unsigned long long)total,
			      path);
	else if (!(flags & CC_FS_FORCE))
		ret = ext_check_clean(fs, s, err);
	if (ret < 0) {
		ext2fs_close_free(&p->fs);
		free(p);
		fs->priv = NULL;
		return ret;
	}
	in->total_blocks = total;
	in->used_blocks = total - nfree;
	ext_label_uuid(in, s);
	return 0;
}

/* Mark the blocks of the used clusters in bits [0, n) of buf (cluster c0 first). */
static void ext_mark(struct cc_bitmap *bm, const unsigned char *buf, uint64_t c0, uint64_t n,
		     unsigned ratio_bits)
{
	uint64_t i = 0;

	while (i < n) {
		unsigned char b = buf[i >> 3];

		if ((i & 7) == 0 && i + 8 <= n && (b == 0 || b == 0xFF)) {
			if (b)
				cc_bitmap_set_range(bm, (c0 + i) << ratio_bits, (uint64_t)8 << ratio_bits);
			i += 8;
			continue;
		}
		if ((b >> (i & 7)) & 1)
			cc_bitmap_set_range(bm, (c0 + i) << ratio_bits, (uint64_t)1 << ratio_bits);
		i++;
	}
}

static int ext_read_bitmap(struct cc_fs *fs, struct cc_bitmap *bm, struct cc_error *err)
{
	ext2_filsys efs = ((struct ext_priv *)fs->priv)->fs;
	unsigned ratio_bits = (unsigned)efs->cluster_ratio_bits;
	uint64_t first = efs->super->s_first_data_block, total = fs->info.total_blocks;
	uint64_t c, cend = (total - 1) >> ratio_bits;
	unsigned char *buf;
	errcode_t e;

	e = ext2fs_read_block_bitmap(efs);
	if (e)
		return cc_fail(err, ext_code(e), 0,
			       _("cannot read the block bitmaps of the %s filesystem on '%s' (%s): run 'e2fsck -f %s', then try again"),
			       fs->info.type, fs->dev->path, error_message(e), fs->dev->path);
	buf = malloc(EXT_CHUNK_BITS / 8);
	if (!buf)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory while reading '%s'"),
			       fs->dev->path);
	cc_bitmap_set_range(bm, 0, first); /* boot block of 1 KiB-block filesystems */
	for (c = first >> ratio_bits; c <= cend; c += EXT_CHUNK_BITS) {
		uint64_t n = cend + 1 - c < EXT_CHUNK_BITS ? cend + 1 - c : EXT_CHUNK_BITS;

		e = ext2fs_get_block_bitmap_range2(efs->block_map, c, (size_t)n, buf);
		if (e) {
			free(buf);
			return cc_fail(err, ext_code(e), 0,
				       _("cannot read the block bitmap of the %s filesystem on '%s' at block %llu (%s): run 'e2fsck -f %s', then try again"),
				       fs->info.type, fs->dev->path,
				       (unsigned long long)(c << ratio_bits), error_message(e),
				       fs->dev->path);
		}
		ext_mark(bm, buf, c, n, ratio_bits);
	}
	free(buf);
	return 0;
}

static void ext_close(struct cc_fs *fs)
{
	struct ext_priv *p = fs->priv;

	if (!p)
		return;
	ext2fs_close_free(&p->fs);
	free(p);
	fs->priv = NULL;
}

const struct cc_fs_ops cc_fs_ext = {
	.name = "ext",
	.probe = ext_probe,
	.open = ext_open,
	.read_bitmap = ext_read_bitmap,
	.close = ext_close,
};
