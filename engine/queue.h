/*
 * queue.h - a bounded FIFO of pointers between threads, with close and
 * abort, used by the save and restore pipelines and the read-ahead stream.
 */
#ifndef CC_QUEUE_H
#define CC_QUEUE_H

#include <pthread.h>

struct cc_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	void **items;
	unsigned cap, head, count;
	int closed;  /* producer is done: pop drains, then returns NULL */
	int aborted; /* either side gave up: push and pop return at once */
};

int cc_queue_init(struct cc_queue *q, unsigned cap);
void cc_queue_destroy(struct cc_queue *q);
/* 0, or -1 if the queue was aborted (the item was not queued). */
int cc_queue_push(struct cc_queue *q, void *item);
/* The next item, or NULL when closed and empty, or aborted. */
void *cc_queue_pop(struct cc_queue *q);
void cc_queue_close(struct cc_queue *q);
void cc_queue_abort(struct cc_queue *q);

#endif
