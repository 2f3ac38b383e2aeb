/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lab helpers for selftests: sysfs access, running the project's lab
 * scripts, bringing NVMe VFs online.  All return 0 or a negative errno and
 * print one line to stderr on failure.
 */
#ifndef _SELFTESTS_LAB_H
#define _SELFTESTS_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAB_PF_BDF	"0000:00:03.0"
/* Its sysfs directory. */
#define LAB_PF_SYS	"/sys/bus/pci/devices/" LAB_PF_BDF
#define LAB_MAX_VFS	4
#define LAB_BDF_LEN	16	/* "0000:00:03.1" + NUL, rounded */

/*
 * Project root: $ROOT (set by vmtest) when it has scripts/, else the
 * current directory (an installed selftest tree: its collection
 * directory holds the scripts the suites run, see ksft-install).
 */
const char *lab_root(void);

/*
 * Build directory: $BUILD, else ./build, else the current directory (an
 * installed tree, laid out as build/ for what the suites use: user/,
 * kmod/<release>/, selftests/).
 */
const char *lab_build_dir(void);

/*
 * Whether this machine is the project's lab: booted by scripts/vmtest
 * (vmtest.run= on the kernel command line), QEMU's NVMe SR-IOV PF at
 * LAB_PF_BDF, and the project's scripts at lab_root().  VFPOST_LAB=0
 * hides it (to try the path a machine with real hardware takes).  If
 * not, @why (when given) says what is missing.
 */
bool lab_here(char *why, size_t len);

/*
 * Whether a suite or case that needs the lab may run: lab_here(), and no
 * VFPOST_BDF (a VF given by the user means: leave the machine's SR-IOV
 * setup alone).  If not, @why says why.
 */
bool lab_only_ok(char *why, size_t len);

/*
 * For a suite of which every case needs the lab (@needs: what for): if
 * lab_only_ok() says no, print a TAP plan that skips the whole suite with
 * the reason and exit 4 (KSFT_SKIP).  LAB_ONLY_SUITE() calls it before the
 * harness starts.
 */
void lab_only_suite(const char *needs);
#define LAB_ONLY_SUITE(needs)						\
	static void __attribute__((constructor)) lab_only_suite_check(void) \
	{								\
		lab_only_suite(needs);					\
	}

/*
 * In a kselftest_harness.h FIXTURE_SETUP: skip the case, saying why.  A
 * plain SKIP(return, ...) there would still run the case; this one leaves
 * through the harness's own jump, so the case and its teardown do not run:
 * undo whatever the setup did before calling it.
 */
#define SETUP_SKIP(fmt, ...) SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

/*
 * Bind @bdf to @driver through sysfs alone (driver_override, unbind,
 * drivers_probe; no lab script): for a VF that is not the lab's.  @driver
 * "" unbinds and clears driver_override.
 */
int lab_sysfs_bind(const char *bdf, const char *driver);

/* Run a shell command line (printf-style); returns its exit status. */
int lab_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a command and capture the first @len-1 bytes of its stdout. */
int lab_sh_out(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * In captured output @out: the number after "@key" on the first line that
 * contains @line ("GUEST-BENCH: irq", "completions="), or -1.
 */
long lab_value_of(const char *out, const char *line, const char *key);

int lab_read_file(const char *path, char *buf, size_t len);
int lab_write_file(const char *path, const char *val);
int lab_read_long(const char *path, long *val);
int lab_modprobe(const char *module);

/*
 * The lab's VFs (lib/lab_vfs.c; scripts/lab-vfs is the same code): enable
 * @n VFs on the lab PF, each with @vq queue and @vi interrupt resources,
 * online; fill @bdfs in BDF order.  Returns @n or -errno, having said why
 * on stderr.  lab_vfs_up() gives each VF LAB_VF_QUEUES and LAB_VF_VECTORS.
 */
#define LAB_VF_QUEUES	4
#define LAB_VF_VECTORS	2
int lab_vfs_up_with(int n, int vq, int vi, char bdfs[][LAB_BDF_LEN]);
int lab_vfs_up(int n, char bdfs[][LAB_BDF_LEN]);
int lab_vfs_down(void);
/*
 * Set the lab PF's sriov_numvfs to @n (through 0 if it differs and is not
 * 0) with driver autoprobe off, without bringing the NVMe VFs online.
 */
int lab_set_numvfs(int n);

/*
 * The PF bound to nvme, which sriov_numvfs and the PF's controller need.
 * Loading nvme binds it; with nvme loaded, a run stopped between a PF
 * unbind and its rebind left it unbound: bound here through nvme's own
 * bind file (no driver_override left).  0, or -errno with a line naming
 * what holds it (another driver, another driver_override).
 */
int lab_pf_bind_nvme(void);

/* The current VFs' BDFs, at most @max, in order; returns how many. */
int lab_vfs_list(char bdfs[][LAB_BDF_LEN], int max);

/*
 * Bind @bdf to @driver (loaded; vfio-pci is loaded here) through
 * driver_override; "" unbinds.
 */
int lab_bind(const char *bdf, const char *driver);

/* Name of the driver bound to @bdf into @drv ("" when unbound). */
int lab_driver_of(const char *bdf, char *drv, size_t len);

/* Whether process @pid has a file descriptor on @target (its fd link). */
bool lab_pid_holds(int pid, const char *target);

/* IOMMU group number of @bdf, or -errno. */
int lab_iommu_group(const char *bdf);

/*
 * @bdf's Command register, as the host kernel has it, through sysfs (no
 * driver involved): read into or written from *@cmd.
 */
int lab_command(const char *bdf, uint16_t *cmd, bool write);

/*
 * Path of vfpost.ko built for the running kernel; where none is built (an
 * installed selftest tree), "vfpost", the installed module's name for
 * modinfo and modprobe.
 */
const char *lab_vfpost_ko(void);

/*
 * Load the module file @ko with the parameters @args ("" for none): 0, or
 * -errno with one line on stderr.  Unload the module @name, retrying for
 * up to @wait_ms while it is in use: 0 (also when it was not loaded), or
 * -errno with one line on stderr (-EWOULDBLOCK: still in use).
 */
int lab_insmod(const char *ko, const char *args);
int lab_rmmod(const char *name, int wait_ms);

/*
 * insmod the test-only module selftests/kmod/@name.ko built for the
 * running kernel, with the module parameters @args ("" for none);
 * lab_rmmod(@name, 0) unloads it.
 */
int lab_test_module_load(const char *name, const char *args);

#endif /* _SELFTESTS_LAB_H */
