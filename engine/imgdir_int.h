/*
 * imgdir_int.h - private to imgdir_read.c, imgdir_write.c and st_hash.c:
 * the checksum lists of an image directory and the digests behind them.
 *
 * Clonezilla writes MD5SUMS, SHA1SUMS and B2SUMS ("cd img; md5sum * >
 * MD5SUMS", ocs-sr -gm/-gs/-gb) and checks them with "md5sum -c" etc.
 * (-cm/-cs/-cb).  Clonecast writes SHA256SUMS and B2SUMS and checks any
 * of the four it finds.
 */
#ifndef CC_IMGDIR_INT_H
#define CC_IMGDIR_INT_H

#include <stddef.h>

enum cc_sum_algo { CC_SUM_SHA256, CC_SUM_B2, CC_SUM_MD5, CC_SUM_SHA1, CC_SUM_N };

#define CC_SUM_HEX_MAX 128 /* BLAKE2b-512 */

/* The list file ("SHA256SUMS") and the length of a digest in hex. */
const char *cc_sum_file(enum cc_sum_algo a);
unsigned cc_sum_hexlen(enum cc_sum_algo a);

/*
 * Several digests of one byte stream.  For large blocks the digests are
 * shared between the calling thread and one helper thread, so that
 * SHA-256 and BLAKE2b-512 together cost about what BLAKE2b alone does.
 * begin() starts the helper's share and computes the caller's; end()
 * waits for the helper; buf must stay unchanged in between (the caller
 * writes it out meanwhile).
 */
struct cc_hashset;

/* algos: a mask of 1u << CC_SUM_*.  Returns NULL when out of memory. */
struct cc_hashset *cc_hashset_new(unsigned algos);
void cc_hashset_begin(struct cc_hashset *h, const void *buf, size_t len);
void cc_hashset_end(struct cc_hashset *h);
void cc_hashset_update(struct cc_hashset *h, const void *buf, size_t len);
/* Finish one digest into hex (NUL-terminated) and start it again. */
void cc_hashset_hex(struct cc_hashset *h, enum cc_sum_algo a, char *hex);
void cc_hashset_free(struct cc_hashset *h);

/* SHA-512 of buf in hex (for Info-img-id.txt): 129 bytes. */
void cc_sha512_hex(const void *buf, size_t len, char *hex);

#endif
