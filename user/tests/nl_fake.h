/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A netlink peer for the libvfpost unit tests (test_lib_events.c,
 * test_lib_abi.c): a NETLINK_GENERIC socket of the test's own that sends
 * the library's sockets messages built as the module builds them, from
 * its own port (a forger's) or, with the library told so, as "the kernel".
 * Unicast between two sockets of one process needs no module.
 */
#ifndef TESTS_NL_FAKE_H
#define TESTS_NL_FAKE_H

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>

#define FAKE_FAMILY 0x7f00

/* The netlink port @fd is bound to; 0 on failure. */
static inline uint32_t fake_port_of(int fd)
{
	struct sockaddr_nl a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	return a.nl_pid;
}

/* A bound NETLINK_GENERIC socket; -errno. */
static inline int fake_open(void)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Send @len bytes of messages from @fd to port @to as one datagram. */
static inline int fake_send(int fd, uint32_t to, const void *buf, size_t len)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_pid = to };

	if (sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) !=
	    (ssize_t)len)
		return -errno;
	return 0;
}

/* Append @msg (freed) to @buf at @off; the offset after it. */
static inline size_t fake_put(char *buf, size_t off, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	memcpy(buf + off, nlh, nlh->nlmsg_len);
	off += NLMSG_ALIGN(nlh->nlmsg_len);
	nlmsg_free(msg);
	return off;
}

/* A PF_NUMVFS event of family @family with sequence number @seq. */
static inline struct nl_msg *fake_event(int family, uint64_t seq)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, 0, 0, family, 0, 0, VFPOST_CMD_EVENT,
			 VFPOST_GENL_VERSION) ||
	    nla_put_u32(msg, VFPOST_A_EVENT, VFPOST_EVENT_PF_NUMVFS) ||
	    nla_put_u64(msg, VFPOST_A_SEQ, seq) ||
	    nla_put_u64(msg, VFPOST_A_TIMESTAMP_NS, 1) ||
	    nla_put_string(msg, VFPOST_A_PF_BDF, "0000:00:03.0") ||
	    nla_put_u32(msg, VFPOST_A_NUM_VFS, (uint32_t)seq)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

#endif /* TESTS_NL_FAKE_H */
