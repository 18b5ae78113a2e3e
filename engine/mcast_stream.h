/*
 * mcast_stream.h - the self-describing byte stream that a multicast
 * restore sends through udpcast (one udp-sender session per round): the
 * whole image directory, as stored, so that every client learns from the
 * stream itself which image, which disk layout and which partition each
 * part belongs to.  Private to mcast_*.c and repo_stream.c.
 *
 * All numbers little-endian; "name" is a u16 length and that many bytes
 * (a file name of the image directory: no '/', not "." or "..", no NUL).
 *
 *   header   "CCMCSTRM" u32 version(1) u32 flags(0) u64 header_len
 *            id[16] u64 used_bytes u64 payload_bytes i64 mtime
 *            u32 nsmall u32 nbig name(image)
 *            nsmall x { name u32 len bytes[len] }   the small files, whole
 *            nbig   x { name u64 len }              the sections that follow
 *            u64 xxh64(everything before)
 *   section  "CCMCSECT" id[16] u32 index name u64 len u64 xxh64(head)
 *            bytes[len]                             one file, as stored
 *            "CCMCSEND" id[16] u32 index u64 xxh64(bytes) u64 xxh64(tail)
 *   end      "CCMCDONE" id[16] u32 nbig u64 xxh64(end)
 *
 * id is random for each round: bytes of another round or another sender
 * never pass for this one.  Sections come in the order a restore reads
 * them (cc_restore_order()).  A reader checks every magic, id, index,
 * name, length and hash and refuses anything else with -CC_E_CORRUPT
 * (-CC_E_TRUNCATED when the stream ends early).
 */
#ifndef CC_MCAST_STREAM_H
#define CC_MCAST_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cc_error;
struct cc_istream;

#define CC_MCS_VERSION	  1u
#define CC_MCS_ID_LEN	  16
#define CC_MCS_NAME_MAX	  255
#define CC_MCS_HEADER_MAX (64u << 20) /* every small file together */
#define CC_MCS_SMALL_MAX  (16u << 20) /* one small file */
#define CC_MCS_FILES_MAX  100000u
#define CC_MCS_MARK_MAX	  (8 + CC_MCS_ID_LEN + 4 + 2 + CC_MCS_NAME_MAX + 8 + 8)

struct cc_mcs_file {
	char *name;
	uint64_t size;
	unsigned char *data; /* small files: the contents (size bytes); big ones: NULL */
};

struct cc_mcs_header {
	unsigned char id[CC_MCS_ID_LEN];
	char *image;
	uint64_t used_bytes;	/* data in use in every partition image (progress) */
	uint64_t payload_bytes; /* the sections' bytes together */
	int64_t mtime;		/* when the image was saved */
	struct cc_mcs_file *small, *big;
	unsigned nsmall, nbig;
};

/* A valid file name for the stream (and the image directory). */
int cc_mcs_name_ok(const char *name);
void cc_mcs_header_free(struct cc_mcs_header *h);
/* A new random id (getrandom). */
int cc_mcs_new_id(unsigned char id[CC_MCS_ID_LEN], struct cc_error *err);

/* ---- writing: each returns the bytes to send, in a malloc'd buffer or buf ---- */
int cc_mcs_header_encode(const struct cc_mcs_header *h, unsigned char **out, size_t *len,
			 struct cc_error *err);
/* Section head / tail / end marker into buf (at least CC_MCS_MARK_MAX bytes). */
size_t cc_mcs_section_head(const struct cc_mcs_header *h, unsigned idx, unsigned char *buf);
size_t cc_mcs_section_tail(const struct cc_mcs_header *h, unsigned idx, uint64_t data_hash,
			   unsigned char *buf);
size_t cc_mcs_end(const struct cc_mcs_header *h, unsigned char *buf);

/* ---- reading ---- */
/* Read and check the header.  `what` names the stream in messages
 * ("the multicast stream from 10.0.0.1"). */
int cc_mcs_header_read(struct cc_istream *in, const char *what, struct cc_mcs_header **out,
		       struct cc_error *err);

/* Reads the sections of a stream in order, checking each as it goes. */
struct cc_mcs_reader;
int cc_mcs_reader_new(struct cc_istream *in, const struct cc_mcs_header *h, const char *what,
		      struct cc_mcs_reader **out, struct cc_error *err);
/* Go to section idx: the rest of the current one and every section
 * before idx are read and checked (and dropped); idx must not be behind. */
int cc_mcs_begin(struct cc_mcs_reader *r, unsigned idx, struct cc_error *err);
/* Bytes of the current section; 0 at its end, once its tail checked out. */
ssize_t cc_mcs_read(struct cc_mcs_reader *r, void *buf, size_t len, struct cc_error *err);
/* Index of the section being read (or of the next one), and whether one is open. */
unsigned cc_mcs_position(const struct cc_mcs_reader *r, int *open);
/* Read and check everything left, the end marker, and that nothing follows. */
int cc_mcs_finish(struct cc_mcs_reader *r, struct cc_error *err);
void cc_mcs_reader_free(struct cc_mcs_reader *r); /* not the input */

/*
 * A read-only repository that holds the stream's one image (repo_stream.c):
 * the small files from the header, the big ones as the sections come.
 * open_read of a big file reads its section (skipping, after checking,
 * those before it); one that has gone by is an error.  Takes h and in
 * (positioned after the header).  location names it in messages.
 */
struct cc_repo;
int cc_repo_stream_open(struct cc_istream *in, struct cc_mcs_header *h, const char *location,
			struct cc_repo **out, struct cc_error *err);
/* After the restore: read and check whatever is left and the end mark. */
int cc_repo_stream_finish(struct cc_repo *r, struct cc_error *err);

#endif
