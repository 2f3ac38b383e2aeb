// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm end to end on this host's KVM, with the bench guest
 * (user/guest): how it exits.  Skipped where /dev/kvm cannot be opened.
 *
 * - The seccomp filter is on by default, off with --no-seccomp.
 * - A stdout closed early (vibevmm ... | head) neither kills vibevmm
 *   (SIGPIPE) nor stops the guest: its output is dropped.
 * - A stdout nobody reads does not keep vibevmm from stopping on SIGTERM.
 * - A guest that faults fatally ends vibevmm with status 1 and one line.
 * - The control socket (--api-socket) answers vibevmm-ctl while the guest
 *   runs, confined, and its shutdown command ends vibevmm with status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include "kselftest_harness.h"

struct run {
	pid_t pid;
	int out;		/* read end of the guest's stdout, or -1 */
	char errlog[64];	/* vibevmm's stderr */
	int status;		/* exit status, 128 + signal, -1 if it hung */
};

static char vmm[PATH_MAX], guest[PATH_MAX];

/* build/user/vibevmm and the bench guest next to this test's build dir. */
static bool find_binaries(void)
{
	static const char *const up[] = { "/..", "/../.." };
	char self[PATH_MAX - 64], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	unsigned int i;

	if (n <= 0)
		return false;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		snprintf(vmm, sizeof(vmm), "%s%s/vibevmm", self, up[i]);
		snprintf(guest, sizeof(guest), "%s%s/guest/bench-guest.bzImage", self, up[i]);
		if (!access(vmm, X_OK) && !access(guest, R_OK))
			return true;
	}
	return false;
}

static const char *skip_reason(void)
{
	int fd;

	if (!find_binaries())
		return "build/user/vibevmm or the bench guest is not built";
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return "no usable /dev/kvm on this host";
	close(fd);
	return NULL;
}

/* Start vibevmm on the bench guest; its stdout is a pipe (r->out). */
static void start(struct run *r, const char *cmdline, const char *extra)
{
	int pfd[2], efd;

	snprintf(r->errlog, sizeof(r->errlog), "/tmp/vibevmm-run-XXXXXX");
	efd = mkstemp(r->errlog);
	if (efd < 0 || pipe2(pfd, O_CLOEXEC))
		abort();
	r->status = -1;
	r->pid = fork();
	if (r->pid < 0)
		abort();
	if (r->pid == 0) {
		char *argv[] = { vmm, "--kernel", guest, "--mem", "64M", "--log", "3",
				 "--cmdline", (char *)cmdline, (char *)extra, NULL };

		dup2(pfd[1], STDOUT_FILENO);
		dup2(efd, STDERR_FILENO);
		/* vibevmm is not a unit test: no leak report in its output */
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execv(vmm, argv);
		_exit(127);
	}
	close(pfd[1]);
	close(efd);
	r->out = pfd[0];
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reap within @secs, else SIGKILL it and record -1. */
static int reap(struct run *r, double secs)
{
	double end = now() + secs;
	int st;

	while (now() < end) {
		if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
			r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			return r->status;
		}
		usleep(20000);
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &st, 0);
	r->status = -1;
	return -1;
}

/* Drain stdout into @buf (at most len - 1 bytes kept) until EOF. */
static void drain(struct run *r, char *buf, size_t len)
{
	size_t got = 0;
	char sink[4096];
	ssize_t n;

	while ((n = read(r->out, sink, sizeof(sink))) > 0) {
		size_t k = (size_t)n < len - 1 - got ? (size_t)n : len - 1 - got;

		memcpy(buf + got, sink, k);
		got += k;
	}
	buf[got] = '\0';
}

static char *errlog(struct run *r)
{
	static char buf[8192];
	int fd = open(r->errlog, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

static void finish(struct run *r)
{
	if (r->out >= 0)
		close(r->out);
	r->out = -1;
	unlink(r->errlog);
}

#define NEED_KVM() do {							\
	const char *why_ = skip_reason();				\
									\
	if (why_)							\
		SKIP(return, "%s", why_);				\
} while (0)

TEST(seccomp_on_by_default_and_off_on_request)
{
	static char out[4096];
	struct run r;

	NEED_KVM();
	start(&r, "guest.mode=hello", NULL);
	drain(&r, out, sizeof(out));
	EXPECT_EQ(0, reap(&r, 60)) TH_LOG("stderr: %s", errlog(&r));
	EXPECT_NE(NULL, strstr(out, "GUEST-BENCH: exit ok"));
	EXPECT_NE(NULL, strstr(errlog(&r), "vibevmm: seccomp: confined")) TH_LOG("%s", errlog(&r));
	finish(&r);

	start(&r, "guest.mode=hello", "--no-seccomp");
	drain(&r, out, sizeof(out));
	EXPECT_EQ(0, reap(&r, 60)) TH_LOG("stderr: %s", errlog(&r));
	EXPECT_NE(NULL, strstr(out, "GUEST-BENCH: exit ok"));
	EXPECT_EQ(NULL, strstr(errlog(&r), "seccomp")) TH_LOG("%s", errlog(&r));
	finish(&r);
}

/* vibevmm ... | head -1: the guest still runs to its poweroff. */
TEST(closed_stdout_neither_kills_nor_stops)
{
	char c = 0;
	struct run r;

	NEED_KVM();
	start(&r, "guest.mode=chatter guest.count=300", NULL);
	while (c != '\n' && read(r.out, &c, 1) == 1)
		;
	close(r.out);
	r.out = -1;
	EXPECT_EQ(0, reap(&r, 120)) TH_LOG("stderr: %s", errlog(&r));
	EXPECT_NE(NULL, strstr(errlog(&r),
			       "vibevmm: console: stdout: Broken pipe; dropping the guest's console output from now on\n"))
		TH_LOG("stderr: %s", errlog(&r));
	EXPECT_NE(NULL, strstr(errlog(&r), "guest powered off")) TH_LOG("stderr: %s", errlog(&r));
	finish(&r);
}

/*
 * Whether the pipe behind r->out is full for vibevmm's stdout, asked from a
 * write end of our own (/proc/PID/fd/1, once it is that pipe): no POLLOUT
 * means vibevmm's console waits for room.  -1 until the child's stdout is
 * the pipe.
 */
static int stdout_full(struct run *r)
{
	struct stat a, b;
	struct pollfd p = { .events = POLLOUT };
	char path[64];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/fd/1", r->pid);
	p.fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (p.fd < 0)
		return -1;
	if (fstat(p.fd, &a) || fstat(r->out, &b) || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev) {
		close(p.fd);
		return -1;
	}
	n = poll(&p, 1, 0);
	close(p.fd);
	return n == 0;
}

/* Nobody reads stdout: the vCPU waits on it, and SIGTERM still stops it. */
TEST(blocked_stdout_does_not_block_sigterm)
{
	struct run r;
	int full = 0;
	double t;

	NEED_KVM();
	start(&r, "guest.mode=chatter guest.count=1000000", NULL);
	/*
	 * A one-page pipe (Linux reports it full once its one buffer is
	 * used); wait until vibevmm's stdout has no room, so the vCPU waits.
	 */
	ASSERT_LT(0, fcntl(r.out, F_SETPIPE_SZ, 4096));
	for (t = now(); now() - t < 20 && full != 1; usleep(50000))
		full = stdout_full(&r);
	ASSERT_EQ(1, full) TH_LOG("stdout never filled up: %s", errlog(&r));
	ASSERT_EQ(0, waitpid(r.pid, NULL, WNOHANG)) TH_LOG("vibevmm ended early: %s", errlog(&r));
	ASSERT_EQ(0, kill(r.pid, SIGTERM));
	t = now();
	EXPECT_EQ(128 + SIGTERM, reap(&r, 10)) TH_LOG("stderr: %s", errlog(&r));
	EXPECT_GT(5.0, now() - t);
	EXPECT_NE(NULL, strstr(errlog(&r), "vibevmm: Terminated received; stopping the VM"))
		TH_LOG("stderr: %s", errlog(&r));
	finish(&r);
}

TEST(guest_fault_fails_with_one_line)
{
	static char out[4096];
	struct run r;

	NEED_KVM();
	start(&r, "guest.mode=triplefault", NULL);
	drain(&r, out, sizeof(out));
	EXPECT_EQ(1, reap(&r, 60)) TH_LOG("stderr: %s", errlog(&r));
	EXPECT_NE(NULL, strstr(out, "GUEST-BENCH: triple fault next"));
	/* a triple fault, or KVM's internal error where it emulates the trap */
	EXPECT_TRUE(strstr(errlog(&r), "vibevmm: vCPU 0: guest triple fault") ||
		    strstr(errlog(&r), "vibevmm: vCPU 0: KVM internal error"))
		TH_LOG("stderr: %s", errlog(&r));
	finish(&r);
}

/* Run vibevmm-ctl (next to vibevmm) with @args; its stdout into @out. */
static int ctl(const char *sock, const char *a1, const char *a2, char *out, size_t len)
{
	char prog[PATH_MAX + 8], cmd[2 * PATH_MAX];
	size_t got = 0;
	FILE *p;
	int st;

	snprintf(prog, sizeof(prog), "%s-ctl", vmm);
	snprintf(cmd, sizeof(cmd), "'%s' -s '%s' %s %s 2>&1", prog, sock, a1, a2 ? a2 : "");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	got = fread(out, 1, len - 1, p);
	out[got] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(api_socket_serves_while_confined)
{
	char sock[64], arg[96], out[4096];
	struct stat st;
	struct run r;
	double t;

	NEED_KVM();
	snprintf(sock, sizeof(sock), "/tmp/vibevmm-api-%d.sock", (int)getpid());
	snprintf(arg, sizeof(arg), "--api-socket=%s", sock);
	/* a guest that keeps its vCPU busy: nobody reads its stdout */
	start(&r, "guest.mode=chatter guest.count=1000000", arg);
	for (t = now(); now() - t < 20 && lstat(sock, &st); usleep(20000))
		;
	ASSERT_EQ(0, lstat(sock, &st)) TH_LOG("no socket: %s", errlog(&r));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);
	/* served once the filter is on: wait for the line that says so */
	for (t = now(); now() - t < 20 && !strstr(errlog(&r), "seccomp: confined"); usleep(20000))
		;
	EXPECT_EQ(0, ctl(sock, "list-devices", NULL, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_STREQ("BDF           GUEST    STATE     DRIVER       IRQ-PATH\n", out);
	EXPECT_EQ(0, ctl(sock, "-j", "stats", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_STREQ("[]\n", out);
	EXPECT_EQ(2, ctl(sock, "reboot", NULL, out, sizeof(out))) TH_LOG("%s", out);
	/* confined: a device cannot be added; one not attached cannot be removed */
	EXPECT_EQ(1, ctl(sock, "add-device", "0000:00:04.1", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "cannot add a device once vibevmm is confined")) TH_LOG("%s", out);
	EXPECT_EQ(1, ctl(sock, "remove-device", "00:04.1", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "0000:00:04.1 is not attached to this VM")) TH_LOG("%s", out);
	EXPECT_EQ(0, waitpid(r.pid, NULL, WNOHANG)) TH_LOG("vibevmm ended early: %s", errlog(&r));
	EXPECT_EQ(0, ctl(sock, "shutdown", NULL, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(0, reap(&r, 10)) TH_LOG("stderr: %s", errlog(&r));
	EXPECT_NE(NULL, strstr(errlog(&r), "vibevmm: shutdown requested on the control socket"))
		TH_LOG("stderr: %s", errlog(&r));
	EXPECT_EQ(NULL, strstr(errlog(&r), "forbidden")) TH_LOG("stderr: %s", errlog(&r));
	EXPECT_EQ(-1, lstat(sock, &st));	/* removed at exit */
	unlink(sock);
	finish(&r);
}

TEST_HARNESS_MAIN
