// SPDX-License-Identifier: GPL-2.0
/* The seccomp filter vibevmm runs under; see seccomp.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "log.h"
#include "seccomp.h"

/* Built with a sanitizer (gcc says so with macros, clang with features)? */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VMM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define VMM_SANITIZED 1
#endif
#endif

/* Names for the SIGSYS handler, resolved before the filter goes on. */
#define NR_NAMES	512
static char *syscall_names[NR_NAMES];

static const unsigned long allowed_ioctls[] = {
	/* vCPU run loop and its register dump on a fatal exit */
	KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS,
	/* VM: UART/INTx lines, BAR memslots, MSI routes, irqfds, relay */
	KVM_IRQ_LINE, KVM_SET_USER_MEMORY_REGION, KVM_SET_GSI_ROUTING,
	KVM_IRQFD, KVM_SIGNAL_MSI,
	/*
	 * VFIO devices: interrupts, reset at exit, region/irq info.  No DMA
	 * unmapping: closing the container unmaps guest RAM.
	 */
	VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET, VFIO_DEVICE_GET_IRQ_INFO,
	VFIO_DEVICE_GET_REGION_INFO,
	/* --console: the terminal's mode, read and restored */
	TCGETS, TCSETS,
};

static const int allowed_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(close), SCMP_SYS(lseek),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(sigaltstack),
	SCMP_SYS(gettid), SCMP_SYS(getpid),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(sched_yield),
	SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(eventfd2),
	/* json-c (the control socket) seeds its hash tables once */
	SCMP_SYS(getrandom),
	/* libvfpost's netlink sockets, opened before: claim release, events */
	SCMP_SYS(sendmsg), SCMP_SYS(sendto), SCMP_SYS(recvmsg), SCMP_SYS(recvfrom),
#ifdef VMM_SANITIZED
	/*
	 * The sanitizer runtimes (vibevmm-san, unit tests; never installed):
	 * their reports read /proc (openat read-only below).  Their leak check
	 * at exit cannot run confined: main.c runs it before confinement.
	 */
	SCMP_SYS(readlink), SCMP_SYS(readlinkat),
	SCMP_SYS(prlimit64), SCMP_SYS(getrlimit), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(getppid),
#endif
};

/* api_server.c's socket directory, or -1: see vmm_seccomp_allow_unlinkat(). */
static int unlink_dirfd = -1;

void vmm_seccomp_allow_unlinkat(int dirfd)
{
	unlink_dirfd = dirfd;
}

static size_t put_str(char *buf, size_t pos, size_t len, const char *s)
{
	while (*s && pos < len)
		buf[pos++] = *s++;
	return pos;
}

static size_t put_num(char *buf, size_t pos, size_t len, unsigned long v, unsigned int base)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		pos = put_str(buf, pos, len, "0x");
	while (n && pos < len)
		buf[pos++] = tmp[--n];
	return pos;
}

/* Async-signal-safe: formats with no libc beyond write() and _exit(). */
static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	int nr = si->si_syscall;
	char buf[256];
	size_t pos = 0, len = sizeof(buf) - 1;
	const char *name = nr >= 0 && nr < NR_NAMES && syscall_names[nr] ?
			   syscall_names[nr] : "(unknown)";

	pos = put_str(buf, pos, len, "vibevmm: seccomp: forbidden system call ");
	pos = put_str(buf, pos, len, name);
	pos = put_str(buf, pos, len, " (");
	pos = put_num(buf, pos, len, (unsigned int)nr, 10);
	pos = put_str(buf, pos, len, ")");
#ifdef __x86_64__
	if (nr == SYS_ioctl) {
		const ucontext_t *ctx = uc;

		pos = put_str(buf, pos, len, " request ");
		pos = put_num(buf, pos, len,
			      (unsigned long)ctx->uc_mcontext.gregs[REG_RSI], 16);
	}
#endif
	pos = put_str(buf, pos, len,
		      "; stopping: this is a vibevmm bug, report it (--no-seccomp runs unconfined)\n");
	if (write(STDERR_FILENO, buf, pos) < 0)
		pos = 0;
	_exit(VMM_SECCOMP_EXIT);
}

static void resolve_names(void)
{
	int nr;

	for (nr = 0; nr < NR_NAMES; nr++)
		if (!syscall_names[nr])
			syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

static int add_rules(scmp_filter_ctx ctx)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]); i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_syscalls[i], 0);
	for (i = 0; !ret && i < sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]); i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i], 0));
	/* no executable memory */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* threads only: no fork; clone3's flags are out of the filter's reach */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* signals to our own threads (the vCPU kick) */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
#ifdef VMM_SANITIZED
	/* their reports read /proc/self/maps */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT, O_RDONLY));
#endif
	/*
	 * The control socket (api_server.c): its connections, the peer's
	 * credentials, and the socket's removal at exit in its directory.
	 */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(accept4), 1,
				       SCMP_A3(SCMP_CMP_EQ, SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getsockopt), 2,
				       SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET, 0),
				       SCMP_A2(SCMP_CMP_EQ, SO_PEERCRED, 0));
	if (!ret && unlink_dirfd >= 0)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unlinkat), 2,
				       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)unlink_dirfd, 0),
				       SCMP_A2(SCMP_CMP_EQ, 0, 0));
	/* pthread_setname_np() on itself */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				       SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME, 0));
	return ret;
}

int vmm_seccomp_install(void)
{
	struct sigaction sa = { .sa_sigaction = sigsys_handler, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;
	sigset_t set;
	int ret;

	resolve_names();
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	if (sigaction(SIGSYS, &sa, NULL) || sigprocmask(SIG_UNBLOCK, &set, NULL)) {
		log_err("seccomp: cannot install the SIGSYS handler: %s; or run with --no-seccomp",
			strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		log_err("seccomp: PR_SET_NO_NEW_PRIVS: %s; or run with --no-seccomp",
			strerror(errno));
		return -1;
	}
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		log_err("seccomp: cannot build the filter (libseccomp); or run with --no-seccomp");
		return -1;
	}
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!ret)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!ret)
		ret = add_rules(ctx);
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret) {
		log_err("seccomp: cannot load the filter: %s; use a kernel with CONFIG_SECCOMP_FILTER or run with --no-seccomp",
			strerror(-ret));
		return -1;
	}
	log_verbose("seccomp: confined (%zu ioctl requests allowed)",
		    sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]));
	return 0;
}
