/*
 * t-mcast.c - the pieces of a multicast restore that need no network:
 * reading what udp-sender and udp-receiver print (udpcast.c), and the
 * self-describing stream (mcast_stream.c): a header and two sections
 * written and read back, then a changed byte in each part, a section of
 * another round, sections out of order and a stream cut short, each
 * refused with CORRUPT or TRUNCATED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "error.h"
#include "mcast_stream.h"
#include "stream.h"
#include "tap.h"
#include "udpcast.h"

static void test_udpcast(void)
{
	struct cc_udpc_line l;

	cc_udpc_parse("New connection from 10.77.0.3  (#0) 00000009", &l);
	ok(l.ev == CC_UDPC_JOINED && l.num == 0 && !strcmp(l.addr, "10.77.0.3"),
	   "udp-sender: a client joined (number, address)");
	cc_udpc_parse("bytes= 20 971 520  re-xmits=0000030 (  0.2%) slice=0112 -   1", &l);
	ok(l.ev == CC_UDPC_BYTES && l.bytes == 20971520 && l.rexmit_permille == 2,
	   "udp-sender: bytes with spaces, retransmissions per mille");
	cc_udpc_parse("bytes= 1 024  (189.55 Mbps)", &l);
	ok(l.ev == CC_UDPC_BYTES && l.bytes == 1024, "udp-receiver: bytes");
	cc_udpc_parse("Dropping client #1 because of timeout", &l);
	ok(l.ev == CC_UDPC_DROPPING && l.num == 1, "a client dropped");
	cc_udpc_parse("Disconnecting #12 (10.77.0.4)", &l);
	ok(l.ev == CC_UDPC_DISCONNECT && l.num == 12 && !strcmp(l.addr, "10.77.0.4"),
	   "a client gone (number, address)");
	cc_udpc_parse("Connected as #2 to 10.77.0.1", &l);
	ok(l.ev == CC_UDPC_CONNECTED && l.num == 2 && !strcmp(l.addr, "10.77.0.1"),
	   "udp-receiver: connected to the sender");
	cc_udpc_parse("Starting transfer: 00000009", &l);
	is_int(l.ev, CC_UDPC_STARTING, "the transfer starts");
	cc_udpc_parse("Transfer complete.", &l);
	is_int(l.ev, CC_UDPC_COMPLETE, "the transfer is complete");
	cc_udpc_parse("No participants... exiting", &l);
	is_int(l.ev, CC_UDPC_NO_CLIENTS, "no participants");
	cc_udpc_parse("We have been dropped by sender", &l);
	is_int(l.ev, CC_UDPC_DROPPED, "udp-receiver: dropped");
	cc_udpc_parse("No suitable network interface found", &l);
	is_int(l.ev, CC_UDPC_NO_INTERFACE, "no network interface");
	cc_udpc_parse("bind socket to 10.77.0.1:2233 (Address already in use)", &l);
	is_int(l.ev, CC_UDPC_OTHER, "anything else: OTHER");
}

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static unsigned char small1[] = "sda\n", small2[] = "sda1 sda2\n";
static unsigned char data[2][5000];

/* The header (id from idbyte) and both sections as mcast_send.c sends them. */
static struct cc_mcs_header *make_header(unsigned char idbyte)
{
	struct cc_mcs_header *h = calloc(1, sizeof(*h));

	memset(h->id, idbyte, sizeof(h->id));
	h->image = strdup("lab");
	h->nsmall = 2;
	h->small = calloc(2, sizeof(*h->small));
	h->small[0] = (struct cc_mcs_file){strdup("disk"), sizeof(small1) - 1, NULL};
	h->small[1] = (struct cc_mcs_file){strdup("parts"), sizeof(small2) - 1, NULL};
	h->small[0].data = malloc(h->small[0].size);
	memcpy(h->small[0].data, small1, h->small[0].size);
	h->small[1].data = malloc(h->small[1].size);
	memcpy(h->small[1].data, small2, h->small[1].size);
	h->nbig = 2;
	h->big = calloc(2, sizeof(*h->big));
	h->big[0] = (struct cc_mcs_file){strdup("sda1.ext4-ptcl-img.zst"), sizeof(data[0]), NULL};
	h->big[1] = (struct cc_mcs_file){strdup("sda2.ntfs-ptcl-img.zst"), sizeof(data[1]), NULL};
	h->payload_bytes = sizeof(data);
	h->used_bytes = 12345;
	return h;
}

static void sections(struct buf *b, const struct cc_mcs_header *h, unsigned from, unsigned to)
{
	unsigned char mark[CC_MCS_MARK_MAX];

	for (unsigned i = from; i < to; i++) {
		put(b, mark, cc_mcs_section_head(h, i, mark));
		put(b, data[i], sizeof(data[i]));
		put(b, mark, cc_mcs_section_tail(h, i, XXH64(data[i], sizeof(data[i]), 0), mark));
	}
}

static void make_stream(struct buf *b, unsigned char idbyte)
{
	struct cc_mcs_header *h = make_header(idbyte);
	unsigned char *hdr, mark[CC_MCS_MARK_MAX];
	size_t hlen;
	struct cc_error err;

	memset(b, 0, sizeof(*b));
	if (cc_mcs_header_encode(h, &hdr, &hlen, &err) < 0)
		diag("encode: %s", err.detail);
	put(b, hdr, hlen);
	free(hdr);
	sections(b, h, 0, 2);
	put(b, mark, cc_mcs_end(h, mark));
	cc_mcs_header_free(h);
}

/* Read the whole stream; 0 and every byte right, or the first error. */
static int read_all(const unsigned char *p, size_t n, struct cc_error *err)
{
	struct cc_istream *in = NULL;
	struct cc_mcs_header *h = NULL;
	struct cc_mcs_reader *r = NULL;
	unsigned char got[sizeof(data[0])];
	int ret;

	cc_error_clear(err);
	if ((ret = cc_istream_mem(p, n, err, &in)) < 0)
		return ret;
	if ((ret = cc_mcs_header_read(in, "the test stream", &h, err)) < 0)
		goto out;
	if (strcmp(h->image, "lab") || h->nsmall != 2 || h->nbig != 2 ||
	    memcmp(h->small[1].data, small2, h->small[1].size) || h->used_bytes != 12345) {
		ret = cc_fail(err, CC_E_BAD_ARGS, 0, "the header came back different");
		goto out;
	}
	if ((ret = cc_mcs_reader_new(in, h, "the test stream", &r, err)) < 0)
		goto out;
	for (unsigned i = 0; i < 2 && !ret; i++) {
		size_t have = 0;
		ssize_t k;

		if ((ret = cc_mcs_begin(r, i, err)) < 0)
			break;
		for (;;) { /* to the section's end: read returns 0 */
			unsigned char extra;

			if (have < sizeof(got))
				k = cc_mcs_read(r, got + have, sizeof(got) - have, err);
			else
				k = cc_mcs_read(r, &extra, 1, err);
			if (k <= 0 || have == sizeof(got))
				break;
			have += (size_t)k;
		}
		if (k < 0)
			ret = (int)k;
		else if (k > 0 || have != sizeof(got) || memcmp(got, data[i], have))
			ret = cc_fail(err, CC_E_BAD_ARGS, 0, "section %u came back different", i);
	}
	if (!ret)
		ret = cc_mcs_finish(r, err);
out:
	cc_mcs_reader_free(r);
	cc_mcs_header_free(h);
	cc_istream_free(in);
	return ret;
}

static size_t find(const struct buf *b, const char *magic, unsigned nth)
{
	for (size_t i = 0; i + 8 <= b->n; i++)
		if (!memcmp(b->p + i, magic, 8) && !nth--)
			return i;
	return 0;
}

static void test_stream(void)
{
	struct buf b, other;
	struct cc_error err;
	unsigned char *c;
	size_t s1, s2;

	for (unsigned i = 0; i < 2; i++)
		for (size_t k = 0; k < sizeof(data[i]); k++)
			data[i][k] = (unsigned char)(k * 7 + i * 13 + (k >> 8));
	ok(cc_mcs_name_ok("sda1.ntfs-ptcl-img.zst.aa") && !cc_mcs_name_ok("a/b") &&
		   !cc_mcs_name_ok("..") && !cc_mcs_name_ok(""),
	   "file names: plain names only");
	make_stream(&b, 0x11);
	is_int(read_all(b.p, b.n, &err), 0, "a stream written and read back: header, both sections");
	s1 = find(&b, "CCMCSECT", 0);
	s2 = find(&b, "CCMCSECT", 1);
	ok(s1 && s2 > s1, "two sections, in order");
	c = malloc(b.n);

	memcpy(c, b.p, b.n);
	c[s1 / 2] ^= 0x40;
	is_int(read_all(c, b.n, &err), -CC_E_CORRUPT, "a byte of the header changed: CORRUPT");
	memcpy(c, b.p, b.n);
	c[s2 + 30] ^= 0x01;
	is_int(read_all(c, b.n, &err), -CC_E_CORRUPT, "a byte of the second heading: CORRUPT");
	ok(strstr(err.detail, "section 2") != NULL, "  naming section 2: %s", err.detail);
	memcpy(c, b.p, b.n);
	c[s2 - 1000] ^= 0x01;
	is_int(read_all(c, b.n, &err), -CC_E_CORRUPT, "a byte of the first section's data: CORRUPT");
	memcpy(c, b.p, b.n);
	c[b.n - 3] ^= 0x01;
	is_int(read_all(c, b.n, &err), -CC_E_CORRUPT, "a byte of the end mark: CORRUPT");
	is_int(read_all(b.p, s2 + 100, &err), -CC_E_TRUNCATED, "cut inside section 2: TRUNCATED");
	is_int(read_all(b.p, s1 - 5, &err), -CC_E_TRUNCATED, "cut inside the header: TRUNCATED");
	is_int(read_all(b.p, b.n - 1, &err), -CC_E_TRUNCATED, "cut in the end mark: TRUNCATED");

	/* the second section of another round (another id) in its place */
	make_stream(&other, 0x22);
	memcpy(c, b.p, s2);
	memcpy(c + s2, other.p + s2, b.n - s2);
	is_int(read_all(c, b.n, &err), -CC_E_CORRUPT, "a section of another round: CORRUPT");
	ok(strstr(err.detail, "another transfer") != NULL, "  says so: %s", err.detail);

	/* the sections swapped */
	{
		struct cc_mcs_header *h = make_header(0x11);
		struct buf sw = {0};
		unsigned char mark[CC_MCS_MARK_MAX];

		put(&sw, b.p, s1);
		sections(&sw, h, 1, 2);
		sections(&sw, h, 0, 1);
		put(&sw, mark, cc_mcs_end(h, mark));
		is_int(read_all(sw.p, sw.n, &err), -CC_E_CORRUPT,
		       "the sections out of order: CORRUPT, never the wrong partition");
		cc_mcs_header_free(h);
		free(sw.p);
	}
	memcpy(c, b.p, b.n);
	ok(read_all(c + 8, b.n - 8, &err) < 0 && strstr(err.detail, "is not a Clonecast multicast stream"),
	   "not a stream at all: refused: %s", err.detail);
	free(c);
	free(other.p);
	free(b.p);
}

int main(void)
{
	test_udpcast();
	test_stream();
	return done_testing();
}
