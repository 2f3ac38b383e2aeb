/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfpost internals: decoding of the family's messages.  Not installed
 * and not exported (libvfpost.map); the host unit tests link the objects.
 */
#ifndef LIBVFPOST_DECODE_H
#define LIBVFPOST_DECODE_H

#include "libvfpost.h"

struct nlmsghdr;

/* Where @field of @type ends: a structure's size without tail padding. */
#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/*
 * Decode one genetlink message of the family (header included).  Returns 0,
 * -EINVAL if it is malformed or not the expected command.  Vectors: up to
 * @max into @vec, *nr_vec = how many the message had (may exceed @max).
 * Fills the library's own (full-size) structures.
 */
int vfpost_decode_vf(const struct nlmsghdr *nlh, struct vfpost_vf *vf,
		     struct vfpost_vector *vec, unsigned int max,
		     unsigned int *nr_vec);
/*
 * Decode one event: 0, -EINVAL if malformed, -EOPNOTSUPP for a well-formed
 * event of a type newer than this library (only ev->type, ev->seq and
 * ev->timestamp_ns are set: skip it, but count its sequence number).
 */
int vfpost_decode_event(const struct nlmsghdr *nlh, struct vfpost_event *ev);

/*
 * The outcome of an NLMSG_ERROR (an ACK or a refused request) or an
 * NLMSG_DONE (the end of a dump: a dump the kernel refuses ends with a
 * DONE that carries the negative errno instead of an NLMSG_ERROR).
 * Returns its error (0 or -errno; -EPROTO if @nlh is neither or is
 * truncated) and points *@msg at the extack message (NLMSGERR_ATTR_MSG),
 * or NULL if the message carries none.  Works for capped and uncapped
 * ACKs, with or without the offset attribute (6.1's DONE has only the
 * message).
 */
int vfpost_decode_ack(const struct nlmsghdr *nlh, const char **msg);

/*
 * An nlctrl notification (nlmsg_type GENL_ID_CTRL) about the vfpost family:
 * CTRL_CMD_DELFAMILY (the module went away) or CTRL_CMD_NEWFAMILY (it was
 * loaded); 0 for anything else.
 */
int vfpost_decode_ctrl(const struct nlmsghdr *nlh);

/*
 * Copy the library's structure @src (@full bytes) into the caller's @dst
 * of @size bytes (compiled against this or another version of
 * libvfpost.h): at most @size bytes, the rest of a larger @dst zeroed,
 * ->size (the first member) set to the bytes copied.
 */
void vfpost_copy_out(void *dst, const void *src, size_t size, size_t full);

/*
 * For the unit tests: a request handle whose requests go to netlink port
 * @peer (a fake module) as family id @family.
 */
struct vfpost *vfpost_attach(int family, uint32_t peer, int *err);

/*
 * For the unit tests: an event handle on a socket that joined no group,
 * taking messages of family id @family from netlink port @sender (the
 * kernel, 0, for vfpost_events_open()).
 */
struct vfpost_events *vfpost_events_attach(int family, uint32_t sender,
					   vfpost_event_fn cb, void *arg,
					   int *err);

#endif /* LIBVFPOST_DECODE_H */
