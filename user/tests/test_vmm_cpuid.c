// SPDX-License-Identifier: GPL-2.0
/* Per-vCPU CPUID: topology, hidden features, the TSC-deadline timer, the timing leaf. */
#include <stdlib.h>
#include <string.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/cpuid.h"

static struct kvm_cpuid2 *supported(void)
{
	static const uint32_t fns[] = { 1, 0xa, 0xb, 0x80000001, 0x8000000a, 0x80000008,
					0x8000001e, 0x40000001 };
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 8 * sizeof(c->entries[0]));
	unsigned int i;

	c->nent = 8;
	for (i = 0; i < 8; i++) {
		c->entries[i].function = fns[i];
		c->entries[i].eax = c->entries[i].ebx = 0x11111111;
		c->entries[i].ecx = c->entries[i].edx = 0xffffffff;
	}
	return c;
}

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c, uint32_t fn)
{
	unsigned int i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

TEST(tsc_deadline_announced_when_kvm_emulates_it)
{
	struct kvm_cpuid2 *c = supported();

	c->entries[0].ecx &= ~CPUID_1_ECX_TSC_DEADLINE;
	cpuid_patch(c, &(struct cpuid_opts){ .apic_id = 0, .nr_cpus = 1, .tsc_deadline = true });
	EXPECT_TRUE(leaf(c, 1)->ecx & CPUID_1_ECX_TSC_DEADLINE);
	EXPECT_TRUE(leaf(c, 1)->ecx & CPUID_1_ECX_HYPERVISOR);
	free(c);
}

TEST(tsc_deadline_hidden_without_the_capability)
{
	struct kvm_cpuid2 *c = supported();

	cpuid_patch(c, &(struct cpuid_opts){ .apic_id = 0, .nr_cpus = 1, .tsc_deadline = false });
	EXPECT_FALSE(leaf(c, 1)->ecx & CPUID_1_ECX_TSC_DEADLINE);
	free(c);
}

TEST(topology_and_hidden_features)
{
	struct kvm_cpuid2 *c = supported();

	cpuid_patch(c, &(struct cpuid_opts){ .apic_id = 3, .nr_cpus = 4, .tsc_deadline = true });
	EXPECT_EQ(3u, leaf(c, 1)->ebx >> 24);			/* initial APIC id */
	EXPECT_EQ(4u, (leaf(c, 1)->ebx >> 16) & 0xff);		/* logical CPUs */
	EXPECT_TRUE(leaf(c, 1)->edx & (1u << 28));		/* HTT */
	EXPECT_FALSE(leaf(c, 1)->ecx & (1u << 5));		/* no VMX */
	EXPECT_FALSE(leaf(c, 0x80000001)->ecx & (1u << 2));	/* no SVM */
	EXPECT_EQ(0u, leaf(c, 0xa)->eax);			/* no vPMU */
	EXPECT_EQ(0u, leaf(c, 0x8000000a)->edx);
	EXPECT_EQ(3u, leaf(c, 0xb)->edx);
	EXPECT_EQ(3u, leaf(c, 0x80000008)->ecx & 0xff);
	EXPECT_EQ(3u, leaf(c, 0x8000001e)->eax);
	/* KVM's paravirtual leaf (kvmclock and friends) passes untouched */
	EXPECT_EQ(0x11111111u, leaf(c, 0x40000001)->eax);
	free(c);
}

/* KVM's signature leaf with room for one more entry, as vm.c allocates. */
static struct kvm_cpuid2 *with_kvm_base(uint32_t max_leaf)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 3 * sizeof(c->entries[0]));

	c->nent = 2;
	c->entries[0].function = 0x40000000;
	c->entries[0].eax = max_leaf;
	c->entries[0].ebx = 0x4b4d564b;		/* "KVMK" */
	c->entries[0].ecx = 0x564b4d56;		/* "VMKV" */
	c->entries[0].edx = 0x4d;		/* "M" */
	c->entries[1].function = 0x40000001;
	return c;
}

TEST(timing_leaf_announces_the_tsc_rate)
{
	struct kvm_cpuid2 *c = with_kvm_base(0x40000001);

	cpuid_add_timing_leaf(c, 2096029);
	ASSERT_EQ(3u, c->nent);
	ASSERT_NE(NULL, leaf(c, CPUID_TIMING_LEAF));
	EXPECT_EQ(2096029u, leaf(c, CPUID_TIMING_LEAF)->eax);
	EXPECT_EQ(1000000u, leaf(c, CPUID_TIMING_LEAF)->ebx);
	EXPECT_EQ(CPUID_TIMING_LEAF, leaf(c, 0x40000000)->eax);	/* reachable */
	free(c);
}

TEST(timing_leaf_not_added_without_a_rate_or_kvm)
{
	struct kvm_cpuid2 *c = with_kvm_base(0x40000001);

	cpuid_add_timing_leaf(c, 0);
	EXPECT_EQ(2u, c->nent);
	EXPECT_EQ(0x40000001u, leaf(c, 0x40000000)->eax);
	c->entries[0].ebx = 0x7263694d;		/* "Micr": not KVM's base */
	cpuid_add_timing_leaf(c, 2096029);
	EXPECT_EQ(2u, c->nent);
	EXPECT_EQ(NULL, leaf(c, CPUID_TIMING_LEAF));
	free(c);
}

TEST(timing_leaf_kept_when_kvm_has_one)
{
	struct kvm_cpuid2 *c = with_kvm_base(0x40000010);

	c->entries[1].function = CPUID_TIMING_LEAF;
	c->entries[1].eax = 1234;
	cpuid_add_timing_leaf(c, 2096029);
	EXPECT_EQ(2u, c->nent);
	EXPECT_EQ(1234u, leaf(c, CPUID_TIMING_LEAF)->eax);
	free(c);
}

TEST_HARNESS_MAIN
