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
#define PF	"0000:02:00.0"	/* a physical function: INTx, a ROM */
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

/*
 * As main() does for one device: assign, then map guest RAM; released
 * again if the mapping fails.
 */
static struct vfio_assigned *assign(const char *bdf, enum irq_path path, enum vfio_backend b)
{
	struct vfio_assigned *a = vfio_assign(fk_vm(), bdf, path, b, NULL);

	if (a && vfio_map_guest_ram(a)) {
		vfio_release(a);
		a = NULL;
	}
	return a;
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
	self->a = assign(VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
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
	self->a = assign(VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
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
	self->a = assign(VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
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
	self->a = assign(VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
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
	self->a = assign("0000:02:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
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
	self->a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
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
	self->a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
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
		a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
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
	EXPECT_EQ(NULL, assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO));
	EXPECT_TRUE(fk_clean());
}

TEST_F(vfio, not_a_vfio_device_is_refused_untouched)
{
	fk_add_dev("0000:03:00.0", 14, "e1000e", false);
	EXPECT_EQ(NULL, assign("0000:03:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(0u, fk.ioctls);
	EXPECT_TRUE(fk_clean());
}

/* Without VFIO_IRQ_INFO_NORESIZE a vector is added alone, MSI-X stays on. */
TEST_F(vfio, msix_grows_one_vector_at_a_time_without_noresize)
{
	int efd0, before;

	fk_add_dev(VF, 12, "vfio-pci", true);
	fk.dev[0].noresize = false;
	self->a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
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
	self->a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
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
	self->a = assign(VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_STREQ("mlx5_vfio_pci", self->a->driver);
	EXPECT_TRUE(fk.dev[0].open);
}

TEST_F(vfio, a_vfio_dev_directory_makes_a_vfio_device)
{
	fk_add_dev(VF, 12, "acme_vfio", true);	/* no vfio_pci_core link... */
	fk.dev[0].vfio_dev = true;		/* ...but a vfio-dev directory */
	self->a = assign(VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_TRUE(fk.dev[0].open);
}

TEST_F(vfio, vfpost_bound_vf_opens_on_the_vfpost_path)
{
	fk_add_dev(VF, 12, "vfpost", true);
	fk.vfpost_loaded = false;	/* bound, whatever the module state says */
	self->a = assign(VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(IRQ_PATH_VFPOST, (int)self->a->path);
}

TEST_F(vfio, vfio_pci_built_in_is_known_by_name)
{
	fk_add_dev(VF, 12, "vfio-pci", true);
	fk.dev[0].module[0] = '\0';	/* no driver/module link */
	self->a = assign(VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
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
	EXPECT_EQ(0, vfio_precheck(VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(-1, vfio_precheck(VF, IRQ_PATH_VFPOST, VFIO_BACKEND_AUTO));
	EXPECT_EQ(-1, vfio_precheck("0000:03:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(-1, vfio_precheck("0000:03:00.1", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(-1, vfio_precheck("0000:09:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(0u, fk.ioctls);
	EXPECT_FALSE(fk.dev[0].open);
	EXPECT_TRUE(fk_clean());
}

/* --vfio-backend iommufd without /dev/iommu: refused by the precheck. */
TEST_F(vfio, precheck_refuses_forced_iommufd_without_dev_iommu)
{
	fk_add_dev(VF, 12, "vfio-pci", true);
	fk.dev[0].vfio_dev = true;
	EXPECT_EQ(-1, vfio_precheck(VF, IRQ_PATH_AUTO, VFIO_BACKEND_IOMMUFD));
	EXPECT_EQ(0, vfio_precheck(VF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(0, vfio_precheck(VF, IRQ_PATH_AUTO, VFIO_BACKEND_CONTAINER));
	EXPECT_EQ(0u, fk.ioctls);
	EXPECT_TRUE(fk_clean());
	fk.iommufd_present = true;
	EXPECT_EQ(0, vfio_precheck(VF, IRQ_PATH_AUTO, VFIO_BACKEND_IOMMUFD));
	EXPECT_EQ(0u, fk.ioctls);
	EXPECT_TRUE(fk_clean());
}

TEST_F(vfio, a_host_driver_is_refused_by_name)
{
	fk_add_dev("0000:03:00.0", 14, "nvme", false);
	/* even a driver whose name looks like VFIO's */
	fk_add_dev("0000:03:00.1", 15, "vfio-pci-lookalike", false);
	EXPECT_EQ(NULL, assign("0000:03:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(NULL, assign("0000:03:00.1", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO));
	EXPECT_EQ(0u, fk.ioctls);
	EXPECT_TRUE(fk_clean());
}

/* ---- config space: capabilities, function reset, ROM, PBA ---- */

#define PCIE_CAP	0x50
#define BAR2_GPA	0xc0100000ull
#define ROM_GPA		0xc0200000ull

static void put_cfg(int di, unsigned int off, uint32_t v, unsigned int len)
{
	memcpy(fk.dev[di].cfg + off, &v, len);
}

/*
 * A PCI Express capability v2 at PCIE_CAP after MSI-X, as a VF has one:
 * an endpoint with a link; FLR capable if @flr.  Then a vendor-specific
 * one at VNDR_CAP (hidden: the emulated PM capability goes there).
 */
#define VNDR_CAP	0x90

static void fk_add_pcie(int di, bool flr)
{
	put_cfg(di, 0x40 + PCI_CAP_LIST_NEXT, PCIE_CAP, 1);
	put_cfg(di, PCIE_CAP, PCI_CAP_ID_EXP, 2);
	put_cfg(di, PCIE_CAP + PCI_EXP_FLAGS, 2 | PCI_EXP_TYPE_ENDPOINT << 4, 2);
	put_cfg(di, PCIE_CAP + PCI_EXP_DEVCAP, 0x00008001u | (flr ? PCI_EXP_DEVCAP_FLR : 0), 4);
	put_cfg(di, PCIE_CAP + PCI_EXP_DEVCTL, 0x2810, 2);
	put_cfg(di, PCIE_CAP + PCI_EXP_LNKCAP, 0x00437c12, 4);
	put_cfg(di, PCIE_CAP + PCI_EXP_LNKSTA, 0x1011, 2);
	put_cfg(di, PCIE_CAP + PCI_EXP_DEVCAP2, 0x0070091f, 4);
	put_cfg(di, PCIE_CAP + PCI_EXP_DEVCTL2, 0x0400, 2);
	put_cfg(di, PCIE_CAP + PCI_CAP_LIST_NEXT, VNDR_CAP, 1);
	put_cfg(di, VNDR_CAP, PCI_CAP_ID_VNDR | 0x0c << 16, 4);
}

/*
 * Walk the guest's capability list from 0x34: every pointer dword-aligned
 * in 0x40..0xfc, no capability visited twice, no two overlapping.  Returns
 * how many; @ids gets their IDs and @pos their offsets.
 */
static int walk_caps(struct __test_metadata *_metadata, const struct vfio_assigned *a,
		     uint8_t ids[16], uint8_t pos[16])
{
	static const unsigned int size_of[256] = {
		[PCI_CAP_ID_MSIX] = PCI_CAP_MSIX_SIZEOF,
		[PCI_CAP_ID_EXP] = 0x3c,	/* v2, emulated whole */
		[PCI_CAP_ID_PM] = PCI_PM_SIZEOF,
	};
	bool seen[256] = { false };
	int n = 0, i;
	uint8_t p;

	EXPECT_NE(0u, ecam_read(a, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (p = ecam_read(a, PCI_CAPABILITY_LIST, 1); p; p = ecam_read(a, p + 1, 1)) {
		EXPECT_EQ(0, p & 3);
		EXPECT_TRUE(p >= 0x40 && p <= 0xfc);
		if (seen[p] || n == 16 || p < 0x40 || (p & 3)) {
			TH_LOG("bad or repeated pointer 0x%x", p);
			_metadata->passed = 0;
			break;
		}
		seen[p] = true;
		ids[n] = ecam_read(a, p, 1);
		EXPECT_NE(0u, size_of[ids[n]]) TH_LOG("capability %#x listed", ids[n]);
		EXPECT_LE(p + size_of[ids[n]], 256u);
		for (i = 0; i < n; i++)
			EXPECT_TRUE(p + size_of[ids[n]] <= pos[i] || pos[i] + size_of[ids[i]] <= p)
				TH_LOG("caps at 0x%x and 0x%x overlap", p, pos[i]);
		pos[n++] = p;
	}
	return n;
}

static int cap_pos(const uint8_t *ids, const uint8_t *pos, int n, uint8_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return pos[i];
	return 0;
}

TEST_F(vfio, capability_chain_msix_pcie_and_an_emulated_pm)
{
	uint8_t ids[16], pos[16];
	int n, pm, i;

	fk_add_dev(VF, 12, "vfio-pci", true);
	fk_add_pcie(0, true);
	self->a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	n = walk_caps(_metadata, self->a, ids, pos);
	ASSERT_EQ(3, n);
	EXPECT_EQ(0x40, cap_pos(ids, pos, n, PCI_CAP_ID_MSIX));
	EXPECT_EQ(PCIE_CAP, cap_pos(ids, pos, n, PCI_CAP_ID_EXP));
	pm = cap_pos(ids, pos, n, PCI_CAP_ID_PM);	/* the VF has none: emulated */
	EXPECT_EQ(VNDR_CAP, pm);			/* over the one hidden */
	/* a device with no capability at all gets none: no room known free */
	vfio_release(self->a);
	fk_reset();
	fk_add_dev(VF, 12, "vfio-pci", true);
	fk.dev[0].cfg[PCI_STATUS] = 0;
	for (i = 0x40; i < 0x50; i++)
		fk.dev[0].cfg[i] = 0xff;	/* stale bytes behind no list */
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO, NULL);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(0u, ecam_read(self->a, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	EXPECT_EQ(0u, ecam_read(self->a, PCI_CAPABILITY_LIST, 1));
	EXPECT_EQ(0xffu, ecam_read(self->a, 0x48, 1));	/* the device's bytes */
}

TEST_F(vfio, pcie_capability_is_an_integrated_endpoint)
{
	unsigned int p = PCIE_CAP;

	fk_add_dev(VF, 12, "vfio-pci", true);
	fk_add_pcie(0, true);
	self->a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	/* version 2, Root Complex Integrated Endpoint, no slot */
	EXPECT_EQ(2u | PCI_EXP_TYPE_RC_END << 4, ecam_read(self->a, p + PCI_EXP_FLAGS, 2));
	EXPECT_EQ(0x00008001u | PCI_EXP_DEVCAP_FLR, ecam_read(self->a, p + PCI_EXP_DEVCAP, 4));
	EXPECT_EQ(0x2810u, ecam_read(self->a, p + PCI_EXP_DEVCTL, 2));
	EXPECT_EQ(0x0070091fu, ecam_read(self->a, p + PCI_EXP_DEVCAP2, 4));
	EXPECT_EQ(0x0400u, ecam_read(self->a, p + PCI_EXP_DEVCTL2, 2));
	/* no link, slot or root registers */
	EXPECT_EQ(0u, ecam_read(self->a, p + PCI_EXP_LNKCAP, 4));
	EXPECT_EQ(0u, ecam_read(self->a, p + PCI_EXP_LNKCTL, 4));
	EXPECT_EQ(0u, ecam_read(self->a, p + PCI_EXP_SLTCAP, 4));
	/* Device Control reaches the device; Device Status is write-1-to-clear */
	fk.dev[0].cfg[p + PCI_EXP_DEVSTA] = PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_URD;
	ecam_write(self->a, p + PCI_EXP_DEVCTL, 4, 0x2830u | PCI_EXP_DEVSTA_CED << 16);
	EXPECT_EQ(0x30, fk.dev[0].cfg[p + PCI_EXP_DEVCTL]);
	EXPECT_EQ(PCI_EXP_DEVSTA_CED, fk.dev[0].cfg[p + PCI_EXP_DEVSTA]);	/* the 1 to clear */
	EXPECT_EQ(1u, fk.dev[0].resets);	/* no FLR asked */
	/* writes to the emulated flags and link registers go nowhere */
	ecam_write(self->a, p + PCI_EXP_FLAGS, 2, 0xffff);
	ecam_write(self->a, p + PCI_EXP_LNKCTL, 2, 0xffff);
	EXPECT_EQ(2u | PCI_EXP_TYPE_RC_END << 4, ecam_read(self->a, p + PCI_EXP_FLAGS, 2));
	EXPECT_EQ(0x11, fk.dev[0].cfg[p + PCI_EXP_LNKSTA]);	/* untouched */
	EXPECT_EQ(0u, fk.dev[0].cfg[p + PCI_EXP_LNKCTL]);
}

/* Guest: MSI-X on, vector 0 unmasked: VFIO has it. */
static void guest_msix_on(const struct vfio_assigned *a)
{
	guest_msix_entry(0, 0x4041, false);
	ecam_write(a, MSIX_CTRL, 2, PCI_MSIX_FLAGS_ENABLE);
}

TEST_F(vfio, guest_flr_is_a_vfio_reset_with_msix_back_to_reset_state)
{
	uint32_t entry[4];
	int i, sets;

	fk_add_dev(VF, 12, "vfio-pci", true);
	fk_add_pcie(0, true);
	self->a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	guest_enable_bar0(self->a);
	guest_msix_on(self->a);
	ASSERT_NE(0u, fk.dev[0].msix_enabled);
	ASSERT_EQ(1, fk.nr_irqfd);
	/* pcie_flr(): set Initiate FLR in Device Control */
	ecam_write(self->a, PCIE_CAP + PCI_EXP_DEVCTL, 2, 0x2810 | PCI_EXP_DEVCTL_BCR_FLR);
	EXPECT_EQ(2u, fk.dev[0].resets);
	EXPECT_EQ(0u, fk.dev[0].msix_at_reset);	/* MSI-X off in VFIO first */
	EXPECT_EQ(0, fk.dev[0].cfg[PCIE_CAP + PCI_EXP_DEVCTL + 1] & 0x80);	/* not forwarded */
	EXPECT_EQ(0u, ecam_read(self->a, PCIE_CAP + PCI_EXP_DEVCTL, 2) & PCI_EXP_DEVCTL_BCR_FLR);
	/* as a reset leaves it: decoding off, MSI-X off, every entry masked */
	EXPECT_EQ(0u, ecam_read(self->a, PCI_COMMAND, 2));
	EXPECT_EQ((uint32_t)(FK_NR_VEC - 1), ecam_read(self->a, MSIX_CTRL, 2));
	EXPECT_EQ(0, fk_io_live());
	EXPECT_EQ(0, fk.memslots_live);
	EXPECT_EQ(0, fk.nr_irqfd);
	EXPECT_EQ(0, fk.gsi_live);
	EXPECT_EQ((uint32_t)BAR0_GPA, ecam_read(self->a, PCI_BASE_ADDRESS_0, 4));	/* kept */
	guest_enable_bar0(self->a);
	for (i = 0; i < 4; i++)
		fk_mmio(BAR0_GPA + 4 * i, &entry[i], 4, false);
	EXPECT_EQ(0u, entry[0] | entry[1] | entry[2]);
	EXPECT_EQ((uint32_t)PCI_MSIX_ENTRY_CTRL_MASKBIT, entry[3]);
	/* the guest driver sets MSI-X up again and it works */
	sets = fk.nr_sets;
	guest_msix_on(self->a);
	EXPECT_NE(0u, fk.dev[0].msix_enabled);
	EXPECT_EQ(1, fk.nr_irqfd);
	EXPECT_LT(sets, fk.nr_sets);
	vfio_release(self->a);
	self->a = NULL;
	EXPECT_TRUE(fk_clean());
}

/*
 * A VF with PCI Express (FLR capable) whose VFIO reset works or not,
 * assigned on the vfio path; returns its PM capability's offset (0: none).
 */
static unsigned int assign_pcie_vf(struct __test_metadata *_metadata,
				   struct vfio_assigned **a, bool no_reset)
{
	uint8_t ids[16], pos[16];
	int n;

	fk_add_dev(VF, 12, "vfio-pci", true);
	fk_add_pcie(0, true);
	fk.dev[0].no_reset = no_reset;
	*a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	if (!*a)
		return 0;
	n = walk_caps(_metadata, *a, ids, pos);
	return cap_pos(ids, pos, n, PCI_CAP_ID_PM);
}

TEST_F(vfio, pm_state_writes_and_pm_reset)
{
	unsigned int pm = assign_pcie_vf(_metadata, &self->a, false), i;

	ASSERT_NE(NULL, self->a);
	ASSERT_NE(0u, pm);
	EXPECT_EQ(3u, ecam_read(self->a, pm + PCI_PM_PMC, 2) & PCI_PM_CAP_VER_MASK);
	EXPECT_EQ(0u, ecam_read(self->a, pm + PCI_PM_CTRL, 2));	/* D0, soft reset */
	guest_enable_bar0(self->a);
	/* D1 and D2 are not offered: ignored */
	ecam_write(self->a, pm + PCI_PM_CTRL, 2, 1);
	EXPECT_EQ(0u, ecam_read(self->a, pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
	ecam_write(self->a, pm + PCI_PM_CTRL, 2, 3);
	EXPECT_EQ(3u, ecam_read(self->a, pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK);
	EXPECT_EQ(1u, fk.dev[0].resets);
	/* pci_pm_reset(): D3hot -> D0 resets the function */
	ecam_write(self->a, pm + PCI_PM_CTRL, 2, 0);
	EXPECT_EQ(0u, ecam_read(self->a, pm + PCI_PM_CTRL, 2));
	EXPECT_EQ(2u, fk.dev[0].resets);
	EXPECT_EQ(0u, ecam_read(self->a, PCI_COMMAND, 2));
	/* D0 -> D0 is no reset */
	ecam_write(self->a, pm + PCI_PM_CTRL, 2, 0);
	EXPECT_EQ(2u, fk.dev[0].resets);
	/* PM control/status never reached the device; the command register did */
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0u, fk.dev[0].cfg_writes[pm + PCI_PM_CTRL + i]) TH_LOG("byte %u", i);
	EXPECT_LT(0u, fk.dev[0].cfg_writes[PCI_COMMAND]);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static void *guest_flr(void *arg)
{
	ecam_write(arg, PCIE_CAP + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	return NULL;
}

/*
 * A guest reset runs VFIO_DEVICE_RESET (here 200 ms) without the device's
 * lock: the relay thread is not held up meanwhile (its interrupts are
 * dropped: they predate the reset).  The PCI bus lock is held throughout
 * (vibevmm-vfio.rst, Guest resets).
 */
TEST_F(vfio, guest_reset_does_not_block_the_relay)
{
	uint64_t t0, waited;
	pthread_t th;
	bool during;

	assign_pcie_vf(_metadata, &self->a, false);
	ASSERT_NE(NULL, self->a);
	guest_enable_bar0(self->a);
	fk.reset_ms = 200;
	ASSERT_EQ(0, pthread_create(&th, NULL, guest_flr, self->a));
	t0 = now_ms();
	while (!fk.in_reset && now_ms() - t0 < 2000)
		usleep(1000);
	ASSERT_TRUE((bool)fk.in_reset);
	t0 = now_ms();
	vfio_irq_relay_event(self->a, VFIO_EP_MSI);
	vfio_irq_relay_event(self->a, 0);
	waited = now_ms() - t0;
	during = fk.in_reset;
	pthread_join(th, NULL);
	EXPECT_TRUE(during) TH_LOG("the relay waited %llu ms, for the reset to end",
				   (unsigned long long)waited);
	EXPECT_LT(waited, 100u);
	EXPECT_EQ(2u, fk.dev[0].resets);
	EXPECT_FALSE(self->a->resetting);
}

/*
 * VFIO_DEVICE_RESET fails -EAGAIN while the host holds the device lock: a
 * guest reset tries again; when it never works, Bus Master is kept off in
 * what reaches the device (the guest still sees its bit).
 */
TEST_F(vfio, guest_reset_retries_eagain_then_keeps_bus_master_off)
{
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, dev_cmd;
	uint64_t t0;

	assign_pcie_vf(_metadata, &self->a, false);
	ASSERT_NE(NULL, self->a);
	guest_enable_bar0(self->a);
	fk.reset_eagain = 1;
	ecam_write(self->a, PCIE_CAP + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	EXPECT_EQ(1u, fk.reset_eagains);
	EXPECT_EQ(2u, fk.dev[0].resets);	/* at start, then the retry */
	ecam_write(self->a, PCI_COMMAND, 2, cmd);
	memcpy(&dev_cmd, fk.dev[0].cfg + PCI_COMMAND, 2);
	EXPECT_EQ(cmd, dev_cmd & cmd);
	/* never works: bounded tries, no bus mastering in the device */
	fk.reset_eagain = -1;
	t0 = now_ms();
	ecam_write(self->a, PCIE_CAP + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	EXPECT_LT(now_ms() - t0, 500u);
	EXPECT_EQ(6u, fk.reset_eagains);
	EXPECT_EQ(2u, fk.dev[0].resets);
	ecam_write(self->a, PCI_COMMAND, 2, cmd);
	EXPECT_EQ(cmd, ecam_read(self->a, PCI_COMMAND, 2));
	memcpy(&dev_cmd, fk.dev[0].cfg + PCI_COMMAND, 2);
	EXPECT_EQ(PCI_COMMAND_MEMORY, dev_cmd & cmd);
	/* the next reset that works lets it through again */
	fk.reset_eagain = 0;
	ecam_write(self->a, PCIE_CAP + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	EXPECT_EQ(3u, fk.dev[0].resets);
	ecam_write(self->a, PCI_COMMAND, 2, cmd);
	memcpy(&dev_cmd, fk.dev[0].cfg + PCI_COMMAND, 2);
	EXPECT_EQ(cmd, dev_cmd & cmd);
}

TEST_F(vfio, no_vfio_reset_no_flr_and_no_soft_reset)
{
	unsigned int pm = assign_pcie_vf(_metadata, &self->a, true);

	ASSERT_NE(NULL, self->a);
	ASSERT_NE(0u, pm);
	EXPECT_EQ(0u, ecam_read(self->a, PCIE_CAP + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR);
	EXPECT_EQ((unsigned int)PCI_PM_CTRL_NO_SOFT_RESET, ecam_read(self->a, pm + PCI_PM_CTRL, 2));
	guest_enable_bar0(self->a);
	ecam_write(self->a, PCIE_CAP + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	ecam_write(self->a, pm + PCI_PM_CTRL, 2, 3);
	ecam_write(self->a, pm + PCI_PM_CTRL, 2, 0);
	EXPECT_EQ(0u, fk.dev[0].resets);
	/* nothing was reset: decoding still on */
	EXPECT_EQ((uint32_t)(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
		  ecam_read(self->a, PCI_COMMAND, 2));
	/* and a device without FLR capability shows none either */
	vfio_release(self->a);
	fk_reset();
	fk_add_dev(VF, 12, "vfio-pci", true);
	fk_add_pcie(0, false);
	self->a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(0u, ecam_read(self->a, PCIE_CAP + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR);
	ecam_write(self->a, PCIE_CAP + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	EXPECT_EQ(1u, fk.dev[0].resets);
}

/*
 * A PF-like device with a ROM (VFs have none, SR-IOV 3.4.1.12): the ROM
 * is read once at assignment and guest reads are served from memory.
 */
TEST_F(vfio, rom_bar_sized_placed_read_only)
{
	uint32_t v = 0xdeadbeef;
	unsigned int reads;
	uint8_t b[4];

	fk_add_dev(PF, 12, "vfio-pci", false);
	fk.dev[0].rom_size = 0x8000;
	self->a = assign(PF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	reads = fk.dev[0].rom_reads;
	EXPECT_LT(0u, reads);
	/* placed by vibevmm, disabled */
	EXPECT_NE(0u, ecam_read(self->a, PCI_ROM_ADDRESS, 4) & PCI_ROM_ADDRESS_MASK);
	EXPECT_EQ(0u, ecam_read(self->a, PCI_ROM_ADDRESS, 4) & PCI_ROM_ADDRESS_ENABLE);
	/* sizing */
	ecam_write(self->a, PCI_ROM_ADDRESS, 4, PCI_ROM_ADDRESS_MASK);
	EXPECT_EQ(0xffff8000u, ecam_read(self->a, PCI_ROM_ADDRESS, 4));
	/* placed and enabled, with memory decoding: trapped, read-only */
	ecam_write(self->a, PCI_ROM_ADDRESS, 4, (uint32_t)ROM_GPA | PCI_ROM_ADDRESS_ENABLE);
	EXPECT_EQ((uint32_t)ROM_GPA | PCI_ROM_ADDRESS_ENABLE,
		  ecam_read(self->a, PCI_ROM_ADDRESS, 4));
	EXPECT_FALSE(fk_mmio(ROM_GPA, b, 4, false));	/* memory decoding off */
	ecam_write(self->a, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ASSERT_TRUE(fk_mmio(ROM_GPA, b, 4, false));
	EXPECT_EQ(0x55, b[0]);
	EXPECT_EQ(0xaa, b[1]);
	EXPECT_EQ(2, b[2]);
	ASSERT_TRUE(fk_mmio(ROM_GPA + 0x7ffc, &v, 4, true));	/* ignored */
	ASSERT_TRUE(fk_mmio(ROM_GPA + 0x7ffc, b, 4, false));
	EXPECT_EQ(0xfc, b[0]);
	EXPECT_EQ(reads, fk.dev[0].rom_reads);	/* none since assignment */
	/* the enable bit off: gone */
	ecam_write(self->a, PCI_ROM_ADDRESS, 4, (uint32_t)ROM_GPA);
	EXPECT_FALSE(fk_mmio(ROM_GPA, b, 4, false));
	EXPECT_EQ(1, fk_io_live());	/* BAR0's trap only */
	vfio_release(self->a);
	self->a = NULL;
	EXPECT_TRUE(fk_clean());
}

TEST_F(vfio, rom_bar_hidden_with_rom_off_or_absent)
{
	struct vfio_dev_opts off = { .rom_off = true };
	uint8_t b[4];

	fk_add_dev(VF, 12, "vfio-pci", true);
	fk.dev[0].rom_size = 0x8000;
	self->a = vfio_assign(fk_vm(), VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO, &off);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(0u, ecam_read(self->a, PCI_ROM_ADDRESS, 4));
	ecam_write(self->a, PCI_ROM_ADDRESS, 4, 0xffffffff);
	EXPECT_EQ(0u, ecam_read(self->a, PCI_ROM_ADDRESS, 4));
	ecam_write(self->a, PCI_ROM_ADDRESS, 4, (uint32_t)ROM_GPA | PCI_ROM_ADDRESS_ENABLE);
	ecam_write(self->a, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	EXPECT_FALSE(fk_mmio(ROM_GPA, b, 4, false));
	vfio_release(self->a);
	/* a device without ROM: nothing either */
	fk.dev[0].rom_size = 0;
	self->a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	ecam_write(self->a, PCI_ROM_ADDRESS, 4, 0xffffffff);
	EXPECT_EQ(0u, ecam_read(self->a, PCI_ROM_ADDRESS, 4));
}

TEST_F(vfio, msix_pba_in_another_bar)
{
	uint64_t pba = 0;

	fk_add_dev(VF, 12, "vfio-pci", true);
	fk.dev[0].bar2_size = 0x1000;
	put_cfg(0, PCI_BASE_ADDRESS_2, 0, 4);
	put_cfg(0, 0x40 + PCI_MSIX_PBA, 2, 4);	/* BIR 2, offset 0 */
	self->a = assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(0, self->a->msix_bar);
	EXPECT_EQ(2, self->a->msix_pba_bar);
	guest_enable_bar0(self->a);
	ecam_write(self->a, PCI_BASE_ADDRESS_2, 4, (uint32_t)BAR2_GPA);
	EXPECT_EQ(2, fk_io_live());	/* a trap over each BAR */
	/* the PBA is read from the model through BAR2, the table in BAR0 */
	pthread_mutex_lock(&self->a->lock);
	msix_set_pending(&self->a->msix, 3);
	pthread_mutex_unlock(&self->a->lock);
	ASSERT_TRUE(fk_mmio(BAR2_GPA, &pba, 8, false));
	EXPECT_EQ(1ull << 3, pba);
	guest_msix_on(self->a);
	EXPECT_NE(0u, fk.dev[0].msix_enabled);
	EXPECT_EQ(1, fk.nr_irqfd);
	/* BAR0 at the PBA's offset is no longer the PBA */
	pba = 0;
	ASSERT_TRUE(fk_mmio(BAR0_GPA + FK_PBA_OFF, &pba, 8, false));
	EXPECT_EQ(0u, pba);
	vfio_release(self->a);
	self->a = NULL;
	EXPECT_TRUE(fk_clean());
}

TEST_F(vfio, msix_pba_outside_its_bar_is_refused)
{
	fk_add_dev(VF, 12, "vfio-pci", true);
	put_cfg(0, 0x40 + PCI_MSIX_PBA, 2, 4);	/* BIR 2, not implemented */
	EXPECT_EQ(NULL, assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO));
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
	self->a = assign("0000:05:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	self->b = assign("0000:05:00.1", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
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

/* Every device is reset before guest RAM is mapped for DMA, the second too. */
TEST_F(two, every_device_reset_before_the_first_dma_map)
{
	fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
	fk_add_dev("0000:06:00.0", 21, "vfio-pci", true);
	self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO, NULL);
	ASSERT_NE(NULL, self->a);
	self->b = vfio_assign(fk_vm(), "0000:06:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO, NULL);
	ASSERT_NE(NULL, self->b);
	EXPECT_EQ(0u, fk.map_dma_calls);	/* nothing mapped while assigning */
	ASSERT_EQ(0, vfio_map_guest_ram(self->a));
	EXPECT_EQ(2u, fk.map_dma_calls);
	EXPECT_EQ(1u, fk.dev[0].resets);
	EXPECT_EQ(1u, fk.dev[1].resets);
	EXPECT_EQ(0, fk.dev[0].maps_at_reset);
	EXPECT_EQ(0, fk.dev[1].maps_at_reset);
	/* mapped once: a second call maps nothing more */
	ASSERT_EQ(0, vfio_map_guest_ram(self->b));
	EXPECT_EQ(2u, fk.map_dma_calls);
}

TEST_F(two, two_groups_one_container)
{
	fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
	fk_add_dev("0000:06:00.0", 21, "vfio-pci", true);
	self->a = assign("0000:05:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	self->b = assign("0000:06:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
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
			self->a = assign("0000:05:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
			ASSERT_NE(NULL, self->a);
			fk.fail_req = reqs[i];
			fk.fail_nth = 1;
			fk.fail_errno = EIO;
			b = assign("0000:05:00.1", IRQ_PATH_VFIO, VFIO_BACKEND_AUTO);
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
	/* as main() does: every device, then the mapping */
	self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO, NULL);
	ASSERT_NE(NULL, self->a);
	self->b = vfio_assign(fk_vm(), "0000:06:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO, NULL);
	ASSERT_NE(NULL, self->b);
	ASSERT_EQ(0, vfio_map_guest_ram(self->b));
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
	/* both devices are reset before guest RAM is mapped */
	EXPECT_EQ(0, fk.dev[0].maps_at_reset);
	EXPECT_EQ(0, fk.dev[1].maps_at_reset);
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
	EXPECT_EQ(NULL, assign("0000:05:00.0", IRQ_PATH_AUTO,
				    VFIO_BACKEND_IOMMUFD));
	EXPECT_EQ(0u, fk.ioctls);
	EXPECT_TRUE(fk_clean());
	self->a = assign("0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(VFIO_BACKEND_CONTAINER, (int)self->a->backend);
	vfio_release(self->a);
	self->a = NULL;

	/* /dev/iommu but no cdev for the device: auto is the container */
	fk.iommufd_present = true;
	fk.dev[0].vfio_dev = false;
	self->a = assign("0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(VFIO_BACKEND_CONTAINER, (int)self->a->backend);
	vfio_release(self->a);
	self->a = NULL;
	/* ... and iommufd forced says the cdev is missing */
	EXPECT_EQ(NULL, assign("0000:05:00.0", IRQ_PATH_AUTO,
				    VFIO_BACKEND_IOMMUFD));
	EXPECT_TRUE(fk_clean());

	/* both there: container forced is the container */
	fk.dev[0].vfio_dev = true;
	self->a = assign("0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_CONTAINER);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(VFIO_BACKEND_CONTAINER, (int)self->a->backend);
	EXPECT_EQ(0, fds_of(FK_IOMMUFD));
	/* a second device cannot force the other backend */
	fk_add_dev("0000:06:00.0", 21, "vfio-pci", true);
	fk.dev[1].vfio_dev = true;
	EXPECT_EQ(NULL, assign("0000:06:00.0", IRQ_PATH_AUTO,
				    VFIO_BACKEND_IOMMUFD));
	EXPECT_FALSE(fk.dev[1].open);
	/* auto follows the first */
	self->b = assign("0000:06:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->b);
	EXPECT_EQ(VFIO_BACKEND_CONTAINER, (int)self->b->backend);
}

/*
 * /dev/iommu and the cdevs are root-only by default, /dev/vfio/vfio is not:
 * on auto, a refused open means the container, not a failure; forced
 * iommufd still fails.  Other errors are not a reason to switch.
 */
TEST_F(two, auto_falls_back_to_the_container_when_iommufd_is_refused)
{
	static const int refused[] = { EACCES, EPERM };
	unsigned int i, which;

	fk.iommufd_present = true;
	fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
	fk.dev[0].vfio_dev = true;
	for (which = 0; which < 2; which++) {
		for (i = 0; i < 2; i++) {
			fk.iommufd_open_errno = which ? 0 : refused[i];
			fk.cdev_open_errno = which ? refused[i] : 0;
			self->a = assign("0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
			ASSERT_NE(NULL, self->a);
			EXPECT_EQ(VFIO_BACKEND_CONTAINER, (int)self->a->backend);
			EXPECT_EQ(0, fds_of(FK_IOMMUFD));
			vfio_release(self->a);
			self->a = NULL;
			EXPECT_EQ(NULL, assign("0000:05:00.0", IRQ_PATH_AUTO,
					       VFIO_BACKEND_IOMMUFD));
			EXPECT_TRUE(fk_clean());
		}
	}
	/* allowed again: iommufd, and no descriptor of the probe is left */
	fk.iommufd_open_errno = fk.cdev_open_errno = 0;
	self->a = assign("0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO);
	ASSERT_NE(NULL, self->a);
	EXPECT_EQ(VFIO_BACKEND_IOMMUFD, (int)self->a->backend);
	EXPECT_EQ(1, fds_of(FK_IOMMUFD));
	EXPECT_EQ(1, fds_of(FK_DEVICE));
}

/* What vibevmm prints on stderr while @fn(@arg) runs, into @out. */
static int with_stderr(int (*fn)(struct vfio_assigned *), struct vfio_assigned *arg,
		       char *out, size_t len)
{
	FILE *tmp = tmpfile();
	int saved, ret;
	size_t n;

	if (!tmp)
		return -1000;
	fflush(stderr);
	saved = dup(2);
	if (saved < 0 || dup2(fileno(tmp), 2) < 0)
		return -1000;
	ret = fn(arg);
	fflush(stderr);
	if (dup2(saved, 2) < 0)
		ret = -1000;
	close(saved);
	rewind(tmp);
	n = fread(out, 1, len - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return ret;
}

/*
 * Guest RAM the host IOMMU cannot map (a 39-bit VT-d, AMD's window below
 * 1 TiB): the error names the region and the ranges the IOMMU allows,
 * asked of the container (type1 IOVA range capability) or of the IOAS.
 */
TEST_F(two, ram_outside_the_iommus_iova_ranges_is_named)
{
	static const enum vfio_backend backends[] = {
		VFIO_BACKEND_CONTAINER, VFIO_BACKEND_IOMMUFD };
	char err[1024];
	unsigned int i;

	fk.iommufd_present = true;
	fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
	fk.dev[0].vfio_dev = true;
	for (i = 0; i < 2; i++) {
		/* ranges that hold all RAM: no question asked */
		fk.nr_iova = 1;
		fk.iova[0].start = 0;
		fk.iova[0].last = (1ULL << 39) - 1;
		fk.iova_queries = 0;
		self->a = assign("0000:05:00.0", IRQ_PATH_AUTO, backends[i]);
		ASSERT_NE(NULL, self->a);
		EXPECT_EQ(0, vfio_map_guest_ram(self->a));
		EXPECT_EQ(0u, fk.iova_queries);
		vfio_release(self->a);
		self->a = NULL;

		/* high RAM (4 GiB up) beyond a 2 GiB range, and a second range */
		fk.nr_iova = 2;
		fk.iova[0].last = 0x7fffffff;
		fk.iova[1].start = 0xfee00000;
		fk.iova[1].last = 0xfeefffff;
		self->a = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_AUTO, backends[i], NULL);
		ASSERT_NE(NULL, self->a);
		EXPECT_EQ(-EINVAL, with_stderr(vfio_map_guest_ram, self->a, err, sizeof(err)));
		EXPECT_NE(0u, fk.iova_queries);
		EXPECT_NE(NULL, strstr(err, "guest RAM 0x100000000-0x103ffffff is outside the IOVA ranges the host IOMMU allows (0x0-0x7fffffff, 0xfee00000-0xfeefffff)"))
			TH_LOG("%s", err);
		vfio_release(self->a);
		self->a = NULL;
		EXPECT_TRUE(fk_clean());
	}
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
		EXPECT_EQ(NULL, assign(VF, IRQ_PATH_VFIO, VFIO_BACKEND_AUTO))
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
	self->a = assign("0000:05:00.0", IRQ_PATH_VFIO, VFIO_BACKEND_IOMMUFD);
	ASSERT_NE(NULL, self->a);
	fk.fail_req = VFIO_DEVICE_BIND_IOMMUFD;
	fk.fail_nth = 1;
	fk.fail_errno = EBUSY;
	EXPECT_EQ(NULL, assign("0000:06:00.0", IRQ_PATH_VFIO,
				    VFIO_BACKEND_IOMMUFD));
	EXPECT_FALSE(fk.dev[1].open);
	EXPECT_TRUE(fk.dev[0].open);
	EXPECT_EQ(1, fds_of(FK_IOMMUFD));
	EXPECT_EQ(2, fk.cont[0].nr_maps);
}

TEST_HARNESS_MAIN
