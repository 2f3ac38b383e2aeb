// SPDX-License-Identifier: GPL-2.0
/*
 * lab_test: assert the emulated SR-IOV lab itself, so that a broken lab is
 * never mistaken for a broken module.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "lab.h"
#include "vfio_dev.h"

LAB_ONLY_SUITE("it checks the lab itself: its PF, VFs and lab scripts")

TEST(kvm_creates_vm_and_vcpu)
{
	int kvm, vm, vcpu;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, kvm) TH_LOG("/dev/kvm: %m (kvm_amd with nested=1 expected)");
	ASSERT_EQ(KVM_API_VERSION, ioctl(kvm, KVM_GET_API_VERSION, 0));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM: %m");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, vcpu) TH_LOG("KVM_CREATE_VCPU: %m");
	close(vcpu);
	close(vm);
	close(kvm);
}

/*
 * The lab's init holds one VM with one vCPU for the whole run, so that tests
 * creating and destroying VMs and guests do not patch kernel text
 * (__schedule, KVM's APIC paths), and brings the CPUs that booted offline
 * (maxcpus=1) up before the command (Documentation/lab.rst).
 */
TEST(a_vm_and_vcpu_are_held_from_boot)
{
	ASSERT_EQ(0, lab_sh("grep -q '^vm [0-9]* vcpu [0-9]' /run/kvm-hold"))
		TH_LOG("/run/kvm-hold names no VM and vCPU");
	EXPECT_EQ(0, lab_sh("ls -l /proc/[0-9]*/fd 2>/dev/null | grep -q 'anon_inode:kvm-vm'"))
		TH_LOG("no process holds a KVM VM");
	EXPECT_EQ(0, lab_sh("ls -l /proc/[0-9]*/fd 2>/dev/null | grep -q 'anon_inode:kvm-vcpu:0'"))
		TH_LOG("no process holds a KVM vCPU");
}

TEST(every_cpu_is_online_and_trace_records_no_comm)
{
	char online[32], present[32], rec[8];

	ASSERT_EQ(0, lab_sh_out(online, sizeof(online), "tr -d '\\n' < /sys/devices/system/cpu/online"));
	ASSERT_EQ(0, lab_sh_out(present, sizeof(present), "tr -d '\\n' < /sys/devices/system/cpu/present"));
	EXPECT_STREQ(present, online);
	EXPECT_EQ(0, lab_sh("grep -q maxcpus=1 /proc/cmdline")) TH_LOG("the lab booted all CPUs");
	ASSERT_EQ(0, lab_sh_out(rec, sizeof(rec),
				"tr -d '\\n' < /sys/kernel/tracing/options/record-cmd"));
	EXPECT_STREQ("0", rec);
}

TEST(interrupt_remapping_enabled)
{
	char buf[64];

	/* Every MSI goes through the IOMMU's remapping table. */
	ASSERT_EQ(0, lab_sh_out(buf, sizeof(buf),
				"grep -c 'IR-PCI-MSI' /proc/interrupts"));
	ASSERT_LT(0, atoi(buf)) TH_LOG("no IR-PCI-MSI interrupts");
	ASSERT_EQ(0, lab_sh("dmesg | grep -q 'Enabled IRQ remapping'"));
}

TEST(pf_reports_four_total_vfs)
{
	long total;

	ASSERT_EQ(0, lab_read_long(LAB_PF_SYS "/sriov_totalvfs", &total));
	ASSERT_EQ(4, total);
}

/*
 * A PF left unbound with nvme loaded (a run stopped between a PF unbind
 * and its rebind) is bound again by whatever next needs it.
 */
FIXTURE(unbound_pf) {
	char bdf[1][LAB_BDF_LEN];
};

FIXTURE_SETUP(unbound_pf)
{
	char drv[32];

	ASSERT_EQ(0, lab_set_numvfs(0));
	ASSERT_EQ(0, lab_bind(LAB_PF_BDF, ""));
	ASSERT_EQ(0, lab_driver_of(LAB_PF_BDF, drv, sizeof(drv)));
	ASSERT_STREQ("", drv);
}

FIXTURE_TEARDOWN(unbound_pf)
{
	char drv[32];

	/* A failed case leaves no unbound PF to the next. */
	EXPECT_EQ(0, lab_pf_bind_nvme());
	EXPECT_EQ(0, lab_driver_of(LAB_PF_BDF, drv, sizeof(drv)));
	EXPECT_STREQ("nvme", drv);
	EXPECT_EQ(0, lab_vfs_down());
}

/* Bound to nvme, with no driver_override left behind. */
static void expect_pf_on_nvme(struct __test_metadata *_metadata)
{
	char drv[32], over[32];

	ASSERT_EQ(0, lab_driver_of(LAB_PF_BDF, drv, sizeof(drv)));
	EXPECT_STREQ("nvme", drv);
	ASSERT_EQ(0, lab_read_file(LAB_PF_SYS "/driver_override", over, sizeof(over)));
	EXPECT_STREQ("(null)", over);
}

/* The nvme probe and controller wait may take a minute on the debug kernel. */
TEST_F_TIMEOUT(unbound_pf, set_numvfs_binds_it, 120)
{
	long numvfs;

	ASSERT_EQ(0, lab_set_numvfs(1));
	expect_pf_on_nvme(_metadata);
	EXPECT_EQ(0, lab_read_long(LAB_PF_SYS "/sriov_numvfs", &numvfs));
	EXPECT_EQ(1, numvfs);
}

TEST_F_TIMEOUT(unbound_pf, vfs_up_binds_it, 120)
{
	ASSERT_EQ(1, lab_vfs_up(1, self->bdf));
	expect_pf_on_nvme(_metadata);
}

FIXTURE(vfs) {
	char bdf[2][LAB_BDF_LEN];
};

FIXTURE_SETUP(vfs)
{
	ASSERT_EQ(2, lab_vfs_up(2, self->bdf));
}

FIXTURE_TEARDOWN(vfs)
{
	lab_bind(self->bdf[0], "");
	lab_bind(self->bdf[1], "");
	EXPECT_EQ(0, lab_vfs_down());
}

TEST_F(vfs, two_vfs_created_and_online)
{
	char out[4096], link[256], path[128];
	long numvfs;
	ssize_t n;
	int i;

	ASSERT_EQ(0, lab_read_long(LAB_PF_SYS "/sriov_numvfs", &numvfs));
	ASSERT_EQ(2, numvfs);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/physfn",
			 self->bdf[i]);
		n = readlink(path, link, sizeof(link) - 1);
		ASSERT_LT(0, n);
		link[n] = '\0';
		ASSERT_NE(NULL, strstr(link, LAB_PF_BDF));
	}
	/* Both secondary controllers report state 1 (online). */
	ASSERT_EQ(0, lab_sh_out(out, sizeof(out),
		"nvme list-secondary /dev/$(ls " LAB_PF_SYS "/nvme) -o json | "
		"grep -c '\"secondary-controller-state\":1'"));
	ASSERT_EQ(2, atoi(out));
}

TEST_F(vfs, each_vf_in_its_own_iommu_group)
{
	char cmd[128], out[64];
	int g0 = lab_iommu_group(self->bdf[0]);
	int g1 = lab_iommu_group(self->bdf[1]);

	ASSERT_LE(0, g0);
	ASSERT_LE(0, g1);
	ASSERT_NE(g0, g1);
	snprintf(cmd, sizeof(cmd), "ls /sys/kernel/iommu_groups/%d/devices | wc -l", g0);
	ASSERT_EQ(0, lab_sh_out(out, sizeof(out), "%s", cmd));
	ASSERT_EQ(1, atoi(out));
}

TEST_F(vfs, vf_binds_to_vfio_pci_and_opens)
{
	struct vfio_dev d;
	char drv[32];

	ASSERT_EQ(0, lab_bind(self->bdf[0], "vfio-pci"));
	ASSERT_EQ(0, lab_driver_of(self->bdf[0], drv, sizeof(drv)));
	ASSERT_STREQ("vfio-pci", drv);
	ASSERT_EQ(0, vfio_dev_open(&d, self->bdf[0]));
	EXPECT_TRUE(!!(d.info.flags & VFIO_DEVICE_FLAGS_PCI));
	EXPECT_LE((__u32)VFIO_PCI_MSIX_IRQ_INDEX + 1, d.info.num_irqs);
	vfio_dev_close(&d);
}

TEST_F(vfs, vf_msix_capability_reports_table_size)
{
	struct vfio_irq_info irq;
	struct vfio_dev d;
	uint16_t ctrl;
	int cap;

	ASSERT_EQ(0, lab_bind(self->bdf[0], "vfio-pci"));
	ASSERT_EQ(0, vfio_dev_open(&d, self->bdf[0]));
	cap = vfio_dev_find_cap(&d, PCI_CAP_ID_MSIX);
	ASSERT_LT(0, cap);
	ASSERT_EQ(0, vfio_dev_cfg_read(&d, cap + PCI_MSIX_FLAGS, &ctrl, 2));
	/* sriov_max_vi_per_vf=2: two vectors per VF. */
	EXPECT_EQ(2, (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1);
	ASSERT_EQ(0, vfio_dev_irq_info(&d, VFIO_PCI_MSIX_IRQ_INDEX, &irq));
	EXPECT_EQ((__u32)(ctrl & PCI_MSIX_FLAGS_QSIZE) + 1, irq.count);
	vfio_dev_close(&d);
}

TEST_F(vfs, vfs_removed_when_numvfs_returns_to_zero)
{
	char path[128];
	struct stat st;
	int i;

	ASSERT_EQ(0, lab_bind(self->bdf[0], "vfio-pci"));
	ASSERT_EQ(0, lab_vfs_down());
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", self->bdf[i]);
		EXPECT_NE(0, stat(path, &st)) TH_LOG("%s still present", path);
	}
	ASSERT_NE(0, stat(LAB_PF_SYS "/virtfn0", &st));
}

TEST_HARNESS_MAIN
