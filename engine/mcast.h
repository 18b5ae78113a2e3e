/*
 * mcast.h - restoring many computers at once: a server sends one image
 * directory by multicast (mcast_send.c), every client restores it onto
 * its disk while it arrives (mcast_recv.c).
 *
 * udpcast carries the bytes (udp-sender on the server, udp-receiver on
 * each client, Debian package udpcast): one udp-sender session per round,
 * fed through a pipe.  The stream it carries describes itself
 * (mcast_stream.h): which image, the whole disk layout, and every
 * partition image file in its own checked section, so a client restores
 * with the ordinary restore code and can never write a partition from the
 * wrong bytes.  A client that joins late waits for the next round (udpcast
 * answers no one once a transfer has started); one that goes silent is
 * dropped after drop_after_s and the others go on.
 */
#ifndef CC_MCAST_H
#define CC_MCAST_H

#include <stdint.h>

#include "progress.h"

struct cc_error;
struct cc_repo;

#define CC_MCAST_PORTBASE   2232 /* Clonezilla's MULTICAST_PORT */
#define CC_MCAST_MAX_WAIT   300	 /* Clonezilla's MAX_TIME_TO_WAIT_DEFAULT (s) */
#define CC_MCAST_DROP_AFTER 20	 /* a client silent this long (s) is dropped */
#define CC_MCAST_STALL	    30	 /* a client gives up on a sender silent this long (s) */

enum cc_mcast_client_state {
	CC_MCAST_JOINED,   /* waiting, or receiving */
	CC_MCAST_FINISHED, /* received the whole stream */
	CC_MCAST_DROPPED,  /* went silent and was dropped */
	CC_MCAST_LEFT,	   /* left before the end (its restore failed or was stopped) */
};

/* "finished", "dropped: it stopped answering", ... (translated). */
const char *cc_mcast_state_name(enum cc_mcast_client_state st);

struct cc_mcast_client {
	char addr[48]; /* "10.0.0.12" */
	unsigned round;
	enum cc_mcast_client_state state;
};

enum cc_mcast_phase { CC_MCAST_WAITING, CC_MCAST_SENDING, CC_MCAST_DONE };

struct cc_mcast_status {
	enum cc_mcast_phase phase;
	unsigned round, rounds;	  /* 1-based */
	unsigned joined;	  /* clients in this round (still there) */
	int can_start;		  /* WAITING: a client joined, "start now" would start */
	unsigned starts_in_s;	  /* WAITING: starts by itself in about this many s; 0: not by time */
	const struct cc_mcast_client *clients; /* every client of every round so far */
	unsigned nclients;
	uint64_t bytes_done;	  /* SENDING: stream bytes every client has confirmed */
	uint64_t bytes_total;	  /* the stream's size */
	unsigned rexmit_permille; /* retransmitted packets, per mille */
};

/* What the status callback returns. */
enum { CC_MCAST_GO_ON = 0, CC_MCAST_START_NOW = 1, CC_MCAST_STOP = 2 };

struct cc_mcast_send_opts {
	struct cc_repo *repo;
	const char *image;
	const char *interface;	 /* NULL: udpcast's choice (eth0, then eth* / en*, ...) */
	unsigned portbase;	 /* 0: CC_MCAST_PORTBASE */
	unsigned clients;	 /* start once this many joined; 0: by time or operator only */
	int max_wait_s;		 /* start this long after the first client joined; 0: no
				  * limit; < 0: CC_MCAST_MAX_WAIT */
	const char *max_bitrate; /* udp-sender --max-bitrate ("900m"); NULL: no limit */
	unsigned rounds;	 /* send this many times (latecomers take the next); 0: 1 */
	unsigned drop_after_s;	 /* 0: CC_MCAST_DROP_AFTER */
	int no_start_now;	 /* never started by the operator (batch) */
	const char *output;	 /* write the stream to this file ("-": standard output)
				  * instead of sending it (no network) */
	/* Called at least every 200 ms while waiting and at every change;
	 * returns CC_MCAST_GO_ON, CC_MCAST_START_NOW (honoured once a client
	 * joined) or CC_MCAST_STOP (-CC_E_CANCELED).  May be NULL. */
	int (*status)(void *user, const struct cc_mcast_status *s);
	void *user;
};

struct cc_mcast_result {
	struct cc_mcast_client *clients; /* malloc'd: every client of every round */
	unsigned nclients, finished, dropped, left;
	uint64_t stream_bytes; /* one round's stream */
	uint64_t elapsed_ms;   /* from the first start to the end of the last round */
};

/*
 * Send image (complete, or -CC_E_INCOMPLETE_IMAGE before any network
 * activity).  ev->progress reports the sending (bytes every client
 * confirmed); non-zero from it cancels too.  0 when at least one client
 * received the whole stream; -CC_E_CONN_LOST when none did (res filled
 * either way, unless the image could not be read).
 */
int cc_mcast_send(const struct cc_mcast_send_opts *o, const struct cc_events *ev,
		  struct cc_mcast_result *res, struct cc_error *err);
void cc_mcast_result_free(struct cc_mcast_result *res);

struct cc_mcast_recv_opts {
	const char *interface; /* NULL: udpcast's choice */
	unsigned portbase;     /* 0: CC_MCAST_PORTBASE */
	unsigned timeout_s;    /* no transfer started within this long: -CC_E_TIMEOUT, nothing
				* written; 0: wait for ever */
	unsigned stall_s;      /* the sender silent this long during the transfer: give up;
				* 0: CC_MCAST_STALL */
	const char *stream;    /* read the stream from this file ("-": standard input) instead
				* of udp-receiver */
	const char *const *devices; /* target disks (or partitions, !whole_disks) */
	unsigned ndevices;
	int whole_disks, grow;
	/* The stream's header arrived and was checked, nothing is written yet:
	 * the image's name, where it comes from, its data in use.  May be NULL. */
	void (*arrived)(void *user, const char *image, const char *sender, uint64_t bytes);
	void *user;
};

/*
 * Wait for a sender, then restore what it sends onto the devices with
 * cc_restoredisk() (partclone checksums verified while writing; a target
 * too small is refused before anything is written).  While waiting,
 * ev->progress is called with CC_PHASE_PROBE (non-zero cancels) and
 * ev->log says what happens ("joined the sender ...").  A stream that ends
 * early is -CC_E_TRUNCATED, a damaged one -CC_E_CORRUPT: the target is then
 * incomplete, and the message says so.
 */
int cc_mcast_restore(const struct cc_mcast_recv_opts *o, const struct cc_events *ev,
		     struct cc_error *err);

#endif
