// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost integration of the VFIO passthrough through libvfpost: claim and
 * release of a VF, and its lifecycle events (remove requested).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libvfpost.h"
#include "log.h"
#include "vfio_priv.h"

bool vfio_vfpost_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/vfpost", &st);
}

/*
 * Claim tied to a handle of our own (VFPOST_A_RELEASE_ON_CLOSE): if vibevmm
 * dies without releasing, the kernel gives the VF back once the device is
 * closed.  *@hp stays open until vfio_vfpost_release().
 */
int vfio_vfpost_claim(const char *bdf, struct vfpost **hp, char *err,
		      size_t errlen)
{
	struct vfpost *h;
	int ret;

	h = vfpost_open(&ret);
	if (!h) {
		snprintf(err, errlen, "%s: cannot claim through vfpost: %s", bdf,
			 vfpost_strerror(ret));
		return ret;
	}
	ret = vfpost_claim_until_close(h, bdf, NULL);
	if (ret) {
		snprintf(err, errlen, "%s: vfpost claim failed: %s (bind it to vfio-pci instead)",
			 bdf, vfpost_errmsg(h));
		vfpost_close(h);
		return ret;
	}
	*hp = h;
	return 0;
}

/*
 * Release the claim made through @h (the device closed first), close @h.
 * A VF the host removed (SR-IOV disabled under the VM) took its claim with
 * it: vfpost no longer knows the address (ENODEV), and there is nothing
 * left to release or to tell the user about.
 */
int vfio_vfpost_release(const char *bdf, struct vfpost *h)
{
	int ret;

	ret = vfpost_release(h, bdf, NULL);
	if (ret == -ENODEV) {
		log_debug("%s: vfpost release: the VF is gone, and its claim with it", bdf);
		ret = 0;
	} else if (ret) {
		log_warn("%s: vfpost release: %s", bdf, vfpost_errmsg(h));
	}
	vfpost_close(h);
	return ret;
}

struct vfio_vfpost {
	struct vfpost_events *ev;
	char bdf[VFPOST_BDF_LEN];
	bool remove;
};

static void on_event(const struct vfpost_event *ev, void *arg)
{
	struct vfio_vfpost *vp = arg;

	if (ev->type == VFPOST_EVENT_VF_REMOVE_REQUESTED && !strcmp(ev->bdf, vp->bdf))
		vp->remove = true;
}

struct vfio_vfpost *vfio_vfpost_subscribe(const char *bdf)
{
	struct vfio_vfpost *vp = calloc(1, sizeof(*vp));
	int err;

	if (!vp)
		return NULL;
	snprintf(vp->bdf, sizeof(vp->bdf), "%s", bdf);
	vp->ev = vfpost_events_open(on_event, vp, &err);
	if (!vp->ev) {
		log_warn("%s: cannot subscribe to vfpost events: %s", bdf, vfpost_strerror(err));
		free(vp);
		return NULL;
	}
	return vp;
}

int vfio_vfpost_fd(struct vfio_vfpost *vp)
{
	return vfpost_events_fd(vp->ev);
}

bool vfio_vfpost_remove_requested(struct vfio_vfpost *vp)
{
	int ret;

	if (!vp)
		return false;
	ret = vfpost_events_process(vp->ev);
	if (ret < 0)
		log_debug("%s: vfpost events: %s", vp->bdf, vfpost_events_errmsg(vp->ev));
	return vp->remove;
}

void vfio_vfpost_unsubscribe(struct vfio_vfpost *vp)
{
	if (!vp)
		return;
	vfpost_events_close(vp->ev);
	free(vp);
}
