/*
 * checksum.c - the checksums partclone images carry; see checksum.h.
 *
 * partclone's CRC32 walks a byte-wise table (about 420 MB/s).  The same
 * value comes from ISA-L's folding CRC (several GB/s): partclone's register
 * is the bitwise NOT of the gzip/zlib register, so
 *     pc_crc(seed, d) = ~crc32_gzip_refl(~seed, d).
 * The unit test checks this against a byte-wise reference.
 */
#include "checksum.h"

#include <isa-l.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "error.h"

/* ISA-L takes a 64-bit length; stay well inside it anyway. */
#define CRC_CHUNK ((size_t)1 << 30)

uint32_t cc_ptcl_crc32(uint32_t seed, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t crc = ~seed;

	while (len) {
		size_t n = len < CRC_CHUNK ? len : CRC_CHUNK;

		crc = crc32_gzip_refl(crc, p, (uint64_t)n);
		p += n;
		len -= n;
	}
	return ~crc;
}

size_t cc_csum_size(int mode, int *ok)
{
	int known = 1;
	size_t n = 0;

	switch (mode) {
	case CC_CSUM_NONE:
		n = 0;
		break;
	case CC_CSUM_CRC32:
		n = 4;
		break;
	case CC_CSUM_XXH64:
		n = 8;
		break;
	case CC_CSUM_XXH128:
		n = 16;
		break;
	default:
		known = 0;
		break;
	}
	if (ok)
		*ok = known;
	return n;
}

const char *cc_csum_name(int mode)
{
	switch (mode) {
	case CC_CSUM_NONE:
		return "none";
	case CC_CSUM_CRC32:
		return "CRC32";
	case CC_CSUM_XXH64:
		return "XXH64";
	case CC_CSUM_XXH128:
		return "XXH128";
	default:
		return "unknown";
	}
}

int cc_csum_init(struct cc_csum *c, int mode)
{
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	switch (mode) {
	case CC_CSUM_NONE:
	case CC_CSUM_CRC32:
		break;
	case CC_CSUM_XXH64:
		if (!(c->xxh = XXH64_createState()))
			return -CC_E_NOMEM;
		break;
	case CC_CSUM_XXH128:
		if (!(c->xxh = XXH3_createState()))
			return -CC_E_NOMEM;
		break;
	default:
		return -CC_E_UNSUPPORTED;
	}
	cc_csum_reset(c);
	return 0;
}

void cc_csum_reset(struct cc_csum *c)
{
	switch (c->mode) {
	case CC_CSUM_CRC32:
		c->crc = CC_PTCL_CRC_SEED;
		break;
	case CC_CSUM_XXH64:
		XXH64_reset(c->xxh, 0);
		break;
	case CC_CSUM_XXH128:
		XXH3_128bits_reset(c->xxh);
		break;
	default:
		break;
	}
}

void cc_csum_update(struct cc_csum *c, const void *buf, size_t len)
{
	switch (c->mode) {
	case CC_CSUM_CRC32:
		c->crc = cc_ptcl_crc32(c->crc, buf, len);
		break;
	case CC_CSUM_XXH64:
		XXH64_update(c->xxh, buf, len);
		break;
	case CC_CSUM_XXH128:
		XXH3_128bits_update(c->xxh, buf, len);
		break;
	default:
		break;
	}
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void put_le64(unsigned char *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

void cc_csum_final(struct cc_csum *c, unsigned char *out)
{
	XXH128_hash_t h;

	switch (c->mode) {
	case CC_CSUM_CRC32:
		put_le32(out, c->crc);
		break;
	case CC_CSUM_XXH64:
		put_le64(out, XXH64_digest(c->xxh));
		break;
	case CC_CSUM_XXH128:
		/* partclone memcpy()s the XXH128_hash_t: low64, high64. */
		h = XXH3_128bits_digest(c->xxh);
		put_le64(out, h.low64);
		put_le64(out + 8, h.high64);
		break;
	default:
		break;
	}
}

void cc_csum_free(struct cc_csum *c)
{
	if (!c->xxh)
		return;
	if (c->mode == CC_CSUM_XXH64)
		XXH64_freeState(c->xxh);
	else if (c->mode == CC_CSUM_XXH128)
		XXH3_freeState(c->xxh);
	c->xxh = NULL;
}
