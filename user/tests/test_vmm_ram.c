// SPDX-License-Identifier: GPL-2.0
/* Guest RAM is 2 MiB-aligned on the host, so KVM can map it with 2 MiB pages. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "vmm/vm.h"

TEST(ram_is_2m_aligned_and_usable)
{
	static const uint64_t sizes[] = { 4096, 0x200000, 0x1000000 + 4096, 0x10000000 };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = vm_alloc_ram(sizes[i]);

		ASSERT_NE(NULL, p);
		EXPECT_EQ(0u, (uintptr_t)p % VM_RAM_ALIGN) TH_LOG("size %#llx", (unsigned long long)sizes[i]);
		p[0] = 1;
		p[sizes[i] - 1] = 2;
		EXPECT_EQ(0, munmap(p, sizes[i]));
	}
}

TEST(ram_zero_or_huge_size_fails)
{
	EXPECT_EQ(NULL, vm_alloc_ram(0));
	EXPECT_EQ(NULL, vm_alloc_ram(UINT64_MAX - 4095));
}

TEST_HARNESS_MAIN
