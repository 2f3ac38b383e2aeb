// SPDX-License-Identifier: GPL-2.0
/* Trapped MMIO/PIO region table (see io.h for the locking rules). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "io.h"

struct io_region {
	struct io_region *next;
	uint64_t base, len;
	vm_io_fn fn;
	void *opaque;
	int inflight;		/* threads inside fn; under t->lock */
	bool dead;		/* unlinked; waiting for inflight to drop */
	bool orphan;		/* unlinked by its own handler: dispatcher frees it */
};

struct io_table {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct io_region *head;
};

/* The region whose handler this thread is running (nesting: innermost). */
static __thread struct io_region *cur_region;

struct io_table *io_table_new(void)
{
	struct io_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->idle, NULL);
	return t;
}

void io_table_free(struct io_table *t)
{
	struct io_region *r, *n;

	if (!t)
		return;
	for (r = t->head; r; r = n) {
		n = r->next;
		free(r);
	}
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->idle);
	free(t);
}

int io_table_register(struct io_table *t, uint64_t base, uint64_t len, vm_io_fn fn,
		      void *opaque)
{
	struct io_region *r, *n;

	if (!len || base + len < base || !fn)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->base = base;
	n->len = len;
	n->fn = fn;
	n->opaque = opaque;
	pthread_mutex_lock(&t->lock);
	for (r = t->head; r; r = r->next) {
		if (base < r->base + r->len && r->base < base + len) {
			pthread_mutex_unlock(&t->lock);
			free(n);
			return -EBUSY;
		}
	}
	n->next = t->head;
	t->head = n;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int io_table_unregister(struct io_table *t, uint64_t base, const void *opaque)
{
	struct io_region **pp, *r;

	pthread_mutex_lock(&t->lock);
	for (pp = &t->head; *pp; pp = &(*pp)->next)
		if ((*pp)->base == base && (*pp)->opaque == opaque)
			break;
	r = *pp;
	if (!r) {
		pthread_mutex_unlock(&t->lock);
		return -ENOENT;
	}
	*pp = r->next;
	r->dead = true;
	if (r == cur_region) {
		/* Called from r's own handler: the dispatcher frees it. */
		r->orphan = true;
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	while (r->inflight)
		pthread_cond_wait(&t->idle, &t->lock);
	pthread_mutex_unlock(&t->lock);
	free(r);
	return 0;
}

bool io_table_dispatch(struct io_table *t, uint64_t addr, void *data, unsigned int len,
		       bool is_write)
{
	struct io_region *r, *prev = cur_region;

	pthread_mutex_lock(&t->lock);
	for (r = t->head; r; r = r->next)
		if (addr >= r->base && addr - r->base < r->len)
			break;
	if (!r) {
		pthread_mutex_unlock(&t->lock);
		return false;
	}
	r->inflight++;
	pthread_mutex_unlock(&t->lock);

	cur_region = r;
	r->fn(r->opaque, addr - r->base, data, len, is_write);
	cur_region = prev;

	pthread_mutex_lock(&t->lock);
	r->inflight--;
	if (r->dead && !r->inflight) {
		if (r->orphan)
			free(r);
		else
			pthread_cond_broadcast(&t->idle);
	}
	pthread_mutex_unlock(&t->lock);
	return true;
}
