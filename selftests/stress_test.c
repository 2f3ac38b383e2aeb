// SPDX-License-Identifier: GPL-2.0
/*
 * stress_test: the rows of the fault matrix that need no L2 guest
 * (Documentation/reliability.rst).  Each row repeats its fault
 * VFPOST_STRESS_RUNS times (2 in make check, 20 in make stress); after
 * every run, lib/stress.c checks that the kernel logged no splat, that no
 * vfpost irq, MSI-X vector, eventfd or module reference is left, and that
 * the VF works for a fresh open.  The "VMM" here is this process (or a
 * child) driving the VF's NVMe controller through VFIO, as vibevmm does.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfpost_fixture.h"
#include "fastpath.h"
#include "fault.h"
#include "kvm_vm.h"
#include "nvme_drv.h"
#include "stress.h"
#include "lab.h"
#include "vmm_run.h"

LAB_ONLY_SUITE("sriov_numvfs, the lab PF's nvme driver and NVMe resource commands")

#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define TEST_GSI	24
#define TEST_VECTOR	0x42
/* Allocation points tried per call before a sweep gives up. */
#define MAX_POINTS	400

FIXTURE(vf) {
	char bdf[LAB_BDF_LEN];
};

FIXTURE_SETUP(vf)
{
	ASSERT_EQ(0, fp_vf_setup(self->bdf));
}

FIXTURE_TEARDOWN(vf)
{
	fault_unload();
	EXPECT_EQ(0, fp_vf_teardown(self->bdf));
}

/* Open @bdf, vector 0 (and 1 if @efd1 >= 0) on the eventfds, controller on. */
static int open_and_start(struct vfio_dev *d, struct nvme_drv *n, const char *bdf,
			  int efd0, int efd1)
{
	int fds[2] = { efd0, efd1 };

	return fp_vf_start(d, n, bdf, fds, efd1 >= 0 ? 2 : 1);
}

/* Fires software triggers at one vector until told to stop. */
struct trigger_storm {
	struct vfio_dev *d;
	unsigned int vector;
	atomic_bool stop;
	long fired, errors;
};

static void *trigger_storm_fn(void *arg)
{
	struct trigger_storm *s = arg;

	while (!atomic_load(&s->stop)) {
		if (vfio_dev_irq_action(s->d, MSIX, VFIO_IRQ_SET_ACTION_TRIGGER,
					s->vector, 1))
			s->errors++;
		else
			s->fired++;
	}
	return NULL;
}

/* Whether the completion at the admin queue's head has been posted. */
static bool admin_cqe_posted(struct nvme_drv *n)
{
	volatile struct nvme_cqe *e = &n->admin.cq[n->admin.cq_head];

	return (e->status & 1) == n->admin.phase;
}

/*
 * Device I/O on the admin queue (vector 0) as an interrupt-driven driver
 * does it, one Get Features at a time: submit, wait for the interrupt,
 * reap the completion.  One command in flight means no two interrupts can
 * merge in the APIC's IRR (as they may when completions are polled), so
 * each completion must bring exactly one interrupt.  No command is
 * submitted once the reset is issued; the one in flight then may never
 * complete (the reset dropped it): it is given up after 100 ms without
 * its interrupt.  Before the reset, 10 s without one is a stall.  (The
 * thread's doorbell writes during a reset are harmless to QEMU's device;
 * a real device would want them held off.)
 */
struct io_storm {
	struct nvme_drv *n;
	int efd;
	atomic_bool stop, reset_issued, exited;
	atomic_long completed;
	long interrupts, errors, stalls, doubled, no_cqe, early;
	bool abandoned;		/* one command given up to the reset */
};

static void io_storm_run(struct io_storm *s)
{
	struct nvme_cqe cqe;
	long got;
	int waited;

	while (!atomic_load(&s->stop) && !atomic_load(&s->reset_issued)) {
		struct nvme_sqe cmd = { .opcode = NVME_ADM_GET_FEATURES, .cdw10 = 0x07 };

		if (nvme_drv_submit(s->n, &s->n->admin, &cmd)) {
			s->errors++;
			return;
		}
		for (waited = 0; !(got = fp_efd_wait(s->efd, 1, 100)); waited++) {
			if (atomic_load(&s->reset_issued)) {
				s->abandoned = true;
				return;
			}
			if (waited == 100) {
				s->stalls++;
				return;
			}
		}
		s->interrupts += got;
		if (got > 1)
			s->doubled++;
		/* The completion was written before its interrupt was sent. */
		if (!admin_cqe_posted(s->n))
			s->early++;
		if (nvme_drv_reap(s->n, &s->n->admin, &cqe, 1000)) {
			s->no_cqe++;
			return;
		}
		/* A command the reset aborted may complete with an error. */
		if ((cqe.status >> 1) && !atomic_load(&s->reset_issued))
			s->errors++;
		atomic_fetch_add(&s->completed, 1);
	}
}

static void *io_storm_fn(void *arg)
{
	struct io_storm *s = arg;

	io_storm_run(s);
	atomic_store(&s->exited, true);
	return NULL;
}

/* vfpost's own count of its handler's runs for vector @index, or -1. */
static long host_hits(const char *bdf, unsigned int index)
{
	struct vfpost_vector st;

	return fp_stats(bdf, index, &st) ? -1 : (long)st.host_hits;
}

/*
 * rmmod vfpost while a VMM has the VF open with a live vector and device
 * I/O flowing on it: refused by rmmod and by the kernel's delete_module
 * (the open device holds a reference on the module), never a hang or a
 * splat; the I/O goes on across the attempt, every completion with
 * exactly one interrupt, after its completion, and one run of vfpost's
 * handler, and no interrupt is left over.
 */
TEST_F_TIMEOUT(vf, rmmod_while_open, 1200)
{
	char why[512];
	struct stress_row row;
	struct io_storm io;
	struct vfio_dev d;
	struct nvme_drv n;
	pthread_t io_thr;
	long before, host0, host, left;
	int i, w, efd;

	STRESS_ROW_WANTED("rmmod_while_open");
	stress_begin(&row, "rmmod_while_open");
	for (i = 0; i < row.runs; i++) {
		RUN_START();
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, efd);
		ASSERT_EQ(0, open_and_start(&d, &n, self->bdf, efd, -1));
		host0 = host_hits(self->bdf, 0);
		memset(&io, 0, sizeof(io));
		io.n = &n;
		io.efd = efd;
		ASSERT_EQ(0, pthread_create(&io_thr, NULL, io_storm_fn, &io));
		for (w = 0; w < 1000 && atomic_load(&io.completed) < 5 &&
		     !atomic_load(&io.exited); w++)
			usleep(10000);
		EXPECT_EQ(0, vfpost_rmmod_refused(why, sizeof(why))) TH_LOG("run %d: %s", i, why);
		EXPECT_TRUE(vfpost_loaded());
		/* The I/O goes on after the refusal. */
		before = atomic_load(&io.completed);
		for (w = 0; w < 1000 && atomic_load(&io.completed) < before + 5 &&
		     !atomic_load(&io.exited); w++)
			usleep(10000);
		atomic_store(&io.stop, true);
		pthread_join(io_thr, NULL);
		EXPECT_LE(before + 5, atomic_load(&io.completed))
			TH_LOG("run %d: %ld commands before the rmmod, %ld after it",
			       i, before, atomic_load(&io.completed) - before);
		EXPECT_EQ(0, io.errors) TH_LOG("run %d: %ld commands failed", i, io.errors);
		EXPECT_EQ(0, io.stalls) TH_LOG("run %d: a command without its interrupt", i);
		EXPECT_EQ(0, io.no_cqe) TH_LOG("run %d: an interrupt without its completion", i);
		EXPECT_EQ(0, io.doubled) TH_LOG("run %d: a command brought two interrupts", i);
		EXPECT_EQ(0, io.early) TH_LOG("run %d: %ld interrupts before their completion",
					      i, io.early);
		left = fp_efd_settle(efd, 100);
		EXPECT_EQ(0, left) TH_LOG("run %d: %ld interrupts after the last completion",
					  i, left);
		EXPECT_EQ(atomic_load(&io.completed), io.interrupts)
			TH_LOG("run %d: %ld completions, %ld interrupts", i,
			       atomic_load(&io.completed), io.interrupts);
		host = host_hits(self->bdf, 0);
		EXPECT_EQ(io.interrupts + left, host - host0)
			TH_LOG("run %d: %ld interrupts in the eventfd, %ld runs of vfpost's handler",
			       i, io.interrupts + left, host - host0);
		nvme_drv_fini(&n);
		vfio_dev_close(&d);
		/* Were it ever to complete, the next run needs vfpost back. */
		if (!vfpost_loaded()) {
			ASSERT_EQ(0, vfpost_load());
			ASSERT_EQ(0, lab_bind(self->bdf, "vfpost"));
		}
		stress_check(&row, self->bdf, efd, RUN_OK());
		close(efd);
	}
	stress_end(&row);
	EXPECT_EQ(row.runs, row.passed);
}

/*
 * A device reset (@sysfs: the VF's sysfs "reset"; else VFIO_DEVICE_RESET
 * from the VMM) while vector 1 takes a storm of software triggers and
 * vector 0 the device interrupts of commands in a loop: every trigger
 * arrives exactly once; every completion brings exactly one interrupt,
 * vfpost's host count agreeing; a command in flight at the reset brings at
 * most one more, and must if its completion was posted; after the
 * controller is brought up again vector 0 delivers once more and its host
 * count follows.
 */
static void reset_mid_storm(struct __test_metadata *_metadata,
			    FIXTURE_DATA(vf) *self, bool sysfs, const char *name)
{
	struct trigger_storm s;
	struct io_storm io;
	struct stress_row row;
	struct vfio_dev d;
	struct nvme_drv n;
	pthread_t thr, io_thr;
	char path[96];
	long host, host0, got, done, late;
	int in_flight[3] = { 0 };	/* none, dropped, completed */
	uint32_t res;
	int i, w, efd[2], reset, fate;
	bool posted;

	STRESS_ROW_WANTED(name);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", self->bdf);
	stress_begin(&row, name);
	for (i = 0; i < row.runs; i++) {
		RUN_START();
		efd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		efd[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, efd[0]);
		ASSERT_LE(0, efd[1]);
		ASSERT_EQ(0, open_and_start(&d, &n, self->bdf, efd[0], efd[1]));
		host0 = fp_host_count(self->bdf, 0);
		memset(&s, 0, sizeof(s));
		s.d = &d;
		s.vector = 1;
		memset(&io, 0, sizeof(io));
		io.n = &n;
		io.efd = efd[0];
		ASSERT_EQ(0, pthread_create(&thr, NULL, trigger_storm_fn, &s));
		ASSERT_EQ(0, pthread_create(&io_thr, NULL, io_storm_fn, &io));
		/* The reset lands among commands: a few done first. */
		for (w = 0; w < 1000 && atomic_load(&io.completed) < 5 &&
		     !atomic_load(&io.exited); w++)
			usleep(10000);
		EXPECT_LE(5, atomic_load(&io.completed))
			TH_LOG("run %d: %ld commands completed before the reset",
			       i, atomic_load(&io.completed));
		atomic_store(&io.reset_issued, true);
		reset = sysfs ? lab_write_file(path, "1") : ioctl(d.fd, VFIO_DEVICE_RESET);
		if (reset < 0 && !sysfs)
			reset = -errno;
		EXPECT_EQ(0, reset) TH_LOG("run %d: %s: %s", i,
					   sysfs ? "sysfs reset" : "VFIO_DEVICE_RESET",
					   strerror(-reset));
		/* A reset that did nothing would leave the controller ready. */
		if (!reset) {
			EXPECT_EQ(0, nvme_drv_wait_ready(&n, false))
				TH_LOG("run %d: the controller after the reset", i);
		}
		usleep(20000);
		atomic_store(&s.stop, true);
		atomic_store(&io.stop, true);
		pthread_join(thr, NULL);
		pthread_join(io_thr, NULL);
		EXPECT_EQ(0, s.errors) TH_LOG("run %d: %ld triggers refused", i, s.errors);
		got = fp_efd_wait(efd[1], s.fired, 5000);
		got += fp_efd_settle(efd[1], 100);
		EXPECT_EQ(s.fired, got) TH_LOG("run %d: %ld triggers fired, %ld arrived",
					       i, s.fired, got);
		EXPECT_EQ(0, io.errors)
			TH_LOG("run %d: %ld commands failed, reaped before the reset was issued",
			       i, io.errors);
		EXPECT_EQ(0, io.stalls)
			TH_LOG("run %d: no interrupt for a command before the reset was issued", i);
		EXPECT_EQ(0, io.no_cqe) TH_LOG("run %d: an interrupt without its completion", i);
		EXPECT_EQ(0, io.early) TH_LOG("run %d: %ld interrupts before their completion",
					      i, io.early);
		EXPECT_EQ(0, io.doubled) TH_LOG("run %d: a command brought two interrupts", i);
		done = atomic_load(&io.completed);
		late = fp_efd_settle(efd[0], 100);
		/* Read now, with the thread gone: posted until the reset landed. */
		posted = io.abandoned && admin_cqe_posted(&n);
		EXPECT_GE(io.abandoned ? 1 : 0, late)
			TH_LOG("run %d: %ld vector 0 interrupts after the last completion%s",
			       i, late, io.abandoned ? " (one command given up)" : "");
		/*
		 * The given-up command's completion was in the queue, so its
		 * interrupt was sent: in QEMU both come in one step, which a
		 * reset does not split (a real device's FLR may drop the
		 * message after the completion's write).
		 */
		EXPECT_FALSE(posted && !late)
			TH_LOG("run %d: the completion of the command in flight was posted, its interrupt never came",
			       i);
		/* The kernel's count of vector 0's interrupts (/proc/interrupts). */
		host = fp_host_count(self->bdf, 0);
		EXPECT_EQ(io.interrupts + late, host - host0)
			TH_LOG("run %d: %ld vector 0 interrupts in the eventfd, %ld in /proc/interrupts",
			       i, io.interrupts + late, host - host0);
		/* The reset cleared the controller, not MSI-X. */
		nvme_drv_fini(&n);
		ASSERT_EQ(0, nvme_drv_init(&n, &d));
		ASSERT_EQ(0, nvme_drv_enable(&n));
		got = fp_efd_settle(efd[0], 10);
		EXPECT_EQ(0, got) TH_LOG("run %d: %ld vector 0 interrupts after the settle", i, got);
		ASSERT_EQ(0, nvme_drv_get_features(&n, 0x07, &res));
		got = fp_efd_wait(efd[0], 1, 5000);
		got += fp_efd_settle(efd[0], 100);
		EXPECT_EQ(1, got) TH_LOG("run %d: vector 0 after reset: %ld interrupts", i, got);
		EXPECT_LT(host, fp_host_count(self->bdf, 0)) TH_LOG("run %d: host count", i);
		fate = !io.abandoned ? 0 : posted || late ? 2 : 1;
		in_flight[fate]++;
		if (i == 0 || !RUN_OK())
			ksft_print_msg("%s: run %d: %ld commands and interrupts on vector 0, %s, %ld late; %ld triggers on vector 1 across the reset\n",
				       name, i, done,
				       fate == 0 ? "none in flight at the reset" :
				       fate == 2 ? "one in flight, completed" :
				       "one in flight, dropped", late, s.fired);
		nvme_drv_fini(&n);
		vfio_dev_close(&d);
		close(efd[1]);
		stress_check(&row, self->bdf, efd[0], RUN_OK());
		close(efd[0]);
	}
	ksft_print_msg("%s: the command in flight at the reset: none in %d runs, dropped in %d, completed in %d\n",
		       name, in_flight[0], in_flight[1], in_flight[2]);
	stress_end(&row);
	EXPECT_EQ(row.runs, row.passed);
}

TEST_F_TIMEOUT(vf, vfio_reset_mid_storm, 1200)
{
	reset_mid_storm(_metadata, self, false, "vfio_reset_mid_storm");
}

TEST_F_TIMEOUT(vf, sysfs_reset_mid_storm, 1200)
{
	reset_mid_storm(_metadata, self, true, "sysfs_reset_mid_storm");
}

/*
 * Assigns and deassigns one irqfd as fast as it can, counting generations,
 * except while asked to pause in a given state.  Paused at a random moment
 * it would mostly be found without an irqfd: a deassign flushes KVM's
 * irqfd cleanup work (SRCU, the bypass consumer), far longer than an assign.
 */
struct irqfd_churn {
	struct kvm_vm *vm;
	int efd;
	atomic_bool stop;
	atomic_long gen;	/* odd while an assign or deassign is under way */
	/*
	 * The pause handshake needs the default, sequentially consistent
	 * atomics: the thread stores parked = false then loads quiet, the
	 * test stores quiet = true then loads parked; with acquire/release
	 * alone both could miss the other's store, and a call would run while
	 * the test believes the thread parked.  A stale parked = true is
	 * harmless: the thread looks at quiet again before any call.
	 */
	atomic_bool quiet;	/* asked to pause between two calls ... */
	atomic_bool want;	/* ... with an irqfd assigned or not */
	atomic_bool parked;	/* pausing: no call under way until quiet clears */
	atomic_bool on;		/* an irqfd assigned; set before parked */
	long errors;
};

static void *irqfd_churn_fn(void *arg)
{
	struct irqfd_churn *c = arg;
	bool on = false;

	while (!atomic_load(&c->stop)) {
		/* One more call first if the state asked for is the other. */
		if (atomic_load(&c->quiet) && on == atomic_load(&c->want)) {
			atomic_store(&c->on, on);
			atomic_store(&c->parked, true);
			while (atomic_load(&c->quiet) && !atomic_load(&c->stop))
				usleep(100);
			atomic_store(&c->parked, false);
			continue;
		}
		atomic_fetch_add(&c->gen, 1);
		if (kvm_vm_irqfd(c->vm, c->efd, !on))
			c->errors++;
		else
			on = !on;
		atomic_fetch_add(&c->gen, 1);
	}
	if (on && kvm_vm_irqfd(c->vm, c->efd, false))
		c->errors++;
	return NULL;
}

#define CHURN_TRIGGERS	200

/* The churn thread reached (@parked) or left the pause, within 5 s. */
static bool churn_wait_parked(struct irqfd_churn *c, bool parked)
{
	double end = vmm_now() + 5;

	while (atomic_load(&c->parked) != parked && vmm_now() < end)
		usleep(100);
	return atomic_load(&c->parked) == parked;
}

/*
 * KVM irqfds assigned and deassigned on the vector's eventfd while the
 * vector fires, in turns of four by a software trigger and by the device
 * (a Get Features whose completion interrupts): each interrupt lands
 * exactly once, in the eventfd or in the vCPU's IRR, and each device
 * interrupt comes with its completion and one run of vfpost's handler.  Both at once is KVM's documented merge when an
 * irqfd is assigned while the eventfd holds a count (it injects what is
 * pending and leaves the count), so it is allowed only when an assign ran
 * during that trigger.  Every other trigger fires with the churn paused
 * between two calls, in turn with and without an irqfd: it must land only
 * where that state says (the IRR with an irqfd, the eventfd without), so
 * a double delivery cannot pass for the merge.  Afterwards the bypass
 * state follows the irqfd.  (vfpost's handler count is the lab's: with
 * posting hardware a connected bypass would leave it still.)
 */
TEST_F_TIMEOUT(vf, irqfd_churn, 1200)
{
	long lost = 0, doubled = 0, merged = 0, misrouted = 0, quiet_on = 0, ev, g0;
	long device, no_cqe, early, late, host0, host;
	struct nvme_cqe cqe;
	struct vfpost_vector st;
	struct irqfd_churn c;
	struct stress_row row;
	struct kvm_vm vm;
	struct vfio_dev d;
	struct nvme_drv n;
	pthread_t thr;
	bool connects, quiet, on, from_device;
	uint32_t res;
	int i, t, w, efd, irr;

	STRESS_ROW_WANTED("irqfd_churn");
	stress_begin(&row, "irqfd_churn");
	for (i = 0; i < row.runs; i++) {
		RUN_START();
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, efd);
		ASSERT_EQ(0, open_and_start(&d, &n, self->bdf, efd, -1));
		ASSERT_EQ(0, kvm_vm_create(&vm, TEST_GSI, TEST_VECTOR));
		/* Does this kernel pair KVM's consumer at all (6.1 yes, 6.12 no)? */
		ASSERT_EQ(0, kvm_vm_irqfd(&vm, efd, true));
		ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
		connects = st.bypass == VFPOST_BYPASS_STATE_CONNECTED;
		ASSERT_EQ(0, kvm_vm_irqfd(&vm, efd, false));

		memset(&c, 0, sizeof(c));
		c.vm = &vm;
		c.efd = efd;
		device = 0;
		no_cqe = 0;
		early = 0;
		late = 0;
		host0 = host_hits(self->bdf, 0);
		ASSERT_EQ(0, pthread_create(&thr, NULL, irqfd_churn_fn, &c));
		for (t = 0; t < CHURN_TRIGGERS; t++) {
			struct nvme_sqe cmd = { .opcode = NVME_ADM_GET_FEATURES,
						.cdw10 = 0x07 };

			quiet = t & 1;
			from_device = t & 4;
			if (quiet) {
				atomic_store(&c.want, t & 2);
				atomic_store(&c.quiet, true);
				if (!churn_wait_parked(&c, true)) {
					atomic_store(&c.quiet, false);
					EXPECT_TRUE(false)
						TH_LOG("run %d: KVM_IRQFD calls took over 5 s", i);
					break;
				}
			}
			on = atomic_load(&c.on);
			/* Left in the eventfd by the previous turn: a late double. */
			ev = fp_efd_settle(efd, 0);
			if (t)
				late += ev;
			ASSERT_LE(0, kvm_vm_clear_irr(&vm));
			g0 = atomic_load(&c.gen);
			if (from_device) {
				ASSERT_EQ(0, nvme_drv_submit(&n, &n.admin, &cmd));
				device++;
			} else {
				ASSERT_EQ(0, vfio_dev_irq_action(&d, MSIX,
								 VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
			}
			ev = 0;
			irr = 0;
			/* It went one way or the other within 2 s. */
			for (w = 0; w < 200 && !ev && !irr; w++) {
				ev = fp_efd_settle(efd, 10);
				irr = kvm_vm_irr(&vm);
			}
			/* The completion was written before its interrupt was sent. */
			if (from_device && (ev || irr > 0) && !admin_cqe_posted(&n))
				early++;
			/* KVM may still inject what an assign found pending. */
			if (ev && !irr)
				irr = kvm_vm_irr(&vm);
			/*
			 * An assign that found the count injected it and left
			 * it: it is in the eventfd already, read it now.
			 */
			if (irr > 0 && !ev)
				ev = fp_efd_settle(efd, 0);
			if (from_device && nvme_drv_reap(&n, &n.admin, &cqe, 1000))
				no_cqe++;
			if (!ev && irr <= 0)
				lost++;
			else if (ev > 1 || (ev && irr > 0 && atomic_load(&c.gen) == g0))
				doubled++;
			else if (ev && irr > 0)
				merged++;
			if (quiet) {
				if (atomic_load(&c.gen) != g0 ||
				    (on ? ev || irr <= 0 : ev != 1 || irr))
					misrouted++;
				quiet_on += on;
				atomic_store(&c.quiet, false);
				/* Gone from the pause, so that the next one is new. */
				EXPECT_TRUE(churn_wait_parked(&c, false));
			}
		}
		atomic_store(&c.stop, true);
		pthread_join(thr, NULL);
		EXPECT_EQ(0, c.errors) TH_LOG("run %d: %ld KVM_IRQFD calls failed", i, c.errors);
		EXPECT_EQ(0, lost)
			TH_LOG("run %d: %ld of %d interrupts lost", i, lost, CHURN_TRIGGERS);
		EXPECT_EQ(0, doubled) TH_LOG("run %d: %ld interrupts doubled outside an assign",
					     i, doubled);
		EXPECT_EQ(0, misrouted)
			TH_LOG("run %d: %ld of %d interrupts with the churn paused not where the irqfd state says",
			       i, misrouted, CHURN_TRIGGERS / 2);
		EXPECT_EQ(0, no_cqe)
			TH_LOG("run %d: %ld of %ld device interrupts without their completion",
			       i, no_cqe, device);
		EXPECT_EQ(0, early)
			TH_LOG("run %d: %ld of %ld device interrupts before their completion",
			       i, early, device);
		late += fp_efd_settle(efd, 100);
		EXPECT_EQ(0, late) TH_LOG("run %d: %ld interrupts came late, after their turn",
					  i, late);
		host = host_hits(self->bdf, 0);
		EXPECT_EQ(device, host - host0)
			TH_LOG("run %d: %ld device interrupts, %ld runs of vfpost's handler",
			       i, device, host - host0);

		/* Settled: the bypass follows the irqfd, and delivery works. */
		ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
		EXPECT_EQ(VFPOST_BYPASS_STATE_REGISTERED, (int)st.bypass)
			TH_LOG("run %d: bypass state %d with no irqfd", i, (int)st.bypass);
		ASSERT_EQ(0, kvm_vm_clear_irr(&vm));
		ASSERT_EQ(0, kvm_vm_irqfd(&vm, efd, true));
		ASSERT_EQ(0, fp_stats(self->bdf, 0, &st));
		EXPECT_EQ(connects ? VFPOST_BYPASS_STATE_CONNECTED :
			  VFPOST_BYPASS_STATE_REGISTERED, (int)st.bypass);
		fp_efd_settle(efd, 0);
		ASSERT_EQ(0, kvm_vm_clear_irr(&vm));
		ASSERT_EQ(0, nvme_drv_get_features(&n, 0x07, &res));
		EXPECT_EQ(1, kvm_vm_wait_irr(&vm, 5000))
			TH_LOG("run %d: device interrupt not in the IRR", i);
		ASSERT_EQ(0, kvm_vm_irqfd(&vm, efd, false));
		kvm_vm_destroy(&vm);
		nvme_drv_fini(&n);
		vfio_dev_close(&d);
		stress_check(&row, self->bdf, efd, RUN_OK());
		close(efd);
	}
	ksft_print_msg("irqfd_churn: %d interrupts per run, half from the device, half with the churn paused (%ld of those with an irqfd over %d runs), %ld merged by an assign\n",
		       CHURN_TRIGGERS, quiet_on, row.runs, merged);
	stress_end(&row);
	EXPECT_EQ(row.runs, row.passed);
}

/*
 * The VMM (a child driving admin commands back to back) is SIGKILLed while
 * its interrupts flow: no vfpost irq is left, the owner is cleared, and the
 * VF reopens and delivers.
 */
TEST_F_TIMEOUT(vf, vmm_sigkill_mid_storm, 1200)
{
	struct stress_row row;
	struct vfpost_vf vf;
	struct vfpost *h;
	long base, hits;
	int i, j, st, err;
	pid_t pid;

	STRESS_ROW_WANTED("vmm_sigkill_mid_storm");
	h = vfpost_open(&err);
	ASSERT_NE(NULL, h) TH_LOG("%s", vfpost_strerror(err));
	stress_begin(&row, "vmm_sigkill_mid_storm");
	for (i = 0; i < row.runs; i++) {
		RUN_START();
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			fp_storm(self->bdf);
		base = 0;
		hits = 0;
		for (j = 0; j < 600 && hits - base < 50; j++) {
			usleep(50000);
			hits = fp_host_count(self->bdf, 0);
			if (base <= 0)
				base = hits;
			if (waitpid(pid, &st, WNOHANG) == pid) {
				pid = -1;
				break;
			}
		}
		ASSERT_LT(0, pid) TH_LOG("run %d: the storm died by itself", i);
		EXPECT_LE(50, hits - base) TH_LOG("run %d: no storm", i);
		EXPECT_EQ(0, vfpost_vf_get(h, self->bdf, &vf));
		EXPECT_EQ((uint32_t)pid, vf.owner_pid);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_EQ(0, fp_vfpost_irqs()) TH_LOG("run %d: vfpost irq left", i);
		EXPECT_EQ(0, vfpost_vf_get(h, self->bdf, &vf));
		EXPECT_EQ(0u, vf.owner_pid);
		stress_check(&row, self->bdf, -1, RUN_OK());
	}
	vfpost_close(h);
	stress_end(&row);
	EXPECT_EQ(row.runs, row.passed);
}

/*
 * Allocation failures: the call ->call(), for every allocation point it
 * passes (the nth slab allocation of this process, n = 1, 2, ... until the
 * call makes fewer), fails cleanly: an errno, or success if the failed
 * allocation was optional; ->unchanged() then finds the state as before, and
 * the same call without a failure works.  One run is one whole sweep.
 */
struct alloc_sweep {
	/* Make the call; 0 or -errno. */
	int (*call)(void *ctx);
	/* Undo a successful call. */
	void (*undo)(void *ctx);
	/* The state is as before the call; false (with a line) if not. */
	bool (*unchanged)(void *ctx);
	void *ctx;
};

static int alloc_sweep(struct __test_metadata *_metadata, const struct alloc_sweep *s,
		       const char *what)
{
	int nth, ret, failed = 0;
	bool fired;

	for (nth = 1; nth <= MAX_POINTS; nth++) {
		ASSERT_EQ(0, fault_arm(nth, -ENOMEM));
		ret = s->call(s->ctx);
		fired = fault_disarm();
		if (!fired) {
			/* Fewer allocations than nth: the sweep is complete. */
			EXPECT_EQ(0, ret) TH_LOG("%s failed with no injected failure: %s",
						 what, strerror(-ret));
			if (!ret)
				s->undo(s->ctx);
			break;
		}
		if (!ret) {
			s->undo(s->ctx);
		} else {
			failed++;
			EXPECT_TRUE(s->unchanged(s->ctx))
				TH_LOG("%s, allocation %d failed (%s): state changed",
				       what, nth, strerror(-ret));
			EXPECT_EQ(0, stress_leaks(NULL, -1))
				TH_LOG("%s, allocation %d failed: leak", what, nth);
		}
		/* The next call works. */
		ret = s->call(s->ctx);
		EXPECT_EQ(0, ret) TH_LOG("%s after allocation %d failed: %s", what, nth,
					 strerror(-ret));
		if (!ret)
			s->undo(s->ctx);
	}
	EXPECT_GT(MAX_POINTS, nth) TH_LOG("%s: more than %d allocations", what, MAX_POINTS);
	printf("# %s: %d allocation points, %d made the call fail (%s backend)\n",
	       what, nth - 1, failed, fault_backend());
	return nth - 1;
}

/* Open: VFIO_GROUP_GET_DEVICE_FD, where vfpost's open_device runs. */
struct open_ctx {
	struct vfio_dev d;
	int fd;
};

static int open_call(void *arg)
{
	struct open_ctx *c = arg;

	c->fd = ioctl(c->d.group, VFIO_GROUP_GET_DEVICE_FD, c->d.bdf);
	return c->fd < 0 ? -errno : 0;
}

static void open_undo(void *arg)
{
	struct open_ctx *c = arg;

	close(c->fd);
	c->fd = -1;
}

static bool open_unchanged(void *arg)
{
	struct open_ctx *c = arg;
	struct vfpost_vf vf;
	struct vfpost *h;
	bool ok;
	int err;

	h = vfpost_open(&err);
	if (!h)
		return false;
	ok = !vfpost_vf_get(h, c->d.bdf, &vf) && !vf.owner_pid &&
	     vf.state != VFPOST_VF_OPEN;
	if (!ok)
		fprintf(stderr, "stress: %s: owner %u state %d after a failed open\n",
			c->d.bdf, vf.owner_pid, (int)vf.state);
	vfpost_close(h);
	return ok;
}

TEST_F_TIMEOUT(vf, alloc_fail_open, 1200)
{
	struct open_ctx c = { .fd = -1 };
	struct alloc_sweep s = { open_call, open_undo, open_unchanged, &c };
	struct stress_row row;
	int i;

	STRESS_ROW_WANTED("alloc_fail_open");
	ASSERT_EQ(0, fault_load(FAULT_SLAB));
	/*
	 * vfpost's open allocates nothing of its own (its vector table comes
	 * with the first attach): the allocations of the vfio-pci core it
	 * calls fail instead, and vfpost must unwind around them.
	 */
	ASSERT_EQ(0, fault_only_from("vfpost", true));
	stress_begin(&row, "alloc_fail_open");
	for (i = 0; i < row.runs; i++) {
		RUN_START();
		/* Container and group first: the device open is what is tried. */
		ASSERT_EQ(0, vfio_dev_open(&c.d, self->bdf));
		close(c.d.fd);
		c.d.fd = -1;
		EXPECT_LT(0, alloc_sweep(_metadata, &s, "open"));
		vfio_dev_close(&c.d);
		stress_check(&row, self->bdf, -1, RUN_OK());
	}
	stress_end(&row);
	EXPECT_EQ(row.runs, row.passed);
}

/* Attach: SET_IRQS of vectors 0 and 1 on a device with MSI-X off. */
struct attach_ctx {
	struct vfio_dev d;
	int efd[2];
};

static int attach_call(void *arg)
{
	struct attach_ctx *c = arg;

	return vfio_dev_irq_set_eventfds(&c->d, MSIX, 0, 2, c->efd);
}

static void attach_undo(void *arg)
{
	struct attach_ctx *c = arg;

	vfio_dev_irq_set_eventfds(&c->d, MSIX, 0, 0, NULL);
}

static bool attach_unchanged(void *arg)
{
	struct attach_ctx *c = arg;
	int irqs = fp_vfpost_irqs(), msi = fp_msi_irqs(c->d.bdf);

	if (irqs || msi)
		fprintf(stderr, "stress: %s: %d vfpost irqs, %d MSI-X vectors after a failed attach\n",
			c->d.bdf, irqs, msi);
	return !irqs && !msi;
}

TEST_F_TIMEOUT(vf, alloc_fail_attach, 1200)
{
	struct attach_ctx c;
	struct alloc_sweep s = { attach_call, attach_undo, attach_unchanged, &c };
	struct stress_row row;
	int i;

	STRESS_ROW_WANTED("alloc_fail_attach");
	ASSERT_EQ(0, fault_load(FAULT_SLAB));
	ASSERT_EQ(0, fault_only_from("vfpost", false));
	stress_begin(&row, "alloc_fail_attach");
	for (i = 0; i < row.runs; i++) {
		RUN_START();
		c.efd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		c.efd[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, c.efd[0]);
		ASSERT_LE(0, c.efd[1]);
		ASSERT_EQ(0, vfio_dev_open(&c.d, self->bdf));
		EXPECT_LT(0, alloc_sweep(_metadata, &s, "attach"));
		vfio_dev_close(&c.d);
		close(c.efd[1]);
		/* The kernel holds no producer on the failed calls' eventfd. */
		stress_check(&row, self->bdf, c.efd[0], RUN_OK());
		close(c.efd[0]);
	}
	stress_end(&row);
	EXPECT_EQ(row.runs, row.passed);
}

/* Claim: the netlink CLAIM of an unbound VF, then its release. */
struct claim_ctx {
	struct vfpost *h;
	const char *bdf;
};

static int claim_call(void *arg)
{
	struct claim_ctx *c = arg;

	return vfpost_claim(c->h, c->bdf, NULL);
}

static void claim_undo(void *arg)
{
	struct claim_ctx *c = arg;

	if (vfpost_release(c->h, c->bdf, NULL))
		fprintf(stderr, "stress: release %s: %s\n", c->bdf, vfpost_errmsg(c->h));
}

static bool claim_unchanged(void *arg)
{
	struct claim_ctx *c = arg;
	struct vfpost_vf vf = { .claimed = false };
	char drv[64];

	if (lab_driver_of(c->bdf, drv, sizeof(drv)) || drv[0] ||
	    vfpost_vf_get(c->h, c->bdf, &vf) || vf.claimed) {
		fprintf(stderr, "stress: %s: driver '%s', claimed %d after a failed claim\n",
			c->bdf, drv, (int)vf.claimed);
		return false;
	}
	return true;
}

TEST_F_TIMEOUT(mod, alloc_fail_claim, 1200)
{
	struct claim_ctx c = { .bdf = self->vf[0] };
	struct alloc_sweep s = { claim_call, claim_undo, claim_unchanged, &c };
	char bdfs[1][LAB_BDF_LEN];
	struct stress_row row;
	int i;

	STRESS_ROW_WANTED("alloc_fail_claim");
	c.h = self->h;
	ASSERT_EQ(1, lab_vfs_up(1, bdfs));
	ASSERT_EQ(0, fault_load(FAULT_SLAB));
	ASSERT_EQ(0, fault_only_from("vfpost", false));
	stress_begin(&row, "alloc_fail_claim");
	for (i = 0; i < row.runs; i++) {
		RUN_START();
		EXPECT_LT(0, alloc_sweep(_metadata, &s, "claim"));
		/* Usable by a fresh open once bound to vfpost again. */
		ASSERT_EQ(0, lab_bind(c.bdf, "vfpost"));
		stress_check(&row, c.bdf, -1, RUN_OK());
		ASSERT_EQ(0, lab_bind(c.bdf, ""));
	}
	stress_end(&row);
	EXPECT_EQ(0, fault_unload());
	EXPECT_EQ(row.runs, row.passed);
}

/*
 * A request whose message the kernel could not even take (the socket
 * buffer's allocation in netlink_sendmsg fails) fails, and the next
 * request on the same libvfpost handle works: one unanswered request must
 * not desynchronise the handle's sequence numbers.
 */
TEST_F_TIMEOUT(mod, failed_send_leaves_the_handle_usable, 120)
{
	struct vfpost_vf vf;
	int i, ret;

	ASSERT_EQ(0, lab_set_numvfs(1));
	ASSERT_EQ(0, fault_load("__alloc_skb"));
	for (i = 0; i < stress_runs(); i++) {
		ASSERT_EQ(0, fault_arm(1, 0));
		ret = vfpost_vf_get(self->h, self->vf[0], &vf);
		EXPECT_TRUE(fault_disarm()) TH_LOG("run %d: no failure injected", i);
		EXPECT_NE(0, ret) TH_LOG("run %d: the request worked without its message", i);
		EXPECT_EQ(0, vfpost_vf_get(self->h, self->vf[0], &vf))
			TH_LOG("run %d: next request: %s", i, vfpost_errmsg(self->h));
	}
	EXPECT_EQ(0, fault_unload());
}

/*
 * The PF's driver (nvme) unbound while its VFs are claimed by vfpost: the
 * VFs stay (SR-IOV stays on), and the registry still matches sysfs, claims
 * and all; with the PF back and SR-IOV off, no entry is left.
 */
TEST_F_TIMEOUT(mod, pf_unbind_while_claimed, 1200)
{
	char bdfs[1][LAB_BDF_LEN], when[64];
	struct stress_row row;
	struct vfpost_vf vf;
	struct dump d;
	int i, j;

	STRESS_ROW_WANTED("pf_unbind_while_claimed");
	stress_begin(&row, "pf_unbind_while_claimed");
	for (i = 0; i < row.runs; i++) {
		RUN_START();
		/* Claims need no online controller: plain VFs are quicker. */
		ASSERT_EQ(0, lab_set_numvfs(2));
		for (j = 0; j < 2; j++) {
			ASSERT_EQ(0, vfpost_claim(self->h, self->vf[j], NULL))
				TH_LOG("%s", vfpost_errmsg(self->h));
		}
		ASSERT_EQ(0, lab_write_file("/sys/bus/pci/drivers/nvme/unbind", LAB_PF_BDF));
		snprintf(when, sizeof(when), "run %d, PF unbound", i);
		expect_dump_matches_sysfs(_metadata, self->h, when);
		for (j = 0; j < 2; j++) {
			EXPECT_EQ(0, vfpost_vf_get(self->h, self->vf[j], &vf));
			EXPECT_TRUE(vf.claimed) TH_LOG("%s: %s lost its claim", when, self->vf[j]);
		}
		ASSERT_EQ(0, lab_write_file("/sys/bus/pci/drivers/nvme/bind", LAB_PF_BDF));
		for (j = 0; j < 2; j++) {
			EXPECT_EQ(0, vfpost_release(self->h, self->vf[j], NULL))
				TH_LOG("%s", vfpost_errmsg(self->h));
		}
		snprintf(when, sizeof(when), "run %d, PF back", i);
		expect_dump_matches_sysfs(_metadata, self->h, when);
		ASSERT_EQ(0, lab_set_numvfs(0));
		snprintf(when, sizeof(when), "run %d, SR-IOV off", i);
		expect_dump_matches_sysfs(_metadata, self->h, when);
		d.n = 0;
		EXPECT_EQ(0, list_consistent(self->h, &d));
		EXPECT_EQ(0, d.n) TH_LOG("%s: %d stale entries", when, d.n);
		/* A fresh VF works through vfpost. */
		ASSERT_EQ(1, lab_vfs_up(1, bdfs));
		ASSERT_EQ(0, lab_bind(bdfs[0], "vfpost"));
		stress_check(&row, bdfs[0], -1, RUN_OK());
		ASSERT_EQ(0, lab_bind(bdfs[0], ""));
		ASSERT_EQ(0, lab_set_numvfs(0));
	}
	stress_end(&row);
	EXPECT_EQ(row.runs, row.passed);
}

TEST_HARNESS_MAIN
