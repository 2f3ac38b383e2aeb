/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM's posting decisions per MSI-X vector (posting.c).
 *
 * The record and how one KVM report changes it are pure functions of their
 * arguments, shared with the host unit test user/tests/test_lib_posting.c;
 * the rest is the interface of posting.c to the module.
 */
#ifndef _VFPOST_POSTING_H
#define _VFPOST_POSTING_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <linux/types.h>
#endif
#include <linux/vfpost.h>

/* The last decision KVM reported for one host irq. */
struct vfpost_posting_rec {
	__u32 state;		/* enum vfpost_posting */
	__u32 vcpu;		/* vCPU id, while POSTED (else 0) */
	__u32 gvec;		/* guest vector, while POSTED (else 0) */
	__u64 changed_ns;	/* CLOCK_BOOTTIME of the last change, 0: none */
};

/*
 * Apply one report of KVM's kvm_pi_irte_update tracepoint to @r: @set
 * (posted to @vcpu as @gvec) or not (remapped: @vcpu and @gvec are then
 * ignored; 6.1-6.16 report the vCPU it was posted to, 6.17+ none).  A
 * report that repeats the recorded decision changes nothing, so
 * changed_ns stays the time of the last change.  @now_ns must not be 0.
 * Returns true if @r changed.
 */
static inline bool vfpost_posting_apply(struct vfpost_posting_rec *r,
					bool set, __u32 vcpu, __u32 gvec,
					__u64 now_ns)
{
	struct vfpost_posting_rec n = {
		.state = set ? VFPOST_POSTING_POSTED : VFPOST_POSTING_REMAPPED,
		.vcpu = set ? vcpu : 0,
		.gvec = set ? gvec : 0,
		.changed_ns = now_ns,
	};

	if (r->state == n.state && r->vcpu == n.vcpu && r->gvec == n.gvec)
		return false;
	*r = n;
	return true;
}

#ifdef __KERNEL__
struct vfpost_pi_entry;

int vfpost_posting_init(void);
void vfpost_posting_exit(void);

/*
 * Start recording KVM's decisions for host irq @irq: before the vector's
 * irq bypass producer is registered (KVM may decide during registration).
 * NULL when no record could be made (then the vector reports none).
 * Process context.
 */
struct vfpost_pi_entry *vfpost_posting_add(unsigned int irq);
/* Stop, after the producer is unregistered; @p may be NULL. */
void vfpost_posting_remove(struct vfpost_pi_entry *p);
/* A copy of the record (all zero for NULL). */
void vfpost_posting_read(struct vfpost_pi_entry *p,
			 struct vfpost_posting_rec *out);
/* posting.c's probe on KVM's tracepoint (compat.h): one report. */
void vfpost_posting_report(unsigned int host_irq, bool set, u32 vcpu,
			   u32 gvec);
#endif

#endif /* _VFPOST_POSTING_H */
