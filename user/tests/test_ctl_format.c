// SPDX-License-Identifier: GPL-2.0
/* vfpostctl: tables, JSON, event lines and command-line errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "ctl/ctl.h"
#include "ctl/format.h"

struct buf {
	char *p;
	size_t len;
	FILE *f;
};

static FILE *buf_open(struct buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->f = open_memstream(&b->p, &b->len);
	return b->f;
}

static const char *buf_str(struct buf *b)
{
	fflush(b->f);
	return b->p;
}

static void buf_close(struct buf *b)
{
	fclose(b->f);
	free(b->p);
}

static const struct vfpost_vf sample = {
	.bdf = "0000:00:03.1", .pf_bdf = "0000:00:03.0", .vf_index = 0,
	.vendor = 0x1b36, .device = 0x0010, .driver = "vfpost",
	.iommu_group = 6, .state = VFPOST_VF_OPEN, .owner_pid = 812,
	.claimed = true, .prev_driver = "vfio-pci", .prev_override = "",
	.created_ns = 1795446202613940848ULL, .changed_ns = 1795446202613940848ULL,
	.seq = 3,
};

TEST(json_strings_are_escaped)
{
	struct buf b;

	ASSERT_NE(NULL, buf_open(&b));
	fmt_json_str(b.f, "a\"b\\c\nd\te\x01");
	EXPECT_STREQ("\"a\\\"b\\\\c\\nd\\te\\u0001\"", buf_str(&b));
	buf_close(&b);
}

TEST(time_is_utc_iso8601_with_microseconds)
{
	char t[64];

	fmt_time(t, sizeof(t), 1795446202613940848ULL);
	EXPECT_STREQ("2026-11-23T15:03:22.613940Z", t);
	fmt_time(t, sizeof(t), 0);
	EXPECT_STREQ("1970-01-01T00:00:00.000000Z", t);
}

TEST(vf_json_object)
{
	struct buf b;

	ASSERT_NE(NULL, buf_open(&b));
	fmt_vf_json(b.f, &sample);
	EXPECT_STREQ("{\"bdf\":\"0000:00:03.1\",\"pf\":\"0000:00:03.0\","
		     "\"vf_index\":0,\"vendor\":\"1b36\",\"device\":\"0010\","
		     "\"driver\":\"vfpost\",\"iommu_group\":6,\"state\":\"open\","
		     "\"owner_pid\":812,\"claimed\":true,"
		     "\"prev_driver\":\"vfio-pci\","
		     "\"created_ns\":1795446202613940848,"
		     "\"changed_ns\":1795446202613940848,\"seq\":3}",
		     buf_str(&b));
	buf_close(&b);
}

/* iproute2 style: an absent value is left out, never null. */
TEST(vf_json_leaves_out_absent_fields)
{
	struct vfpost_vf vf = sample;
	struct buf b;

	vf.driver[0] = '\0';
	vf.iommu_group = -1;
	vf.owner_pid = 0;
	vf.claimed = false;
	ASSERT_NE(NULL, buf_open(&b));
	fmt_vf_json(b.f, &vf);
	EXPECT_EQ(NULL, strstr(buf_str(&b), "null"));
	EXPECT_EQ(NULL, strstr(buf_str(&b), "driver"));
	EXPECT_EQ(NULL, strstr(buf_str(&b), "iommu_group"));
	EXPECT_EQ(NULL, strstr(buf_str(&b), "owner_pid"));
	EXPECT_NE(NULL, strstr(buf_str(&b), "\"state\":\"open\",\"claimed\":false,"));
	buf_close(&b);

	/* Claimed without a previous override: no empty string either. */
	vf = sample;
	ASSERT_NE(NULL, buf_open(&b));
	fmt_vf_json(b.f, &vf);
	EXPECT_EQ(NULL, strstr(buf_str(&b), "prev_override"));
	EXPECT_NE(NULL, strstr(buf_str(&b), "\"prev_driver\":\"vfio-pci\","));
	buf_close(&b);
}

TEST(vf_table_row_lines_up_with_header)
{
	struct buf b;
	const char *s, *nl;

	ASSERT_NE(NULL, buf_open(&b));
	fmt_vf_table_header(b.f);
	fmt_vf_table_row(b.f, &sample);
	s = buf_str(&b);
	nl = strchr(s, '\n');
	ASSERT_NE(NULL, nl);
	/* Columns start where their headings do. */
	EXPECT_EQ(strstr(s, "DRIVER") - s, strstr(nl + 1, "vfpost") - (nl + 1));
	EXPECT_EQ(strstr(s, "STATE") - s, strstr(nl + 1, "open") - (nl + 1));
	EXPECT_EQ(strstr(s, "CLAIMED") - s, strstr(nl + 1, "yes") - (nl + 1));
	EXPECT_NE(NULL, strstr(nl, "0000:00:03.1  0000:00:03.0"));
	EXPECT_NE(NULL, strstr(nl, "1b36:0010  vfpost"));
	EXPECT_NE(NULL, strstr(nl, " open "));
	EXPECT_NE(NULL, strstr(nl, " 812  yes\n"));
	buf_close(&b);
}

TEST(vectors_table_and_json)
{
	const struct vfpost_vector v[2] = {
		{ .index = 0, .host_irq = 41, .host_hits = 12, .masked_hits = 2,
		  .pending = true, .bypass = VFPOST_BYPASS_STATE_CONNECTED,
		  .last_cpu = 1 },
		{ .index = 1, .host_irq = 42, .bypass = VFPOST_BYPASS_STATE_NONE,
		  .masked = true, .last_cpu = -1 },
	};
	struct buf b;

	ASSERT_NE(NULL, buf_open(&b));
	fmt_vectors_json(b.f, v, 2, 0);
	EXPECT_STREQ("[{\"vector\":0,\"host_irq\":41,\"host_hits\":12,"
		     "\"masked_hits\":2,\"masked\":false,\"pending\":true,"
		     "\"bypass\":\"connected\",\"last_cpu\":1,"
		     "\"posting\":\"none\"},"
		     "{\"vector\":1,\"host_irq\":42,\"host_hits\":0,"
		     "\"masked_hits\":0,\"masked\":true,\"pending\":false,"
		     "\"bypass\":\"none\",\"posting\":\"none\"}]", buf_str(&b));
	buf_close(&b);

	ASSERT_NE(NULL, buf_open(&b));
	fmt_vectors_table(b.f, v, 2, 0);
	EXPECT_NE(NULL, strstr(buf_str(&b), "connected"));
	EXPECT_NE(NULL, strstr(buf_str(&b), "HOST_HITS"));
	buf_close(&b);
}

/*
 * "connected" only says that KVM's irqfd consumer paired with the producer
 * (6.1 pairs without any posting hardware): the table marks it and says
 * under it, once, that it is not proof of posting.  JSON keeps the value.
 */
TEST(vectors_table_says_connected_is_not_posted)
{
	const struct vfpost_vector v[3] = {
		{ .index = 0, .host_irq = 41, .host_hits = 12,
		  .bypass = VFPOST_BYPASS_STATE_CONNECTED, .last_cpu = 1 },
		{ .index = 1, .host_irq = 42, .host_hits = 3,
		  .bypass = VFPOST_BYPASS_STATE_CONNECTED, .last_cpu = 0 },
		{ .index = 2, .host_irq = 43,
		  .bypass = VFPOST_BYPASS_STATE_REGISTERED, .last_cpu = -1 },
	};
	const char *s, *row, *note;
	struct buf b;

	ASSERT_NE(NULL, buf_open(&b));
	fmt_vectors_table(b.f, v, 3, 0);
	s = buf_str(&b);
	row = strchr(s, '\n');
	ASSERT_NE(NULL, row);
	row++;
	/* The mark sits in the BYPASS column. */
	ASSERT_NE(NULL, strstr(row, "connected* ")) TH_LOG("no mark:\n%s", s);
	EXPECT_EQ(strstr(s, "BYPASS") - s, strstr(row, "connected* ") - row);
	EXPECT_NE(NULL, strstr(s, " registered "));
	EXPECT_EQ(NULL, strstr(s, "registered*"));
	note = strstr(s, "\n* connected: KVM's irqfd consumer is paired with the vector's producer.\n"
		      "  Not proof that interrupts are posted: see \"Verifying posting\" in\n"
		      "  Documentation/fast-path.rst.\n");
	ASSERT_NE(NULL, note) TH_LOG("no note under the table:\n%s", s);
	/* Once, after the last row, and the output ends with it. */
	EXPECT_EQ(NULL, strstr(note + 2, "* connected:"));
	EXPECT_NE(NULL, strstr(s, "       -        -  -\n* connected:"));
	EXPECT_EQ('\n', s[strlen(s) - 1]);
	EXPECT_EQ(NULL, strstr(note + 1, "\n\n"));
	buf_close(&b);

	/* Nothing connected: no mark, no note. */
	ASSERT_NE(NULL, buf_open(&b));
	fmt_vectors_table(b.f, v + 2, 1, 0);
	EXPECT_EQ(NULL, strchr(buf_str(&b), '*'));
	EXPECT_EQ(NULL, strstr(buf_str(&b), "posted"));
	buf_close(&b);

	/* JSON: the value stays "connected" for programs. */
	ASSERT_NE(NULL, buf_open(&b));
	fmt_vectors_json(b.f, v, 1, 0);
	EXPECT_NE(NULL, strstr(buf_str(&b), "\"bypass\":\"connected\","));
	EXPECT_EQ(NULL, strchr(buf_str(&b), '*'));
	buf_close(&b);
}

/*
 * The POSTING column: what KVM reported, "-" when it reported nothing
 * (the lab, or no kvm), with the age of the last change in CHANGED.  JSON
 * carries the same with the raw CLOCK_BOOTTIME time and the age.
 */
TEST(vectors_posting_column)
{
	const uint64_t s = 1000000000ull;
	const struct vfpost_vector v[3] = {
		{ .index = 0, .host_irq = 41, .last_cpu = -1,
		  .bypass = VFPOST_BYPASS_STATE_CONNECTED,
		  .posting = VFPOST_POSTING_POSTED, .posted_vcpu = 1,
		  .posted_vector = 0x41, .posting_ns = 100 * s },
		{ .index = 1, .host_irq = 42, .last_cpu = 0,
		  .bypass = VFPOST_BYPASS_STATE_REGISTERED,
		  .posting = VFPOST_POSTING_REMAPPED, .posting_ns = 10 * s },
		{ .index = 2, .host_irq = 43, .last_cpu = -1,
		  .bypass = VFPOST_BYPASS_STATE_REGISTERED },
	};
	const char *out, *row;
	char cell[48];
	struct buf b;

	ASSERT_NE(NULL, buf_open(&b));
	fmt_vectors_table(b.f, v, 3, 112 * s + 300000000ull);
	out = buf_str(&b);
	EXPECT_NE(NULL, strstr(out, "  CHANGED  POSTING\n")) TH_LOG("%s", out);
	row = strstr(out, "\n     0 ");
	ASSERT_NE(NULL, row) TH_LOG("%s", out);
	EXPECT_EQ(strstr(row + 1, "\n"),
		  strstr(row, "  12.3s  posted cpu 1 vec 0x41\n") +
		  strlen("  12.3s  posted cpu 1 vec 0x41")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "  1m42s  remapped\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "        -  -\n")) TH_LOG("%s", out);
	/* No trailing blanks on any line. */
	EXPECT_EQ(NULL, strstr(out, " \n"));
	buf_close(&b);

	ASSERT_NE(NULL, buf_open(&b));
	fmt_vectors_json(b.f, v, 3, 112 * s);
	out = buf_str(&b);
	EXPECT_NE(NULL, strstr(out, "\"bypass\":\"connected\",\"posting\":\"posted\","
			       "\"posted_vcpu\":1,\"posted_vector\":65,"
			       "\"posting_changed_ns\":100000000000,"
			       "\"posting_age_ns\":12000000000}")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"last_cpu\":0,\"posting\":\"remapped\","
			       "\"posting_changed_ns\":10000000000,"
			       "\"posting_age_ns\":102000000000}")) TH_LOG("%s", out);
	row = strstr(out, "\"vector\":2,");
	ASSERT_NE(NULL, row);
	EXPECT_NE(NULL, strstr(row, "\"posting\":\"none\"}]")) TH_LOG("%s", out);
	buf_close(&b);

	fmt_posting(cell, sizeof(cell), &v[2]);
	EXPECT_STREQ("-", cell);
	fmt_age(cell, sizeof(cell), 0);
	EXPECT_STREQ("0.0s", cell);
	fmt_age(cell, sizeof(cell), 3 * 3600 * s + 7 * 60 * s);
	EXPECT_STREQ("3h07m", cell);
	fmt_age(cell, sizeof(cell), 2 * 86400 * s + 5 * 3600 * s);
	EXPECT_STREQ("2d05h", cell);
}

TEST(event_lines)
{
	struct vfpost_event ev = {
		.type = VFPOST_EVENT_DRIVER_BOUND, .seq = 4,
		.timestamp_ns = 1795446209765083066ULL,
		.bdf = "0000:00:03.1", .pf_bdf = "0000:00:03.0",
		.driver = "vfio-pci",
	};
	struct buf b;

	ASSERT_NE(NULL, buf_open(&b));
	fmt_event_line(b.f, &ev);
	EXPECT_STREQ("4 2026-11-23T15:03:29.765083Z bound            "
		     "0000:00:03.1 driver vfio-pci\n", buf_str(&b));
	buf_close(&b);

	ASSERT_NE(NULL, buf_open(&b));
	fmt_event_json(b.f, &ev);
	EXPECT_STREQ("{\"seq\":4,\"event\":\"bound\","
		     "\"timestamp_ns\":1795446209765083066,"
		     "\"bdf\":\"0000:00:03.1\",\"vf_index\":0,"
		     "\"pf\":\"0000:00:03.0\",\"driver\":\"vfio-pci\"}\n",
		     buf_str(&b));
	buf_close(&b);

	memset(&ev, 0, sizeof(ev));
	ev.type = VFPOST_EVENT_PF_NUMVFS;
	ev.seq = 9;
	strcpy(ev.pf_bdf, "0000:00:03.0");
	ev.num_vfs = 2;
	ASSERT_NE(NULL, buf_open(&b));
	fmt_event_json(b.f, &ev);
	EXPECT_STREQ("{\"seq\":9,\"event\":\"numvfs\",\"timestamp_ns\":0,"
		     "\"pf\":\"0000:00:03.0\",\"num_vfs\":2}\n", buf_str(&b));
	buf_close(&b);

	memset(&ev, 0, sizeof(ev));
	ev.type = VFPOST_EVENT_VF_RELEASED;
	ev.seq = 10;
	strcpy(ev.bdf, "0000:00:03.1");
	strcpy(ev.pf_bdf, "0000:00:03.0");
	strcpy(ev.driver, "vfio-pci");
	ev.error = ENXIO;
	ASSERT_NE(NULL, buf_open(&b));
	fmt_event_line(b.f, &ev);
	EXPECT_STREQ("10 1970-01-01T00:00:00.000000Z released         "
		     "0000:00:03.1 driver vfio-pci failed: No such device or address\n",
		     buf_str(&b));
	buf_close(&b);
	ev.type = VFPOST_EVENT_VF_CLAIMED;
	ev.error = 0;
	ASSERT_NE(NULL, buf_open(&b));
	fmt_event_json(b.f, &ev);
	EXPECT_STREQ("{\"seq\":10,\"event\":\"claimed\",\"timestamp_ns\":0,"
		     "\"bdf\":\"0000:00:03.1\",\"vf_index\":0,"
		     "\"pf\":\"0000:00:03.0\",\"error\":0}\n", buf_str(&b));
	buf_close(&b);

	memset(&ev, 0, sizeof(ev));
	ev.type = VFPOST_EVENT_LIB_GAP;
	ev.lost = 3;
	ASSERT_NE(NULL, buf_open(&b));
	fmt_event_line(b.f, &ev);
	EXPECT_STREQ("-- 3 event(s) lost\n", buf_str(&b));
	buf_close(&b);

	/* A module reload, as libvfpost reports it. */
	memset(&ev, 0, sizeof(ev));
	ev.type = VFPOST_EVENT_LIB_UNLOADED;
	ev.seq = 12;
	ASSERT_NE(NULL, buf_open(&b));
	fmt_event_line(b.f, &ev);
	fmt_event_json(b.f, &ev);
	EXPECT_STREQ("-- the vfpost module was unloaded\n"
		     "{\"seq\":12,\"event\":\"unloaded\"}\n", buf_str(&b));
	buf_close(&b);
	ev.type = VFPOST_EVENT_LIB_RELOADED;
	ev.seq = 0;
	ASSERT_NE(NULL, buf_open(&b));
	fmt_event_line(b.f, &ev);
	fmt_event_json(b.f, &ev);
	EXPECT_STREQ("-- the vfpost module was loaded again; its events restart after seq 0 (0 VFs)\n"
		     "{\"seq\":0,\"event\":\"reloaded\",\"vfs\":[]}\n",
		     buf_str(&b));
	buf_close(&b);
}

/* Run vfpostctl with @args; returns the exit status, output in @o/@e. */
static int run(struct buf *o, struct buf *e, int argc, char **argv)
{
	buf_open(o);
	buf_open(e);
	return vfpostctl_main(argc, argv, o->f, e->f);
}

#define RUN(o, e, ...) ({						\
	char *_a[] = { "vfpostctl", __VA_ARGS__, NULL };		\
	run(o, e, sizeof(_a) / sizeof(_a[0]) - 1, _a); })

TEST(usage_errors_are_one_line_and_exit_2)
{
	struct buf o, e;

	EXPECT_EQ(2, RUN(&o, &e, "frobnicate"));
	EXPECT_STREQ("vfpostctl: unknown command 'frobnicate' (see vfpostctl --help)\n",
		     buf_str(&e));
	buf_close(&o);
	buf_close(&e);

	EXPECT_EQ(2, RUN(&o, &e, "show"));
	EXPECT_STREQ("vfpostctl: 'show' takes one argument (see vfpostctl --help)\n",
		     buf_str(&e));
	buf_close(&o);
	buf_close(&e);

	EXPECT_EQ(2, RUN(&o, &e, "watch", "x"));
	EXPECT_STREQ("vfpostctl: 'watch' takes no arguments (see vfpostctl --help)\n",
		     buf_str(&e));
	buf_close(&o);
	buf_close(&e);

	EXPECT_EQ(2, RUN(&o, &e, "claim", "00:03.9"));
	EXPECT_STREQ("vfpostctl: '00:03.9' is not a PCI address (expected dddd:bb:dd.f, e.g. 0000:00:03.1)\n",
		     buf_str(&e));
	buf_close(&o);
	buf_close(&e);

	EXPECT_EQ(2, RUN(&o, &e, "-x", "list"));
	EXPECT_STREQ("vfpostctl: unknown option '-x' (see vfpostctl --help)\n",
		     buf_str(&e));
	buf_close(&o);
	buf_close(&e);

	EXPECT_EQ(2, RUN(&o, &e, "-j"));
	EXPECT_STREQ("vfpostctl: no command given (see vfpostctl --help)\n",
		     buf_str(&e));
	buf_close(&o);
	buf_close(&e);
}

TEST(json_pretty_indents_and_keeps_strings)
{
	static const char in[] = "{\"a\":[1,{\"b\":\"x,{y}:\\\"z\"}],\"e\":[],\"o\":{}}\n";
	struct buf b;

	ASSERT_NE(NULL, buf_open(&b));
	fmt_json_pretty(b.f, in, sizeof(in) - 1);
	EXPECT_STREQ("{\n"
		     "  \"a\": [\n"
		     "    1,\n"
		     "    {\n"
		     "      \"b\": \"x,{y}:\\\"z\"\n"
		     "    }\n"
		     "  ],\n"
		     "  \"e\": [],\n"
		     "  \"o\": {}\n"
		     "}\n", buf_str(&b));
	buf_close(&b);
}

/*
 * With -j, list prints one complete array whatever happens (here, on a
 * host without the module: an empty one, and exit 1 with one error line).
 */
TEST(list_json_is_complete_when_the_command_fails)
{
	struct buf o, e;
	const char *s;
	int ret;

	ret = RUN(&o, &e, "-j", "list");
	s = buf_str(&o);
	ASSERT_NE(NULL, s);
	EXPECT_EQ('[', s[0]);
	EXPECT_STREQ("]\n", s + strlen(s) - 2);
	if (ret) {
		EXPECT_EQ(1, ret);
		EXPECT_STREQ("[]\n", s);
		EXPECT_NE(NULL, strstr(buf_str(&e), "vfpostctl: "));
		EXPECT_EQ(strlen(buf_str(&e)) - 1,
			  (size_t)(strchr(buf_str(&e), '\n') - buf_str(&e)));
	}
	buf_close(&o);
	buf_close(&e);

	ret = RUN(&o, &e, "-p", "list");
	EXPECT_EQ('[', buf_str(&o)[0]);
	buf_close(&o);
	buf_close(&e);
}

TEST(version_names_program_and_library)
{
	struct buf o, e;
	char want[64];

	snprintf(want, sizeof(want), "vfpostctl %s (libvfpost %s)\n",
		 LIBVFPOST_VERSION, vfpost_version());
	EXPECT_EQ(0, RUN(&o, &e, "-V"));
	EXPECT_STREQ(want, buf_str(&o));
	buf_close(&o);
	buf_close(&e);
	EXPECT_EQ(0, RUN(&o, &e, "--version"));
	EXPECT_STREQ(want, buf_str(&o));
	buf_close(&o);
	buf_close(&e);
}

TEST(help_goes_to_stdout)
{
	struct buf o, e;

	EXPECT_EQ(0, RUN(&o, &e, "--help"));
	EXPECT_NE(NULL, strstr(buf_str(&o), "Usage: vfpostctl"));
	EXPECT_STREQ("", buf_str(&e) ? buf_str(&e) : "");
	buf_close(&o);
	buf_close(&e);
}

TEST_HARNESS_MAIN
