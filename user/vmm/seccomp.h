/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vibevmm's confinement, installed once the VM is built (RAM, vCPUs,
 * devices, DMA mappings and claims all in place) and before the guest
 * runs: PR_SET_NO_NEW_PRIVS and a seccomp filter, on every thread
 * (TSYNC), that allows only what the run loop, the device models and the
 * teardown call:
 *
 * - ioctl() with the exact KVM, VFIO and terminal request numbers they use;
 * - mmap()/mprotect() without PROT_EXEC; clone() only for threads (clone3
 *   fails with ENOSYS, so glibc falls back to clone); tgkill() to this
 *   process only;
 * - for the control socket (--api-socket): accept4() with SOCK_NONBLOCK |
 *   SOCK_CLOEXEC, getsockopt(SOL_SOCKET, SO_PEERCRED), and unlinkat() in
 *   the socket's directory only (the fd given to
 *   vmm_seccomp_allow_unlinkat(), flags 0);
 * - no open(), socket(), execve(), fork, ptrace, ...
 *
 * Any other call traps: a SIGSYS handler writes one line naming the system
 * call (and the ioctl request) and the process exits with status 1; the
 * kernel then closes its VFIO devices and vfpost claims, so the VFs go back.
 * --no-seccomp leaves vibevmm unconfined, for debugging.
 */
#ifndef VIBEVMM_SECCOMP_H
#define VIBEVMM_SECCOMP_H

#define VMM_SECCOMP_EXIT	1	/* exit status after a forbidden call */

/* Allow unlinkat(@dirfd, ..., 0) in the filter installed next (-1: none). */
void vmm_seccomp_allow_unlinkat(int dirfd);
/* Confine the whole process; 0, or -1 after one error line. */
int vmm_seccomp_install(void);

#endif
