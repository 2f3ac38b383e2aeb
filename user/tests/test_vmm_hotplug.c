// SPDX-License-Identifier: GPL-2.0
/*
 * Devices added to and removed from a running VM (vmm/devices.c) against
 * the fake VFIO host and VM (tests/vfio_fake.h): 20 add/remove cycles of
 * one VF, the guest using it in between (BAR decoding, MSI-X vectors),
 * leave the fds (the fake's and this process's), memslots, MMIO traps,
 * irqfds, GSI routes, the bus slot and the BAR window as they were; every
 * add resets the device before the guest sees it and every removal resets
 * it before it goes back.  Refusals (bad BDF, already attached, not
 * attached, confined, a failing assignment) change nothing.  With the ACPI
 * hotplug registers (vmm/hotplug.c) and a guest thread playing acpiphp:
 * an add raises GPE 1 and the SCI with the slot in PCIU; a removal asks
 * the guest (PCID) and waits for its _EJ0 (B0EJ), or detaches by force
 * when it does not come in time.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vfio_fake.h"
#include "vmm/acpi.h"
#include "vmm/devices.h"
#include "vmm/hotplug.h"
#include "vmm/log.h"
#include "vmm/vfio_pci.h"

#define VF_BDF		"0000:03:00.2"
#define VF_SHORT	"03:00.2"
#define SLOT1		(1u << 15)	/* ECAM offset of 00:01.0 */

static uint32_t slot1_read(unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	pci_bus_ecam_io(fk.bus, SLOT1 | off, &v, len, false);
	return v;
}

static void slot1_write(unsigned int off, unsigned int len, uint32_t v)
{
	pci_bus_ecam_io(fk.bus, SLOT1 | off, &v, len, true);
}

/* This process's open fds (the VMM's eventfds, epoll, threads' fds). */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* opendir's own */
}

/* The guest: decode BAR0 where the VMM placed it, unmask MSI-X vectors 0, 1. */
static uint32_t guest_uses_device(void)
{
	uint32_t bar = slot1_read(PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	unsigned int vec, i;

	slot1_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	slot1_write(0x40 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	for (vec = 0; vec < 2; vec++) {
		uint32_t e[4] = { 0xfee00000u, 0, 0x40 + vec, 0 };

		for (i = 0; i < 4; i++)
			fk_mmio(bar + 16 * vec + 4 * i, &e[i], 4, true);
	}
	return bar;
}

/* The fake device's open state, read under the fake's lock (threads close it). */
static bool dev_open(void)
{
	bool open;

	pthread_mutex_lock(&fk.lock);
	open = fk.dev[0].open;
	pthread_mutex_unlock(&fk.lock);
	return open;
}

static struct devtab *t;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(hotplug) {
	int fds;
};

FIXTURE_SETUP(hotplug)
{
	fk_reset();
	fk_add_dev(VF_BDF, 7, "vfio-pci", true);
	self->fds = open_fds();
	t = devtab_new(fk_vm(), IRQ_PATH_AUTO, VFIO_BACKEND_AUTO, 10000);
	ASSERT_NE(NULL, t);
}

FIXTURE_TEARDOWN(hotplug)
{
	devtab_free(t);
	t = NULL;
	fk_teardown();
}

TEST_F(hotplug, twenty_cycles_leave_nothing)
{
	struct vmm_device_info info[2];
	uint32_t first_bar = 0, first_rom = 0;
	bool ejected;
	char err[512];
	int cycle;

	fk.dev[0].rom_size = 0x8000;	/* a ROM BAR too: its space comes back as well */
	ASSERT_TRUE(fk_clean());
	ASSERT_EQ(0xffffffffu, slot1_read(PCI_VENDOR_ID, 4));	/* empty slot */
	for (cycle = 0; cycle < 20; cycle++) {
		uint32_t bar;

		ASSERT_EQ(0, devtab_attach(t, cycle & 1 ? VF_SHORT : VF_BDF, -1, NULL, err,
					   sizeof(err))) TH_LOG("cycle %d: %s", cycle, err);
		/* reset once on add, before guest RAM is mapped (a fresh container) */
		EXPECT_EQ(2u * cycle + 1, fk.dev[0].resets);
		EXPECT_EQ(0, fk.dev[0].maps_at_reset);
		EXPECT_EQ(2, fk.cont[0].nr_maps);	/* then guest RAM, once */
		EXPECT_EQ(0x10ca8086u, slot1_read(PCI_VENDOR_ID, 4));
		if (!cycle)
			first_rom = slot1_read(PCI_ROM_ADDRESS, 4);
		EXPECT_NE(0u, first_rom);
		EXPECT_EQ(first_rom, slot1_read(PCI_ROM_ADDRESS, 4)) TH_LOG("cycle %d", cycle);
		ASSERT_EQ(1, devtab_snapshot(t, info, 2));
		EXPECT_STREQ(VF_BDF, info[0].bdf);
		EXPECT_STREQ("00:01.0", info[0].guest);
		EXPECT_TRUE(info[0].attached);

		bar = guest_uses_device();
		if (!cycle)
			first_bar = bar;
		EXPECT_EQ(first_bar, bar);	/* the window's space is reused */
		EXPECT_LT(0, fk.memslots_live);
		EXPECT_EQ(1, fk_io_live());
		EXPECT_EQ(2, fk.nr_irqfd);
		EXPECT_NE(-1, fk_irqfd_gsi(fk.dev[0].msix_fd[1]));	/* KVM delivers it */
		EXPECT_EQ(2, fk.gsi_live);
		ASSERT_EQ(1, devtab_snapshot(t, info, 2));
		EXPECT_TRUE(info[0].msix_enabled);
		EXPECT_EQ(2u, info[0].msix_unmasked);
		EXPECT_EQ(2u, info[0].msix_irqfd);

		ASSERT_EQ(0, devtab_detach(t, cycle & 2 ? VF_SHORT : VF_BDF, 0, &ejected, err,
					   sizeof(err)))
			TH_LOG("cycle %d: %s", cycle, err);
		/* reset before it went back; everything undone */
		EXPECT_EQ(2u * cycle + 2, fk.dev[0].resets);
		EXPECT_FALSE(fk.dev[0].open);
		EXPECT_TRUE(fk_clean()) TH_LOG("cycle %d: fds %d maps %d io %d slots %d irqfd %d gsi %d",
					      cycle, fk_open_fds(), fk.mmaps_live, fk_io_live(),
					      fk.memslots_live, fk.nr_irqfd, fk.gsi_live);
		EXPECT_EQ(0, fk.cont[0].nr_maps);	/* DMA mappings went with the container */
		EXPECT_EQ(0xffffffffu, slot1_read(PCI_VENDOR_ID, 4));
		EXPECT_EQ(0, devtab_snapshot(t, info, 2));
		EXPECT_EQ(self->fds, open_fds()) TH_LOG("cycle %d leaked an fd", cycle);
	}
}

/*
 * A device added while another one's container (or IOAS) already maps
 * guest RAM joins it: no second mapping (type1 replays the container's
 * mappings into a new group's domain, an IOAS is shared); it is reset
 * before it goes on the guest's bus.  Its removal leaves the mapping to
 * the device still there.
 */
static void add_to_mapped(struct __test_metadata *_metadata, bool iommufd)
{
	struct vfio_assigned *first;
	unsigned int maps;
	bool ejected;
	char err[512];

	fk.iommufd_present = iommufd;
	fk_add_dev("0000:05:00.0", 20, "vfio-pci", true);
	fk.dev[0].vfio_dev = fk.dev[1].vfio_dev = iommufd;
	first = vfio_assign(fk_vm(), "0000:05:00.0", IRQ_PATH_AUTO, VFIO_BACKEND_AUTO, NULL);
	ASSERT_NE(NULL, first);
	ASSERT_EQ(0, vfio_map_guest_ram(first));
	ASSERT_EQ(0, devtab_add(t, first));
	maps = fk.map_dma_calls + fk.ioas_map_calls;
	EXPECT_EQ(2u, maps);

	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(maps, fk.map_dma_calls + fk.ioas_map_calls);	/* not mapped twice */
	EXPECT_EQ(2, fk.cont[0].nr_maps);
	EXPECT_EQ(1u, fk.dev[0].resets);
	if (iommufd) {
		EXPECT_EQ(fk.cont[0].ioas, (uint32_t)fk.dev[0].attached_ioas);
	} else {
		EXPECT_EQ(fk.group[1].container, fk.group[0].container);	/* one container */
	}
	ASSERT_EQ(0, devtab_detach(t, VF_BDF, 0, &ejected, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(2u, fk.dev[0].resets);
	EXPECT_EQ(2, fk.cont[0].nr_maps);	/* still mapped for the other device */
	EXPECT_TRUE(fk.dev[1].open);
}

TEST_F(hotplug, added_to_a_mapped_container_maps_nothing_again)
{
	add_to_mapped(_metadata, false);
}

TEST_F(hotplug, added_to_a_mapped_ioas_maps_nothing_again)
{
	add_to_mapped(_metadata, true);
}

TEST_F(hotplug, refusals_change_nothing)
{
	struct vmm_device_info info[2];
	bool ejected;
	char err[512];

	EXPECT_EQ(-EINVAL, devtab_attach(t, "03:00", -1, NULL, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "'03:00' is not a PCI address"));
	EXPECT_EQ(-ENOENT, devtab_detach(t, VF_BDF, 0, &ejected, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, VF_BDF " is not attached to this VM"));
	/* no such device on the host: refused by the checks, nothing claimed */
	EXPECT_EQ(-ENODEV, devtab_attach(t, "0000:03:00.5", -1, NULL, err, sizeof(err)));
	EXPECT_EQ(0u, fk.dev[0].resets);
	EXPECT_TRUE(fk_clean());

	/* the assignment fails half way: undone, not in the table */
	fk.fail_req = VFIO_DEVICE_GET_REGION_INFO;
	fk.fail_nth = 1;
	fk.fail_errno = EIO;
	EXPECT_EQ(-EIO, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "assignment failed and was undone"));
	fk.fail_req = 0;
	EXPECT_EQ(0, devtab_snapshot(t, info, 2));
	EXPECT_TRUE(fk_clean());
	EXPECT_FALSE(fk.dev[0].open);

	ASSERT_EQ(0, devtab_attach(t, VF_BDF, IRQ_PATH_VFIO, NULL, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(-EEXIST, devtab_attach(t, VF_SHORT, -1, NULL, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, VF_BDF " is already attached to this VM (guest 00:01.0)"));
	EXPECT_EQ(1, devtab_snapshot(t, info, 2));
	EXPECT_STREQ("vfio", info[0].irq_path);

	/* confined: no more additions; removal still works */
	devtab_set_confined(t);
	ASSERT_EQ(0, devtab_detach(t, VF_BDF, 0, &ejected, err, sizeof(err)));
	EXPECT_EQ(-EPERM, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "--no-seccomp"));
	EXPECT_TRUE(fk_clean());
	EXPECT_EQ(self->fds, open_fds());
}

/* Wait up to 2 s for the table to hold @n devices. */
static bool table_has(int n)
{
	struct vmm_device_info info[2];
	int i;

	for (i = 0; i < 1000; i++) {
		if (devtab_snapshot(t, info, 2) == n)
			return true;
		usleep(2000);
	}
	return false;
}

/* The host asks for the VF back (VFIO's request interrupt). */
static void host_request(struct __test_metadata *_metadata)
{
	uint64_t one = 1;

	ASSERT_LE(0, fk.dev[0].req_fd);
	ASSERT_EQ(8, write(fk.dev[0].req_fd, &one, 8));
}

TEST_F(hotplug, a_device_the_host_took_back_can_be_added_again)
{
	struct vmm_device_info info[2];
	char err[512];
	bool ejected;

	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	/* no guest notification: the host's request removes it at once */
	host_request(_metadata);
	ASSERT_TRUE(table_has(0));
	EXPECT_FALSE(dev_open());
	EXPECT_TRUE(fk_clean());
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(1, devtab_snapshot(t, info, 2));
	EXPECT_TRUE(info[0].attached);
	ASSERT_EQ(0, devtab_detach(t, VF_BDF, 0, &ejected, err, sizeof(err)));
	EXPECT_TRUE(fk_clean());
	EXPECT_EQ(self->fds, open_fds());
}

/* ---- ACPI hotplug: the guest's side played by a thread ---- */

static int sci_level;		/* under fk.lock: the fake VM's SCI line */

static int fake_sci(void *opaque, unsigned int gsi, int level)
{
	if (gsi != ACPI_SCI_IRQ)
		return -EINVAL;
	pthread_mutex_lock(&fk.lock);
	sci_level = level;
	pthread_mutex_unlock(&fk.lock);
	return 0;
}

static int sci(void)
{
	int l;

	pthread_mutex_lock(&fk.lock);
	l = sci_level;
	pthread_mutex_unlock(&fk.lock);
	return l;
}

static uint32_t reg_read(struct hotplug *hp, unsigned int off)
{
	uint32_t v = 0xdeadbeef;

	hotplug_reg_io(hp, off, &v, 4, false);
	return v;
}

static void reg_write(struct hotplug *hp, unsigned int off, uint32_t v)
{
	hotplug_reg_io(hp, off, &v, 4, true);
}

static void gpe_write(struct hotplug *hp, unsigned int off, uint16_t v)
{
	hotplug_gpe_io(hp, off, &v, 2, true);
}

/* acpiphp's side of one eject: SCI -> _E01 -> PCNT -> Notify (3) -> _EJ0. */
struct guest {
	struct hotplug *hp;
	pthread_t thread;
	bool eject;		/* answer with _EJ0 */
	uint32_t seen_pcid;
};

static void *guest_thread(void *arg)
{
	struct guest *g = arg;
	int i;

	for (i = 0; i < 2000 && !sci(); i++)
		usleep(1000);
	if (!sci())
		return NULL;
	gpe_write(g->hp, 0, 1u << ACPI_GPE_HOTPLUG);	/* edge GPE: status cleared first */
	reg_read(g->hp, ACPI_HP_PCIU);
	g->seen_pcid = reg_read(g->hp, ACPI_HP_PCID);
	if (g->eject)
		reg_write(g->hp, ACPI_HP_B0EJ, g->seen_pcid);	/* driver unbound: _EJ0 */
	return NULL;
}

TEST_F(hotplug, acpi_add_announces_and_removal_waits_for_eject)
{
	struct hotplug *hp = hotplug_new_with(fake_sci, NULL);
	struct guest g = { 0 };
	uint16_t en = 1u << ACPI_GPE_HOTPLUG, sts = 0, w = 0xffff;
	bool ejected;
	char err[512];

	ASSERT_NE(NULL, hp);
	devtab_set_hotplug(t, hp);
	gpe_write(hp, 2, en);				/* the guest enabled GPE 1 */
	EXPECT_EQ(0, sci());

	/* add: slot 1 in PCIU (once: reading clears it), GPE 1 and the SCI up */
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(1, sci());
	hotplug_gpe_io(hp, 0, &sts, 2, false);
	EXPECT_EQ(1u << ACPI_GPE_HOTPLUG, sts);
	EXPECT_EQ(1u << 1, reg_read(hp, ACPI_HP_PCIU));
	EXPECT_EQ(0u, reg_read(hp, ACPI_HP_PCIU));
	gpe_write(hp, 0, 1u << ACPI_GPE_HOTPLUG);	/* handled: status cleared */
	EXPECT_EQ(0, sci());
	/* an _EJ0 of an empty slot is ignored */
	reg_write(hp, ACPI_HP_B0EJ, 1u << 2);
	EXPECT_FALSE(hotplug_ejected(hp, 2));
	EXPECT_FALSE(hotplug_ejected(hp, 1));

	/* removal: the guest ejects it, then it is released */
	g.hp = hp;
	g.eject = true;
	ASSERT_EQ(0, pthread_create(&g.thread, NULL, guest_thread, &g));
	ASSERT_EQ(0, devtab_detach(t, VF_BDF, 5000, &ejected, err, sizeof(err))) TH_LOG("%s", err);
	pthread_join(g.thread, NULL);
	EXPECT_TRUE(ejected);
	EXPECT_EQ(1u << 1, g.seen_pcid);
	EXPECT_EQ(0u, reg_read(hp, ACPI_HP_PCID));	/* done: no longer asked */
	EXPECT_EQ(0, sci());
	EXPECT_TRUE(fk_clean());
	EXPECT_FALSE(dev_open());

	/* a guest that does not eject: forced after the timeout, nothing left */
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	gpe_write(hp, 0, 1u << ACPI_GPE_HOTPLUG);
	reg_read(hp, ACPI_HP_PCIU);
	g.eject = false;
	ASSERT_EQ(0, pthread_create(&g.thread, NULL, guest_thread, &g));
	ASSERT_EQ(0, devtab_detach(t, VF_BDF, 100, &ejected, err, sizeof(err))) TH_LOG("%s", err);
	pthread_join(g.thread, NULL);
	EXPECT_FALSE(ejected);
	EXPECT_EQ(1u << 1, g.seen_pcid);		/* it was asked */
	EXPECT_EQ(0u, reg_read(hp, ACPI_HP_PCID));	/* and the request dropped with the device */
	EXPECT_TRUE(fk_clean());
	EXPECT_EQ(self->fds, open_fds());

	/* odd accesses: not dword-sized or aligned, past the end */
	hotplug_reg_io(hp, ACPI_HP_PCID, &w, 2, false);
	EXPECT_EQ(0, w);
	EXPECT_EQ(0u, reg_read(hp, ACPI_HP_LEN));
	devtab_set_hotplug(t, NULL);
	hotplug_free(hp);
}

/* A table with the ACPI registers and a fast --eject-timeout for the host's removals. */
static struct hotplug *with_acpi(unsigned int eject_ms)
{
	struct hotplug *hp = hotplug_new_with(fake_sci, NULL);
	uint16_t en = 1u << ACPI_GPE_HOTPLUG;

	devtab_free(t);
	t = devtab_new(fk_vm(), IRQ_PATH_AUTO, VFIO_BACKEND_AUTO, eject_ms);
	if (!hp || !t)
		return NULL;
	devtab_set_hotplug(t, hp);
	gpe_write(hp, 2, en);
	return hp;
}

static void without_acpi(struct hotplug *hp)
{
	devtab_set_hotplug(t, NULL);
	hotplug_free(hp);
}

/* The guest checked the slot after an add: PCIU read, GPE handled. */
static void guest_saw_add(struct hotplug *hp)
{
	gpe_write(hp, 0, 1u << ACPI_GPE_HOTPLUG);
	reg_read(hp, ACPI_HP_PCIU);
}

/*
 * The host wants the VF back while the guest runs (the PF disables SR-IOV:
 * VFIO's request interrupt, repeated): the guest is asked, ejects it, then
 * it is released; the VM's other state goes on.
 */
TEST_F(hotplug, host_request_asks_the_guest_first)
{
	struct hotplug *hp = with_acpi(5000);
	struct vmm_device_info info[2];
	struct guest g = { .eject = true };
	char err[512];
	bool ejected;
	int i;

	ASSERT_NE(NULL, hp);
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	guest_saw_add(hp);
	ASSERT_EQ(0, sci());
	g.hp = hp;
	ASSERT_EQ(0, pthread_create(&g.thread, NULL, guest_thread, &g));
	host_request(_metadata);
	pthread_join(g.thread, NULL);
	EXPECT_EQ(1u << 1, g.seen_pcid);	/* asked to eject slot 1 */
	ASSERT_TRUE(table_has(0));
	EXPECT_FALSE(dev_open());
	EXPECT_EQ(1u, fk.dev[0].resets);	/* not reset: the host removes it */
	EXPECT_TRUE(fk_clean());
	EXPECT_EQ(0u, reg_read(hp, ACPI_HP_PCID));

	/* a guest that never ejects: forced after --eject-timeout */
	without_acpi(hp);
	hp = with_acpi(200);
	ASSERT_NE(NULL, hp);
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	guest_saw_add(hp);
	host_request(_metadata);
	host_request(_metadata);	/* VFIO asks again: still one removal */
	for (i = 0; i < 500; i++) {	/* until the removal thread ran */
		ASSERT_EQ(1, devtab_snapshot(t, info, 2));
		if (info[0].removing)
			break;
		usleep(2000);
	}
	EXPECT_TRUE(info[0].removing);
	EXPECT_TRUE(info[0].attached);
	EXPECT_EQ(1u << 1, reg_read(hp, ACPI_HP_PCID));
	/* meanwhile: remove-device and add-device of it are refused */
	EXPECT_EQ(-EBUSY, devtab_detach(t, VF_BDF, 0, &ejected, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "already being removed")) TH_LOG("%s", err);
	EXPECT_EQ(-EBUSY, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "is being removed")) TH_LOG("%s", err);
	ASSERT_TRUE(table_has(0));
	EXPECT_TRUE(fk_clean());
	EXPECT_EQ(0u, reg_read(hp, ACPI_HP_PCID));
	/* the guest's late eject of the now empty slot changes nothing */
	reg_write(hp, ACPI_HP_B0EJ, 1u << 1);
	EXPECT_FALSE(hotplug_ejected(hp, 1));
	without_acpi(hp);
	EXPECT_EQ(self->fds, open_fds());
}

/*
 * The guest ejects a device on its own (slot power off): it is released;
 * a second eject of the slot, or one of an empty slot, changes nothing.
 * A device given at start (not announced) can be ejected too.
 */
TEST_F(hotplug, the_guests_own_eject_releases_the_device)
{
	struct hotplug *hp = with_acpi(5000);
	struct vfio_assigned *a;
	char err[512];

	ASSERT_NE(NULL, hp);
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	guest_saw_add(hp);
	reg_write(hp, ACPI_HP_B0EJ, 1u << 1);
	ASSERT_TRUE(table_has(0));
	EXPECT_FALSE(dev_open());
	EXPECT_EQ(2u, fk.dev[0].resets);
	EXPECT_TRUE(fk_clean());
	reg_write(hp, ACPI_HP_B0EJ, 1u << 1);	/* twice */
	reg_write(hp, ACPI_HP_B0EJ, 1u << 7);	/* no device there */
	EXPECT_FALSE(hotplug_ejected(hp, 1));
	EXPECT_FALSE(hotplug_ejected(hp, 7));
	EXPECT_EQ(0, sci());			/* nothing was raised for them */

	/* as main() hands over a --vfio device */
	a = vfio_assign(fk_vm(), VF_BDF, IRQ_PATH_AUTO, VFIO_BACKEND_AUTO, NULL);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, vfio_map_guest_ram(a));
	ASSERT_EQ(0, devtab_add(t, a));
	reg_write(hp, ACPI_HP_B0EJ, 1u << 1);
	ASSERT_TRUE(table_has(0));
	EXPECT_TRUE(fk_clean());
	without_acpi(hp);
	EXPECT_EQ(self->fds, open_fds());
}

/* remove-device waiting for a guest that does not answer ends when the VM stops. */
static void *stop_soon(void *arg)
{
	usleep(100000);
	devtab_hurry(arg);
	return NULL;
}

TEST_F(hotplug, a_stopping_vm_ends_the_wait)
{
	struct hotplug *hp = with_acpi(5000);
	pthread_t th;
	char err[512];
	bool ejected = true;
	double t0;

	ASSERT_NE(NULL, hp);
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	guest_saw_add(hp);
	ASSERT_EQ(0, pthread_create(&th, NULL, stop_soon, t));
	t0 = now_s();
	ASSERT_EQ(0, devtab_detach(t, VF_BDF, 60000, &ejected, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_GT(5.0, now_s() - t0);
	pthread_join(th, NULL);
	EXPECT_FALSE(ejected);
	EXPECT_TRUE(fk_clean());
	without_acpi(hp);
}

/* Wait up to 2 s for the guest to be asked to eject the slots @mask. */
static bool asked_to_eject(struct hotplug *hp, uint32_t mask)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (reg_read(hp, ACPI_HP_PCID) == mask)
			return true;
		usleep(2000);
	}
	return false;
}

/*
 * The host asks for the VF back while add-device is still setting it up
 * (VFIO's request fires as soon as vibevmm gives it the eventfd, and
 * mapping guest RAM takes 200 ms): the request waits for the add, then
 * the guest is asked to eject the device as for any host request; the add
 * is not torn down under the control socket's thread.
 */
TEST_F(hotplug, a_host_request_during_add_waits_for_it)
{
	struct hotplug *hp = with_acpi(5000);
	char err[512];

	ASSERT_NE(NULL, hp);
	fk.req_at_set = true;
	fk.map_ms = 200;
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	fk.map_ms = 0;
	guest_saw_add(hp);
	ASSERT_TRUE(asked_to_eject(hp, 1u << 1));
	reg_write(hp, ACPI_HP_B0EJ, 1u << 1);	/* the guest's driver let it go */
	ASSERT_TRUE(table_has(0));
	EXPECT_FALSE(dev_open());
	EXPECT_EQ(1u, fk.dev[0].resets);	/* the host removes it: not reset */
	EXPECT_TRUE(fk_clean());
	without_acpi(hp);
	EXPECT_EQ(self->fds, open_fds());
}

/* A second VF on the host (0000:03:00.3); the first added, the guest saw it in slot 1. */
static void first_of_two_added(struct __test_metadata *_metadata, struct hotplug *hp)
{
	char err[512];

	fk_add_dev("0000:03:00.3", 8, "vfio-pci", true);
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	guest_saw_add(hp);
}

/*
 * The guest ejects a VF whose reset takes 300 ms (a real VF's FLR takes
 * 100 ms or more); meanwhile another VF is added and gets the slot the
 * first one left.  The end of the first release must not wipe the second
 * one's slot state: the guest is still told to check the slot and can
 * eject the new device.
 */
TEST_F(hotplug, a_slot_reused_during_a_release_keeps_its_new_device)
{
	struct hotplug *hp = with_acpi(5000);
	struct vmm_device_info info[2];
	char err[512];
	int i;

	ASSERT_NE(NULL, hp);
	first_of_two_added(_metadata, hp);
	fk.reset_ms = 300;
	reg_write(hp, ACPI_HP_B0EJ, 1u << 1);	/* ejected: released by the removal thread */
	for (i = 0; i < 1000 && !atomic_load(&fk.in_reset); i++)
		usleep(2000);
	ASSERT_TRUE(atomic_load(&fk.in_reset));
	fk.reset_ms = 0;
	ASSERT_EQ(0, devtab_attach(t, "0000:03:00.3", -1, NULL, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_TRUE(table_has(1));		/* the first one is gone */
	ASSERT_EQ(1, devtab_snapshot(t, info, 2));
	EXPECT_STREQ("0000:03:00.3", info[0].bdf);
	EXPECT_STREQ("00:01.0", info[0].guest);
	EXPECT_EQ(1u << 1, reg_read(hp, ACPI_HP_PCIU));	/* its announcement stands */
	guest_saw_add(hp);
	reg_write(hp, ACPI_HP_B0EJ, 1u << 1);	/* and the guest can eject it */
	ASSERT_TRUE(table_has(0));
	EXPECT_TRUE(fk_clean());
	without_acpi(hp);
	EXPECT_EQ(self->fds, open_fds());
}

/*
 * The guest was asked to eject slot 1 and did not in time (its driver was
 * slow): the VF was detached by force, but the guest still holds a device
 * there and will call _EJ0 for it when it gets round to it.  The next
 * add-device does not reuse that slot (the late eject would take the new
 * device for the old one and release it from under the guest); once the
 * late eject came, the slot is free again.
 */
TEST_F(hotplug, a_slot_left_by_a_forced_removal_waits_for_the_late_eject)
{
	struct hotplug *hp = with_acpi(5000);
	struct vmm_device_info info[2];
	bool ejected = true;
	char err[512];
	int i;

	ASSERT_NE(NULL, hp);
	first_of_two_added(_metadata, hp);
	ASSERT_EQ(0, devtab_detach(t, VF_BDF, 50, &ejected, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_FALSE(ejected);
	guest_saw_add(hp);			/* the eject request's GPE handled */
	ASSERT_EQ(0, devtab_attach(t, "0000:03:00.3", -1, NULL, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(1, devtab_snapshot(t, info, 2));
	EXPECT_STREQ("00:02.0", info[0].guest);	/* not the slot the guest still holds */
	guest_saw_add(hp);
	reg_write(hp, ACPI_HP_B0EJ, 1u << 1);	/* the late eject of the old device */
	for (i = 0; i < 25; i++) {		/* 50 ms: the new device stays */
		ASSERT_EQ(1, devtab_snapshot(t, info, 2));
		usleep(2000);
	}
	EXPECT_TRUE(info[0].attached);
	EXPECT_FALSE(info[0].removing);
	/* now slot 1 is free again */
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(2, devtab_snapshot(t, info, 2));
	EXPECT_STREQ("00:01.0", info[1].guest);
	ASSERT_EQ(0, devtab_detach(t, VF_BDF, 0, &ejected, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, devtab_detach(t, "0000:03:00.3", 0, &ejected, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_TRUE(fk_clean());
	without_acpi(hp);
	EXPECT_EQ(self->fds, open_fds());
}

/*
 * A reset meeting -EAGAIN (the host holds the device lock for a moment)
 * is tried again at add and at removal, as a guest's reset is: the VF
 * joins and leaves reset.
 */
TEST_F(hotplug, a_busy_reset_is_tried_again)
{
	bool ejected;
	char err[512];

	fk.reset_eagain = 2;
	ASSERT_EQ(0, devtab_attach(t, VF_BDF, -1, NULL, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(1u, fk.dev[0].resets);
	EXPECT_EQ(2u, fk.reset_eagains);
	fk.reset_eagain = 2;
	ASSERT_EQ(0, devtab_detach(t, VF_BDF, 0, &ejected, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(2u, fk.dev[0].resets);
	EXPECT_EQ(4u, fk.reset_eagains);
	EXPECT_TRUE(fk_clean());
}

/* A guest writing B0EJ in a loop: the log lines it causes are rate limited. */
TEST_F(hotplug, a_guest_ejecting_in_a_loop_does_not_flood_the_log)
{
	struct hotplug *hp = hotplug_new_with(fake_sci, NULL);
	int fds[2], saved = dup(STDERR_FILENO), level = log_level, i, lines = 0;
	char buf[65536];
	ssize_t len;

	ASSERT_NE(NULL, hp);
	ASSERT_LE(0, saved);
	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, fcntl(fds[1], F_SETFL, O_NONBLOCK));
	log_level = LOG_VERBOSE;
	ASSERT_LE(0, dup2(fds[1], STDERR_FILENO));
	for (i = 0; i < 500; i++)
		reg_write(hp, ACPI_HP_B0EJ, 1u << (1 + i % 31));	/* empty slots */
	dup2(saved, STDERR_FILENO);
	log_level = level;
	close(fds[1]);
	close(saved);
	len = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	hotplug_free(hp);
	ASSERT_LT(0, len);
	buf[len] = '\0';
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	EXPECT_GE(LOG_RL_BURST + 1, lines) TH_LOG("%d lines:\n%s", lines, buf);
}

/* The DSDT's hotplug AML as ACPICA reads it (iasl, from scripts/setup unit). */
TEST(dsdt_hotplug_aml_compiles)
{
	static uint8_t buf[0x20000];
	struct acpi_layout l = { .nr_cpus = 2, .mmio32_base = VM_PCI_MMIO32_BASE,
				 .mmio32_size = VM_PCI_MMIO32_SIZE, .mmio64_base = 1ULL << 32,
				 .mmio64_size = 64ULL << 30, .io_base = VM_PCI_IO_BASE,
				 .io_size = VM_PCI_IO_SIZE, .ecam_base = VM_ECAM_BASE,
				 .ioapic_base = VM_IOAPIC_BASE, .lapic_base = VM_LAPIC_BASE };
	char dir[] = "/tmp/vmm-dsdt.XXXXXX", cmd[512], *dsl = NULL;
	const uint8_t *fadt = NULL, *dsdt = NULL;
	size_t n, i, len = 0;
	uint32_t dlen = 0;
	FILE *f;

	if (system("command -v iasl > /dev/null 2>&1"))
		SKIP(return, "iasl (acpica-tools) is not installed: scripts/setup unit");
	n = acpi_build_tables(buf, 0xe0000, sizeof(buf), &l);
	ASSERT_LT(0u, n);
	/* tables are 16-byte aligned; the first hit is the header (the OEM ID repeats it) */
	for (i = 0; i + 8 < n; i += 16) {
		if (!fadt && !memcmp(buf + i, "FACP", 4))
			fadt = buf + i;
		if (!dsdt && !memcmp(buf + i, "DSDT", 4))
			dsdt = buf + i;
	}
	ASSERT_NE(NULL, fadt);
	ASSERT_NE(NULL, dsdt);
	EXPECT_EQ((uint32_t)ACPI_GPE0_PORT, *(const uint32_t *)(fadt + 80));
	EXPECT_EQ(ACPI_GPE0_LEN, fadt[92]);
	memcpy(&dlen, dsdt + 4, 4);
	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/dsdt.aml", dir);
	f = fopen(cmd, "w");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1u, fwrite(dsdt, dlen, 1, f));
	fclose(f);
	/* disassemble, compile the result again: both without an error */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && iasl -d dsdt.aml > d.log 2>&1 && iasl -p again dsdt.dsl > c.log 2>&1 && grep -q '0 Errors, 0 Warnings' c.log",
		 dir);
	EXPECT_EQ(0, system(cmd)) TH_LOG("iasl failed: see %s", dir);
	snprintf(cmd, sizeof(cmd), "%s/dsdt.dsl", dir);
	f = fopen(cmd, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(-1, getdelim(&dsl, &len, '\0', f));
	fclose(f);
	EXPECT_NE(NULL, strstr(dsl, "OperationRegion (PHPR, SystemIO, 0x0630, 0x0C)"));
	EXPECT_NE(NULL, strstr(dsl, "Device (SL01)"));
	EXPECT_NE(NULL, strstr(dsl, "Device (SL1F)"));
	EXPECT_NE(NULL, strstr(dsl, "Name (_ADR, 0x001F0000)"));
	EXPECT_NE(NULL, strstr(dsl, "Method (_EJ0, 1, NotSerialized)"));
	EXPECT_NE(NULL, strstr(dsl, "B0EJ = 0x80000000"));
	EXPECT_NE(NULL, strstr(dsl, "Notify (SL1F, 0x03)"));
	EXPECT_NE(NULL, strstr(dsl, "Notify (SL05, One)"));
	EXPECT_NE(NULL, strstr(dsl, "Method (_E01, 0, NotSerialized)"));
	EXPECT_NE(NULL, strstr(dsl, "\\_SB.PCI0.PCNT ()"));
	free(dsl);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	EXPECT_EQ(0, system(cmd));
}

TEST_HARNESS_MAIN
