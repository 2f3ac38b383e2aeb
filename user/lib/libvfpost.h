/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfpost: userspace client of the vfpost generic netlink family
 * (linux/vfpost.h) on libnl-3 / libnl-genl-3.
 *
 * Build with: pkg-config --cflags --libs libvfpost
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure.  After a failure, vfpost_errmsg() returns one line that
 * names the object and includes the kernel's extack text when it sent one.
 * A handle is not thread safe; use one per thread.
 *
 * ABI: the handles (struct vfpost, struct vfpost_events) are opaque.  The
 * data structures below only ever grow at their end, and each starts with
 * its size:
 *  - a structure the library fills in the caller's memory is filled up to
 *    the size the caller was compiled with (the inline wrappers below pass
 *    sizeof), and ->size is set to the bytes filled;
 *  - a structure the library hands to a callback has ->size set to the
 *    library's own size: a field newer than the caller's oldest supported
 *    library is there only if VFPOST_HAS(ptr, field).
 * Each structure ends with its last field (no tail padding: the library
 * asserts sizeof == the end of the last field), so ->size never covers
 * bytes the library did not fill.  The reserved fields below fill what
 * was tail padding in 1.0 and were counted in 1.0's ->size: they stay
 * reserved (zero) for good, and fields added later come after them.  A
 * caller whose structure is larger than the library's gets its extra
 * bytes zeroed.
 */
#ifndef LIBVFPOST_H
#define LIBVFPOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfpost.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Whether the structure @p of type @type (with its ->size) carries @field:
 * VFPOST_HAS(struct vfpost_vf, vf, seq).
 */
#define VFPOST_HAS(type, p, field) \
	((p)->size >= offsetof(type, field) + sizeof((p)->field))

/* The library's version, "MAJOR.MINOR.PATCH" (MAJOR is the soname's). */
const char *vfpost_version(void);

/* One tracked VF, as in a VF message (uapi "VF message"). */
struct vfpost_vf {
	uint32_t size;				/* bytes valid, see above */
	char bdf[VFPOST_BDF_LEN];
	char pf_bdf[VFPOST_BDF_LEN];
	uint32_t vf_index;
	uint16_t vendor;
	uint16_t device;
	char driver[VFPOST_DRIVER_LEN];		/* "" when unbound */
	int32_t iommu_group;			/* -1 when none */
	enum vfpost_vf_state state;
	uint32_t owner_pid;			/* 0 when not open */
	bool claimed;
	bool release_on_close;			/* claim ends with its socket */
	char prev_driver[VFPOST_DRIVER_LEN];	/* valid when claimed */
	char prev_override[VFPOST_DRIVER_LEN];	/* valid when claimed */
	uint64_t created_ns;			/* CLOCK_REALTIME */
	uint64_t changed_ns;			/* CLOCK_REALTIME */
	uint64_t seq;				/* last event reflected */
};

/* Per-vector statistics (uapi enum vfpost_vector_attr). */
struct vfpost_vector {
	uint32_t size;				/* bytes valid, see above */
	uint32_t index;
	uint32_t host_irq;
	uint64_t host_hits;
	uint64_t masked_hits;
	bool masked;
	bool pending;
	enum vfpost_bypass bypass;
	int32_t last_cpu;			/* -1: none yet */
	uint32_t reserved;			/* 0; 1.0's tail padding */
	/*
	 * Since 1.1: KVM's posting decision for the vector (uapi
	 * VFPOST_VEC_A_POSTING).  NONE when KVM reported nothing, or the
	 * module is older than the attribute.
	 */
	enum vfpost_posting posting;
	uint32_t posted_vcpu;			/* POSTED: the vCPU id */
	uint32_t posted_vector;			/* POSTED: the guest vector */
	uint32_t reserved2;			/* 0; aligns posting_ns */
	uint64_t posting_ns;			/* CLOCK_BOOTTIME of its last
						 * change, 0 with NONE
						 */
};

/*
 * Pseudo events made by the library (never sent by the kernel), delivered
 * through the same callback as kernel events.
 */
#define VFPOST_EVENT_LIB_GAP	1000	/* events lost: ev->lost of them */
#define VFPOST_EVENT_LIB_RESYNC	1001	/* the socket overflowed (ENOBUFS):
					 * the library re-read the VFs
					 * (ev->vfs, ev->nr_vfs); ev->seq is
					 * the last event they reflect
					 */
#define VFPOST_EVENT_LIB_UNLOADED 1002	/* the module was unloaded (its
					 * netlink family went away): no
					 * events until it is loaded again;
					 * the stream stays open
					 */
#define VFPOST_EVENT_LIB_RELOADED 1003	/* the module was loaded again: the
					 * library joined its new group and
					 * read the VFs (ev->vfs, ev->nr_vfs)
					 * as for RESYNC; ev->seq is the new
					 * module's number (it restarted)
					 */

/* One lifecycle event (uapi "Event message"). */
struct vfpost_event {
	uint32_t size;				/* bytes valid, see above */
	int type;				/* enum vfpost_event_type or LIB_* */
	uint64_t seq;
	uint64_t timestamp_ns;			/* CLOCK_REALTIME */
	char bdf[VFPOST_BDF_LEN];		/* "" for PF events */
	char pf_bdf[VFPOST_BDF_LEN];
	uint32_t vf_index;
	char driver[VFPOST_DRIVER_LEN];		/* DRIVER_BOUND / _UNBOUND,
						 * VF_RELEASED
						 */
	uint32_t pid;				/* OPENED, CLOSED, REMOVE_REQ. */
	uint32_t num_vfs;			/* PF_NUMVFS */
	uint32_t request_count;			/* REMOVE_REQUESTED */
	int error;				/* VF_CLAIMED, VF_RELEASED: the
						 * errno it failed with, 0 if
						 * it succeeded
						 */
	uint64_t lost;				/* LIB_GAP */
	const struct vfpost_vf *vfs;		/* LIB_RESYNC: the VFs now,
						 * vfs[0].size bytes apart:
						 * use vfpost_event_vf()
						 */
	unsigned int nr_vfs;			/* LIB_RESYNC, LIB_RELOADED */
	uint32_t reserved;			/* 0; 1.0's tail padding */
};

/*
 * The @i-th VF of a LIB_RESYNC or LIB_RELOADED event (i < ev->nr_vfs).  The
 * array is the library's: its stride is the library's sizeof, which is
 * vfs[0].size (no tail padding, see above).
 */
static inline const struct vfpost_vf *
vfpost_event_vf(const struct vfpost_event *ev, unsigned int i)
{
	return (const struct vfpost_vf *)(const void *)
		((const char *)ev->vfs + (size_t)i * ev->vfs[0].size);
}

/* ---- pure helpers (no kernel needed) ---- */

/*
 * Parse a PCI address as the kernel names PCI devices in sysfs:
 * "dddd:bb:dd.f" (domain: 4 hex digits, or more without a leading zero
 * for domains above 0xffff; bus and device: 2 hex digits, device at most
 * 1f; function: 0-7), or "bb:dd.f" for domain 0000 (lspci's short form).
 * Hex digits in either case; nothing else (no spaces, no shorter fields).
 * Stores the sysfs name in lower case in @out.  Returns 0 or -EINVAL.
 */
int vfpost_parse_bdf(const char *s, char out[VFPOST_BDF_LEN]);

/* Names of enum values: "unbound", "added", "connected"...; "?" if unknown. */
const char *vfpost_state_name(int state);
const char *vfpost_event_name(int type);
const char *vfpost_bypass_name(int bypass);
/* "none", "posted", "remapped" (enum vfpost_posting); since 1.1. */
const char *vfpost_posting_name(int posting);

/* ---- requests ---- */

struct vfpost;

/*
 * Connect and resolve the family.  On failure returns NULL and stores the
 * negative errno in *err (-ENOENT: the module is not loaded);
 * vfpost_strerror(*err) describes it.
 */
struct vfpost *vfpost_open(int *err);
void vfpost_close(struct vfpost *h);

/* The last failure of @h as one line (without a trailing newline). */
const char *vfpost_errmsg(const struct vfpost *h);
/* A failure of vfpost_open()/vfpost_events_open() as one line. */
const char *vfpost_strerror(int err);

/*
 * The functions that fill a struct vfpost_vf (and vectors) in the caller's
 * memory take its size: call them through the inline wrappers, which pass
 * the size the caller was compiled with.  -EINVAL for a size smaller than
 * the first version of the structure.
 */
int vfpost_vf_get_sized(struct vfpost *h, const char *bdf,
			struct vfpost_vf *vf, size_t vf_size);
int vfpost_vf_stats_sized(struct vfpost *h, const char *bdf,
			  struct vfpost_vf *vf, size_t vf_size,
			  struct vfpost_vector *vec, size_t vec_size,
			  unsigned int max);
int vfpost_claim_sized(struct vfpost *h, const char *bdf,
		       struct vfpost_vf *vf, size_t vf_size);
int vfpost_claim_until_close_sized(struct vfpost *h, const char *bdf,
				   struct vfpost_vf *vf, size_t vf_size);
int vfpost_release_sized(struct vfpost *h, const char *bdf,
			 struct vfpost_vf *vf, size_t vf_size);

/* One VF by its PCI address. */
static inline int vfpost_vf_get(struct vfpost *h, const char *bdf,
				struct vfpost_vf *vf)
{
	return vfpost_vf_get_sized(h, bdf, vf, sizeof(*vf));
}

/* Sequence number of the last event sent, and how many VFs are tracked. */
int vfpost_status(struct vfpost *h, uint64_t *seq, uint32_t *nr_vfs);

/*
 * Calls @cb for each VF (of @pf_bdf, or all if NULL); @cb != 0 stops.
 * Returns 0 or -errno, with the kernel's reason in vfpost_errmsg() if it
 * refused the dump.  -EAGAIN: VFs came or went while the dump was read
 * (NLM_F_DUMP_INTR), so the VFs already passed to @cb may be neither all
 * nor current; ask again.
 */
typedef int (*vfpost_vf_fn)(const struct vfpost_vf *vf, void *arg);
int vfpost_vf_list(struct vfpost *h, const char *pf_bdf, vfpost_vf_fn cb,
		   void *arg);

/*
 * VF plus per-vector statistics: up to @max vectors into @vec; returns the
 * number of attached vectors (may exceed @max) or -errno (-EOPNOTSUPP when
 * the VF is not bound to vfpost, -EPERM without CAP_NET_ADMIN, -EMSGSIZE
 * when the VF has more vectors than one reply can carry).
 */
static inline int vfpost_vf_stats(struct vfpost *h, const char *bdf,
				  struct vfpost_vf *vf,
				  struct vfpost_vector *vec, unsigned int max)
{
	return vfpost_vf_stats_sized(h, bdf, vf, sizeof(*vf), vec,
				     sizeof(*vec), max);
}

/* Claim (bind to vfpost) / release (restore the previous driver).  @vf may
 * be NULL; otherwise it receives the VF's state after the operation.  Both
 * need CAP_SYS_ADMIN (-EPERM; vfpost_errmsg() then reads "BDF: Operation
 * not permitted: <the module's reason>").
 */
static inline int vfpost_claim(struct vfpost *h, const char *bdf,
			       struct vfpost_vf *vf)
{
	return vfpost_claim_sized(h, bdf, vf, sizeof(*vf));
}

/*
 * Claim tied to @h: the kernel releases the VF when @h's socket closes
 * (vfpost_close(), exit, or the process being killed), as soon as no VMM
 * has it open.  Keep @h open for as long as the VF is to stay claimed.
 */
static inline int vfpost_claim_until_close(struct vfpost *h, const char *bdf,
					   struct vfpost_vf *vf)
{
	return vfpost_claim_until_close_sized(h, bdf, vf, sizeof(*vf));
}

static inline int vfpost_release(struct vfpost *h, const char *bdf,
				 struct vfpost_vf *vf)
{
	return vfpost_release_sized(h, bdf, vf, sizeof(*vf));
}

/* ---- lifecycle events ---- */

struct vfpost_events;
typedef void (*vfpost_event_fn)(const struct vfpost_event *ev, void *arg);

/*
 * Subscribe to the "lifecycle" group on a socket of its own.  Events are
 * read by vfpost_events_process() when vfpost_events_fd() is readable.
 * The stream starts after the last event sent before the subscription.
 * Sequence gaps are reported as VFPOST_EVENT_LIB_GAP; a receive-buffer
 * overflow (ENOBUFS) makes the library re-read the sequence number and the
 * VFs and report them as VFPOST_EVENT_LIB_RESYNC; queued events older than
 * that snapshot are then dropped.  Joining needs CAP_NET_ADMIN: *@err is
 * -EPERM without it (any other failure to join: its errno).  The kernel
 * checks the capability once, at the join.
 *
 * The stream survives a module reload (modprobe -r vfpost; modprobe vfpost,
 * a DKMS upgrade): the handle also follows nlctrl's notifications, reports
 * the unload as VFPOST_EVENT_LIB_UNLOADED and the load as
 * VFPOST_EVENT_LIB_RELOADED (the VFs, as for RESYNC), and then delivers
 * the new module's events, whose numbers restarted.  Only messages from
 * the kernel (netlink port 0) with the family's id count.
 *
 * Callbacks run inside vfpost_events_process() (or _wait()).  From a
 * callback, vfpost_events_close() of its own handle is allowed (the
 * library frees the handle when process() returns, without further
 * callbacks; do not touch the handle after that return); calling
 * vfpost_events_process() or _wait() on it returns -EBUSY.  A handle is
 * used by one thread at a time; the structures a callback gets (and
 * ev->vfs) live only until it returns.
 */
struct vfpost_events *vfpost_events_open(vfpost_event_fn cb, void *arg,
					 int *err);
void vfpost_events_close(struct vfpost_events *e);
int vfpost_events_fd(const struct vfpost_events *e);
/*
 * Handle what is readable now (non-blocking); returns the number of
 * callbacks made (0 if nothing was pending) or -errno.
 */
int vfpost_events_process(struct vfpost_events *e);
/* Wait up to @timeout_ms (-1 forever) for events and process them. */
int vfpost_events_wait(struct vfpost_events *e, int timeout_ms);
const char *vfpost_events_errmsg(const struct vfpost_events *e);

#ifdef __cplusplus
}
#endif

#endif /* LIBVFPOST_H */
