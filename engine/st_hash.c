/* st_hash.c - the digests of the checksum lists (OpenSSL libcrypto); see imgdir_int.h. */
#include "imgdir_int.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

/* Blocks smaller than this are not worth waking the helper thread for. */
#define HASH_THREAD_MIN (128u << 10)

static const struct {
	const char *file;
	unsigned hexlen;
	unsigned cost; /* relative time per byte, to share the work */
} algos[CC_SUM_N] = {
	[CC_SUM_SHA256] = {"SHA256SUMS", 64, 2},
	[CC_SUM_B2] = {"B2SUMS", 128, 4},
	[CC_SUM_MD5] = {"MD5SUMS", 32, 5},
	[CC_SUM_SHA1] = {"SHA1SUMS", 40, 2},
};

const char *cc_sum_file(enum cc_sum_algo a)
{
	return algos[a].file;
}

unsigned cc_sum_hexlen(enum cc_sum_algo a)
{
	return algos[a].hexlen;
}

static const EVP_MD *algo_md(enum cc_sum_algo a)
{
	switch (a) {
	case CC_SUM_SHA256:
		return EVP_sha256();
	case CC_SUM_B2:
		return EVP_blake2b512();
	case CC_SUM_MD5:
		return EVP_md5();
	case CC_SUM_SHA1:
		return EVP_sha1();
	default:
		return NULL;
	}
}

static void to_hex(const unsigned char *d, unsigned n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

void cc_sha512_hex(const void *buf, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!EVP_Digest(buf, len, md, &n, EVP_sha512(), NULL))
		n = 0;
	to_hex(md, n, hex);
}

struct cc_hashset {
	EVP_MD_CTX *ctx[CC_SUM_N];
	unsigned mine, theirs; /* the caller's and the helper's digests */
	pthread_t thr;
	int have_thr, no_thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const void *buf;
	size_t len;
	int job, quit, busy;
};

static void update_set(struct cc_hashset *h, unsigned set, const void *buf, size_t len)
{
	unsigned a;

	for (a = 0; a < CC_SUM_N; a++)
		if (set & (1u << a))
			EVP_DigestUpdate(h->ctx[a], buf, len);
}

static void *helper_main(void *arg)
{
	struct cc_hashset *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (!h->job && !h->quit)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->quit)
			break;
		pthread_mutex_unlock(&h->mu);
		update_set(h, h->theirs, h->buf, h->len);
		pthread_mutex_lock(&h->mu);
		h->job = 0;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* Give each digest to the side with less work so far, the costly ones first. */
static void share_work(struct cc_hashset *h, unsigned set)
{
	unsigned load[2] = {0, 0};

	while (set) {
		unsigned a, best = 0, side;

		for (a = 0; a < CC_SUM_N; a++)
			if ((set & (1u << a)) &&
			    (!(set & (1u << best)) || algos[a].cost > algos[best].cost))
				best = a;
		set &= ~(1u << best);
		side = load[1] <= load[0]; /* the caller also writes: it gets less */
		load[side] += algos[best].cost;
		if (side)
			h->theirs |= 1u << best;
		else
			h->mine |= 1u << best;
	}
}

struct cc_hashset *cc_hashset_new(unsigned set)
{
	struct cc_hashset *h = calloc(1, sizeof(*h));
	unsigned a;

	if (!h)
		return NULL;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	for (a = 0; a < CC_SUM_N; a++) {
		if (!(set & (1u << a)))
			continue;
		if (!(h->ctx[a] = EVP_MD_CTX_new()) ||
		    !EVP_DigestInit_ex(h->ctx[a], algo_md(a), NULL)) {
			cc_hashset_free(h);
			return NULL;
		}
	}
	share_work(h, set & ((1u << CC_SUM_N) - 1));
	return h;
}

static int start_helper(struct cc_hashset *h)
{
	if (h->have_thr)
		return 1;
	if (h->no_thr)
		return 0;
	if (pthread_create(&h->thr, NULL, helper_main, h)) {
		h->no_thr = 1; /* do everything here */
		return 0;
	}
	h->have_thr = 1;
	return 1;
}

void cc_hashset_begin(struct cc_hashset *h, const void *buf, size_t len)
{
	h->busy = 0;
	if (!h->theirs || len < HASH_THREAD_MIN || !start_helper(h)) {
		update_set(h, h->mine | h->theirs, buf, len);
		return;
	}
	pthread_mutex_lock(&h->mu);
	h->buf = buf;
	h->len = len;
	h->job = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	h->busy = 1;
	update_set(h, h->mine, buf, len);
}

void cc_hashset_end(struct cc_hashset *h)
{
	if (!h->busy)
		return;
	pthread_mutex_lock(&h->mu);
	while (h->job)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
	h->busy = 0;
}

void cc_hashset_update(struct cc_hashset *h, const void *buf, size_t len)
{
	cc_hashset_begin(h, buf, len);
	cc_hashset_end(h);
}

void cc_hashset_hex(struct cc_hashset *h, enum cc_sum_algo a, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	cc_hashset_end(h);
	if (!h->ctx[a] || !EVP_DigestFinal_ex(h->ctx[a], md, &n))
		n = 0;
	to_hex(md, n, hex);
	if (h->ctx[a])
		EVP_DigestInit_ex(h->ctx[a], algo_md(a), NULL);
}

void cc_hashset_free(struct cc_hashset *h)
{
	unsigned a;

	if (!h)
		return;
	cc_hashset_end(h);
	if (h->have_thr) {
		pthread_mutex_lock(&h->mu);
		h->quit = 1;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->thr, NULL);
	}
	for (a = 0; a < CC_SUM_N; a++)
		EVP_MD_CTX_free(h->ctx[a]);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
