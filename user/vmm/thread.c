// SPDX-License-Identifier: GPL-2.0
/* Starting vibevmm's threads with a small stack (see thread.h). */
#include "thread.h"

int vmm_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		return err;
	err = pthread_attr_setstacksize(&attr, VMM_THREAD_STACK);
	if (!err)
		err = pthread_create(thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}
