// SPDX-License-Identifier: GPL-2.0
/* Selftest helpers around vfpost.ko; see vfpost_lab.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "vfpost_lab.h"

bool vfpost_loaded(void)
{
	return access("/sys/module/vfpost", F_OK) == 0;
}

int vfpost_load(void)
{
	const char *ko = lab_vfpost_ko();

	if (vfpost_loaded() && vfpost_unload())
		return -EBUSY;
	/* The VFIO variant driver part needs these (no modules.dep entry). */
	if (access("/sys/module/vfio_pci", F_OK) &&
	    (lab_modprobe("vfio_pci_core") || lab_modprobe("irqbypass") ||
	     lab_modprobe("vfio_iommu_type1") || lab_modprobe("vfio-pci")))
		return -ENOENT;
	if (!ko || access(ko, R_OK)) {
		fprintf(stderr, "vfpost_load: %s: not built (make kmod)\n",
			ko ? ko : "vfpost.ko");
		return -ENOENT;
	}
	return lab_insmod(ko, "");
}

int vfpost_unload(void)
{
	/*
	 * A bind work that is finishing holds vfpost for a moment after the
	 * event a test waited for (kmod/registry.c), which rmmod's start-up
	 * through a shell used to hide: wait for up to 3 s.  A reference
	 * that stays is still reported.
	 */
	return lab_rmmod("vfpost", 3000);
}

/* delete_module() on a thread of its own; @done once it returned. */
struct delete_call {
	atomic_bool done;
	int err;		/* 0: unloaded, else its errno */
};

static void *delete_module_fn(void *arg)
{
	struct delete_call *c = arg;

	c->err = syscall(SYS_delete_module, "vfpost", O_NONBLOCK) ? errno : 0;
	atomic_store(&c->done, true);
	return NULL;
}

int vfpost_rmmod_refused(char *why, size_t len)
{
	struct delete_call *c;
	pthread_t thr;
	char out[256];
	int st, i, err;

	/* -k: killed if it ignores the TERM (stuck in the kernel, it cannot). */
	st = lab_sh_out(out, sizeof(out), "timeout -k 5 30 rmmod vfpost 2>&1");
	if (st != 1 || !strstr(out, "in use")) {
		snprintf(why, len, "rmmod vfpost: exit %d%s: %s", st,
			 st == 124 || st == 137 ? " (hung)" : "", out);
		return -1;
	}
	/*
	 * On a thread, not in a child: were the kernel to start the unload,
	 * vfpost's exit would wait, in a wait no signal ends, for the VF's
	 * release, which may need the caller's own fd and mapping closed; a
	 * child would hold copies of both.  A thread left waiting is let go,
	 * and its call returns once the caller closes the VF.
	 */
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	st = pthread_create(&thr, NULL, delete_module_fn, c);
	if (st) {
		snprintf(why, len, "pthread_create: %s", strerror(st));
		free(c);
		return -1;
	}
	for (i = 0; i < 100 && !atomic_load(&c->done); i++)
		usleep(50000);
	if (!atomic_load(&c->done)) {
		pthread_detach(thr);	/* @c stays its own */
		snprintf(why, len, "delete_module(vfpost) with a VF open still runs after 5 s");
		return -1;
	}
	pthread_join(thr, NULL);
	err = c->err;
	free(c);
	if (!err) {
		snprintf(why, len, "delete_module(vfpost) succeeded with a VF open");
		return -1;
	}
	if (err != EWOULDBLOCK) {
		snprintf(why, len, "delete_module(vfpost): %s", strerror(err));
		return -1;
	}
	return 0;
}

void lab_vf_bdf(int index, char bdf[VFPOST_BDF_LEN])
{
	/* QEMU's NVMe PF: first VF offset 1, stride 1, on the PF's bus. */
	snprintf(bdf, VFPOST_BDF_LEN, "0000:00:03.%u", (unsigned int)(index + 1) & 7);
}

static void record(const struct vfpost_event *ev, void *arg)
{
	struct recorder *r = arg;

	if (r->n < REC_MAX)
		r->e[r->n++] = *ev;
	else
		r->overflow++;
	/* RESYNC's and RELOADED's VF arrays live only during the callback. */
	if (r->n)
		r->e[r->n - 1].vfs = NULL;
}

int recorder_open(struct recorder *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->ev = vfpost_events_open(record, r, &err);
	if (!r->ev) {
		fprintf(stderr, "recorder: %s\n", vfpost_strerror(err));
		return err;
	}
	return 0;
}

void recorder_close(struct recorder *r)
{
	vfpost_events_close(r->ev);
	r->ev = NULL;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int recorder_wait(struct recorder *r, int n, int timeout_ms)
{
	long end = now_ms() + timeout_ms, left;
	int ret;

	while (r->n < n) {
		left = end - now_ms();
		if (left <= 0)
			break;
		ret = vfpost_events_wait(r->ev, (int)left);
		if (ret < 0) {
			fprintf(stderr, "recorder: %s\n",
				vfpost_events_errmsg(r->ev));
			return ret;
		}
	}
	/* Pick up anything else already queued. */
	ret = vfpost_events_process(r->ev);
	if (ret < 0)
		return ret;
	return r->n;
}

int recorder_count(const struct recorder *r, int from, int type)
{
	int i, n = 0;

	for (i = from; i < r->n; i++)
		if (r->e[i].type == type)
			n++;
	return n;
}
