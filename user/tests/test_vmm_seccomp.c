// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm's seccomp filter, installed in a forked child: what the run loop
 * needs still works; a forbidden call ends the process with status 1 and
 * one line on stderr naming the system call (and the ioctl request).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* the harness defines non-static helpers without prototypes */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include "kselftest_harness.h"
#include "vmm/seccomp.h"

struct outcome {
	int status;		/* exit status, or 128 + signal */
	char err[1024];		/* the child's stderr */
};

static void *thread_fn(void *arg)
{
	return arg;
}

/*
 * Run @fn in a child that installed the filter; @fn's return is the status.
 * @before, if set, runs in the child before the filter goes on.
 */
static void run_confined_after(int (*before)(void), int (*fn)(void), struct outcome *o)
{
	int pfd[2], st;
	ssize_t n, got = 0;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	if (pipe(pfd))
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		if (before && before())
			_exit(98);
		if (vmm_seccomp_install())
			_exit(99);
		_exit(fn());	/* _exit: no sanitizer leak check under the filter */
	}
	close(pfd[1]);
	while ((n = read(pfd[0], o->err + got, sizeof(o->err) - 1 - got)) > 0)
		got += n;
	close(pfd[0]);
	waitpid(pid, &st, 0);
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run_confined(int (*fn)(void), struct outcome *o)
{
	run_confined_after(NULL, fn, o);
}

/* What vibevmm does once confined: I/O, eventfds, threads, memory, kicks. */
static int allowed_calls(void)
{
	struct kvm_irq_level irq = { 0 };
	uint64_t one = 1;
	pthread_t t;
	void *p, *r = NULL;
	int efd;

	if (write(STDERR_FILENO, "alive\n", 6) != 6)
		return 10;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0 || write(efd, &one, 8) != 8 || read(efd, &one, 8) != 8)
		return 11;
	close(efd);
	if (pthread_create(&t, NULL, thread_fn, &one) || pthread_join(t, &r) || r != &one)
		return 12;
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p, 1 << 20))
		return 13;
	/* an allowed ioctl number reaches the kernel (no KVM fd here: EBADF) */
	if (ioctl(-1, KVM_IRQ_LINE, &irq) != -1 || errno != EBADF)
		return 14;
	if (pthread_kill(pthread_self(), 0))
		return 15;
	return 0;
}

static int forbidden_open(void)
{
	return open("/tmp/vibevmm-seccomp-test", O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0 ?
	       20 : 21;
}

static int forbidden_ptrace(void)
{
	return syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0) ? 21 : 20;
}

static int forbidden_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 20 : 21;
}

static int forbidden_ioctl(void)
{
	/* KVM_CREATE_VCPU: the VM is built, no more vCPUs */
	return ioctl(-1, KVM_CREATE_VCPU, 0) ? 21 : 20;
}

static int forbidden_exec_memory(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? 21 : 20;
}

static int forbidden_fork(void)
{
	pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	return pid > 0 ? 20 : 21;
}

static int forbidden_execve(void)
{
	char *argv[] = { "true", NULL };

	execve("/bin/true", argv, NULL);
	return 21;
}

static int forbidden_exec_protect(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 22;
	return mprotect(p, 4096, PROT_READ | PROT_EXEC) ? 21 : 20;
}

static int forbidden_unmap_dma(void)
{
	/* only the closing container unmaps guest RAM: no call needs it */
	return ioctl(-1, VFIO_IOMMU_UNMAP_DMA, NULL) ? 21 : 20;
}

/*
 * A thread that exists before the filter goes on (like the VFIO service
 * threads): it must be confined too (SECCOMP_FILTER_FLAG_TSYNC).
 */
static int early_efd = -1;
static pthread_t early_thread;

static void *early_thread_fn(void *arg)
{
	uint64_t v;
	int s;

	if (read(early_efd, &v, sizeof(v)) != sizeof(v))
		return (void *)22L;
	s = socket(AF_INET, SOCK_STREAM, 0);
	return (void *)(s >= 0 ? 20L : 21L);
}

static int start_early_thread(void)
{
	early_efd = eventfd(0, EFD_CLOEXEC);
	if (early_efd < 0)
		return 1;
	return pthread_create(&early_thread, NULL, early_thread_fn, NULL);
}

static int forbidden_in_early_thread(void)
{
	uint64_t one = 1;
	void *r = NULL;

	if (write(early_efd, &one, sizeof(one)) != sizeof(one))
		return 23;
	if (pthread_join(early_thread, &r))
		return 24;
	return (int)(long)r;
}

TEST(allowed_calls_work)
{
	struct outcome o;

	run_confined(allowed_calls, &o);
	EXPECT_EQ(0, o.status) TH_LOG("stderr: %s", o.err);
	EXPECT_STREQ("alive\n", o.err);
}

static void expect_trap(struct __test_metadata *_metadata, int (*fn)(void), const char *line)
{
	struct outcome o;

	run_confined(fn, &o);
	EXPECT_EQ(VMM_SECCOMP_EXIT, o.status) TH_LOG("stderr: %s", o.err);
	EXPECT_NE(NULL, strstr(o.err, line)) TH_LOG("stderr: %s", o.err);
	/* one line, ending the output */
	EXPECT_EQ(strchr(o.err, '\n'), o.err + strlen(o.err) - 1) TH_LOG("stderr: %s", o.err);
}

#define FORBIDDEN "vibevmm: seccomp: forbidden system call "

TEST(open_is_reported)
{
	expect_trap(_metadata, forbidden_open, FORBIDDEN "openat (257); stopping: this is a vibevmm bug");
}

TEST(ptrace_is_reported)
{
	expect_trap(_metadata, forbidden_ptrace, FORBIDDEN "ptrace (101);");
}

TEST(socket_is_reported)
{
	expect_trap(_metadata, forbidden_socket, FORBIDDEN "socket (41);");
}

/* A forbidden ioctl: its line names the request. */
static void expect_ioctl_trap(struct __test_metadata *_metadata, int (*fn)(void),
			      unsigned long request)
{
	char line[128];

	snprintf(line, sizeof(line), FORBIDDEN "ioctl (16) request %#lx;", request);
	expect_trap(_metadata, fn, line);
}

TEST(ioctl_reports_its_request)
{
	expect_ioctl_trap(_metadata, forbidden_ioctl, KVM_CREATE_VCPU);
}

TEST(executable_memory_is_reported)
{
	expect_trap(_metadata, forbidden_exec_memory, FORBIDDEN "mmap (9);");
}

TEST(exec_protection_is_reported)
{
	expect_trap(_metadata, forbidden_exec_protect, FORBIDDEN "mprotect (10);");
}

TEST(unused_vfio_ioctl_is_reported)
{
	expect_ioctl_trap(_metadata, forbidden_unmap_dma, VFIO_IOMMU_UNMAP_DMA);
}

TEST(thread_started_before_is_confined)
{
	struct outcome o;

	run_confined_after(start_early_thread, forbidden_in_early_thread, &o);
	EXPECT_EQ(VMM_SECCOMP_EXIT, o.status) TH_LOG("stderr: %s", o.err);
	EXPECT_NE(NULL, strstr(o.err, FORBIDDEN "socket (41);")) TH_LOG("stderr: %s", o.err);
}

TEST(fork_is_reported)
{
	expect_trap(_metadata, forbidden_fork, FORBIDDEN "clone (56);");
}

TEST(execve_is_reported)
{
	expect_trap(_metadata, forbidden_execve, FORBIDDEN "execve (59);");
}

TEST_HARNESS_MAIN
