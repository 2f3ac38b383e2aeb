// SPDX-License-Identifier: GPL-2.0
/*
 * The lab's NVMe SR-IOV VFs (lab.h): enabled on the PF, given queue and
 * interrupt resources and set online with NVMe Virtualization Management,
 * bound and unbound through sysfs.  Admin commands go to the PF's
 * controller through NVME_IOCTL_ADMIN_CMD, not through nvme-cli: on the
 * debug kernel every process costs a quarter of a second and each nvme-cli
 * run 0.6 s, and one bring-up took 9.5 s that way (2026-12-01).  The PF is
 * the lab's, LAB_PF_BDF.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nvme_ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lab.h"

#define ID_BYTES	4096

/* Admin opcodes and the fields used here (NVMe Base Specification 2.0). */
#define NVME_ADMIN_IDENTIFY	0x06
#define NVME_ADMIN_NS_ATTACH	0x15
#define NVME_ADMIN_VIRT_MGMT	0x1c
#define CNS_ALLOCATED_NS_LIST	0x10
#define CNS_SECONDARY_CTRL_LIST	0x15
#define NS_ATTACH		0
#define NS_DETACH		1
#define VM_ASSIGN_SECONDARY	0x8
#define VM_ONLINE_SECONDARY	0x9
#define VM_RES_VQ		0
#define VM_RES_VI		1

/* One entry of the Secondary Controller List (32 bytes each, from byte 32). */
struct secondary {
	uint16_t id;
	bool online;
};

static int admin(int fd, uint8_t opcode, uint32_t nsid, uint32_t cdw10, uint32_t cdw11,
		 void *data, uint32_t len)
{
	struct nvme_passthru_cmd c = {
		.opcode = opcode, .nsid = nsid, .cdw10 = cdw10, .cdw11 = cdw11,
		.addr = (uintptr_t)data, .data_len = len,
	};
	int ret = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c);

	if (ret < 0)
		return -errno;
	return ret;	/* > 0: the controller's status (SCT and SC) */
}

/* An admin() result for a message: errno text, or the NVMe status. */
static const char *admin_err(int ret)
{
	static char buf[64];

	if (ret < 0)
		return strerror(-ret);
	snprintf(buf, sizeof(buf), "NVMe status %#x", ret & 0x7ff);
	return buf;
}

int lab_pf_bind_nvme(void)
{
	char drv[64], over[64] = "";
	int ret, i;

	ret = lab_driver_of(LAB_PF_BDF, drv, sizeof(drv));
	if (ret || !strcmp(drv, "nvme"))
		return ret;
	if (*drv) {
		fprintf(stderr, "lab-vfs: PF %s is bound to %s, not nvme; unbind it (echo %s > /sys/bus/pci/drivers/%s/unbind)\n",
			LAB_PF_BDF, drv, LAB_PF_BDF, drv);
		return -EBUSY;
	}
	/* An override naming another driver keeps nvme from binding. */
	if (lab_read_file(LAB_PF_SYS "/driver_override", over, sizeof(over)))
		*over = '\0';
	if (*over && strcmp(over, "(null)") && strcmp(over, "nvme")) {
		fprintf(stderr, "lab-vfs: PF %s has driver_override '%s'; clear it (echo > %s/driver_override)\n",
			LAB_PF_BDF, over, LAB_PF_SYS);
		return -EBUSY;
	}
	if (access("/sys/bus/pci/drivers/nvme", F_OK)) {
		ret = lab_modprobe("nvme");
		if (ret) {
			fprintf(stderr, "lab-vfs: PF %s has no driver and nvme does not load: %s\n",
				LAB_PF_BDF, strerror(-ret));
			return ret;
		}
		for (i = 0; i < 100 && access(LAB_PF_SYS "/driver", F_OK); i++)
			usleep(50000);
	}
	if (!access(LAB_PF_SYS "/driver", F_OK))
		return 0;
	ret = lab_write_file("/sys/bus/pci/drivers/nvme/bind", LAB_PF_BDF);
	/* -EBUSY: nvme's own probe bound it meanwhile. */
	if (ret && !access(LAB_PF_SYS "/driver", F_OK))
		ret = 0;
	if (ret)
		fprintf(stderr, "lab-vfs: PF %s had no driver; binding it to nvme: %s (see dmesg)\n",
			LAB_PF_BDF, strerror(-ret));
	return ret;
}

/*
 * The PF's controller, /dev/nvmeN, opened; the nvme driver loaded first.
 * nvme's probe is asynchronous and the device refuses opens until the
 * controller is live: up to 30 s for a PF just bound (the debug kernel's
 * probe under TCG is slow).
 */
static int pf_ctrl_open(void)
{
	char path[PATH_MAX] = "";
	struct dirent *e;
	int i, fd, err;
	DIR *d;

	err = lab_pf_bind_nvme();
	if (err)
		return err;
	for (i = 0; i < 300; i++) {
		d = opendir(LAB_PF_SYS "/nvme");
		while (d && (e = readdir(d)))
			if (!strncmp(e->d_name, "nvme", 4))
				snprintf(path, sizeof(path), "/dev/%.200s", e->d_name);
		if (d)
			closedir(d);
		if (*path) {
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd >= 0)
				return fd;
			err = errno;
		}
		usleep(100000);
	}
	if (err)
		fprintf(stderr, "lab-vfs: %s: %s\n", path, strerror(err));
	else
		fprintf(stderr, "lab-vfs: PF %s has no nvme controller (is it bound to the nvme driver?)\n",
			LAB_PF_BDF);
	return err ? -err : -ENODEV;
}

/* The secondary controller of VF number @vfn (1-based): 0, or -ENOENT. */
static int secondary_of(int fd, int vfn, struct secondary *s)
{
	uint8_t *buf = calloc(1, ID_BYTES), *e;
	int ret, i, n;

	if (!buf)
		return -ENOMEM;
	ret = admin(fd, NVME_ADMIN_IDENTIFY, 0, CNS_SECONDARY_CTRL_LIST, 0, buf, ID_BYTES);
	if (ret) {
		fprintf(stderr, "lab-vfs: Identify (secondary controller list): %s\n",
			admin_err(ret));
		ret = -EIO;
		goto out;
	}
	ret = -ENOENT;
	n = buf[0];
	for (i = 0; i < n && 32 + (i + 1) * 32 <= ID_BYTES; i++) {
		e = buf + 32 + i * 32;
		if ((e[8] | e[9] << 8) != vfn)	/* little-endian fields */
			continue;
		s->id = e[0] | e[1] << 8;
		s->online = e[4] & 1;
		ret = 0;
		break;
	}
out:
	free(buf);
	return ret;
}

/* Whether namespace @nsid is allocated on the PF's subsystem. */
static bool ns_allocated(int fd, uint32_t nsid)
{
	uint32_t *ids = calloc(1, ID_BYTES);
	bool found = false;
	int i;

	if (!ids)
		return false;
	if (!admin(fd, NVME_ADMIN_IDENTIFY, 0, CNS_ALLOCATED_NS_LIST, 0, ids, ID_BYTES))
		for (i = 0; i < ID_BYTES / 4 && ids[i] && !found; i++)
			found = le32toh(ids[i]) == nsid;
	free(ids);
	return found;
}

/* Attach (@sel NS_ATTACH) or detach namespace @nsid to/from controller @id. */
static int ns_attach(int fd, uint32_t nsid, uint16_t id, int sel)
{
	uint16_t *list = calloc(1, ID_BYTES);
	int ret;

	if (!list)
		return -ENOMEM;
	list[0] = htole16(1);
	list[1] = htole16(id);
	ret = admin(fd, NVME_ADMIN_NS_ATTACH, nsid, sel, 0, list, ID_BYTES);
	free(list);
	return ret;
}

static int virt_mgmt(int fd, uint16_t id, int act, int rt, uint16_t nr)
{
	int ret = admin(fd, NVME_ADMIN_VIRT_MGMT, 0, act | rt << 8 | (uint32_t)id << 16, nr,
			NULL, 0);

	if (ret > 0 && act == VM_ASSIGN_SECONDARY)
		fprintf(stderr, "lab-vfs: assigning %u %s resources to secondary controller %u: %s (more than the PF has, or than one VF may have?)\n",
			nr, rt == VM_RES_VQ ? "queue" : "interrupt", id, admin_err(ret));
	else if (ret)
		fprintf(stderr, "lab-vfs: Virtualization Management %#x on controller %u: %s\n",
			act, id, admin_err(ret));
	return ret ? -EIO : 0;
}

/* Resources, private namespace and online state for VF number @vfn. */
static int vf_online(int fd, int vfn, int vq, int vi)
{
	struct secondary s;
	int ret = secondary_of(fd, vfn, &s);

	if (ret) {
		if (ret == -ENOENT)
			fprintf(stderr, "lab-vfs: no secondary controller for VF %d\n", vfn);
		return ret;
	}
	if (s.online)
		return 0;
	/*
	 * VF i sees only its private namespace, nsid i + 1, where the
	 * subsystem has one (scripts/vmtest creates 2..5 detached); QEMU
	 * attaches the shared namespace 1 to every new VF, and a guest given
	 * two VFs would see it as one disk with two paths.  Elsewhere VF i
	 * gets namespace 1.  Already attached or detached (VF offline, not
	 * re-created) is not an error.
	 */
	if (ns_allocated(fd, vfn + 1)) {
		ns_attach(fd, 1, s.id, NS_DETACH);
		ns_attach(fd, vfn + 1, s.id, NS_ATTACH);
	} else {
		ns_attach(fd, 1, s.id, NS_ATTACH);
	}
	ret = virt_mgmt(fd, s.id, VM_ASSIGN_SECONDARY, VM_RES_VQ, vq);
	if (!ret)
		ret = virt_mgmt(fd, s.id, VM_ASSIGN_SECONDARY, VM_RES_VI, vi);
	if (!ret)
		ret = virt_mgmt(fd, s.id, VM_ONLINE_SECONDARY, 0, 0);
	if (!ret)
		ret = secondary_of(fd, vfn, &s);
	if (!ret && !s.online) {
		fprintf(stderr, "lab-vfs: secondary controller %u (VF %d) did not come online\n",
			s.id, vfn);
		ret = -EIO;
	}
	return ret;
}

int lab_set_numvfs(int n)
{
	char val[16];
	long cur;
	int ret;

	ret = lab_pf_bind_nvme();
	if (ret)
		goto out;
	ret = lab_write_file(LAB_PF_SYS "/sriov_drivers_autoprobe", "0");
	if (ret)
		goto out;
	ret = lab_read_long(LAB_PF_SYS "/sriov_numvfs", &cur);
	if (ret || cur == n)
		goto out;
	if (cur && n) {
		ret = lab_write_file(LAB_PF_SYS "/sriov_numvfs", "0");
		if (ret)
			goto out;
	}
	snprintf(val, sizeof(val), "%d", n);
	ret = lab_write_file(LAB_PF_SYS "/sriov_numvfs", val);
out:
	if (ret)
		fprintf(stderr, "lab_set_numvfs(%d): %s\n", n, strerror(-ret));
	return ret;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

int lab_vfs_list(char bdfs[][LAB_BDF_LEN], int max)
{
	char path[PATH_MAX], target[PATH_MAX], *base;
	int n = 0, i;
	ssize_t len;

	for (i = 0; n < max; i++) {
		snprintf(path, sizeof(path), LAB_PF_SYS "/virtfn%d", i);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			break;
		target[len] = '\0';
		base = strrchr(target, '/');
		snprintf(bdfs[n++], LAB_BDF_LEN, "%.*s", LAB_BDF_LEN - 1, base ? base + 1 : target);
	}
	qsort(bdfs, n, LAB_BDF_LEN, by_name);
	return n;
}

int lab_vfs_up_with(int n, int vq, int vi, char bdfs[][LAB_BDF_LEN])
{
	long total;
	int fd, ret, i;

	if (access(LAB_PF_SYS, F_OK)) {
		fprintf(stderr, "lab-vfs: no PF at %s\n", LAB_PF_BDF);
		return -ENODEV;
	}
	ret = lab_read_long(LAB_PF_SYS "/sriov_totalvfs", &total);
	if (ret) {
		fprintf(stderr, "lab-vfs: %s is not an SR-IOV PF (sriov_totalvfs: %s)\n",
			LAB_PF_BDF, strerror(-ret));
		return ret;
	}
	if (n < 1 || n > total) {
		fprintf(stderr, "lab-vfs: N must be 1..%ld\n", total);
		return -EINVAL;
	}
	fd = pf_ctrl_open();
	if (fd < 0)
		return fd;
	/* lab_set_numvfs: drivers_autoprobe off (offline VFs fail to probe). */
	ret = lab_set_numvfs(n);
	for (i = 1; !ret && i <= n; i++)
		ret = vf_online(fd, i, vq, vi);
	close(fd);
	if (ret)
		return ret;
	return lab_vfs_list(bdfs, n) == n ? n : -EIO;
}

int lab_vfs_up(int n, char bdfs[][LAB_BDF_LEN])
{
	return lab_vfs_up_with(n, LAB_VF_QUEUES, LAB_VF_VECTORS, bdfs);
}

int lab_vfs_down(void)
{
	int ret;

	if (access(LAB_PF_SYS, F_OK)) {
		fprintf(stderr, "lab-vfs: no PF at %s\n", LAB_PF_BDF);
		return -ENODEV;
	}
	ret = lab_write_file(LAB_PF_SYS "/sriov_numvfs", "0");
	if (ret)
		fprintf(stderr, "lab-vfs: %s/sriov_numvfs: %s\n", LAB_PF_SYS, strerror(-ret));
	return ret;
}

int lab_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	if (access(path, F_OK)) {
		fprintf(stderr, "lab-vfs: no PCI device %s\n", bdf);
		return -ENODEV;
	}
	if (*driver) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", driver);
		if (!strcmp(driver, "vfio-pci") && access(path, F_OK))
			lab_modprobe("vfio-pci");
		if (access(path, F_OK)) {
			fprintf(stderr, "lab-vfs: driver '%s' is not loaded\n", driver);
			return -ENOENT;
		}
	}
	return lab_sysfs_bind(bdf, driver);
}
