// SPDX-License-Identifier: GPL-2.0
/*
 * libvfpost: PCI address parsing (the one parser of vfpostctl and vibevmm:
 * the kernel's sysfs names, or lspci's short form) and enum names.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "libvfpost.h"

static void expect_bdf(struct __test_metadata *_metadata, const char *in,
		       const char *want)
{
	char out[VFPOST_BDF_LEN];

	ASSERT_EQ(0, vfpost_parse_bdf(in, out)) TH_LOG("input '%s'", in);
	ASSERT_STREQ(want, out);
}

TEST(full_address_is_kept)
{
	expect_bdf(_metadata, "0000:00:03.1", "0000:00:03.1");
	expect_bdf(_metadata, "0000:af:1f.7", "0000:af:1f.7");
}

TEST(upper_case_is_lowered)
{
	expect_bdf(_metadata, "0000:AF:1F.7", "0000:af:1f.7");
}

TEST(domain_defaults_to_zero)
{
	expect_bdf(_metadata, "00:03.1", "0000:00:03.1");
	expect_bdf(_metadata, "ff:1f.7", "0000:ff:1f.7");
}

TEST(large_domain_keeps_all_digits)
{
	expect_bdf(_metadata, "10000:01:00.0", "10000:01:00.0");
	expect_bdf(_metadata, "ffffffff:01:00.0", "ffffffff:01:00.0");
	expect_bdf(_metadata, "ABCD:Ff:1F.0", "abcd:ff:1f.0");
}

static void expect_rejected(struct __test_metadata *_metadata,
			    const char * const *bad, unsigned int n)
{
	char out[VFPOST_BDF_LEN] = "";
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = vfpost_parse_bdf(bad[i], out);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("input %u was accepted", i);
	}
}

/* Each field has the width the kernel prints: no shorter, no longer. */
TEST(short_fields_are_rejected)
{
	static const char * const bad[] = {
		"0000:00:3.1", "0000:0:03.1", "000:00:03.1", "1:01:00.0",
		"3:0.2", "0:3.1", "00:3.1", "0:03.1", "0000:00:03.01",
		"00000:01:00.0", "01000:01:00.0", "100000000:01:00.0",
	};

	expect_rejected(_metadata, bad, sizeof(bad) / sizeof(bad[0]));
}

TEST(malformed_addresses_are_rejected)
{
	static const char * const bad[] = {
		"", "0", "zz", "00:03", "00:03.", "00:03.8", "00:20.0",
		"000:00:03.1x", "0000:00:03.1.2", "0000:00:003.1",
		"0000:100:03.1", "123456789:00:00.0", "0000:00:03:1",
		":00:03.1", "0000::03.1", "g000:00:03.1", "0000:00:03.-1",
		" 0000:00:03.1", "0000:00:03.1 ", "0000:0:03.1:1",
		"0000:00:03.1\n", "+000:00:03.1", "0x00:00:03.1", "0000:00:03.",
		"1:0000:00:03.1", "0000:00.03:1", "0000:00:0g.1",
	};
	char out[VFPOST_BDF_LEN] = "";

	expect_rejected(_metadata, bad, sizeof(bad) / sizeof(bad[0]));
	EXPECT_EQ(-EINVAL, vfpost_parse_bdf(NULL, out));
}

TEST(enum_names)
{
	EXPECT_STREQ("unbound", vfpost_state_name(VFPOST_VF_UNBOUND));
	EXPECT_STREQ("open", vfpost_state_name(VFPOST_VF_OPEN));
	EXPECT_STREQ("removing", vfpost_state_name(VFPOST_VF_REMOVING));
	EXPECT_STREQ("?", vfpost_state_name(42));
	EXPECT_STREQ("added", vfpost_event_name(VFPOST_EVENT_VF_ADDED));
	EXPECT_STREQ("remove-requested",
		     vfpost_event_name(VFPOST_EVENT_VF_REMOVE_REQUESTED));
	EXPECT_STREQ("numvfs", vfpost_event_name(VFPOST_EVENT_PF_NUMVFS));
	EXPECT_STREQ("?", vfpost_event_name(VFPOST_EVENT_UNSPEC));
	EXPECT_STREQ("connected",
		     vfpost_bypass_name(VFPOST_BYPASS_STATE_CONNECTED));
	EXPECT_STREQ("?", vfpost_bypass_name(-1));
}

TEST(open_error_strings)
{
	EXPECT_STREQ("the vfpost module is not loaded (insmod vfpost.ko)",
		     vfpost_strerror(-ENOENT));
	EXPECT_TRUE(strstr(vfpost_strerror(-EPERM), "CAP_NET_ADMIN") != NULL);
}

TEST_HARNESS_MAIN
