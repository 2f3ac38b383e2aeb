// SPDX-License-Identifier: GPL-2.0
/*
 * libvfpost's event stream on a real netlink socket, fed by a fake peer
 * (nl_fake.h): only the kernel's messages of the family count, so a forged
 * sequence number cannot mute the stream; a callback may close the handle
 * but may not re-enter vfpost_events_process(); nlctrl's notice that the
 * family went away is reported.  Run under ASan: a use after free fails.
 */
#include <errno.h>
#include <stdint.h>
#include <netlink/genl/ctrl.h>

#include "kselftest_harness.h"
#include "lib/decode.h"
#include "nl_fake.h"

#define SEEN_MAX 16

enum act { ACT_NONE, ACT_CLOSE, ACT_NEST };

struct seen {
	struct vfpost_events *e;
	enum act act;
	int n;
	int type[SEEN_MAX];
	uint64_t seq[SEEN_MAX];
	int nested;			/* a nested process()'s return */
};

static void on_event(const struct vfpost_event *ev, void *arg)
{
	struct seen *s = arg;

	if (s->n < SEEN_MAX) {
		s->type[s->n] = ev->type;
		s->seq[s->n] = ev->seq;
	}
	s->n++;
	if (s->act == ACT_CLOSE)
		vfpost_events_close(s->e);
	if (s->act == ACT_NEST && s->n == 1)
		s->nested = vfpost_events_process(s->e);
}

FIXTURE(ev) {
	int fake;
	uint32_t lib_port;
	struct seen s;
	char buf[4096];
};

FIXTURE_SETUP(ev)
{
	memset(&self->s, 0, sizeof(self->s));
	self->fake = fake_open();
	if (self->fake == -EPERM || self->fake == -EACCES ||
	    self->fake == -EAFNOSUPPORT || self->fake == -EPROTONOSUPPORT)
		SKIP(return, "no netlink socket here (%s)", strerror(-self->fake));
	ASSERT_LE(0, self->fake);
}

FIXTURE_TEARDOWN(ev)
{
	vfpost_events_close(self->s.e);
	if (self->fake >= 0)
		close(self->fake);
}

/* Events of FAKE_FAMILY taken from port @sender (0: the kernel only). */
static void attach(struct __test_metadata *_metadata, FIXTURE_DATA(ev) *self,
		   uint32_t sender)
{
	int err;

	self->s.e = vfpost_events_attach(FAKE_FAMILY, sender, on_event,
					 &self->s, &err);
	ASSERT_NE(NULL, self->s.e) TH_LOG("%s", strerror(-err));
	self->lib_port = fake_port_of(vfpost_events_fd(self->s.e));
	ASSERT_NE(0u, self->lib_port);
}

/* One datagram from the fake peer with events @first..@last of @family. */
static int send_events(FIXTURE_DATA(ev) *self, int family, uint64_t first,
		       uint64_t last)
{
	size_t off = 0;
	uint64_t seq;

	for (seq = first;; seq++) {
		off = fake_put(self->buf, off, fake_event(family, seq));
		if (seq == last)	/* last may be UINT64_MAX */
			break;
	}
	return fake_send(self->fake, self->lib_port, self->buf, off);
}

/* The same message from the kernel's port is taken (see the tests below). */
TEST_F(ev, events_from_the_sender_are_delivered)
{
	attach(_metadata, self, fake_port_of(self->fake));
	ASSERT_EQ(0, send_events(self, FAKE_FAMILY, 1, 1));
	ASSERT_EQ(1, vfpost_events_process(self->s.e));
	ASSERT_EQ(1, self->s.n);
	EXPECT_EQ(VFPOST_EVENT_PF_NUMVFS, self->s.type[0]);
	EXPECT_EQ(1u, self->s.seq[0]);
}

/*
 * A local process sends a well-formed event with seq UINT64_MAX to the
 * listener's port: were it taken, every later event would be "older than
 * the baseline" and dropped.  Only port 0 (the kernel) is believed.
 */
TEST_F(ev, forged_events_are_ignored)
{
	attach(_metadata, self, 0);
	ASSERT_EQ(0, send_events(self, FAKE_FAMILY, UINT64_MAX, UINT64_MAX));
	ASSERT_EQ(0, send_events(self, FAKE_FAMILY, 1, 1));
	EXPECT_EQ(0, vfpost_events_process(self->s.e));
	EXPECT_EQ(0, self->s.n);
}

/* A message of another family id (the sender being right) is not ours. */
TEST_F(ev, messages_of_another_family_are_ignored)
{
	attach(_metadata, self, fake_port_of(self->fake));
	ASSERT_EQ(0, send_events(self, FAKE_FAMILY + 1, 1, 1));
	EXPECT_EQ(0, vfpost_events_process(self->s.e));
	EXPECT_EQ(0, self->s.n);
}

/*
 * Closing from the callback, with two more events in the same datagram:
 * no callback after the close, the handle freed when process() returns.
 */
TEST_F(ev, close_from_the_callback_is_deferred)
{
	attach(_metadata, self, fake_port_of(self->fake));
	ASSERT_EQ(0, send_events(self, FAKE_FAMILY, 1, 3));
	self->s.act = ACT_CLOSE;
	EXPECT_EQ(1, vfpost_events_process(self->s.e));
	self->s.e = NULL;		/* freed by process() */
	EXPECT_EQ(1, self->s.n);
}

/* process() from the callback would reuse the buffer being walked. */
TEST_F(ev, nested_process_is_refused)
{
	attach(_metadata, self, fake_port_of(self->fake));
	ASSERT_EQ(0, send_events(self, FAKE_FAMILY, 1, 2));
	ASSERT_EQ(0, send_events(self, FAKE_FAMILY, 3, 3));
	self->s.act = ACT_NEST;
	EXPECT_EQ(3, vfpost_events_process(self->s.e));
	EXPECT_EQ(-EBUSY, self->s.nested);
	EXPECT_NE(NULL, strstr(vfpost_events_errmsg(self->s.e), "callback"));
	ASSERT_EQ(3, self->s.n);
	EXPECT_EQ(1u, self->s.seq[0]);
	EXPECT_EQ(2u, self->s.seq[1]);
	EXPECT_EQ(3u, self->s.seq[2]);
}

static struct nl_msg *ctrl_msg(int cmd, const char *name, int type)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, 0, 0, type, 0, 0, cmd, 2) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, name) ||
	    nla_put_u16(msg, CTRL_ATTR_FAMILY_ID, FAKE_FAMILY)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * The module's unload: nlctrl's DELFAMILY for "vfpost" (not another
 * family's) is reported once as LIB_UNLOADED, and the old family's id
 * means nothing after it.
 */
TEST_F(ev, family_removal_is_reported)
{
	size_t off = 0;

	attach(_metadata, self, fake_port_of(self->fake));
	off = fake_put(self->buf, off, ctrl_msg(CTRL_CMD_DELFAMILY, "other",
						GENL_ID_CTRL));
	off = fake_put(self->buf, off, ctrl_msg(CTRL_CMD_DELFAMILY,
						VFPOST_GENL_NAME,
						GENL_ID_CTRL));
	off = fake_put(self->buf, off, ctrl_msg(CTRL_CMD_DELFAMILY,
						VFPOST_GENL_NAME,
						GENL_ID_CTRL));
	off = fake_put(self->buf, off, fake_event(FAKE_FAMILY, 1));
	ASSERT_EQ(0, fake_send(self->fake, self->lib_port, self->buf, off));
	EXPECT_EQ(1, vfpost_events_process(self->s.e));
	ASSERT_EQ(1, self->s.n);
	EXPECT_EQ(VFPOST_EVENT_LIB_UNLOADED, self->s.type[0]);
	EXPECT_STREQ("unloaded", vfpost_event_name(VFPOST_EVENT_LIB_UNLOADED));
	EXPECT_STREQ("reloaded", vfpost_event_name(VFPOST_EVENT_LIB_RELOADED));
}

TEST(ctrl_notifications_decode)
{
	struct nl_msg *msg;

	msg = ctrl_msg(CTRL_CMD_NEWFAMILY, VFPOST_GENL_NAME, GENL_ID_CTRL);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(CTRL_CMD_NEWFAMILY, vfpost_decode_ctrl(nlmsg_hdr(msg)));
	nlmsg_free(msg);
	msg = ctrl_msg(CTRL_CMD_DELFAMILY, VFPOST_GENL_NAME, GENL_ID_CTRL);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(CTRL_CMD_DELFAMILY, vfpost_decode_ctrl(nlmsg_hdr(msg)));
	nlmsg_free(msg);
	/* Another family, another command, not nlctrl's type. */
	msg = ctrl_msg(CTRL_CMD_NEWFAMILY, "vfpostx", GENL_ID_CTRL);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(0, vfpost_decode_ctrl(nlmsg_hdr(msg)));
	nlmsg_free(msg);
	msg = ctrl_msg(CTRL_CMD_NEWMCAST_GRP, VFPOST_GENL_NAME, GENL_ID_CTRL);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(0, vfpost_decode_ctrl(nlmsg_hdr(msg)));
	nlmsg_free(msg);
	msg = ctrl_msg(CTRL_CMD_DELFAMILY, VFPOST_GENL_NAME, FAKE_FAMILY);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(0, vfpost_decode_ctrl(nlmsg_hdr(msg)));
	nlmsg_free(msg);
	/* A name without its NUL. */
	msg = nlmsg_alloc();
	ASSERT_NE(NULL, msg);
	ASSERT_NE(NULL, genlmsg_put(msg, 0, 0, GENL_ID_CTRL, 0, 0,
				    CTRL_CMD_DELFAMILY, 2));
	ASSERT_EQ(0, nla_put(msg, CTRL_ATTR_FAMILY_NAME, 6, "vfpost"));
	EXPECT_EQ(0, vfpost_decode_ctrl(nlmsg_hdr(msg)));
	nlmsg_free(msg);
}

TEST_HARNESS_MAIN
