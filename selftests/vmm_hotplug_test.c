// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_hotplug_test: a lab VF added to and removed from a running vibevmm
 * through its control socket (--api-socket, vibevmm-ctl), with the bench
 * guest (user/guest) as the L2 payload.
 *
 * - 20 add/remove cycles of one VF, claimed through vfpost each time:
 *   each add shows the VF attached in the guest's slot 1, each removal
 *   gives it back (claim released, driver none again); vibevmm's open fds
 *   and the host's vfio/vfpost lines in /proc/interrupts are as before;
 *   then a new VM takes the VF and every completion arrives as an MSI-X
 *   interrupt.
 * - Confined (the default), add-device is refused with its line, and a VF
 *   given with --vfio is removed (forced) and usable by a new VM.
 * - Bad requests on the socket (unknown command, bad BDF, a device already
 *   attached, malformed JSON, a 1 MiB line): one error line each, and the
 *   devices, vibevmm's fds and the host's vfio/vfpost interrupt lines stay
 *   as they were.
 * - With a Linux L2 guest (selftests/guest/vfio-guest.sh): the VF added
 *   to the running guest is announced by ACPI hotplug, its nvme driver
 *   binds and does I/O with MSI-X; remove-device asks the guest, which
 *   ejects it (acpiphp, _EJ0) within the timeout, the VM keeps running,
 *   and the VF is usable by a new VM.
 * - With a Linux L2 guest and two VFs: the guest ejects one on its own
 *   (slot power off): vibevmm releases it (claim released); then the PF
 *   disables SR-IOV under the running guest: vibevmm asks the guest to
 *   eject the other, its nvme driver unbinds, vibevmm releases the VF,
 *   the PF's sriov_numvfs write completes and the VM keeps running.
 *
 * The bench guest does no ACPI, so it never answers an eject request:
 * removals are forced (after a 0 or 300 ms wait); this tests the VMM
 * side.  The guest side (acpiphp) needs an L2 Linux guest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lab.h"
#include "vfpost_lab.h"
#include "vmm_run.h"

LAB_ONLY_SUITE("the lab's NVMe VFs in an L2 guest")

#define OUT_LEN		4096
#define CYCLES		20

struct running {
	pid_t pid;
	char sock[128], log[512];
};

/*
 * Start vibevmm on the bench guest with the control socket; its stdout is
 * a pipe nobody reads, so the chattering guest soon blocks on it (idle).
 */
static int start_vmm(struct running *r, const char *args)
{
	char cmd[2048];
	int pfd[2];

	snprintf(r->sock, sizeof(r->sock), "/tmp/vmm-hotplug-%d.sock", (int)getpid());
	snprintf(r->log, sizeof(r->log), "%s/selftests/vmm_hotplug.log", vmm_build_dir());
	unlink(r->sock);
	snprintf(cmd, sizeof(cmd),
		 "exec %s/user/vibevmm --kernel %s/user/guest/bench-guest.bzImage --mem 64M "
		 "--api-socket %s %s --cmdline 'guest.mode=chatter guest.count=100000000' 2>%s",
		 vmm_build_dir(), vmm_build_dir(), r->sock, args, r->log);
	if (pipe(pfd))
		return -errno;
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (r->pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* pfd[0] stays open (and unread) in this process until it exits */
	return 0;
}

/* vibevmm-ctl on @sock with @args; its output (stdout and stderr) into @out. */
static int ctl_at(const char *sock, char *out, const char *args)
{
	return lab_sh_out(out, OUT_LEN, "%s/user/vibevmm-ctl -s %s %s 2>&1", vmm_build_dir(),
			  sock, args);
}

static int ctl(const struct running *r, char *out, const char *args)
{
	return ctl_at(r->sock, out, args);
}

static bool wait_socket(const struct running *r, int secs)
{
	char out[OUT_LEN];
	int i;

	for (i = 0; i < secs * 10; i++) {
		if (!ctl(r, out, "list-devices"))
			return true;
		if (waitpid(r->pid, NULL, WNOHANG) == r->pid)
			return false;
		usleep(100000);
	}
	return false;
}

static int stop_vmm(struct running *r)
{
	char out[OUT_LEN];
	int st, i;

	ctl(r, out, "shutdown");
	for (i = 0; i < 300; i++) {
		if (waitpid(r->pid, &st, WNOHANG) == r->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(100000);
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &st, 0);
	return -1;
}

static int open_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Mappings of VFIO device regions (BAR mmaps) in @pid. */
static int vfio_maps(pid_t pid)
{
	char out[OUT_LEN];

	if (lab_sh_out(out, sizeof(out), "grep -c vfio /proc/%d/maps || true", (int)pid))
		return -1;
	return atoi(out);
}

/* Lines of /proc/interrupts that are VFIO's or vfpost's. */
static int vfio_irq_lines(void)
{
	char out[OUT_LEN];

	if (lab_sh_out(out, sizeof(out), "grep -cE 'vfio|vfpost' /proc/interrupts || true"))
		return -1;
	return atoi(out);
}

static void dump(const struct running *r)
{
	char out[OUT_LEN];

	lab_sh_out(out, sizeof(out), "tail -n 30 %s | sed 's/^/# /'", r->log);
	printf("# vibevmm log:\n%s", out);
}

/* A new VM takes @bdf and every completion arrives as an interrupt. */
static void usable_by_new_vm(struct __test_metadata *_metadata, const char *bdf)
{
	char out[OUT_LEN];

	ASSERT_EQ(0, lab_sh_out(out, sizeof(out),
				"timeout 120 %s/user/vibevmm --kernel %s/user/guest/bench-guest.bzImage "
				"--mem 64M --vfio %s --cmdline 'guest.mode=irq guest.count=20 "
				"guest.irq_wait_us=1000000' 2>&1",
				vmm_build_dir(), vmm_build_dir(), bdf)) TH_LOG("%s", out);
	EXPECT_EQ(20, lab_value_of(out, "GUEST-BENCH: irq", "completions=")) TH_LOG("%s", out);
	EXPECT_EQ(20, lab_value_of(out, "GUEST-BENCH: irq", "interrupts=")) TH_LOG("%s", out);
}

/*
 * Send @len bytes of @req (with its newline) on a new connection to @sock,
 * then read until the server closes: the reply lines into @out.  The
 * number of lines, or -1.
 */
static int raw_request(const char *sock, const char *req, size_t len, char *out, size_t outlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t got = 0, off = 0;
	int fd, lines = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	while (off < len) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			goto fail;
		off += n;
	}
	shutdown(fd, SHUT_WR);		/* the server answers, then closes */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 30000) != 1 || got + 1 >= outlen)
			goto fail;
		n = read(fd, out + got, outlen - 1 - got);
		if (n < 0)
			goto fail;
		if (!n)
			break;
		got += n;
	}
	out[got] = '\0';
	close(fd);
	for (off = 0; off < got; off++)
		lines += out[off] == '\n';
	return lines;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

FIXTURE(vf) {
	char bdf[2][LAB_BDF_LEN];
};

FIXTURE_SETUP(vf)
{
	ASSERT_EQ(0, lab_modprobe("kvm_amd"));
	ASSERT_EQ(0, lab_modprobe("vfio-pci"));
	ASSERT_EQ(0, vfpost_load());
	ASSERT_EQ(2, lab_vfs_up(2, self->bdf));
	/* free: vibevmm claims them */
	ASSERT_EQ(0, lab_bind(self->bdf[0], ""));
	ASSERT_EQ(0, lab_bind(self->bdf[1], ""));
}

FIXTURE_TEARDOWN(vf)
{
	lab_bind(self->bdf[0], "");
	lab_bind(self->bdf[1], "");
	lab_vfs_down();
	vfpost_unload();
}

/*
 * Each bad request: exactly one {"ok":false,"error":...} line naming the
 * problem; nothing changes (devices, fds, the host's interrupt lines).
 */
TEST_F_TIMEOUT(vf, bad_requests_change_nothing, 300)
{
	static const struct {
		const char *req;
		const char *error;
	} bad[] = {
		{ "{\"command\":\"reboot\"}\n", "unknown command 'reboot'" },
		{ "{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"0000:zz:01.0\"}}\n",
		  "'0000:zz:01.0' is not a PCI address" },
		{ "{\"command\":\"add-device\",\"arguments\":{\"bdf\":\"%s\"}}\n",
		  "is already attached to this VM" },
		{ "{\"command\":\"remove-device\",\"arguments\":{\"bdf\":\"0000:00:1f.7\"}}\n",
		  "0000:00:1f.7 is not attached to this VM" },
		{ "{command:shutdown}\n", "malformed JSON" },
		{ "{\"command\":\"shutdown\"\n", "not complete JSON" },
	};
	char out[OUT_LEN], before[OUT_LEN], req[256], *big;
	size_t big_len = (1 << 20) + 1;
	int fds0, irqs0, n;
	struct running r;
	unsigned int i;

	ASSERT_EQ(0, start_vmm(&r, "--no-seccomp"));
	ASSERT_TRUE(wait_socket(&r, 60)) { dump(&r); }
	snprintf(req, sizeof(req), "add-device %s", self->bdf[0]);
	ASSERT_EQ(0, ctl(&r, out, req)) { TH_LOG("%s", out); dump(&r); }
	ASSERT_EQ(0, ctl(&r, before, "-j list-devices")) TH_LOG("%s", before);
	fds0 = open_fds(r.pid);
	irqs0 = vfio_irq_lines();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(req, sizeof(req), bad[i].req, self->bdf[0]);
		n = raw_request(r.sock, req, strlen(req), out, sizeof(out));
		EXPECT_EQ(1, n) TH_LOG("%s-> %s", req, out);
		EXPECT_EQ(0, strncmp(out, "{\"ok\":false,\"error\":", 20)) TH_LOG("%s-> %s", req, out);
		EXPECT_NE(NULL, strstr(out, bad[i].error)) TH_LOG("%s-> %s", req, out);
	}
	/* a 1 MiB line (a valid request padded with spaces): refused, not run */
	big = malloc(big_len);
	ASSERT_NE(NULL, big);
	memset(big, ' ', big_len);
	memcpy(big, "{\"command\":\"shutdown\"}", 22);
	big[big_len - 1] = '\n';
	n = raw_request(r.sock, big, big_len, out, sizeof(out));
	free(big);
	EXPECT_EQ(1, n) TH_LOG("1 MiB line -> %s", out);
	EXPECT_NE(NULL, strstr(out, "request longer than 65536 bytes")) TH_LOG("%s", out);

	EXPECT_EQ(0, waitpid(r.pid, NULL, WNOHANG)) TH_LOG("vibevmm ended");
	ASSERT_EQ(0, ctl(&r, out, "-j list-devices")) TH_LOG("%s", out);
	EXPECT_STREQ(before, out);
	EXPECT_EQ(fds0, open_fds(r.pid));
	EXPECT_EQ(irqs0, vfio_irq_lines());
	snprintf(req, sizeof(req), "remove-device %s 0", self->bdf[0]);
	EXPECT_EQ(0, ctl(&r, out, req)) TH_LOG("%s", out);
	EXPECT_EQ(0, stop_vmm(&r)) dump(&r);
}

TEST_F_TIMEOUT(vf, twenty_add_remove_cycles_leak_nothing, 600)
{
	char out[OUT_LEN], cmd[128], drv[64];
	int fds0, irqs0, maps0, fds, irqs, maps, i;
	struct running r;

	irqs0 = vfio_irq_lines();
	ASSERT_EQ(0, start_vmm(&r, "--no-seccomp"));
	ASSERT_TRUE(wait_socket(&r, 60)) { dump(&r); }
	EXPECT_EQ(0, ctl(&r, out, "-j list-devices")) TH_LOG("%s", out);
	EXPECT_STREQ("[]\n", out);
	fds0 = open_fds(r.pid);
	maps0 = vfio_maps(r.pid);
	for (i = 0; i < CYCLES; i++) {
		snprintf(cmd, sizeof(cmd), "add-device %s", self->bdf[0]);
		ASSERT_EQ(0, ctl(&r, out, cmd)) { TH_LOG("cycle %d: %s", i, out); dump(&r); }
		ASSERT_EQ(0, ctl(&r, out, "list-devices")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, " 00:01.0  attached  vfpost")) TH_LOG("cycle %d: %s", i, out);
		ASSERT_EQ(0, lab_driver_of(self->bdf[0], drv, sizeof(drv)));
		EXPECT_STREQ("vfpost", drv);	/* claimed */
		if (!i)
			TH_LOG("VFIO mappings: %d before, %d with the VF", maps0, vfio_maps(r.pid));
		/* a second add of the same VF: one error, nothing changed */
		EXPECT_EQ(1, ctl(&r, out, cmd)) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, "is already attached")) TH_LOG("%s", out);

		/* the bench guest does not do ACPI: no time for an eject */
		snprintf(cmd, sizeof(cmd), "remove-device %s 0", self->bdf[0]);
		ASSERT_EQ(0, ctl(&r, out, cmd)) { TH_LOG("cycle %d: %s", i, out); dump(&r); }
		EXPECT_NE(NULL, strstr(out, "removed by force")) TH_LOG("%s", out);
		ASSERT_EQ(0, ctl(&r, out, "-j list-devices")) TH_LOG("%s", out);
		EXPECT_STREQ("[]\n", out);
		ASSERT_EQ(0, lab_driver_of(self->bdf[0], drv, sizeof(drv)));
		EXPECT_STREQ("", drv) TH_LOG("cycle %d: the claim was not released", i);
		fds = open_fds(r.pid);
		irqs = vfio_irq_lines();
		maps = vfio_maps(r.pid);
		EXPECT_EQ(fds0, fds) TH_LOG("cycle %d: vibevmm has %d fds, had %d", i, fds, fds0);
		EXPECT_EQ(maps0, maps) TH_LOG("cycle %d: vibevmm has %d VFIO mappings, had %d", i,
					      maps, maps0);
		EXPECT_EQ(irqs0, irqs) TH_LOG("cycle %d: %d vfio/vfpost irq lines, had %d", i,
					      irqs, irqs0);
	}
	EXPECT_EQ(0, waitpid(r.pid, NULL, WNOHANG)) TH_LOG("vibevmm ended early");
	EXPECT_EQ(0, stop_vmm(&r)) dump(&r);
	usable_by_new_vm(_metadata, self->bdf[0]);
}

TEST_F_TIMEOUT(vf, confined_refuses_add_and_removes_by_force, 300)
{
	char out[OUT_LEN], cmd[160];
	struct running r;

	snprintf(cmd, sizeof(cmd), "--vfio %s", self->bdf[0]);
	ASSERT_EQ(0, start_vmm(&r, cmd));
	ASSERT_TRUE(wait_socket(&r, 60)) { dump(&r); }
	ASSERT_EQ(0, ctl(&r, out, "list-devices")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " 00:01.0  attached  vfpost")) TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), "remove-device %s 300", self->bdf[0]);
	EXPECT_EQ(0, ctl(&r, out, cmd)) { TH_LOG("%s", out); dump(&r); }
	EXPECT_NE(NULL, strstr(out, "removed by force")) TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), "add-device %s", self->bdf[0]);
	EXPECT_EQ(1, ctl(&r, out, cmd)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "cannot add a device once vibevmm is confined")) TH_LOG("%s", out);
	EXPECT_EQ(0, waitpid(r.pid, NULL, WNOHANG)) TH_LOG("vibevmm ended (seccomp?)");
	EXPECT_EQ(0, stop_vmm(&r)) dump(&r);
	usable_by_new_vm(_metadata, self->bdf[0]);
}

/*
 * The L2 Linux guest's initrd (the nvme module, vfio-guest.sh) into
 * @initrd, a fresh control socket path for run @name into @sock.
 */
static int l2_files(const char *name, char *initrd, size_t ilen, char *sock, size_t slen)
{
	snprintf(initrd, ilen, "%s/selftests/vmm_hotplug-initrd.cpio.gz", vmm_build_dir());
	snprintf(sock, slen, "/tmp/vmm-hotplug-%s-%d.sock", name, (int)getpid());
	unlink(sock);
	return lab_sh("%s/scripts/mkinitrd-guest --modules nvme --script %s/selftests/guest/vfio-guest.sh -o %s >/dev/null",
		      lab_root(), lab_root(), initrd);
}

TEST_F_TIMEOUT(vf, linux_guest_binds_a_hot_added_vf_and_ejects_it, 1100)
{
	char out[OUT_LEN], cmd[160], args[1024], sock[128], initrd[600];
	struct vmm v;

	ASSERT_EQ(0, l2_files("l2", initrd, sizeof(initrd), sock, sizeof(sock)));
	/* the guest waits 60 s for one NVMe namespace, then I/O, then stays up */
	snprintf(args, sizeof(args),
		 "--no-seccomp --api-socket %s --initrd %s --cmdline 'quiet guest.script=vfio-guest.sh vfio.nvme=1 vfio.pause=0 vfio.alive=600'",
		 sock, initrd);
	ASSERT_EQ(0, vmm_start(&v, "hotplug-l2", args));
	/* Within the boot's budget (selftests/suites), so the log is dumped. */
	if (!wait_log(&v, "GUEST-INIT: up", 240)) {
		dump_log(&v);
		vmm_kill(&v);
		ASSERT_TRUE(false) TH_LOG("the L2 guest never came up");
	}
	snprintf(cmd, sizeof(cmd), "add-device %s", self->bdf[0]);
	EXPECT_EQ(0, ctl_at(sock, out, cmd)) TH_LOG("%s", out);
	if (!wait_log(&v, "VFIO-COUNTS", 240)) {
		dump_log(&v);
		vmm_kill(&v);
		ASSERT_TRUE(false) TH_LOG("the guest's nvme driver did not bind and do I/O");
	}
	EXPECT_TRUE(log_has(&v, "VFIO-IO-OK 0000:00:01.0"));
	EXPECT_TRUE(log_has(&v, "VFIO-IRQ 0000:00:01.0 1 ")) TH_LOG("no I/O queue vector");
	EXPECT_EQ(0, ctl_at(sock, out, "stats")) TH_LOG("%s", out);
	TH_LOG("%s", out);
	EXPECT_TRUE(wait_log(&v, "VFIO-ALIVE 1", 60));
	snprintf(cmd, sizeof(cmd), "remove-device %s 120000", self->bdf[0]);
	EXPECT_EQ(0, ctl_at(sock, out, cmd)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "ejected by the guest")) { TH_LOG("%s", out); dump_log(&v); }
	EXPECT_TRUE(log_has(&v, "the guest ejected it"));
	/* the VM keeps running without it */
	EXPECT_TRUE(wait_log(&v, "VFIO-ALIVE 20", 120)) dump_log(&v);
	EXPECT_FALSE(log_has(&v, "VFIO-GUEST-FAIL"));
	EXPECT_EQ(0, ctl_at(sock, out, "shutdown")) TH_LOG("%s", out);
	EXPECT_EQ(0, vmm_wait(&v, 120)) dump_log(&v);
	usable_by_new_vm(_metadata, self->bdf[0]);
}

/* The last "VFIO-ALIVE N" of the guest, 0 if none. */
static int last_alive(const struct vmm *v)
{
	char *log = read_log(v), *p;
	int n = 0;

	for (p = log; p && (p = strstr(p, "VFIO-ALIVE ")); p++)
		n = atoi(p + 11);
	free(log);
	return n;
}

/* @bdf's line @what is in the log within @secs. */
static bool wait_dev_log(struct vmm *v, const char *bdf, const char *what, int secs)
{
	char needle[160];

	snprintf(needle, sizeof(needle), "%s: %s", bdf, what);
	return wait_log(v, needle, secs);
}

TEST_F_TIMEOUT(vf, linux_guest_ejects_one_and_sriov_off_takes_the_other, 1100)
{
	char out[OUT_LEN], args[1200], sock[128], initrd[600], drv[64];
	double t0;
	struct vmm v;
	pid_t pid;
	int st, alive, i;

	ASSERT_EQ(0, l2_files("sriov", initrd, sizeof(initrd), sock, sizeof(sock)));
	/* both VFs at start (slots 1 and 2); the guest ejects slot 2 itself */
	snprintf(args, sizeof(args),
		 "--no-seccomp --api-socket %s --eject-timeout 120000 --vfio %s --vfio %s --initrd %s "
		 "--cmdline 'quiet guest.script=vfio-guest.sh vfio.nvme=2 vfio.pause=0 vfio.eject=2 vfio.alive=600'",
		 sock, self->bdf[0], self->bdf[1], initrd);
	ASSERT_EQ(0, vmm_start(&v, "hotplug-sriov", args));
	/* About 60 s when it works; within the boot's budget, so the log is dumped. */
	if (!wait_log(&v, "VFIO-EJECTED 2", 240)) {
		dump_log(&v);
		vmm_kill(&v);
		ASSERT_TRUE(false) TH_LOG("the guest did not do I/O on both VFs and eject slot 2");
	}
	EXPECT_TRUE(log_has(&v, "VFIO-IO-OK 0000:00:01.0"));
	EXPECT_TRUE(log_has(&v, "VFIO-IO-OK 0000:00:02.0"));
	/* the guest's own eject: vibevmm released that VF */
	EXPECT_TRUE(wait_dev_log(&v, self->bdf[1], "removed from the VM", 60)) dump_log(&v);
	EXPECT_TRUE(wait_dev_log(&v, self->bdf[1], "the guest ejected it on its own", 1));
	ASSERT_EQ(0, lab_driver_of(self->bdf[1], drv, sizeof(drv)));
	EXPECT_STREQ("", drv) TH_LOG("the claim on %s was not released", self->bdf[1]);
	ASSERT_EQ(0, ctl_at(sock, out, "list-devices")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, self->bdf[0])) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, self->bdf[1])) TH_LOG("%s", out);

	/* the PF disables SR-IOV under the running guest */
	ASSERT_TRUE(wait_log(&v, "VFIO-ALIVE 1", 60));
	t0 = vmm_now();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(lab_vfs_down() ? 1 : 0);
	EXPECT_TRUE(wait_dev_log(&v, self->bdf[0], "the host wants it back: asking the guest to eject slot 1", 60))
		dump_log(&v);
	/* the guest was told: its nvme driver let go of the function */
	EXPECT_TRUE(wait_log(&v, "VFIO-GONE 0000:00:01.0", 180)) dump_log(&v);
	EXPECT_TRUE(wait_dev_log(&v, self->bdf[0], "the guest ejected it; releasing it", 60))
		dump_log(&v);
	snprintf(args, sizeof(args), "%s: the guest did not eject it in time", self->bdf[0]);
	EXPECT_FALSE(log_has(&v, args)) dump_log(&v);
	/* then the host's removal completes */
	for (i = 0; i < 600 && waitpid(pid, &st, WNOHANG) != pid; i++)
		usleep(100000);
	if (i == 600) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		ASSERT_TRUE(false) TH_LOG("sriov_numvfs=0 still blocked after 60 s");
	}
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st));
	TH_LOG("SR-IOV off under the guest took %.1f s", vmm_now() - t0);
	/* the VM keeps running without it */
	alive = last_alive(&v);
	/* the number whole ("\r\n" ends the console's lines): not 4 of 40 */
	snprintf(args, sizeof(args), "VFIO-ALIVE %d\r", alive + 3);
	EXPECT_TRUE(wait_log(&v, args, 60)) dump_log(&v);
	EXPECT_FALSE(log_has(&v, "VFIO-GUEST-FAIL"));
	ASSERT_EQ(0, ctl_at(sock, out, "-j list-devices")) TH_LOG("%s", out);
	EXPECT_STREQ("[]\n", out);
	EXPECT_EQ(0, ctl_at(sock, out, "shutdown")) TH_LOG("%s", out);
	EXPECT_EQ(0, vmm_wait(&v, 120)) dump_log(&v);
}

TEST_HARNESS_MAIN
