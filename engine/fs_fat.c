/*
 * fs_fat.c - FAT12/16/32 without any library: the boot sector's BPB gives
 * the layout, the (active) FAT gives the used clusters.
 *
 * One bitmap bit per sector (block_size = bytes per sector), as
 * partclone.fat does.  Used are: the reserved sectors, every FAT copy, the
 * FAT12/16 root directory, every cluster whose FAT entry is neither free (0)
 * nor the bad-cluster mark (partclone.fat does not copy bad clusters
 * either), and the sectors after the last whole cluster up to the BPB's
 * total (partclone.fat keeps them).  total_blocks is the BPB's total sector
 * count even when the partition is larger (again as partclone.fat does).
 *
 * The boot sector is untrusted input: every field is checked before it is
 * used, so a corrupt or hostile one gives -CC_E_CORRUPT or
 * -CC_E_UNSUPPORTED_FS and never a crash or an allocation sized by it.
 */
#include "fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev.h"
#include "error.h"
#include "i18n.h"

#define FAT12_MAX_CLUSTERS 4084u  /* Microsoft: fewer than 4085 clusters is FAT12 */
#define FAT16_MAX_CLUSTERS 65524u /* fewer than 65525 is FAT16 */
#define FAT32_MAX_CLUSTERS 0x0FFFFFF5u
#define FAT_CHUNK	   (1u << 20) /* bytes of FAT read at a time */
#define LABEL_SCAN_MAX	   (64u * 1024) /* bytes of root directory searched for the label */

struct fat_geom {
	uint32_t bps;	       /* bytes per sector */
	uint32_t spc;	       /* sectors per cluster */
	uint32_t reserved;     /* reserved sectors before the first FAT */
	uint32_t nfats;
	uint32_t root_entries; /* FAT12/16 fixed root directory entries */
	uint32_t fatsz;	       /* sectors per FAT */
	uint32_t root_cluster; /* FAT32 */
	uint32_t active_fat;   /* the FAT to read (FAT32 may disable mirroring) */
	uint64_t total;	       /* sectors in the filesystem */
	uint64_t root_sectors; /* sectors of the FAT12/16 root directory */
	uint64_t first_data;   /* first sector of cluster 2 */
	uint64_t clusters;     /* data clusters */
	unsigned bits;	       /* 12, 16 or 32 */
	int fat32_layout;      /* BPB has the FAT32 extension */
	int has_ext;	       /* extended boot signature 0x29 present */
	uint32_t volid;
	unsigned char bpb_label[11];
	unsigned char state;   /* boot sector state byte: bit 0 = dirty */
};

struct fat_priv {
	struct fat_geom g;
};

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Bytes of FAT holding the entries of clusters 0 .. clusters + 1. */
static uint64_t fat_bytes_needed(const struct fat_geom *g)
{
	uint64_t n = g->clusters + 2;

	if (g->bits == 12)
		return (n * 3 + 1) / 2;
	return n * (g->bits / 8);
}

/*
 * Decode and validate the boot sector (at least 512 bytes).  Returns 0, or
 * -1 with *why set to an untranslated N_() reason.
 */
static int fat_parse(const unsigned char *bs, struct fat_geom *g, const char **why)
{
	uint16_t total16 = le16(bs + 19), fatsz16 = le16(bs + 22);
	uint64_t meta;

	memset(g, 0, sizeof(*g));
	if (memcmp(bs + 3, "NTFS    ", 8) == 0 || memcmp(bs + 3, "EXFAT   ", 8) == 0) {
		*why = N_("it is an NTFS or exFAT boot sector");
		return -1;
	}
	if (!(bs[0] == 0xEB && bs[2] == 0x90) && bs[0] != 0xE9) {
		*why = N_("the boot sector does not start with a jump instruction");
		return -1;
	}
	g->bps = le16(bs + 11);
	g->spc = bs[13];
	g->reserved = le16(bs + 14);
	g->nfats = bs[16];
	g->root_entries = le16(bs + 17);
	if (g->bps < 512 || g->bps > 4096 || !is_pow2(g->bps)) {
		*why = N_("the sector size is not 512, 1024, 2048 or 4096 bytes");
		return -1;
	}
	if (!is_pow2(g->spc) || g->spc > 128) {
		*why = N_("the number of sectors per cluster is not a power of two up to 128");
		return -1;
	}
	if (g->reserved == 0) {
		*why = N_("the number of reserved sectors is zero");
		return -1;
	}
	if (g->nfats == 0 || g->nfats > 4) {
		*why = N_("the number of FAT copies is not between 1 and 4");
		return -1;
	}
	if (bs[21] != 0xF0 && bs[21] < 0xF8) {
		*why = N_("the media descriptor byte is invalid");
		return -1;
	}
	g->total = total16 ? total16 : le32(bs + 32);
	if (g->total == 0) {
		*why = N_("the total number of sectors is zero");
		return -1;
	}
	g->fat32_layout = fatsz16 == 0;
	if (g->fat32_layout) {
		uint16_t flags = le16(bs + 40);

		g->fatsz = le32(bs + 36);
		g->root_cluster = le32(bs + 44);
		g->active_fat = flags & 0x80 ? flags & 0x0F : 0;
		g->has_ext = bs[66] == 0x29;
		g->volid = le32(bs + 67);
		memcpy(g->bpb_label, bs + 71, 11);
		g->state = bs[65];
		if (g->root_entries != 0) {
			*why = N_("a FAT32 boot sector declares a fixed root directory");
			return -1;
		}
		if (le16(bs + 42) != 0) {
			*why = N_("the FAT32 version is not 0.0");
			return -1;
		}
		if (g->active_fat >= g->nfats) {
			*why = N_("the active FAT does not exist");
			return -1;
		}
	} else {
		g->fatsz = fatsz16;
		g->has_ext = bs[38] == 0x29;
		g->volid = le32(bs + 39);
		memcpy(g->bpb_label, bs + 43, 11);
		g->state = bs[37];
		if (g->root_entries == 0) {
			*why = N_("a FAT12/16 boot sector declares no root directory");
			return -1;
		}
	}
	if (g->fatsz == 0) {
		*why = N_("the FAT size is zero");
		return -1;
	}
	g->root_sectors = ((uint64_t)g->root_entries * 32 + g->bps - 1) / g->bps;
	meta = (uint64_t)g->reserved + (uint64_t)g->nfats * g->fatsz + g->root_sectors;
	if (meta >= g->total) {
		*why = N_("the reserved sectors, FATs and root directory fill the whole filesystem");
		return -1;
	}
	g->first_data = meta;
	g->clusters = (g->total - meta) / g->spc;
	if (g->clusters == 0) {
		*why = N_("there is no data cluster");
		return -1;
	}
	if (g->fat32_layout) {
		/* FAT32 by layout, as Linux and mtools decide: mkfs.fat makes
		 * small FAT32 volumes with fewer than 65525 clusters. */
		g->bits = 32;
		if (g->clusters > FAT32_MAX_CLUSTERS) {
			*why = N_("there are too many clusters for FAT32");
			return -1;
		}
		if (g->root_cluster < 2 || g->root_cluster - 2 >= g->clusters) {
			*why = N_("the root directory cluster is outside the filesystem");
			return -1;
		}
	} else {
		g->bits = g->clusters <= FAT12_MAX_CLUSTERS ? 12 : 16;
		if (g->clusters > FAT16_MAX_CLUSTERS) {
			*why = N_("there are too many clusters for FAT16");
			return -1;
		}
	}
	if (fat_bytes_needed(g) > (uint64_t)g->fatsz * g->bps) {
		*why = N_("the FAT is too small for the number of clusters");
		return -1;
	}
	return 0;
}

static int fat_probe(const unsigned char *head, size_t len, uint64_t device_size)
{
	struct fat_geom g;
	const char *why;
	int score = 40;

	if (len < 512 || fat_parse(head, &g, &why) < 0)
		return 0;
	if (head[510] == 0x55 && head[511] == 0xAA)
		score += 20;
	if (g.fat32_layout ? g.has_ext && memcmp(head + 82, "FAT32   ", 8) == 0
			   : g.has_ext && memcmp(head + 54, "FAT", 3) == 0)
		score += 20;
	if (g.total * g.bps > device_size)
		score -= 20; /* still ours: open() explains the truncation */
	return score;
}

/* Entry `cl` of a FAT chunk whose first entry is `first`. */
static uint32_t fat_entry(const struct fat_geom *g, const unsigned char *buf, uint64_t first,
			  uint64_t cl)
{
	uint64_t i = cl - first;

	if (g->bits == 32)
		return le32(buf + i * 4) & 0x0FFFFFFF;
	if (g->bits == 16)
		return le16(buf + i * 2);
	/* FAT12: whole FAT in one chunk, first == 0 */
	if (cl & 1)
		return (uint32_t)le16(buf + cl * 3 / 2) >> 4;
	return le16(buf + cl * 3 / 2) & 0x0FFF;
}

static uint32_t fat_bad_mark(const struct fat_geom *g)
{
	return g->bits == 12 ? 0xFF7 : g->bits == 16 ? 0xFFF7 : 0x0FFFFFF7;
}

static uint64_t fat_offset(const struct fat_geom *g)
{
	return ((uint64_t)g->reserved + (uint64_t)g->active_fat * g->fatsz) * g->bps;
}

/*
 * Walk the active FAT: count the used clusters into *used and, when bm is
 * not NULL, mark their sectors.  FAT12 and FAT16 tables are read whole
 * (at most 128 KiB), FAT32 tables in FAT_CHUNK pieces.
 */
static int fat_walk(struct cc_fs *fs, struct cc_bitmap *bm, uint64_t *used, struct cc_error *err)
{
	const struct fat_geom *g = &((struct fat_priv *)fs->priv)->g;
	uint64_t need = fat_bytes_needed(g), done = 0, cl, bad = fat_bad_mark(g);
	size_t bufsz = g->bits == 32 && need > FAT_CHUNK ? FAT_CHUNK : (size_t)need;
	unsigned char *buf = malloc(bufsz);
	int ret = 0;

	*used = 0;
	if (!buf)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory while reading the FAT of '%s'"),
			       fs->dev->path);
	while (done < need) {
		size_t n = need - done < bufsz ? (size_t)(need - done) : bufsz;
		uint64_t first = done / (g->bits / 8), last;

		ret = cc_dev_pread(fs->dev, buf, n, fat_offset(g) + done, err);
		if (ret < 0)
			break;
		last = g->bits == 12 ? g->clusters + 2 : first + n / (g->bits / 8);
		for (cl = first < 2 ? 2 : first; cl < last; cl++) {
			uint32_t e = fat_entry(g, buf, g->bits == 12 ? 0 : first, cl);

			if (e == 0 || e == bad)
				continue;
			(*used)++;
			if (bm)
				cc_bitmap_set_range(bm, g->first_data + (cl - 2) * g->spc, g->spc);
		}
		done += n;
	}
	free(buf);
	return ret;
}

/* Sectors after the last whole cluster: kept, as partclone.fat does. */
static uint64_t fat_slack(const struct fat_geom *g)
{
	return g->total - g->first_data - g->clusters * g->spc;
}

/*
 * The FAT dirty bits: FAT[1] bit "clean shutdown" (FAT16 0x8000, FAT32
 * 0x08000000, cleared by Windows while mounted) and "no disk errors"
 * (0x4000 / 0x04000000), and the boot sector state byte that Linux sets
 * while mounted.  FAT12 has only the boot sector byte.
 */
static int fat_check_clean(struct cc_fs *fs, unsigned flags, struct cc_error *err)
{
	const struct fat_geom *g = &((struct fat_priv *)fs->priv)->g;
	unsigned char e[8];
	uint32_t clean = 1, noerr = 1;
	int ret;

	if (flags & CC_FS_FORCE)
		return 0;
	if (g->bits != 12) {
		ret = cc_dev_pread(fs->dev, e, 8, fat_offset(g), err);
		if (ret < 0)
			return ret;
		if (g->bits == 16) {
			clean = le16(e + 2) & 0x8000;
			noerr = le16(e + 2) & 0x4000;
		} else {
			clean = le32(e + 4) & 0x08000000;
			noerr = le32(e + 4) & 0x04000000;
		}
	}
	if (!noerr)
		return cc_fail(err, CC_E_DIRTY_FS, 0,
			       _("the FAT filesystem on '%s' recorded disk errors: run 'fsck.fat -a %s' (or 'chkdsk /f' in Windows), or pass --force to copy it as it is"),
			       fs->dev->path, fs->dev->path);
	if (!clean || (g->state & 1))
		return cc_fail(err, CC_E_DIRTY_FS, 0,
			       _("the FAT filesystem on '%s' was not unmounted cleanly: run 'fsck.fat -a %s' (or 'chkdsk /f' in Windows), or pass --force to copy it as it is"),
			       fs->dev->path, fs->dev->path);
	return 0;
}

static void copy_label(char *dst, size_t dstsz, const unsigned char *src)
{
	size_t n = 11;

	while (n && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	if (strcmp(dst, "NO NAME") == 0)
		dst[0] = '\0';
}

/* The volume label entry of the root directory (first 64 KiB / first cluster). */
static void fat_dir_label(struct cc_fs *fs, char *label, size_t labelsz)
{
	const struct fat_geom *g = &((struct fat_priv *)fs->priv)->g;
	uint64_t off, len;
	unsigned char *buf;
	size_t i;

	if (g->fat32_layout) {
		off = (g->first_data + (uint64_t)(g->root_cluster - 2) * g->spc) * g->bps;
		len = (uint64_t)g->spc * g->bps;
	} else {
		off = ((uint64_t)g->reserved + (uint64_t)g->nfats * g->fatsz) * g->bps;
		len = g->root_sectors * g->bps;
	}
	if (len > LABEL_SCAN_MAX)
		len = LABEL_SCAN_MAX;
	buf = malloc((size_t)len);
	if (!buf)
		return;
	if (cc_dev_pread(fs->dev, buf, (size_t)len, off, NULL) < 0) {
		free(buf);
		return;
	}
	for (i = 0; i + 32 <= len; i += 32) {
		const unsigned char *d = buf + i;

		if (d[0] == 0)
			break;
		if (d[0] == 0xE5 || d[11] == 0x0F || (d[11] & 0x18) != 0x08)
			continue;
		copy_label(label, labelsz, d);
		break;
	}
	free(buf);
}

static int fat_open(struct cc_fs *fs, unsigned flags, struct cc_error *err)
{
	struct cc_fs_info *in = &fs->info;
	const char *path = fs->dev->path;
	unsigned char bs[512];
	struct fat_priv *p;
	struct fat_geom *g;
	const char *why;
	uint64_t used;
	int ret;

	if (fs->dev->size < sizeof(bs))
		return cc_fail(err, CC_E_UNSUPPORTED_FS, 0,
			       _("'%s' is too small to hold a FAT filesystem: copy it with --raw"),
			       path);
	ret = cc_dev_pread(fs->dev, bs, sizeof(bs), 0, err);
	if (ret < 0)
		return ret;
	p = calloc(1, sizeof(*p));
	if (!p)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory while opening '%s'"), path);
	g = &p->g;
	if (fat_parse(bs, g, &why) < 0) {
		free(p);
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("the FAT boot sector of '%s' is invalid (%s): run 'fsck.fat' on it if it is a FAT filesystem, or copy it with --raw"),
			       path, _(why));
	}
	if (g->total > fs->dev->size / g->bps) {
		unsigned long long want = g->total * g->bps, have = fs->dev->size;

		free(p);
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("the FAT filesystem on '%s' is %llu bytes long but the device holds only %llu: the partition or image file is truncated; restore its full size, or copy it with --raw"),
			       path, want, have);
	}
	fs->priv = p;
	ret = fat_check_clean(fs, flags, err);
	if (ret == 0)
		ret = fat_walk(fs, NULL, &used, err);
	if (ret < 0) {
		free(p);
		fs->priv = NULL;
		return ret;
	}
	in->type = g->bits == 12 ? "fat12" : g->bits == 16 ? "fat16" : "fat32";
	in->ptcl_tag = g->bits == 12 ? "FAT12" : g->bits == 16 ? "FAT16" : "FAT32";
	in->block_size = g->bps;
	in->total_blocks = g->total;
	in->used_blocks = g->first_data + used * g->spc + fat_slack(g);
	if (g->has_ext)
		snprintf(in->uuid, sizeof(in->uuid), "%04X-%04X", (unsigned)(g->volid >> 16),
			 (unsigned)(g->volid & 0xFFFF));
	fat_dir_label(fs, in->label, sizeof(in->label));
	if (!in->label[0] && g->has_ext)
		copy_label(in->label, sizeof(in->label), g->bpb_label);
	return 0;
}

static int fat_read_bitmap(struct cc_fs *fs, struct cc_bitmap *bm, struct cc_error *err)
{
	const struct fat_geom *g = &((struct fat_priv *)fs->priv)->g;
	uint64_t used, slack = fat_slack(g);

	cc_bitmap_set_range(bm, 0, g->first_data);
	if (slack)
		cc_bitmap_set_range(bm, g->total - slack, slack);
	return fat_walk(fs, bm, &used, err);
}

static void fat_close(struct cc_fs *fs)
{
	free(fs->priv);
	fs->priv = NULL;
}

const struct cc_fs_ops cc_fs_fat = {
	.name = "fat",
	.probe = fat_probe,
	.open = fat_open,
	.read_bitmap = fat_read_bitmap,
	.close = fat_close,
};
