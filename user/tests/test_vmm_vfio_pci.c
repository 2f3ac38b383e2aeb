// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO passthrough (user/vmm/vfio_pci.c, vfio_irq.c) against a fake VFIO
 * device and a fake VM (tests/vfio_fake.h): assignment and release, config
 * space through the guest's ECAM, BAR traps and memslots, MSI-X table
 * writes turned into VFIO_DEVICE_SET_IRQS and KVM irqfds on each interrupt
 * path, INTx, a host removal request handled by the service thread, and
 * every failing ioctl of the assignment leaving nothing behind.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_fake.h"
#include "vmm/vfio_pci.h"
#include "vmm/vfio_priv.h"

#define VF	"0000:01:00.1"
#define BAR0_GPA 0xc0000000ull
#define MSIX_CTRL (0x40 + PCI_MSIX_FLAGS)

static uint32_t ecam_read(const struct vfio_assigned *a, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	pci_bus_ecam_io(fk.bus, ((uint64_t)a->pdev.devfn << 12) | off, &v, len, false);
	return v;
}

static void ecam_write(const struct vfio_assigned *a, unsigned int off, unsigned int len,
		       uint32_t v)
{
	pci_bus_ecam_io(fk.bus, ((uint64_t)a->pdev.devfn << 12) | off, &v, len, true);
}

/* Guest: BAR0 at BAR0_GPA, memory decoding and bus mastering on. */
static void guest_enable_bar0(const struct vfio_assigned *a)
{
	ecam_write(a, PCI_BASE_ADDRESS_0, 4, (uint32_t)BAR0_GPA);
	ecam_write(a, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* Guest: MSI-X table entry @vec (through the BAR0 trap). */
static void guest_msix_entry(unsigned int vec, uint32_t data, bool masked)
{
	uint32_t v[4] = { 0xfee00000u, 0, data, masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0 };
	int i;

	for (i = 0; i < 4; i++)
		fk_mmio(BAR0_GPA + 16 * vec + 4 * i, &v[i], 4, true);
}

static int count_sets(uint32_t index, uint32_t action, int from)
{
	int i, n = 0;

	pthread_mutex_lock(&fk.lock);
	for (i = from; i < fk.nr_sets; i++)
		if (fk.sets[i].index == index && (fk.sets[i].flags & action))
			n++;
	pthread_mutex_unlock(&fk.lock);
	return n;
}

FIXTURE(vfio) {
	struct vfio_assigned *a;
};

FIXTURE_SETUP(vfio)
{
	fk_reset();
	self->a = NULL;
}

FIXTURE_TEARDOWN(vfio)
{
	vfio_release(self->a);
	fk_teardown();
}

TEST_F(vfio, assign_maps_ram_and_release_leaves_nothing)
{
	fk_add_dev(VF, 12, "vfio-pci", true);
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(2u, fk.map_dma_calls);		/* low and high RAM, once each */
	EXPECT_EQ(2, fk.cont[0].nr_maps);
	EXPECT_EQ(VM_HIGH_RAM_BASE, fk.cont[0].map_iova[1]);
	EXPECT_TRUE(fk.dev[0].open);
	EXPECT_EQ(1u, fk.dev[0].resets);		/* before the guest sees it */
	EXPECT_EQ(0, fk.dev[0].maps_at_reset);	/* and before guest RAM is mapped */
	EXPECT_EQ(0x10ca8086u, ecam_read(self->a, PCI_VENDOR_ID, 4));
	EXPECT_NE(-1, fk.dev[0].req_fd);	/* listens for removal requests */
	EXPECT_EQ(IRQ_PATH_VFIO, (int)self->a->path);
	vfio_release(self->a);
	self->a = NULL;
	EXPECT_EQ(2u, fk.dev[0].resets);		/* reset at exit */
	EXPECT_FALSE(fk.dev[0].open);
	EXPECT_TRUE(fk_clean());
}

TEST_F(vfio, config_writes_reach_the_device_and_bars_map)
{
	fk_add_dev(VF, 12, "vfio-pci", true);
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	/* the guest sizes BAR0 */
	ecam_write(self->a, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	EXPECT_EQ((uint32_t)~(FK_BAR0_SIZE - 1), ecam_read(self->a, PCI_BASE_ADDRESS_0, 4));
	EXPECT_EQ(0, fk_io_live());
	guest_enable_bar0(self->a);
	/* command forwarded to the device */
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  fk.dev[0].cfg[PCI_COMMAND] & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
	/* one trap over the BAR; the pages between table and PBA mmapped */
	EXPECT_EQ(1, fk_io_live());
	EXPECT_EQ(2, fk.memslots_live);
	/* a non-emulated register is read from the device */
	fk.dev[0].cfg[PCI_REVISION_ID] = 0x5a;
	EXPECT_EQ(0x5au, ecam_read(self->a, PCI_REVISION_ID, 1));
	/* decoding off: trap and memslots gone */
	ecam_write(self->a, PCI_COMMAND, 2, 0);
	EXPECT_EQ(0, fk_io_live());
	EXPECT_EQ(0, fk.memslots_live);
	guest_enable_bar0(self->a);
	vfio_release(self->a);
	self->a = NULL;
	EXPECT_TRUE(fk_clean());
}

TEST_F(vfio, msix_vfio_path_irqfd_and_regrow)
{
	int efd0, before;

	fk_add_dev(VF, 12, "vfio-pci", true);
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	guest_enable_bar0(self->a);
	ecam_write(self->a, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE);
	/* MSI-X on in the device at once, no vector attached yet */
	EXPECT_EQ(1u, fk.dev[0].msix_enabled);
	EXPECT_EQ(-1, fk.dev[0].msix_fd[0]);
	EXPECT_EQ(0, fk.nr_irqfd);

	guest_msix_entry(0, 0x41, false);
	efd0 = fk.dev[0].msix_fd[0];
	ASSERT_GE(efd0, 0);
	/* the eventfd VFIO triggers is the irqfd, on a route with the entry */
	ASSERT_EQ(1, fk.nr_irqfd);
	EXPECT_EQ(fk_irqfd_gsi(efd0), fk.irqfd[0].gsi);
	EXPECT_EQ(0xfee00000u, fk.gsi_addr[fk.irqfd[0].gsi - 24]);
	EXPECT_EQ(0x41u, fk.gsi_data[fk.irqfd[0].gsi - 24]);

	/* vector 3 beyond the enabled block: disable, enable with 4 */
	before = fk.nr_sets;
	guest_msix_entry(3, 0x43, false);
	EXPECT_EQ(1, count_sets(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE, before));
	EXPECT_EQ(4u, fk.dev[0].msix_enabled);
	EXPECT_EQ(efd0, fk.dev[0].msix_fd[0]);
	EXPECT_EQ(2, fk.nr_irqfd);

	/* a rewritten entry moves the route */
	guest_msix_entry(0, 0x51, false);
	EXPECT_EQ(0x51u, fk.gsi_data[fk_irqfd_gsi(efd0) - 24]);
	/* masking detaches the irqfd, unmasking attaches it again */
	guest_msix_entry(0, 0x51, true);
	EXPECT_EQ(-1, fk_irqfd_gsi(efd0));
	guest_msix_entry(0, 0x51, false);
	EXPECT_NE(-1, fk_irqfd_gsi(efd0));

	/* MSI-X off: all vectors released */
	ecam_write(self->a, MSIX_CTRL, 2, 0);
	EXPECT_EQ(0u, fk.dev[0].msix_enabled);
	EXPECT_EQ(0, fk.nr_irqfd);
	EXPECT_EQ(0, fk.gsi_live);
}

TEST_F(vfio, msix_vfpost_path_one_vector_at_a_time)
{
	int before;

	fk_add_dev(VF, 12, "vfpost", true);
	fk.dev[0].noresize = false;
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(IRQ_PATH_VFPOST, (int)self->a->path);
	guest_enable_bar0(self->a);
	ecam_write(self->a, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE);
	before = fk.nr_sets;
	guest_msix_entry(5, 0x45, false);
	/* just vector 5: no disable */
	EXPECT_EQ(0, count_sets(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE, before));
	ASSERT_EQ(before + 1, fk.nr_sets);
	EXPECT_EQ(5u, fk.sets[before].start);
	EXPECT_EQ(1u, fk.sets[before].count);
	EXPECT_EQ(1, fk.nr_irqfd);
	/* masking goes to VFIO; the irqfd stays */
	before = fk.nr_sets;
	guest_msix_entry(5, 0x45, true);
	EXPECT_EQ(1, count_sets(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, before));
	EXPECT_EQ(1, fk.nr_irqfd);
	guest_msix_entry(5, 0x45, false);
	EXPECT_EQ(1, count_sets(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, before));
}

TEST_F(vfio, intx_on_a_pf_until_msix)
{
	fk_add_dev("0000:02:00.0", 13, "vfio-pci", false);
	self->a = vfio_assign(fk_vm(), "0000:02:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(1, count_sets(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	EXPECT_EQ(1, count_sets(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0));
	ASSERT_EQ(1, fk.nr_irqfd);
	EXPECT_EQ(self->a->pdev.intx_gsi, fk.irqfd[0].gsi);
	EXPECT_EQ(1u, ecam_read(self->a, PCI_INTERRUPT_PIN, 1));
	guest_enable_bar0(self->a);
	ecam_write(self->a, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE);
	EXPECT_EQ(0, fk.nr_irqfd);	/* INTx off while MSI-X is on */
	ecam_write(self->a, MSIX_CTRL, 2, 0);
	EXPECT_EQ(1, fk.nr_irqfd);	/* and back */
	vfio_release(self->a);
	self->a = NULL;
	EXPECT_TRUE(fk_clean());
}

TEST_F(vfio, vector_attach_failures_leave_no_route)
{
	fk_add_dev(VF, 12, "vfio-pci", true);
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	guest_enable_bar0(self->a);
	ecam_write(self->a, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE);

	fk.fail_irqfd = true;		/* KVM refuses the irqfd */
	guest_msix_entry(0, 0x41, false);
	EXPECT_EQ(0, fk.gsi_live);
	EXPECT_EQ(-1, fk.dev[0].msix_fd[0]);
	EXPECT_EQ(-1, self->a->vec[0].efd);
	fk.fail_irqfd = false;

	fk.fail_gsi = true;		/* no route left */
	guest_msix_entry(0, 0x41, true);
	guest_msix_entry(0, 0x41, false);
	EXPECT_EQ(0, fk.nr_irqfd);
	EXPECT_EQ(-1, self->a->vec[0].efd);
	fk.fail_gsi = false;

	fk.fail_req = VFIO_DEVICE_SET_IRQS;	/* VFIO refuses the trigger */
	fk.fail_nth = -1;
	fk.fail_errno = EINVAL;
	guest_msix_entry(0, 0x41, true);
	guest_msix_entry(0, 0x41, false);
	EXPECT_EQ(0, fk.nr_irqfd);
	EXPECT_EQ(0, fk.gsi_live);
	EXPECT_EQ(-1, self->a->vec[0].efd);
	fk.fail_req = 0;

	/* and it works once the host does */
	guest_msix_entry(0, 0x41, true);
	guest_msix_entry(0, 0x41, false);
	EXPECT_EQ(1, fk.nr_irqfd);
	EXPECT_EQ(1, fk.gsi_live);
	EXPECT_EQ(self->a->vec[0].efd, fk.dev[0].msix_fd[0]);
}

TEST_F(vfio, host_removal_request_detaches)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	uint64_t one = 1;
	bool open = true;
	int i, req;

	fk_add_dev(VF, 12, "vfio-pci", true);
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	guest_enable_bar0(self->a);
	ecam_write(self->a, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE);
	guest_msix_entry(0, 0x41, false);
	req = fk.dev[0].req_fd;
	ASSERT_GE(req, 0);
	ASSERT_EQ((ssize_t)sizeof(one), write(req, &one, sizeof(one)));
	/* meanwhile the guest keeps reading config space */
	for (i = 0; i < 300 && open; i++) {
		(void)ecam_read(self->a, PCI_VENDOR_ID, 4);
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&fk.lock);
		open = fk.dev[0].open;
		pthread_mutex_unlock(&fk.lock);
	}
	ASSERT_FALSE(open);
	EXPECT_EQ(0xffffffffu, ecam_read(self->a, PCI_VENDOR_ID, 4));
	EXPECT_EQ(0, fk_io_live());
	EXPECT_EQ(0, fk.nr_irqfd);
	EXPECT_EQ(0, fk.gsi_live);
	vfio_release(self->a);
	self->a = NULL;
	EXPECT_TRUE(fk_clean());
}

/* Each ioctl of the assignment failing: NULL, and nothing left behind. */
struct fail_case {
	const char *name;
	unsigned long req;
	int nth;
};

static const struct fail_case fail_cases[] = {
	{ "GET_API_VERSION", VFIO_GET_API_VERSION, 1 },
	{ "GROUP_GET_STATUS", VFIO_GROUP_GET_STATUS, 1 },
	{ "GROUP_SET_CONTAINER", VFIO_GROUP_SET_CONTAINER, 1 },
	{ "SET_IOMMU", VFIO_SET_IOMMU, 1 },
	{ "GROUP_GET_DEVICE_FD", VFIO_GROUP_GET_DEVICE_FD, 1 },
	{ "DEVICE_GET_INFO", VFIO_DEVICE_GET_INFO, 1 },
	{ "IOMMU_MAP_DMA low RAM", VFIO_IOMMU_MAP_DMA, 1 },
	{ "IOMMU_MAP_DMA high RAM", VFIO_IOMMU_MAP_DMA, 2 },
	{ "GET_REGION_INFO BAR0", VFIO_DEVICE_GET_REGION_INFO, 1 },
	{ "GET_REGION_INFO config", VFIO_DEVICE_GET_REGION_INFO, 7 },
};

TEST_F(vfio, every_failing_ioctl_leaves_no_half_state)
{
	unsigned int i;

	for (i = 0; i < sizeof(fail_cases) / sizeof(fail_cases[0]); i++) {
		const struct fail_case *c = &fail_cases[i];
		struct vfio_assigned *a;

		fk_reset();
		fk_add_dev(VF, 12, "vfio-pci", true);
		fk.fail_req = c->req;
		fk.fail_nth = c->nth;
		fk.fail_errno = EIO;
		a = vfio_assign(fk_vm(), VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
		EXPECT_EQ(NULL, a) TH_LOG("%s: assignment went on", c->name);
		EXPECT_EQ(c->nth, fk.seen) TH_LOG("%s: not reached", c->name);
		EXPECT_TRUE(fk_clean()) TH_LOG("%s: state left behind", c->name);
		EXPECT_FALSE(fk.dev[0].open) TH_LOG("%s: device left open", c->name);
		EXPECT_EQ(0, fk.cont[0].nr_maps) TH_LOG("%s: DMA left mapped", c->name);
		vfio_release(a);
	}
	/* no container at all */
	fk_reset();
	fk_add_dev(VF, 12, "vfio-pci", true);
	fk.fail_open_container = true;
	EXPECT_EQ(NULL, vfio_assign(fk_vm(), VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO));
	EXPECT_TRUE(fk_clean());
}

TEST_F(vfio, not_a_vfio_device_is_refused_untouched)
{
	fk_add_dev("0000:03:00.0", 14, "e1000e", false);
	EXPECT_EQ(NULL, vfio_assign(fk_vm(), "0000:03:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(0u, fk.ioctls);
	EXPECT_TRUE(fk_clean());
}

/* Without VFIO_IRQ_INFO_NORESIZE a vector is added alone, MSI-X stays on. */
TEST_F(vfio, msix_grows_one_vector_at_a_time_without_noresize)
{
	int efd0, before;

	fk_add_dev(VF, 12, "vfio-pci", true);
	fk.dev[0].noresize = false;
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	guest_enable_bar0(self->a);
	ecam_write(self->a, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE);
	guest_msix_entry(0, 0x41, false);
	efd0 = fk.dev[0].msix_fd[0];
	ASSERT_GE(efd0, 0);
	before = fk.nr_sets;
	guest_msix_entry(3, 0x43, false);
	EXPECT_EQ(0, count_sets(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE, before));
	ASSERT_EQ(before + 1, fk.nr_sets);
	EXPECT_EQ(3u, fk.sets[before].start);
	EXPECT_EQ(1u, fk.sets[before].count);
	EXPECT_EQ(4u, fk.dev[0].msix_enabled);
	EXPECT_EQ(efd0, fk.dev[0].msix_fd[0]);
	EXPECT_EQ(2, fk.nr_irqfd);
}

/* A device that cannot grow after all: back to disable and re-enable. */
TEST_F(vfio, msix_falls_back_when_growing_is_refused)
{
	int before;

	fk_add_dev(VF, 12, "vfio-pci", true);
	fk.dev[0].hide_noresize = true;	/* says it can, cannot */
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	guest_enable_bar0(self->a);
	ecam_write(self->a, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE);
	guest_msix_entry(0, 0x41, false);
	before = fk.nr_sets;
	guest_msix_entry(3, 0x43, false);
	EXPECT_EQ(1, count_sets(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE, before));
	EXPECT_EQ(4u, fk.dev[0].msix_enabled);
	EXPECT_EQ(self->a->vec[3].efd, fk.dev[0].msix_fd[3]);
	EXPECT_EQ(2, fk.nr_irqfd);
}

/* ---- which devices are VFIO devices: sysfs, not the driver's name ---- */

TEST_F(vfio, a_variant_driver_is_a_vfio_device)
{
	fk_add_dev(VF, 12, "mlx5_vfio_pci", true);	/* holds vfio_pci_core */
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_STREQ("mlx5_vfio_pci", self->a->driver);
	EXPECT_TRUE(fk.dev[0].open);
}

TEST_F(vfio, a_vfio_dev_directory_makes_a_vfio_device)
{
	fk_add_dev(VF, 12, "acme_vfio", true);	/* no vfio_pci_core link... */
	fk.dev[0].vfio_dev = true;		/* ...but a vfio-dev directory */
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_TRUE(fk.dev[0].open);
}

TEST_F(vfio, vfpost_bound_vf_opens_on_the_vfpost_path)
{
	fk_add_dev(VF, 12, "vfpost", true);
	fk.vfpost_loaded = false;	/* bound, whatever the module state says */
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(IRQ_PATH_VFPOST, (int)self->a->path);
}

TEST_F(vfio, vfio_pci_built_in_is_known_by_name)
{
	fk_add_dev(VF, 12, "vfio-pci", true);
	fk.dev[0].module[0] = '\0';	/* no driver/module link */
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
}

/*
 * vfio_precheck() (run for every --vfio device before the VM exists) uses
 * the same sysfs detection as vfio_assign(): a variant driver passes, a
 * host driver (even one named like VFIO's) and a missing device do not, a
 * driver that is not vfpost fails --irq-path vfpost; and nothing is opened.
 */
TEST_F(vfio, precheck_decides_as_assign_and_touches_nothing)
{
	fk_add_dev(VF, 12, "mlx5_vfio_pci", true);
	fk_add_dev("0000:03:00.0", 14, "nvme", false);
	fk_add_dev("0000:03:00.1", 15, "vfio-pci-lookalike", false);
	EXPECT_EQ(0, vfio_precheck(VF, IRQ_PATH_AUTO));
	EXPECT_EQ(-1, vfio_precheck(VF, IRQ_PATH_VFPOST));
	EXPECT_EQ(-1, vfio_precheck("0000:03:00.0", IRQ_PATH_AUTO));
	EXPECT_EQ(-1, vfio_precheck("0000:03:00.1", IRQ_PATH_AUTO));
	EXPECT_EQ(-1, vfio_precheck("0000:09:00.0", IRQ_PATH_AUTO));
	EXPECT_EQ(0u, fk.ioctls);
	EXPECT_FALSE(fk.dev[0].open);
	EXPECT_TRUE(fk_clean());
}

TEST_F(vfio, a_host_driver_is_refused_by_name)
{
	fk_add_dev("0000:03:00.0", 14, "nvme", false);
	/* even a driver whose name looks like VFIO's */
	fk_add_dev("0000:03:00.1", 15, "vfio-pci-lookalike", false);
	EXPECT_EQ(NULL, vfio_assign(fk_vm(), "0000:03:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(NULL, vfio_assign(fk_vm(), "0000:03:00.1", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(0u, fk.ioctls);
	EXPECT_TRUE(fk_clean());
}

/* ---- several devices: one container, each group once ---- */

FIXTURE(two) {
	struct vfio_assigned *a, *b;
};

FIXTURE_SETUP(two)
{
	fk_reset();
	self->a = self->b = NULL;
}

FIXTURE_TEARDOWN(two)
{
	vfio_release(self->a);
	vfio_release(self->b);
	fk_teardown();
}

static int fds_of(enum fk_kind kind)
{
	int i, n = 0;

	for (i = 0; i < FK_MAX_FD; i++)
		n += fk.fd[i].kind == kind;
	return n;
}

TEST_F(two, two_functions_of_one_group)
{
	fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
	fk_add_dev("0000:05:00.1", 20, "vfio-pci", true);
	self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	self->b = vfio_assign(fk_vm(), "0000:05:00.1", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->b);
	EXPECT_NE(self->a->pdev.devfn, self->b->pdev.devfn);
	EXPECT_EQ(0x10ca8086u, ecam_read(self->b, PCI_VENDOR_ID, 4));
	EXPECT_EQ(1, fds_of(FK_GROUP));		/* the group opened once */
	EXPECT_EQ(1, fds_of(FK_CONTAINER));
	EXPECT_EQ(2u, fk.map_dma_calls);	/* RAM mapped once, not per device */
	/* the first one goes; the other keeps group, container and mappings */
	vfio_release(self->a);
	self->a = NULL;
	EXPECT_TRUE(fk.dev[1].open);
	EXPECT_EQ(1, fds_of(FK_GROUP));
	EXPECT_EQ(2, fk.cont[0].nr_maps);
	vfio_release(self->b);
	self->b = NULL;
	EXPECT_TRUE(fk_clean());
}

TEST_F(two, two_groups_one_container)
{
	fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
	fk_add_dev("0000:06:00.0", 21, "vfio-pci", true);
	self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	self->b = vfio_assign(fk_vm(), "0000:06:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->b);
	EXPECT_EQ(2, fds_of(FK_GROUP));
	EXPECT_EQ(1, fds_of(FK_CONTAINER));
	EXPECT_EQ(0, fk.group[0].container);
	EXPECT_EQ(0, fk.group[1].container);
	EXPECT_EQ(2u, fk.map_dma_calls);
	/* removal of the first (service thread) leaves the second working */
	vfio_detach(self->a, "test");
	EXPECT_EQ(1, fds_of(FK_GROUP));
	EXPECT_EQ(2, fk.cont[0].nr_maps);
	EXPECT_EQ(0x10ca8086u, ecam_read(self->b, PCI_VENDOR_ID, 4));
	vfio_release(self->a);
	self->a = NULL;
	vfio_release(self->b);
	self->b = NULL;
	EXPECT_TRUE(fk_clean());
}

TEST_F(two, a_failing_second_device_leaves_the_first_intact)
{
	static const unsigned long reqs[] = { VFIO_GROUP_GET_STATUS, VFIO_GROUP_SET_CONTAINER,
					      VFIO_GROUP_GET_DEVICE_FD, VFIO_DEVICE_GET_INFO };
	unsigned int i, same;

	for (same = 0; same < 2; same++) {
		for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
			struct vfio_assigned *b;

			fk_reset();
			fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
			fk_add_dev("0000:05:00.1", same ? 20 : 21, "vfio-pci", true);
			self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
			ASSERT_NE(NULL, self->a);
			fk.fail_req = reqs[i];
			fk.fail_nth = 1;
			fk.fail_errno = EIO;
			b = vfio_assign(fk_vm(), "0000:05:00.1", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
			if (same && reqs[i] != VFIO_GROUP_GET_DEVICE_FD &&
			    reqs[i] != VFIO_DEVICE_GET_INFO) {
				/* the group is already set up: not asked again */
				EXPECT_NE(NULL, b);
				vfio_release(b);
				b = NULL;
			}
			EXPECT_EQ(NULL, b);
			EXPECT_FALSE(fk.dev[1].open);
			EXPECT_TRUE(fk.dev[0].open);
			EXPECT_EQ(1, fds_of(FK_GROUP)) TH_LOG("req %lx same %u", reqs[i], same);
			EXPECT_EQ(1, fds_of(FK_CONTAINER));
			EXPECT_EQ(2, fk.cont[0].nr_maps);
			vfio_release(self->a);
			self->a = NULL;
			EXPECT_TRUE(fk_clean());
		}
	}
}

/* ---- the iommufd backend ---- */

TEST_F(two, auto_picks_iommufd_one_ioas_ram_mapped_once)
{
	fk.iommufd_present = true;
	fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
	fk_add_dev("0000:06:00.0", 21, "vfpost", true);
	fk.dev[0].vfio_dev = fk.dev[1].vfio_dev = true;
	self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	self->b = vfio_assign(fk_vm(), "0000:06:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->b);
	EXPECT_EQ(VFIO_BACKEND_IOMMUFD, (int)self->a->backend);
	EXPECT_EQ(1, fds_of(FK_IOMMUFD));
	EXPECT_EQ(0, fds_of(FK_CONTAINER));
	EXPECT_EQ(0, fds_of(FK_GROUP));
	EXPECT_EQ(2u, fk.ioas_map_calls);	/* once per RAM region */
	EXPECT_EQ(0u, fk.map_dma_calls);
	EXPECT_EQ(2, fk.cont[0].nr_maps);
	EXPECT_TRUE(fk.dev[0].cdev_bound && fk.dev[1].cdev_bound);
	EXPECT_EQ(fk.cont[0].ioas, (uint32_t)fk.dev[0].attached_ioas);
	EXPECT_EQ(fk.cont[0].ioas, (uint32_t)fk.dev[1].attached_ioas);
	/* the first device is reset before guest RAM is mapped */
	EXPECT_EQ(0, fk.dev[0].maps_at_reset);
	EXPECT_EQ(2, fk.dev[1].maps_at_reset);
	/* the device works as through a group: config space, MSI-X */
	EXPECT_EQ(0x10ca8086u, ecam_read(self->b, PCI_VENDOR_ID, 4));
	EXPECT_EQ(IRQ_PATH_VFPOST, (int)self->b->path);
	vfio_release(self->a);
	self->a = NULL;
	EXPECT_EQ(1, fds_of(FK_IOMMUFD));
	EXPECT_EQ(2, fk.cont[0].nr_maps);
	vfio_release(self->b);
	self->b = NULL;
	EXPECT_TRUE(fk_clean());
}

TEST_F(two, backend_choice)
{
	/* no /dev/iommu: auto is the container, iommufd forced is an error */
	fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
	fk.dev[0].vfio_dev = true;
	EXPECT_EQ(NULL, vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_AUTO,
				    VFIO_BACKEND_IOMMUFD));
	EXPECT_EQ(0u, fk.ioctls);
	EXPECT_TRUE(fk_clean());
	self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(VFIO_BACKEND_CONTAINER, (int)self->a->backend);
	vfio_release(self->a);
	self->a = NULL;

	/* /dev/iommu but no cdev for the device: auto is the container */
	fk.iommufd_present = true;
	fk.dev[0].vfio_dev = false;
	self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(VFIO_BACKEND_CONTAINER, (int)self->a->backend);
	vfio_release(self->a);
	self->a = NULL;
	/* ... and iommufd forced says the cdev is missing */
	EXPECT_EQ(NULL, vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_AUTO,
				    VFIO_BACKEND_IOMMUFD));
	EXPECT_TRUE(fk_clean());

	/* both there: container forced is the container */
	fk.dev[0].vfio_dev = true;
	self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_CONTAINER);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(VFIO_BACKEND_CONTAINER, (int)self->a->backend);
	EXPECT_EQ(0, fds_of(FK_IOMMUFD));
	/* a second device cannot force the other backend */
	fk_add_dev("0000:06:00.0", 21, "vfio-pci", true);
	fk.dev[1].vfio_dev = true;
	EXPECT_EQ(NULL, vfio_assign(fk_vm(), "0000:06:00.0", IRQ_PATH_AUTO,
				    VFIO_BACKEND_IOMMUFD));
	EXPECT_FALSE(fk.dev[1].open);
	/* auto follows the first */
	self->b = vfio_assign(fk_vm(), "0000:06:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->b);
	EXPECT_EQ(VFIO_BACKEND_CONTAINER, (int)self->b->backend);
}

TEST_F(two, every_failing_iommufd_ioctl_leaves_no_half_state)
{
	static const struct fail_case cases[] = {
		{ "IOAS_ALLOC", IOMMU_IOAS_ALLOC, 1 },
		{ "BIND_IOMMUFD", VFIO_DEVICE_BIND_IOMMUFD, 1 },
		{ "ATTACH_IOMMUFD_PT", VFIO_DEVICE_ATTACH_IOMMUFD_PT, 1 },
		{ "IOAS_MAP low RAM", IOMMU_IOAS_MAP, 1 },
		{ "IOAS_MAP high RAM", IOMMU_IOAS_MAP, 2 },
		{ "DEVICE_GET_INFO", VFIO_DEVICE_GET_INFO, 1 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fk_reset();
		fk.iommufd_present = true;
		fk_add_dev(VF, 12, "vfio-pci", true);
		fk.dev[0].vfio_dev = true;
		fk.fail_req = cases[i].req;
		fk.fail_nth = cases[i].nth;
		fk.fail_errno = EIO;
		EXPECT_EQ(NULL, vfio_assign(fk_vm(), VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO))
			TH_LOG("%s: assignment went on", cases[i].name);
		EXPECT_EQ(cases[i].nth, fk.seen) TH_LOG("%s: not reached", cases[i].name);
		EXPECT_TRUE(fk_clean()) TH_LOG("%s: state left behind", cases[i].name);
	}
	/* a second device failing to bind leaves the first as it was */
	fk_reset();
	fk.iommufd_present = true;
	fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
	fk_add_dev("0000:06:00.0", 21, "vfio-pci", true);
	fk.dev[0].vfio_dev = fk.dev[1].vfio_dev = true;
	self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_IOMMUFD);
	ASSERT_NE(NULL, self->a);
	fk.fail_req = VFIO_DEVICE_BIND_IOMMUFD;
	fk.fail_nth = 1;
	fk.fail_errno = EBUSY;
	EXPECT_EQ(NULL, vfio_assign(fk_vm(), "0000:06:00.0", IRQ_PATH_VFIO,
				    VFIO_BACKEND_IOMMUFD));
	EXPECT_FALSE(fk.dev[1].open);
	EXPECT_TRUE(fk.dev[0].open);
	EXPECT_EQ(1, fds_of(FK_IOMMUFD));
	EXPECT_EQ(2, fk.cont[0].nr_maps);
}

TEST_HARNESS_MAIN
