/*
 * save_part.c - cc_save_part(): one filesystem to one partclone image
 * stream.  A reader thread reads the used blocks (pread of whole runs)
 * into a small pool of buffers; the calling thread checksums, formats and
 * hands the data to the compressor, whose own workers compress.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "dev.h"
#include "error.h"
#include "fs.h"
#include "i18n.h"
#include "job.h"
#include "mounts.h"
#include "queue.h"

#define SAVE_BUF_BYTES (4u << 20)
#define SAVE_NBUFS     4

struct save_buf {
	unsigned char *data;
	uint64_t nblocks;
	int status; /* < 0: read error (in reader->err) */
};

struct reader {
	struct cc_dev *dev;
	const struct cc_bitmap *bm;
	uint32_t bs;
	uint64_t cap_blocks;
	struct cc_queue full, empty;
	struct save_buf bufs[SAVE_NBUFS];
	struct cc_error err; /* the reader thread's own error */
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct save_buf *cur = NULL;
	uint64_t from = 0, start, count;

	while (cc_bitmap_next_run(r->bm, &from, &start, &count, 0)) {
		while (count) {
			uint64_t k;
			int ret;

			if (!cur) {
				if (!(cur = cc_queue_pop(&r->empty)))
					goto out; /* aborted */
				cur->nblocks = 0;
				cur->status = 0;
			}
			k = r->cap_blocks - cur->nblocks;
			if (k > count)
				k = count;
			ret = cc_dev_pread(r->dev, cur->data + cur->nblocks * r->bs,
					   (size_t)(k * r->bs), start * r->bs, &r->err);
			if (ret < 0) {
				cur->status = ret;
				cc_queue_push(&r->full, cur);
				goto out;
			}
			cur->nblocks += k;
			start += k;
			count -= k;
			if (cur->nblocks == r->cap_blocks) {
				if (cc_queue_push(&r->full, cur) < 0)
					goto out;
				cur = NULL;
			}
		}
	}
	if (cur && cur->nblocks)
		cc_queue_push(&r->full, cur);
out:
	cc_queue_close(&r->full);
	return NULL;
}

static void reader_cleanup(struct reader *r)
{
	unsigned i;

	for (i = 0; i < SAVE_NBUFS; i++)
		free(r->bufs[i].data);
	cc_queue_destroy(&r->full);
	cc_queue_destroy(&r->empty);
}

static int reader_init(struct reader *r, struct cc_dev *dev, const struct cc_bitmap *bm,
		       uint32_t bs, struct cc_error *err)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->dev = dev;
	r->bm = bm;
	r->bs = bs;
	r->cap_blocks = bs >= SAVE_BUF_BYTES ? 1 : SAVE_BUF_BYTES / bs;
	if (cc_queue_init(&r->full, SAVE_NBUFS) < 0 || cc_queue_init(&r->empty, SAVE_NBUFS) < 0)
		goto nomem;
	for (i = 0; i < SAVE_NBUFS; i++) {
		if (!(r->bufs[i].data = malloc((size_t)(r->cap_blocks * bs))))
			goto nomem;
		cc_queue_push(&r->empty, &r->bufs[i]);
	}
	return 0;
nomem:
	reader_cleanup(r);
	return cc_fail(err, CC_E_NOMEM, 0, _("out of memory"));
}

/* Parameters of the partclone header from the filesystem. */
static void ptcl_params(const struct cc_save_opts *o, const struct cc_fs_info *fi,
			uint64_t used_bits, struct cc_ptcl_params *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->fs_tag, sizeof(p->fs_tag), "%s", fi->ptcl_tag);
	p->device_size = fi->device_size;
	p->total_blocks = fi->total_blocks;
	p->used_blocks_sb = used_bits;
	p->block_size = fi->block_size;
	p->checksum_mode = o->checksum_mode < 0 ? CC_CSUM_CRC32 : o->checksum_mode;
	p->blocks_per_checksum = o->blocks_per_checksum;
	p->reseed = 1;
}

/* Copy the used blocks from the reader into the image writer. */
static int copy_blocks(struct reader *r, struct cc_ptcl_writer *w, struct cc_ostream *chain,
		       struct cc_ostream *sink,
		       struct cc_tracker *t, struct cc_error *err)
{
	struct save_buf *b;
	int ret = 0;

	while ((b = cc_queue_pop(&r->full))) {
		if (b->status < 0) {
			*err = r->err;
			return b->status;
		}
		/* No writer: a plain raw stream (partclone.dd's format). */
		ret = w ? cc_ptcl_writer_blocks(w, b->data, b->nblocks)
			: cc_ostream_write(chain, b->data, (size_t)(b->nblocks * r->bs));
		t->p.bytes_done += b->nblocks * r->bs;
		cc_queue_push(&r->empty, b);
		if (ret < 0)
			return ret;
		t->p.bytes_stored = t->stored_base + sink->bytes_out;
		if ((ret = cc_tracker_report(t, err)) < 0)
			return ret;
	}
	return 0;
}

static int save_fs(const struct cc_save_opts *o, struct cc_dev *dev, struct cc_fs *fs,
		   struct cc_ostream *chain, struct cc_ostream *sink, struct cc_tracker *t,
		   struct cc_part_result *res, struct cc_error *err)
{
	struct cc_bitmap bm = {0, NULL};
	struct cc_ptcl_params pp;
	struct cc_ptcl_writer *w = NULL;
	struct reader r;
	pthread_t th;
	uint64_t used;
	int ret;

	t->p.phase = CC_PHASE_BITMAP;
	if ((ret = cc_tracker_report(t, err)) < 0)
		return ret;
	if ((ret = cc_fs_read_bitmap(fs, &bm, err)) < 0)
		return ret;
	used = cc_bitmap_count(&bm);
	res->used_bytes = used * fs->info.block_size;
	t->p.bytes_total += res->used_bytes;
	ptcl_params(o, &fs->info, used, &pp);
	if (!o->plain_raw && (ret = cc_ptcl_writer_new(&pp, &bm, chain, err, &w)) < 0)
		goto out_bm;
	if ((ret = reader_init(&r, dev, &bm, fs->info.block_size, err)) < 0)
		goto out_w;
	if (pthread_create(&th, NULL, reader_main, &r) != 0) {
		ret = cc_fail(err, CC_E_NOMEM, 0, _("cannot start the reader thread"));
		goto out_r;
	}
	t->p.phase = CC_PHASE_COPY;
	ret = copy_blocks(&r, w, chain, sink, t, err);
	cc_queue_abort(&r.empty);
	cc_queue_abort(&r.full);
	pthread_join(th, NULL);
	if (!ret && w)
		ret = cc_ptcl_writer_finish(w);
	if (!ret) {
		t->p.phase = CC_PHASE_SYNC;
		ret = cc_ostream_finish(chain);
	}
out_r:
	reader_cleanup(&r);
out_w:
	cc_ptcl_writer_free(w);
out_bm:
	cc_bitmap_free(&bm);
	return ret;
}

int cc_save_part(const struct cc_save_opts *o, struct cc_ostream *sink,
		 const struct cc_events *ev, struct cc_tracker *tracker,
		 struct cc_part_result *res, struct cc_error *err)
{
	struct cc_tracker own;
	struct cc_part_result dummy;
	struct cc_ostream *chain = NULL;
	struct cc_dev *dev = NULL;
	struct cc_fs *fs = NULL;
	uint64_t t0 = cc_clock_monotonic_ns(NULL);
	int ret;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!tracker) {
		cc_tracker_init(&own, ev, 0);
		tracker = &own;
		tracker->p.part_name = o->source; /* a disk job names its partitions itself */
	}
	tracker->p.phase = CC_PHASE_PROBE;
	if (!(o->fs_flags & CC_FS_FORCE) &&
	    (ret = cc_check_unmounted(o->source, CC_MOUNT_FOR_READ, err)) < 0)
		goto out;
	if ((ret = cc_dev_open(o->source, CC_DEV_READ, &dev, err)) < 0)
		goto out;
	if ((ret = cc_fs_open(dev, o->force_fs, o->fs_flags, &fs, err)) < 0)
		goto out;
	snprintf(res->fs_type, sizeof(res->fs_type), "%s", fs->info.type);
	if (fs->info.total_blocks * fs->info.block_size > dev->size) {
		ret = cc_fail(err, CC_E_FS_INCONSISTENT, 0,
			      _("the %s filesystem on '%s' claims %llu bytes but the device has only "
				"%llu: the partition was shrunk or the image is cut short"),
			      fs->info.type, o->source,
			      (unsigned long long)(fs->info.total_blocks * fs->info.block_size),
			      (unsigned long long)dev->size);
		goto out;
	}
	if (!strcmp(fs->info.type, "raw") && !o->force_fs)
		cc_log(ev, CC_LOG_WARN,
		       _("no known filesystem on '%s': saving every block (raw)"), o->source);
	if ((ret = cc_compress_new(&o->comp, sink, err, &chain)) < 0)
		goto out;
	sink = NULL; /* owned by the chain now */
	res->codec = o->comp.codec;
	ret = save_fs(o, dev, fs, chain, cc_ostream_last(chain), tracker, res, err);
	if (!ret) {
		struct cc_ostream *last = cc_ostream_last(chain);
		res->stored_bytes = last->bytes_out;
		tracker->stored_base += last->bytes_out;
		tracker->p.bytes_stored = tracker->stored_base;
	}
out:
	cc_ostream_free(chain);
	cc_ostream_free(sink);
	cc_fs_close(fs);
	cc_dev_close(dev);
	res->elapsed_ms = (cc_clock_monotonic_ns(NULL) - t0) / 1000000;
	if (!ret && tracker == &own)
		cc_tracker_done(tracker);
	return ret;
}
