/*
 * checksum.h - the checksums partclone images carry.
 *
 * Header values (on disk): 0x00 none, 0x20 CRC32, 0x30 XXH64, 0x31 XXH128.
 * partclone's CRC32 is reflected 0xEDB88320, seed 0xFFFFFFFF, no final
 * inversion: crc = ~zlib_crc32(~seed, data).  XXH64 is seeded with 0 and
 * stored little-endian; XXH128 is XXH3_128bits stored low64 then high64,
 * each little-endian.
 */
#ifndef CC_CHECKSUM_H
#define CC_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

enum {
	CC_CSUM_NONE = 0x00,
	CC_CSUM_CRC32 = 0x20,
	CC_CSUM_XXH64 = 0x30,
	CC_CSUM_XXH128 = 0x31,
};

#define CC_PTCL_CRC_SEED 0xFFFFFFFFu

/* partclone's CRC32 (JAMCRC), chainable: pass the previous value as seed. */
uint32_t cc_ptcl_crc32(uint32_t seed, const void *buf, size_t len);

/* Bytes a mode stores (0, 4, 8, 16), or 0 and *ok=0 for an unknown mode. */
size_t cc_csum_size(int mode, int *ok);
const char *cc_csum_name(int mode); /* "none", "CRC32", "XXH64", "XXH128", "unknown" */

struct cc_csum {
	int mode;
	uint32_t crc;
	void *xxh; /* XXH64_state_t or XXH3_state_t */
};

int cc_csum_init(struct cc_csum *c, int mode); /* 0 or -CC_E_NOMEM / -CC_E_UNSUPPORTED */
void cc_csum_reset(struct cc_csum *c);
void cc_csum_update(struct cc_csum *c, const void *buf, size_t len);
/* Write the current value in on-disk byte order into out (cc_csum_size bytes). */
void cc_csum_final(struct cc_csum *c, unsigned char *out);
void cc_csum_free(struct cc_csum *c);

#endif
