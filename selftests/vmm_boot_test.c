// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm in the lab (nested KVM): boots Debian's kernel with the busybox
 * initrd from scripts/mkinitrd-guest, checks what the guest sees (CPUs,
 * memory, PCI host bridge, console markers), that guest poweroff and reboot
 * end the VMM with status 0, and that bad input gives one clear error line
 * and a non-zero status.  Every vibevmm run has its own timeout; a hang is
 * a failure.  Runs an L2 guest: kernel 6.1 only (design.md section 3).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lab.h"

#define BOOT_TIMEOUT	480	/* seconds per L2 boot: nested KVM on TCG, shared CPUs */
#define FAST_TIMEOUT	60

static char build_dir[512], root_dir[480], vmm[600], kernel[300];

static void paths(void)
{
	struct utsname u;

	/* The project tree, or an installed selftest tree (lab.h). */
	snprintf(root_dir, sizeof(root_dir), "%.400s", lab_root());
	snprintf(build_dir, sizeof(build_dir), "%.400s", lab_build_dir());
	snprintf(vmm, sizeof(vmm), "%s/user/vibevmm", build_dir);
	uname(&u);
	snprintf(kernel, sizeof(kernel), "/boot/vmlinuz-%s", u.release);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

struct run {
	int status;		/* exit status, or -1 on timeout / signal */
	bool timed_out;
	char *out, *err;
};

/*
 * Run vibevmm with argv (argv[0] ignored), stdout/stderr to files, killing
 * it after timeout seconds.  hide_kvm runs it in a mount namespace with an
 * empty /dev.
 */
static void run_vmm(struct run *r, const char *tag, char *const argv[], int timeout,
		    bool hide_kvm)
{
	char outp[700], errp[700];
	time_t end = time(NULL) + timeout;
	pid_t pid;
	int st;

	memset(r, 0, sizeof(*r));
	snprintf(outp, sizeof(outp), "%s/vmm_boot/%s.out", build_dir, tag);
	snprintf(errp, sizeof(errp), "%s/vmm_boot/%s.err", build_dir, tag);
	pid = fork();
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int n = open("/dev/null", O_RDONLY);

		if (o < 0 || e < 0 || n < 0)
			_exit(126);
		dup2(n, 0);
		dup2(o, 1);
		dup2(e, 2);
		if (hide_kvm) {
			if (unshare(CLONE_NEWNS) ||
			    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    mount("tmpfs", "/dev", "tmpfs", 0, NULL))
				_exit(125);
		}
		execv(vmm, argv);
		_exit(127);
	}
	r->status = -1;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid) {
			if (WIFEXITED(st))
				r->status = WEXITSTATUS(st);
			break;
		}
		if (time(NULL) >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			r->timed_out = true;
			break;
		}
		usleep(100 * 1000);
	}
	r->out = slurp(outp);
	r->err = slurp(errp);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Value after "key=" in s, or -1. */
static long field(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static const char guest_script[] =
	"#!/bin/sh\n"
	"echo VMM-BOOT-MARKER\n"
	"echo pci-devices=$(ls /sys/bus/pci/devices | wc -l)\n"
	"echo host-bridge=$(cat /sys/bus/pci/devices/0000:00:00.0/vendor):"
	"$(cat /sys/bus/pci/devices/0000:00:00.0/device)\n"
	"echo ioapic=$(grep -c IO-APIC /proc/interrupts)\n"
	"echo serial-irq=$(awk '/ttyS0/ { print $1 }' /proc/interrupts)\n"
	"echo online=$(cat /sys/devices/system/cpu/online)\n"
	"exit 0\n";

static const char reboot_script[] =
	"#!/bin/sh\n"
	"echo VMM-REBOOT-MARKER\n"
	"reboot -f\n"
	"sleep 30\n";

static char initrd[700];

/*
 * Build the initrd once per run of this program: every test is a child of
 * the harness process, so its pid names the run's initrd.
 */
static int make_initrd(struct __test_metadata *_metadata)
{
	char dir[600], cmd[3000], p1[700], p2[700];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/vmm_boot", build_dir);
	mkdir(dir, 0755);
	snprintf(initrd, sizeof(initrd), "%s/initrd-%d.cpio.gz", dir, (int)getppid());
	if (!access(initrd, R_OK))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/initrd-*.cpio.gz", dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(p1, sizeof(p1), "%s/check", dir);
	snprintf(p2, sizeof(p2), "%s/reboot", dir);
	f = fopen(p1, "w");
	if (!f)
		return -1;
	fputs(guest_script, f);
	fclose(f);
	f = fopen(p2, "w");
	if (!f)
		return -1;
	fputs(reboot_script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "'%s/scripts/mkinitrd-guest' --kernel \"$(uname -r)\" --modules '' "
		 "--script '%s' --script '%s' -o '%s' >/dev/null", root_dir, p1, p2, initrd);
	if (system(cmd) != 0) {
		TH_LOG("scripts/mkinitrd-guest failed");
		return -1;
	}
	return 0;
}

FIXTURE(vmm) {
	int dummy;
};

FIXTURE_SETUP(vmm)
{
	paths();
	if (access(vmm, X_OK))
		SKIP(return, "%s not built; run 'make user'", vmm);
	ASSERT_EQ(0, make_initrd(_metadata));
}

FIXTURE_TEARDOWN(vmm)
{
}

static void assert_clean_guest(struct __test_metadata *_metadata, const char *out)
{
	static const char *const bad[] = {
		"WARNING: CPU:", "BUG:", "Oops", "Kernel panic", "Call Trace", "ACPI Error",
		"ACPI BIOS Error", "XSAVE consistency",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *hit = strstr(out, bad[i]);

		EXPECT_EQ(NULL, hit) {
			TH_LOG("guest console shows '%.60s'", hit ? hit : "");
		}
	}
}

/* Boot an L2 guest; false (test already failed) on a hang. */
static bool boot_guest(struct __test_metadata *_metadata, struct run *r, const char *tag,
		       char *argv[])
{
	run_vmm(r, tag, argv, BOOT_TIMEOUT, false);
	if (r->timed_out || r->status)
		TH_LOG("vibevmm stderr:\n%s\nguest console tail:\n%s", r->err,
		       strlen(r->out) > 3000 ? r->out + strlen(r->out) - 3000 : r->out);
	EXPECT_FALSE(r->timed_out) {
		TH_LOG("vibevmm did not exit within %d s (hang)", BOOT_TIMEOUT);
	}
	EXPECT_EQ(0, r->status);
	return !r->timed_out;
}

TEST_F_TIMEOUT(vmm, boot_two_cpus_poweroff, BOOT_TIMEOUT + 60)
{
	char *argv[] = { "vibevmm", "--kernel", kernel, "--initrd", initrd, "--mem", "256M",
			 "--cpus", "2", "--cmdline", "guest.script=check", NULL };
	struct run r;
	long kb;

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm missing: nested KVM not available in this lab");
	ASSERT_TRUE(boot_guest(_metadata, &r, "boot2", argv));
	EXPECT_NE(NULL, strstr(r.out, "GUEST-INIT: up cpus=2 "));
	kb = field(r.out, "memtotal_kb=");
	/* 256 MiB minus what the kernel keeps for itself */
	EXPECT_GT(kb, 150 * 1024);
	EXPECT_LE(kb, 256 * 1024);
	EXPECT_NE(NULL, strstr(r.out, "VMM-BOOT-MARKER"));
	EXPECT_NE(NULL, strstr(r.out, "host-bridge=0x1b36:0x0008"));
	EXPECT_EQ(1, field(r.out, "pci-devices="));
	EXPECT_NE(NULL, strstr(r.out, "online=0-1"));
	EXPECT_NE(NULL, strstr(r.out, "serial-irq=4:"));
	EXPECT_LT(0, field(r.out, "ioapic="));
	EXPECT_NE(NULL, strstr(r.out, "GUEST-SCRIPT: exit=0"));
	EXPECT_NE(NULL, strstr(r.out, "ACPI: PM: Preparing to enter system sleep state S5"));
	EXPECT_NE(NULL, strstr(r.err, "guest powered off (ACPI S5)"));
	assert_clean_guest(_metadata, r.out);
	run_free(&r);
}

TEST_F_TIMEOUT(vmm, boot_one_cpu_reboot, BOOT_TIMEOUT + 60)
{
	char *argv[] = { "vibevmm", "--kernel", kernel, "--initrd", initrd, "--mem", "384M",
			 "--cpus", "1", "--cmdline", "guest.script=reboot", NULL };
	struct run r;
	long kb;

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm missing: nested KVM not available in this lab");
	ASSERT_TRUE(boot_guest(_metadata, &r, "reboot1", argv));
	EXPECT_NE(NULL, strstr(r.out, "GUEST-INIT: up cpus=1 "));
	kb = field(r.out, "memtotal_kb=");
	EXPECT_GT(kb, 270 * 1024);
	EXPECT_LE(kb, 384 * 1024);
	EXPECT_NE(NULL, strstr(r.out, "VMM-REBOOT-MARKER"));
	EXPECT_EQ(NULL, strstr(r.out, "GUEST-SCRIPT:"));	/* rebooted before */
	EXPECT_NE(NULL, strstr(r.err, "guest reset"));
	assert_clean_guest(_metadata, r.out);
	run_free(&r);
}

/* ---- --console: raw mode on a pty, restored on every exit path ---- */

enum stop_how { STOP_SIGTERM, STOP_CTRL_A_X, STOP_SIGSEGV };

static void drain(int master)
{
	char buf[4096];

	while (read(master, buf, sizeof(buf)) > 0)
		;
}

/*
 * A pty master.  The lab's root has no devpts mounted on /dev/pts, so when
 * /dev/ptmx does not work, mount a private devpts instance in this test's own
 * mount namespace (each test runs in its own process).
 */
static int open_pty_master(void)
{
	char dir[] = "/tmp/vmm-pts-XXXXXX", ptmx[64];
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m >= 0)
		return m;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    !mkdtemp(dir) ||
	    mount("devpts", dir, "devpts", 0, "newinstance,ptmxmode=0666,mode=0620"))
		return -1;
	snprintf(ptmx, sizeof(ptmx), "%s/ptmx", dir);
	return open(ptmx, O_RDWR | O_NOCTTY);
}

static void console_case(struct __test_metadata *_metadata, enum stop_how how)
{
	char *argv[] = { "vibevmm", "--kernel", kernel, "--initrd", initrd, "--mem", "128M",
			 "--console", NULL };
	struct termios before, now;
	int master, slave, st, i;
	bool raw = false;
	char errp[700];
	pid_t pid;

	master = open_pty_master();
	ASSERT_LE(0, master) {
		TH_LOG("cannot get a pseudo-terminal: %s", strerror(errno));
	}
	ASSERT_EQ(0, unlockpt(master));
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	ASSERT_LE(0, slave);
	ASSERT_EQ(0, tcgetattr(slave, &before));
	ASSERT_NE(0u, before.c_lflag & ICANON);
	fcntl(master, F_SETFL, O_NONBLOCK);
	snprintf(errp, sizeof(errp), "%s/vmm_boot/console-%d.err", build_dir, how);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		struct rlimit nocore = { 0, 0 };

		setrlimit(RLIMIT_CORE, &nocore);	/* the SIGSEGV case */
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		if (e >= 0)
			dup2(e, 2);
		execv(vmm, argv);
		_exit(127);
	}
	/* wait (up to 60 s) until vibevmm has put the terminal in raw mode */
	for (i = 0; i < 600 && !raw; i++) {
		drain(master);
		ASSERT_EQ(0, tcgetattr(slave, &now));
		raw = !(now.c_lflag & (ICANON | ECHO | ISIG));
		if (!raw)
			usleep(100 * 1000);
	}
	if (!raw) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	ASSERT_TRUE(raw) {
		TH_LOG("--console did not switch the terminal to raw mode");
	}
	usleep(500 * 1000);	/* let the VM run a little */
	switch (how) {
	case STOP_SIGTERM:
		kill(pid, SIGTERM);
		break;
	case STOP_CTRL_A_X:
		ASSERT_EQ(2, write(master, "\x01x", 2));
		break;
	case STOP_SIGSEGV:
		kill(pid, SIGSEGV);
		break;
	}
	for (i = 0; i < 300; i++) {
		drain(master);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(100 * 1000);
	}
	if (i == 300) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	ASSERT_NE(300, i) {
		TH_LOG("vibevmm did not stop within 30 s");
	}
	switch (how) {
	case STOP_SIGTERM:
		ASSERT_TRUE(WIFEXITED(st));
		EXPECT_EQ(128 + SIGTERM, WEXITSTATUS(st));
		break;
	case STOP_CTRL_A_X:
		ASSERT_TRUE(WIFEXITED(st));
		EXPECT_EQ(0, WEXITSTATUS(st));
		break;
	case STOP_SIGSEGV:
		ASSERT_TRUE(WIFSIGNALED(st));
		EXPECT_EQ(SIGSEGV, WTERMSIG(st));
		break;
	}
	ASSERT_EQ(0, tcgetattr(slave, &now));
	EXPECT_EQ(before.c_lflag, now.c_lflag);
	EXPECT_EQ(before.c_iflag, now.c_iflag);
	EXPECT_EQ(before.c_oflag, now.c_oflag);
	EXPECT_EQ(before.c_cflag, now.c_cflag);
	close(slave);
	close(master);
}

TEST_F_TIMEOUT(vmm, console_restored_after_sigterm, 180)
{
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm missing: nested KVM not available in this lab");
	console_case(_metadata, STOP_SIGTERM);
}

TEST_F_TIMEOUT(vmm, console_restored_after_ctrl_a_x, 180)
{
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm missing: nested KVM not available in this lab");
	console_case(_metadata, STOP_CTRL_A_X);
}

TEST_F_TIMEOUT(vmm, console_restored_after_fatal_signal, 180)
{
	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm missing: nested KVM not available in this lab");
	console_case(_metadata, STOP_SIGSEGV);
}

/* ---- bad input: one line on stderr naming the object, status != 0 ---- */

static void expect_error(struct __test_metadata *_metadata, const char *tag,
			 char *argv[], bool hide_kvm, const char *line)
{
	struct run r;

	run_vmm(&r, tag, argv, FAST_TIMEOUT, hide_kvm);
	ASSERT_FALSE(r.timed_out);
	EXPECT_NE(0, r.status);
	EXPECT_NE(-1, r.status);
	EXPECT_EQ(1, count_lines(r.err)) {
		TH_LOG("stderr: %s", r.err);
	}
	EXPECT_EQ(0, strncmp(r.err, line, strlen(line))) {
		TH_LOG("expected '%s', got '%s'", line, r.err);
	}
	EXPECT_STREQ("", r.out);
	run_free(&r);
}

TEST_F_TIMEOUT(vmm, error_kernel_missing, 4 * FAST_TIMEOUT)
{
	char *argv[] = { "vibevmm", "--kernel", "/nonexistent/vmlinuz", NULL };

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm missing");
	expect_error(_metadata, "e1", argv, false,
		     "vibevmm: --kernel '/nonexistent/vmlinuz': No such file or directory; give an existing, readable file\n");
}

TEST_F_TIMEOUT(vmm, error_kernel_not_bzimage, 4 * FAST_TIMEOUT)
{
	char *argv[] = { "vibevmm", "--kernel", initrd, NULL };
	char line[900];

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm missing");
	snprintf(line, sizeof(line), "vibevmm: --kernel '%s' is not a bzImage (no 'HdrS' boot header)\n",
		 initrd);
	expect_error(_metadata, "e2", argv, false, line);
}

TEST_F_TIMEOUT(vmm, error_initrd_missing, 4 * FAST_TIMEOUT)
{
	char *argv[] = { "vibevmm", "--kernel", kernel, "--initrd", "/nonexistent/initrd", NULL };

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm missing");
	expect_error(_metadata, "e3", argv, false,
		     "vibevmm: --initrd '/nonexistent/initrd': No such file or directory; give an existing, readable file\n");
}

TEST_F_TIMEOUT(vmm, error_mem_too_large_for_host, 4 * FAST_TIMEOUT)
{
	char *argv[] = { "vibevmm", "--kernel", kernel, "--mem", "500G", NULL };

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP(return, "/dev/kvm missing");
	expect_error(_metadata, "e4", argv, false,
		     "vibevmm: --mem 512000M: more than this host's RAM (");
}

TEST_F_TIMEOUT(vmm, error_no_dev_kvm, 4 * FAST_TIMEOUT)
{
	char *argv[] = { "vibevmm", "--kernel", kernel, NULL };

	expect_error(_metadata, "e5", argv, true,
		     "vibevmm: /dev/kvm: no such device; load kvm_intel or kvm_amd (modprobe) and enable virtualization in the firmware\n");
}

TEST_F_TIMEOUT(vmm, error_bad_bdf_and_options, 4 * FAST_TIMEOUT)
{
	char *a1[] = { "vibevmm", "--kernel", kernel, "--vfio", "0000:00:3.1", NULL };
	char *a2[] = { "vibevmm", "--kernel", kernel, "--cpus", "0", NULL };
	char *a3[] = { "vibevmm", "--kernel", kernel, "--frobnicate", NULL };

	expect_error(_metadata, "e6", a1, false,
		     "vibevmm: --vfio '0000:00:3.1': not a PCI address; use DDDD:BB:DD.F, e.g. --vfio 0000:00:03.1\n");
	expect_error(_metadata, "e7", a2, false,
		     "vibevmm: --cpus '0': not a CPU count; give a number from 1 to 64\n");
	expect_error(_metadata, "e8", a3, false,
		     "vibevmm: unknown option '--frobnicate'; see 'vibevmm --help'\n");
}

TEST_HARNESS_MAIN
