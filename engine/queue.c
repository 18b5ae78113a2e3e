/* queue.c - see queue.h. */
#include "queue.h"

#include <stdlib.h>

int cc_queue_init(struct cc_queue *q, unsigned cap)
{
	q->items = calloc(cap, sizeof(void *));
	if (!q->items)
		return -1;
	q->cap = cap;
	q->head = q->count = 0;
	q->closed = q->aborted = 0;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	return 0;
}

void cc_queue_destroy(struct cc_queue *q)
{
	if (!q->items)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->items);
	q->items = NULL;
}

int cc_queue_push(struct cc_queue *q, void *item)
{
	pthread_mutex_lock(&q->lock);
	while (q->count == q->cap && !q->aborted)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (q->aborted) {
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	q->items[(q->head + q->count) % q->cap] = item;
	q->count++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void *cc_queue_pop(struct cc_queue *q)
{
	void *item = NULL;

	pthread_mutex_lock(&q->lock);
	while (q->count == 0 && !q->closed && !q->aborted)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (!q->aborted && q->count) {
		item = q->items[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->lock);
	return item;
}

void cc_queue_close(struct cc_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

void cc_queue_abort(struct cc_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->aborted = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}
