// SPDX-License-Identifier: GPL-2.0
/*
 * Device acquisition plan, interrupt path selection (user/vmm/irqpath.c)
 * and BAR memslot/trap layout (user/vmm/vfio_bar.c).
 */
#include <string.h>

#include "kselftest_harness.h"
#include "vmm/irqpath.h"
#include "vmm/vfio_bar.h"

#define BDF "0000:00:03.1"

TEST(auto_picks_vfpost_when_bound_to_vfpost)
{
	char err[256] = "";

	EXPECT_EQ(IRQ_PATH_VFPOST, irqpath_select(IRQ_PATH_AUTO, "vfpost", err, sizeof(err)));
	EXPECT_EQ(IRQ_PATH_VFIO, irqpath_select(IRQ_PATH_AUTO, "vfio-pci", err, sizeof(err)));
	EXPECT_STREQ("", err);
}

TEST(explicit_paths)
{
	char err[256] = "";

	EXPECT_EQ(IRQ_PATH_VFIO, irqpath_select(IRQ_PATH_VFIO, "vfpost", err, sizeof(err)));
	EXPECT_EQ(IRQ_PATH_RELAY, irqpath_select(IRQ_PATH_RELAY, "vfio-pci", err, sizeof(err)));
	EXPECT_EQ(IRQ_PATH_RELAY, irqpath_select(IRQ_PATH_RELAY, "vfpost", err, sizeof(err)));
	EXPECT_EQ(IRQ_PATH_VFPOST, irqpath_select(IRQ_PATH_VFPOST, "vfpost", err, sizeof(err)));
}

TEST(vfpost_path_refused_on_vfio_pci)
{
	char err[256] = "";

	EXPECT_EQ(-1, irqpath_select(IRQ_PATH_VFPOST, "vfio-pci", err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "vfio-pci"));
	EXPECT_NE(NULL, strstr(err, "--irq-path vfio"));
}

TEST(path_names)
{
	EXPECT_STREQ("vfpost", irqpath_name(IRQ_PATH_VFPOST));
	EXPECT_STREQ("vfio", irqpath_name(IRQ_PATH_VFIO));
	EXPECT_STREQ("relay", irqpath_name(IRQ_PATH_RELAY));
	EXPECT_STREQ("auto", irqpath_name(IRQ_PATH_AUTO));
}

TEST(plan_open_when_bound_to_vfio_driver)
{
	struct vfio_facts f = { .exists = true, .is_vf = true, .driver = "vfio-pci",
				.is_vfio = true, .iommu_group = true };
	char err[256] = "";

	EXPECT_EQ(VFIO_PLAN_OPEN, (int)vfio_plan(BDF, &f, err, sizeof(err)));
	f.driver = "vfpost";
	f.vfpost_loaded = true;
	EXPECT_EQ(VFIO_PLAN_OPEN, (int)vfio_plan(BDF, &f, err, sizeof(err)));
	/* a variant driver is a VFIO driver too: what sysfs says, not the name */
	f.driver = "mlx5_vfio_pci";
	f.vfpost_loaded = false;
	EXPECT_EQ(VFIO_PLAN_OPEN, (int)vfio_plan(BDF, &f, err, sizeof(err)));
	EXPECT_STREQ("", err);
	f.driver = "vfio-pci";
	f.is_vfio = false;
	EXPECT_EQ(VFIO_PLAN_ERROR, (int)vfio_plan(BDF, &f, err, sizeof(err)));
}

TEST(plan_claim_unbound_vf_when_vfpost_loaded)
{
	struct vfio_facts f = { .exists = true, .is_vf = true, .driver = "",
				.vfpost_loaded = true, .iommu_group = true };
	char err[256] = "";

	EXPECT_EQ(VFIO_PLAN_CLAIM, (int)vfio_plan(BDF, &f, err, sizeof(err)));
	f.driver = "nvme";
	EXPECT_EQ(VFIO_PLAN_CLAIM, (int)vfio_plan(BDF, &f, err, sizeof(err)));
}

TEST(plan_errors_name_the_device_and_the_fix)
{
	struct vfio_facts f = { .exists = false };
	char err[256];

	EXPECT_EQ(VFIO_PLAN_ERROR, (int)vfio_plan(BDF, &f, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, BDF ": no such PCI device"));

	f.exists = true;
	EXPECT_EQ(VFIO_PLAN_ERROR, (int)vfio_plan(BDF, &f, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "no IOMMU group"));
	EXPECT_NE(NULL, strstr(err, "intel_iommu=on"));

	f.iommu_group = true;
	f.driver = "";
	f.is_vf = true;
	EXPECT_EQ(VFIO_PLAN_ERROR, (int)vfio_plan(BDF, &f, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, BDF ": not bound to a VFIO driver and vfpost is not loaded: "));

	f.driver = "nvme";
	EXPECT_EQ(VFIO_PLAN_ERROR, (int)vfio_plan(BDF, &f, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "vfpost is not loaded; bound to nvme, which is not a VFIO driver"));
	EXPECT_NE(NULL, strstr(err, ": bind it to vfio-pci"));

	f.driver = "nvme";
	f.is_vf = false;
	f.vfpost_loaded = true;
	EXPECT_EQ(VFIO_PLAN_ERROR, (int)vfio_plan(BDF, &f, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, BDF ": not a VF and bound to nvme"));
	EXPECT_NE(NULL, strstr(err, "vfio-pci"));
}

TEST(bar_plan_whole_bar_minus_msix_pages)
{
	/* NVMe-like BAR0: 16 KiB, table at 0x2000, PBA at 0x3000 */
	struct bar_area mm = { 0, 0x4000 };
	struct bar_area trap[2] = { { 0x2000, 32 }, { 0x3000, 8 } };
	struct bar_area out[4];

	ASSERT_EQ(1, vfio_bar_plan(&mm, 1, trap, 2, 0x1000, out, 4));
	EXPECT_EQ(0ull, out[0].off);
	EXPECT_EQ(0x2000ull, out[0].size);
}

TEST(bar_plan_table_in_the_middle_splits)
{
	struct bar_area mm = { 0, 0x10000 };
	struct bar_area trap[2] = { { 0x8010, 0x20 }, { 0xf000, 8 } };
	struct bar_area out[4];

	ASSERT_EQ(2, vfio_bar_plan(&mm, 1, trap, 2, 0x1000, out, 4));
	EXPECT_EQ(0ull, out[0].off);
	EXPECT_EQ(0x8000ull, out[0].size);
	EXPECT_EQ(0x9000ull, out[1].off);
	EXPECT_EQ(0x6000ull, out[1].size);
}

TEST(bar_plan_sparse_areas_and_partial_pages)
{
	/* vfio-pci already excluded the table page; areas arrive unsorted */
	struct bar_area mm[2] = { { 0x3000, 0x1000 }, { 0x0, 0x2000 } };
	struct bar_area trap[1] = { { 0x3000, 8 } };
	struct bar_area small = { 0x100, 0x800 };
	struct bar_area out[4];

	ASSERT_EQ(1, vfio_bar_plan(mm, 2, trap, 1, 0x1000, out, 4));
	EXPECT_EQ(0ull, out[0].off);
	EXPECT_EQ(0x2000ull, out[0].size);
	/* smaller than a page: nothing can be mapped */
	EXPECT_EQ(0, vfio_bar_plan(&small, 1, NULL, 0, 0x1000, out, 4));
}

TEST(bar_plan_reports_overflow_and_bad_page)
{
	struct bar_area mm = { 0, 0x10000 };
	struct bar_area trap[2] = { { 0x2000, 8 }, { 0x8000, 8 } };
	struct bar_area out[2];

	EXPECT_EQ(-ENOSPC, vfio_bar_plan(&mm, 1, trap, 2, 0x1000, out, 2));
	EXPECT_EQ(-EINVAL, vfio_bar_plan(&mm, 1, trap, 2, 0x1800, out, 2));
}

TEST_HARNESS_MAIN
