/*
 * fs_ntfs.c - NTFS through libntfs-3g.
 *
 * One bitmap bit per cluster, taken from $Bitmap exactly as ntfsclone and
 * partclone.ntfs do: block_size is the cluster size and bit i is cluster i.
 *
 * The backup boot sector: it is the partition's last sector, at byte
 * number_of_sectors * bytes_per_sector, past the last whole cluster (inside
 * the partial "cluster" nr_clusters).  partclone.ntfs uses totalblock =
 * nr_clusters and loses it.  When the device holds a whole cluster there
 * (device_size >= (nr_clusters + 1) * cluster_size) we add that block as
 * block nr_clusters, used, so partclone.restore writes it back as well;
 * otherwise the image covers nr_clusters blocks and the restore has to
 * regenerate the backup boot sector from the primary one.
 *
 * The volume is mounted read-only, so libntfs-3g skips its own hibernation
 * and $LogFile checks; we make them here (and the dirty flag, as ntfsclone
 * does) and refuse unless CC_FS_FORCE.
 */
#include "fs.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* libntfs-3g's headers expect its config.h; say what this system has. */
#define HAVE_STDINT_H	 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_STDIO_H	 1
#define HAVE_STDDEF_H	 1
#define HAVE_STDARG_H	 1
#define HAVE_TIME_H	 1
#define HAVE_SYS_STAT_H	 1
#define HAVE_ENDIAN_H	 1
#define HAVE_BYTESWAP_H	 1
#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/logfile.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/volume.h>

#include "dev.h"
#include "error.h"
#include "i18n.h"

#define NTFS_CHUNK (1u << 20) /* bytes of $Bitmap read at a time */

struct ntfs_priv {
	ntfs_volume *vol;
	uint64_t nr_clusters;
	int tail; /* block nr_clusters (backup boot sector) is in the image */
};

static int ntfs_probe(const unsigned char *head, size_t len, uint64_t device_size)
{
	unsigned bps, spc;

	(void)device_size;
	if (len < 512 || memcmp(head + 3, "NTFS    ", 8) != 0)
		return 0;
	bps = (unsigned)head[11] | (unsigned)head[12] << 8;
	spc = head[13];
	if (bps < 256 || bps > 4096 || (bps & (bps - 1)))
		return 0;
	if (spc == 0 || (spc <= 128 && (spc & (spc - 1))) || (spc > 128 && spc < 0xF4))
		return 0;
	if (head[510] != 0x55 || head[511] != 0xAA)
		return 60;
	return 100;
}

static void silence_libntfs(void)
{
	ntfs_log_set_handler(ntfs_log_handler_null);
	ntfs_log_clear_levels(UINT32_MAX);
}

/* Keep errno e in err after a cc_fail() that quoted strerror(e) mid-sentence. */
static int with_errno(struct cc_error *err, int e, int ret)
{
	if (err)
		err->sys_errno = e;
	return ret;
}

static int ntfs_mount_failed(const struct cc_fs *fs, int e, struct cc_error *err)
{
	const char *path = fs->dev->path;
	int ret;

	if (e == ENOMEM)
		return cc_fail(err, CC_E_NOMEM, e, _("cannot open the NTFS filesystem on '%s'"),
			       path);
	if (e == EACCES || e == EPERM)
		ret = cc_fail(err, CC_E_PERM, 0,
			      _("cannot open the NTFS filesystem on '%s' (%s): run Clonecast as root"),
			      path, strerror(e));
	else if (e == EOPNOTSUPP)
		ret = cc_fail(err, CC_E_UNSUPPORTED_FS, 0,
			      _("cannot open the NTFS filesystem on '%s' (%s; it may be encrypted with BitLocker or use an unsupported NTFS version): unlock or decrypt it in Windows, or copy it with --raw"),
			      path, strerror(e));
	else
		ret = cc_fail(err, CC_E_CORRUPT, 0,
			      _("cannot open the NTFS filesystem on '%s' (%s): boot Windows and run 'chkdsk /f' on it, or copy it with --raw"),
			      path, strerror(e));
	return with_errno(err, e, ret);
}

/*
 * $LogFile as libntfs-3g checks it on a read-write mount: an unclean log,
 * or a version 2.0 restart page (metadata cached by Fast Startup), means
 * Windows did not shut down fully.  1 = unclean, 0 = clean, <0 = error.
 */
static int ntfs_logfile_unclean(ntfs_volume *vol)
{
	RESTART_PAGE_HEADER *rp = NULL;
	ntfs_inode *ni;
	ntfs_attr *na;
	int unclean = -1;

	ni = ntfs_inode_open(vol, FILE_LogFile);
	if (!ni)
		return -1;
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (na) {
		unclean = !ntfs_check_logfile(na, &rp) || !ntfs_is_logfile_clean(na, rp);
		if (rp && sle16_to_cpu(rp->major_ver) == 2 && sle16_to_cpu(rp->minor_ver) == 0)
			unclean = 1;
		free(rp);
		ntfs_attr_close(na);
	}
	ntfs_inode_close(ni);
	return unclean;
}

static int ntfs_check_clean(const struct cc_fs *fs, ntfs_volume *vol, struct cc_error *err)
{
	const char *path = fs->dev->path;
	int r, e;

	if (vol->flags & VOLUME_IS_DIRTY)
		return cc_fail(err, CC_E_DIRTY_FS, 0,
			       _("the NTFS filesystem on '%s' is marked dirty: boot Windows and run 'chkdsk /f' on it, then shut Windows down fully; or pass --force to copy it as it is"),
			       path);
	errno = 0;
	if (ntfs_volume_check_hiberfile(vol, 0) < 0) {
		e = errno;
		if (e == EPERM)
			return cc_fail(err, CC_E_HIBERNATED, 0,
				       _("Windows is hibernated on '%s' (hiberfil.sys is in use): boot Windows and shut it down fully (hold Shift while clicking Shut down, or disable Fast Startup, or run 'powercfg /h off'), or pass --force to copy the disk as it is, without what Windows has not written yet"),
				       path);
		return with_errno(err, e,
				  cc_fail(err, CC_E_IO, 0,
					  _("cannot check whether Windows is hibernated on '%s' (%s): boot Windows and run 'chkdsk /f' on it, or pass --force"),
					  path, strerror(e)));
	}
	errno = 0;
	r = ntfs_logfile_unclean(vol);
	e = errno;
	if (r < 0)
		return with_errno(err, e,
				  cc_fail(err, CC_E_CORRUPT, 0,
					  _("cannot read the $LogFile of the NTFS filesystem on '%s' (%s): boot Windows and run 'chkdsk /f' on it, or pass --force"),
					  path, strerror(e)));
	if (r)
		return cc_fail(err, CC_E_HIBERNATED, 0,
			       _("Windows did not shut down fully on '%s' (Fast Startup or hibernation left unsaved changes in the $LogFile): boot Windows and shut it down fully (hold Shift while clicking Shut down, or disable Fast Startup, or run 'powercfg /h off'), or pass --force"),
			       path);
	return 0;
}

static int popcount8(unsigned char b)
{
	return __builtin_popcount(b);
}

/*
 * The used-cluster count from libntfs-3g's own accounting
 * (ntfs_volume_get_free_space counts the zero bits of the whole $Bitmap
 * attribute, padding included): used = bits - free - set padding bits.
 */
static int ntfs_count_used(const struct cc_fs *fs, ntfs_volume *vol, uint64_t *used,
			   struct cc_error *err)
{
	uint64_t nr = (uint64_t)vol->nr_clusters, bits, first = nr / 8, padset = 0, i;
	s64 size = vol->lcnbmp_na->data_size;
	unsigned char buf[4096];

	if (size <= 0 || (uint64_t)size < (nr + 7) / 8)
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("the $Bitmap of the NTFS filesystem on '%s' is shorter than the volume: boot Windows and run 'chkdsk /f' on it"),
			       fs->dev->path);
	bits = (uint64_t)size * 8;
	errno = 0;
	if (ntfs_volume_get_free_space(vol) < 0 || vol->free_clusters < 0 ||
	    (uint64_t)vol->free_clusters > bits) {
		int e = errno;

		return with_errno(err, e,
				  cc_fail(err, CC_E_CORRUPT, 0,
					  _("cannot count the free clusters of the NTFS filesystem on '%s' (%s): boot Windows and run 'chkdsk /f' on it"),
					  fs->dev->path, strerror(e)));
	}
	for (i = first; i < (uint64_t)size;) {
		size_t n = (uint64_t)size - i < sizeof(buf) ? (size_t)((uint64_t)size - i) : sizeof(buf);
		size_t k;

		if (ntfs_attr_pread(vol->lcnbmp_na, (s64)i, (s64)n, buf) != (s64)n)
			return cc_fail(err, CC_E_IO, errno,
				       _("cannot read the $Bitmap of the NTFS filesystem on '%s'"),
				       fs->dev->path);
		for (k = 0; k < n; k++) {
			unsigned char b = buf[k];

			if (i + k == first)
				b &= (unsigned char)~((1u << (nr & 7)) - 1); /* clusters < nr */
			padset += (uint64_t)popcount8(b);
		}
		i += n;
	}
	*used = bits - (uint64_t)vol->free_clusters - padset;
	return 0;
}

static void ntfs_uuid(struct cc_fs *fs, char *out, size_t outsz)
{
	unsigned char serial[8];
	uint64_t v = 0;
	int i;

	if (cc_dev_pread(fs->dev, serial, sizeof(serial), 0x48, NULL) < 0)
		return;
	for (i = 7; i >= 0; i--)
		v = v << 8 | serial[i];
	snprintf(out, outsz, "%016llX", (unsigned long long)v);
}

static int ntfs_setup(struct cc_fs *fs, struct ntfs_priv *p, unsigned flags, struct cc_error *err)
{
	ntfs_volume *vol = p->vol;
	struct cc_fs_info *in = &fs->info;
	uint64_t cs = vol->cluster_size, nr = (uint64_t)vol->nr_clusters, used;
	int ret;

	if (cs == 0 || vol->nr_clusters <= 0)
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("the NTFS boot sector of '%s' is invalid: boot Windows and run 'chkdsk /f' on it, or copy it with --raw"),
			       fs->dev->path);
	if (nr > fs->dev->size / cs)
		return cc_fail(err, CC_E_CORRUPT, 0,
			       _("the NTFS filesystem on '%s' has %llu clusters of %llu bytes but the device holds only %llu bytes: the partition or image file is truncated; restore its full size, or copy it with --raw"),
			       fs->dev->path, (unsigned long long)nr, (unsigned long long)cs,
			       (unsigned long long)fs->dev->size);
	if (!(flags & CC_FS_FORCE)) {
		ret = ntfs_check_clean(fs, vol, err);
		if (ret < 0)
			return ret;
	}
	ret = ntfs_count_used(fs, vol, &used, err);
	if (ret < 0)
		return ret;
	p->nr_clusters = nr;
	p->tail = fs->dev->size / cs >= nr + 1;
	in->type = "ntfs";
	in->ptcl_tag = "NTFS";
	in->block_size = (uint32_t)cs;
	in->total_blocks = nr + (uint64_t)p->tail;
	in->used_blocks = used + (uint64_t)p->tail;
	snprintf(in->label, sizeof(in->label), "%s", vol->vol_name ? vol->vol_name : "");
	ntfs_uuid(fs, in->uuid, sizeof(in->uuid));
	return 0;
}

static int ntfs_open(struct cc_fs *fs, unsigned flags, struct cc_error *err)
{
	struct ntfs_priv *p;
	int ret;

	silence_libntfs();
	p = calloc(1, sizeof(*p));
	if (!p)
		return cc_fail(err, CC_E_NOMEM, 0, _("out of memory while opening '%s'"),
			       fs->dev->path);
	errno = 0;
	p->vol = ntfs_mount(fs->dev->path, NTFS_MNT_RDONLY);
	if (!p->vol) {
		ret = ntfs_mount_failed(fs, errno, err);
		free(p);
		return ret;
	}
	ret = ntfs_setup(fs, p, flags, err);
	if (ret < 0) {
		ntfs_umount(p->vol, FALSE);
		free(p);
		return ret;
	}
	fs->priv = p;
	return 0;
}

static int ntfs_read_bitmap(struct cc_fs *fs, struct cc_bitmap *bm, struct cc_error *err)
{
	struct ntfs_priv *p = fs->priv;
	uint64_t nbytes = (p->nr_clusters + 7) / 8, pos;

	for (pos = 0; pos < nbytes;) {
		size_t n = nbytes - pos < NTFS_CHUNK ? (size_t)(nbytes - pos) : NTFS_CHUNK;

		if (ntfs_attr_pread(p->vol->lcnbmp_na, (s64)pos, (s64)n, bm->bytes + pos) !=
		    (s64)n)
			return cc_fail(err, CC_E_IO, errno,
				       _("cannot read the $Bitmap of the NTFS filesystem on '%s' at byte %llu"),
				       fs->dev->path, (unsigned long long)pos);
		pos += n;
	}
	if (p->nr_clusters & 7) /* padding bits past the last cluster */
		bm->bytes[nbytes - 1] &= (unsigned char)((1u << (p->nr_clusters & 7)) - 1);
	if (p->tail)
		cc_bitmap_set(bm, p->nr_clusters);
	return 0;
}

static void ntfs_close(struct cc_fs *fs)
{
	struct ntfs_priv *p = fs->priv;

	if (!p)
		return;
	ntfs_umount(p->vol, FALSE);
	free(p);
	fs->priv = NULL;
}

const struct cc_fs_ops cc_fs_ntfs = {
	.name = "ntfs",
	.probe = ntfs_probe,
	.open = ntfs_open,
	.read_bitmap = ntfs_read_bitmap,
	.close = ntfs_close,
};
