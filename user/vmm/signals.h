/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vibevmm's signal policy, set once at the start of main() before any
 * thread exists (every thread inherits the mask):
 *
 * - The stop signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) are blocked in
 *   every thread for the whole life of the process.  The main thread takes
 *   them synchronously: between setup steps (signals_take_stop()) and while
 *   the VM runs (signals_wait_stop()).  So no signal interrupts a DMA
 *   mapping, a device reset or the VFIO teardown, and none lands in a
 *   service thread whose default action would end the process before it
 *   gave its devices back.
 * - SIGPIPE is ignored: a closed stdout (vibevmm ... | head) is an EPIPE
 *   the console handles, not the end of the process mid-teardown.
 * - SIGNALS_KICK (SIGUSR1) has an empty handler without SA_RESTART; it is
 *   blocked too, and only vCPU threads unblock it (signals_unblock_kick())
 *   so that vm_request_exit() can interrupt their KVM_RUN.
 */
#ifndef VIBEVMM_SIGNALS_H
#define VIBEVMM_SIGNALS_H

#include <signal.h>

#define SIGNALS_KICK	SIGUSR1

/* Install the policy above; 0 or -errno. */
int signals_init(void);
/* The stop signals as a set. */
void signals_stop_set(sigset_t *set);
/* Take a pending stop signal without waiting: its number, or 0. */
int signals_take_stop(void);
/* Wait up to @ms milliseconds for a stop signal: its number, or 0. */
int signals_wait_stop(unsigned int ms);
/* In a vCPU thread: let SIGNALS_KICK in. */
void signals_unblock_kick(void);

#endif
