/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Starting vibevmm's threads: vCPUs, the console's input, each VFIO
 * device's service thread, device removal, the control socket.
 *
 * Each gets VMM_THREAD_STACK bytes of stack, not glibc's default (the
 * RLIMIT_STACK soft limit, 8 MiB on Debian).  An anonymous mapping of 8 MiB
 * holds whole 2 MiB-aligned ranges, and where transparent huge pages are
 * "always" (Debian's kernels' default) the first touch of such a range
 * takes a 2 MiB page on kernels before 6.7 (later ones give no huge page
 * to MAP_STACK mappings): a thread that uses a few KiB of stack can then
 * cost 2 MiB of resident memory, depending on where its stack lies.  A
 * stack smaller than 2 MiB cannot hold one by itself.  1 MiB is many
 * times the deepest call chain of these threads (the largest frames, path
 * buffers in the VFIO and cache code, are under 10 KiB; gcc -fstack-usage).
 * In the lab (Debian 6.1, THP always) the device removal thread's 8 MiB
 * stack held a 2 MiB huge page: 2 MiB of vibevmm's 4.5 MiB overhead
 * (Documentation/benchmarks.rst).
 */
#ifndef VIBEVMM_THREAD_H
#define VIBEVMM_THREAD_H

#include <pthread.h>

#define VMM_THREAD_STACK	(1024 * 1024)

/* pthread_create() with that stack size: 0 or an error number. */
int vmm_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
