/*
 * udpcast.h - what udp-sender and udp-receiver (udpcast 20120424, run with
 * LC_ALL=C) print on standard error, as events (udpcast.c); private to
 * mcast_send.c and mcast_recv.c.  Seen in network namespaces:
 *
 *   udp-sender:   New connection from 10.77.0.3  (#0) 00000009
 *                 Ready. Press any key to start sending data.
 *                 Starting transfer: 00000009
 *                 bytes= 20 971 520  re-xmits=0000030 (  0.2%) slice=0112 -   1   (ends in \r)
 *                 Dropping client #1 because of timeout
 *                 Disconnecting #1 (10.77.0.4)     (dropped, left, or after the end)
 *                 Transfer complete.
 *                 No participants... exiting
 *   udp-receiver: Connected as #2 to 10.77.0.1
 *                 bytes= 20 971 520  (189.55 Mbps)                            (ends in \r)
 *                 Receiver timeout / We have been dropped by sender
 *                 Transfer complete.
 *   both:         No suitable network interface found
 */
#ifndef CC_UDPCAST_H
#define CC_UDPCAST_H

#include <stdint.h>

enum cc_udpc_event {
	CC_UDPC_OTHER,	      /* anything else (kept for error messages) */
	CC_UDPC_JOINED,	      /* sender: a client joined: num, addr */
	CC_UDPC_READY,	      /* sender: a key would start it now */
	CC_UDPC_STARTING,     /* sender: the transfer starts */
	CC_UDPC_BYTES,	      /* bytes acknowledged by every client (sender) or received */
	CC_UDPC_DROPPING,     /* sender: client num is dropped (silent too long) */
	CC_UDPC_DISCONNECT,   /* sender: client num (addr) is gone: dropped, left, or done */
	CC_UDPC_COMPLETE,     /* the transfer is complete */
	CC_UDPC_NO_CLIENTS,   /* sender: started without clients, nothing sent */
	CC_UDPC_CONNECTED,    /* receiver: joined sender addr as client num */
	CC_UDPC_RECV_TIMEOUT, /* receiver: the sender went silent */
	CC_UDPC_DROPPED,      /* receiver: the sender dropped us */
	CC_UDPC_NO_INTERFACE, /* no (such) network interface */
};

struct cc_udpc_line {
	enum cc_udpc_event ev;
	int num;	   /* client number */
	char addr[48];	   /* IPv4 address */
	uint64_t bytes;	   /* CC_UDPC_BYTES */
	unsigned rexmit_permille; /* sender: retransmitted blocks, per mille */
};

/* Classify one line (without its end). */
void cc_udpc_parse(const char *line, struct cc_udpc_line *out);

#endif
