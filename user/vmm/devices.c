// SPDX-License-Identifier: GPL-2.0
/* The VM's table of passthrough devices; see devices.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "devices.h"
#include "vfio_pci.h"

struct devtab {
	pthread_mutex_t lock;
	struct vfio_assigned *dev[VMM_MAX_VFIO];
	int nr;
};

struct devtab *devtab_new(void)
{
	struct devtab *t = calloc(1, sizeof(*t));

	if (t)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void devtab_free(struct devtab *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->nr; i++)
		vfio_release(t->dev[i]);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int devtab_add(struct devtab *t, struct vfio_assigned *a)
{
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	if (t->nr < VMM_MAX_VFIO)
		t->dev[t->nr++] = a;
	else
		ret = -ENOSPC;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int devtab_snapshot(struct devtab *t, struct vmm_device_info *out, int max)
{
	int i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->nr && i < max; i++)
		vfio_describe(t->dev[i], &out[i]);
	pthread_mutex_unlock(&t->lock);
	return i;
}
