// SPDX-License-Identifier: GPL-2.0
/*
 * bench guest: the measurement loops.  Options come from the kernel command
 * line (vibevmm --cmdline):
 *
 *   guest.mode=hello   boot, report CPU facts and the NVMe device seen, exit
 *   guest.mode=irq     guest.count=N Get Features commands one at a time;
 *                      each completion must raise MSI-X vector 0
 *   guest.mode=storm   guest.rounds=R times: MSI-X off, then on with vector
 *                      0, then unmask vectors 1..guest.vectors-1 one by one
 *                      (as Linux drivers do), guest.work=K commands between
 *                      two enables and one in flight across each enable
 *   guest.irq_wait_us=T  how long to wait for an interrupt after its
 *                      completion before counting it as late (default 20000)
 *   guest.tsc_khz=K    the TSC rate, when the host knows it better than the
 *                      hypervisor timing leaf (vibevmm announces KVM's rate
 *                      there) or a PIT calibration, which a loaded, nested,
 *                      emulated machine gets wrong
 *   guest.mode=hostile attack the VMM through every NVMe function (hostile.c):
 *                      guest.ops=N random accesses (default 2000) from a
 *                      PRNG seeded with guest.seed=S (printed first), then
 *                      check what the VMM must still emulate
 *   guest.mode=soak    guest.seconds=T of Get Features commands, one at a time,
 *                      each followed by its interrupt, with, between them
 *                      and chosen by a PRNG seeded with guest.seed=S: vector
 *                      0 masked across a command (its interrupt must wait
 *                      for the unmask), the function masked likewise, MSI-X
 *                      disabled and enabled (vectors detached and attached
 *                      again), vector 0 re-aimed at another CPU vector (a
 *                      new route for its irqfd), vector 1 masked or unmasked
 *   guest.mode=chatter guest.count=N console lines as fast as the UART takes
 *                      them (vibevmm's console with a slow or closed stdout)
 *   guest.mode=triplefault  load an empty IDT and trap: a fatal vCPU exit
 *                      (a triple fault, or KVM's internal error where it
 *                      emulates the delivery), which vibevmm must report as
 *                      a failure (status 1)
 *   guest.mode=fault   guest.seconds=T of Get Features commands, one at a time,
 *                      each followed by its interrupt, that survive the
 *                      device being reset (by the host, or by the guest's own
 *                      FLR every guest.flr_every=K commands, guest.flr_max=M
 *                      times at most (0: no limit): MSI-X and the
 *                      controller set up again) or taken away (its config
 *                      space reads all ones: reported once, then the guest
 *                      just stays up); a controller not ready again after
 *                      a reset is a failure, unless guest.dead_ok=1 (then
 *                      reported once as "device dead", and the same); a
 *                      progress line every second
 *                      (Documentation/reliability.rst, fault_l2_test)
 *   guest.hold_ms=H    stay up H ms after the result line before powering
 *                      off (with the device live), so the host can sample
 *                      its own per-vector counters
 *
 * Results are single "GUEST-BENCH: <mode> key=value..." lines on the serial
 * console; "lost" is completions minus interrupts delivered on vector 0.
 * Times are given in TSC cycles too: the host knows the TSC rate better than
 * a guest calibrating against the PIT on a loaded machine.
 */
#include "guest.h"
#include "io.h"

#define NVME_CLASS	0x010802
#define CMD_TIMEOUT_US	30000000	/* a safety net, generous: the TSC rate may be a poor guess */

struct opts {
	const char *mode;
	uint64_t count, rounds, vectors, work, irq_wait_us, hold_ms, tsc_khz, seed, ops;
	uint64_t seconds, flr_every, flr_max, dead_ok;
};

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* "key=value" at p?  Returns the value or NULL. */
static const char *match(const char *p, const char *key)
{
	while (*key && *p == *key)
		p++, key++;
	return *key ? NULL : p;
}

static uint64_t parse_u64(const char *p)
{
	uint64_t v = 0;

	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	return v;
}

static void parse_cmdline(const char *p, struct opts *o)
{
	const struct { const char *key; uint64_t *val; } nums[] = {
		{ "guest.count=", &o->count }, { "guest.rounds=", &o->rounds },
		{ "guest.vectors=", &o->vectors }, { "guest.work=", &o->work },
		{ "guest.irq_wait_us=", &o->irq_wait_us }, { "guest.hold_ms=", &o->hold_ms },
		{ "guest.tsc_khz=", &o->tsc_khz }, { "guest.seed=", &o->seed },
		{ "guest.ops=", &o->ops }, { "guest.seconds=", &o->seconds },
		{ "guest.flr_every=", &o->flr_every }, { "guest.flr_max=", &o->flr_max },
		{ "guest.dead_ok=", &o->dead_ok },
	};
	static char mode[16];

	while (p && *p) {
		const char *v;
		unsigned int i;

		if ((v = match(p, "guest.mode="))) {
			for (i = 0; i < sizeof(mode) - 1 && v[i] && v[i] != ' '; i++)
				mode[i] = v[i];
			mode[i] = 0;
			o->mode = mode;
		}
		for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
			if ((v = match(p, nums[i].key)))
				*nums[i].val = parse_u64(v);
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
}

/* Wait until vector 0 has seen `want` interrupts, or the deadline. */
static void wait_irq(uint64_t want, uint64_t wait_us)
{
	uint64_t deadline = deadline_after_us(wait_us);

	while (irq_count[0] < want && rdtsc() < deadline)
		cpu_relax();
}

/* One command: submit, consume its completion, give its interrupt time. */
static void one_command(struct nvme *n, const struct opts *o)
{
	nvme_submit_get_features(n);
	if (nvme_wait_completion(n, CMD_TIMEOUT_US))
		guest_fail("NVMe command timed out (no completion in %u ms)\n",
			   CMD_TIMEOUT_US / 1000);
	wait_irq(n->completions, o->irq_wait_us);
}

static void setup_device(struct pci_dev *d, struct nvme *n, unsigned int vectors)
{
	unsigned int i;

	if (!pci_find_class(NVME_CLASS, d))
		guest_fail("no NVMe controller on PCI bus 0 (give vibevmm --vfio BDF)\n");
	if (!d->msix_cap)
		guest_fail("NVMe %02x.%u has no MSI-X capability\n", d->devfn >> 3, d->devfn & 7);
	if (vectors > d->msix_size || vectors > IRQ_MAX_VECTORS)
		guest_fail("asked for %u MSI-X vectors; the device has %u (at most %u)\n",
			   vectors, d->msix_size, IRQ_MAX_VECTORS);
	for (i = 0; i < d->msix_size && i < IRQ_MAX_VECTORS; i++)
		msix_set_entry(d, i, IRQ_VECTOR_BASE + i, true);
	msix_enable(d, true);
	msix_mask(d, 0, false);
	if (nvme_init(n, d->bar[0]))
		guest_fail("NVMe at BAR0 %lx did not become ready\n", d->bar[0]);
	irq_enable();
}

static void report_counts(const struct nvme *n, uint64_t irqs)
{
	con_printf(" completions=%lu interrupts=%lu lost=%ld",
		   n->completions, irqs, (long)(n->completions - irqs));
}

static void run_irq(const struct opts *o)
{
	struct pci_dev d;
	struct nvme n;
	uint64_t i, t0, t1, us, irqs;

	setup_device(&d, &n, 1);
	one_command(&n, o);			/* warm up */
	n.completions = 0;
	irq_count[0] = 0;
	t0 = rdtsc();
	for (i = 0; i < o->count; i++)
		one_command(&n, o);
	t1 = rdtsc();
	wait_irq(n.completions, o->irq_wait_us);	/* late arrivals */
	irqs = irq_count[0];
	us = tsc_to_us(t1 - t0);
	con_printf("GUEST-BENCH: irq vectors=%u", d.msix_size);
	report_counts(&n, irqs);
	con_printf(" elapsed_us=%lu elapsed_cycles=%lu irq_per_s=%lu\n", us, t1 - t0,
		   us ? irqs * 1000000 / us : 0);
}

static void run_storm(const struct opts *o)
{
	uint64_t r, i, w, t0, dt, total = 0, max = 0, enables = 0, other = 0;
	struct pci_dev d = { 0 };
	unsigned int vectors;
	struct nvme n;

	pci_find_class(NVME_CLASS, &d);		/* for its MSI-X table size */
	vectors = o->vectors ? o->vectors : d.msix_size;
	setup_device(&d, &n, vectors);
	for (r = 0; r < o->rounds; r++) {
		/* Driver (re)start: MSI-X off, then on with vector 0 only. */
		msix_enable(&d, false);
		for (i = 1; i < vectors; i++)
			msix_mask(&d, i, true);
		t0 = rdtsc();
		msix_enable(&d, true);
		dt = rdtsc() - t0;
		total += dt;
		max = dt > max ? dt : max;
		enables++;
		for (i = 1; i < vectors; i++) {
			for (w = 0; w < o->work; w++)
				one_command(&n, o);
			/* One command in flight while the host rewires vectors. */
			nvme_submit_get_features(&n);
			t0 = rdtsc();
			msix_mask(&d, i, false);
			dt = rdtsc() - t0;
			total += dt;
			max = dt > max ? dt : max;
			enables++;
			if (nvme_wait_completion(&n, CMD_TIMEOUT_US))
				guest_fail("NVMe command timed out during the storm\n");
			wait_irq(n.completions, o->irq_wait_us);
		}
		for (w = 0; w < o->work; w++)
			one_command(&n, o);
	}
	wait_irq(n.completions, o->irq_wait_us);
	for (i = 1; i < vectors; i++)
		other += irq_count[i];
	con_printf("GUEST-BENCH: storm vectors=%u rounds=%lu enables=%lu", vectors, o->rounds,
		   enables);
	report_counts(&n, irq_count[0]);
	con_printf(" other_vector_irqs=%lu enable_us_total=%lu enable_us_max=%lu"
		   " enable_cycles_total=%lu enable_cycles_max=%lu\n",
		   other, tsc_to_us(total), tsc_to_us(max), total, max);
}

/* Interrupts on every vector the payload counts. */
static uint64_t irqs_total(void)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < IRQ_MAX_VECTORS; i++)
		sum += irq_count[i];
	return sum;
}

static void wait_total(uint64_t want, uint64_t wait_us)
{
	uint64_t deadline = deadline_after_us(wait_us);

	while (irqs_total() < want && rdtsc() < deadline)
		cpu_relax();
}

#define SOAK_MASKED_US	1000	/* how long a masked vector must stay quiet */

/* One command and its interrupt, on whichever vector entry 0 targets now. */
static void soak_command(struct nvme *n, const struct opts *o)
{
	nvme_submit_get_features(n);
	if (nvme_wait_completion(n, CMD_TIMEOUT_US))
		guest_fail("NVMe command timed out (no completion in %u ms)\n",
			   CMD_TIMEOUT_US / 1000);
	wait_total(n->completions, o->irq_wait_us);
}

/* One command across a mask: nothing may arrive until the unmask. */
static bool soak_masked_command(struct pci_dev *d, struct nvme *n, bool function)
{
	uint64_t before = irqs_total();
	bool quiet;

	if (function)
		pci_write(d->devfn, d->msix_cap + 2, 2,
			  pci_read(d->devfn, d->msix_cap + 2, 2) | (1u << 14));
	else
		msix_mask(d, 0, true);
	nvme_submit_get_features(n);
	if (nvme_wait_completion(n, CMD_TIMEOUT_US))
		guest_fail("NVMe command timed out with its vector masked\n");
	wait_total(before + 1, SOAK_MASKED_US);
	quiet = irqs_total() == before;
	if (function)
		msix_enable(d, true);		/* clears the function mask */
	else
		msix_mask(d, 0, false);
	return quiet;
}

static void run_soak(const struct opts *o)
{
	uint64_t end, rounds = 0, early = 0, act[6] = { 0 };
	uint64_t rng = o->seed;
	struct pci_dev d;
	struct nvme n;

	con_printf("GUEST-BENCH: soak start seed=%lu seconds=%lu\n", o->seed, o->seconds);
	setup_device(&d, &n, 1);
	end = deadline_after_us(o->seconds * 1000000);
	while (rdtsc() < end) {
		unsigned int a = guest_rand(&rng) % 6;

		act[a]++;
		switch (a) {
		case 1:		/* vector 0 masked across a command */
		case 2:		/* the function masked across a command */
			early += !soak_masked_command(&d, &n, a == 2);
			break;
		case 3:		/* MSI-X off and on: vectors detached, attached */
			msix_enable(&d, false);
			msix_enable(&d, true);
			nvme_submit_get_features(&n);
			if (nvme_wait_completion(&n, CMD_TIMEOUT_US))
				guest_fail("NVMe command timed out after MSI-X re-enable\n");
			break;
		case 4:		/* vector 0 re-aimed, live: a new route */
			mmio_write32(d.msix_table + 8,
				     IRQ_VECTOR_BASE + guest_rand(&rng) % IRQ_MAX_VECTORS);
			soak_command(&n, o);
			break;
		case 5:		/* vector 1 (no source) masked or unmasked */
			if (d.msix_size > 1)
				msix_mask(&d, 1, guest_rand(&rng) & 1);
			soak_command(&n, o);
			break;
		default:
			soak_command(&n, o);
			break;
		}
		wait_total(n.completions, o->irq_wait_us);
		rounds++;
	}
	wait_total(n.completions, o->irq_wait_us);
	con_printf("GUEST-BENCH: soak seed=%lu rounds=%lu", o->seed, rounds);
	report_counts(&n, irqs_total());
	con_printf(" early=%lu plain=%lu vec_masked=%lu fn_masked=%lu reattach=%lu reroute=%lu"
		   " vec1=%lu\n", early, act[0], act[1], act[2], act[3], act[4], act[5]);
}

/* ---- guest.mode=fault ---- */

#define FAULT_POLL_US	200000		/* between two looks at the device's state */
#define FAULT_REPORT_US	1000000		/* between two progress lines */
#define FAULT_INIT_TRIES 20

enum dev_state { DEV_OK, DEV_RESET, DEV_GONE };

struct fault_run {
	struct pci_dev d;
	struct nvme n;
	uint64_t completions;		/* over every controller (re)start */
	uint64_t resets, flrs, since_reset;
	bool gone;			/* taken off the bus */
	bool dead;			/* never ready again after a reset */
};

/*
 * Taken away: vibevmm took the function off the bus (its config space
 * reads all ones).  Reset: the controller is no longer ready (a reset of
 * the function disables it), or its registers read all ones while the
 * function is still there (memory decoding off for a moment).
 */
static enum dev_state dev_state(struct fault_run *f)
{
	uint32_t csts;

	if (pci_read(f->d.devfn, 0, 4) == 0xffffffff)
		return DEV_GONE;
	csts = nvme_csts(&f->n);
	if (csts == 0xffffffff || !(csts & NVME_CSTS_RDY) || (csts & NVME_CSTS_CFS))
		return DEV_RESET;
	return DEV_OK;
}

/*
 * The controller up again after a reset, keeping the run's counts.  If it
 * never comes back: a failure, or with guest.dead_ok=1 false (a real
 * driver gives up on such a controller and the guest stays up; the host
 * may have taken the controller away, as QEMU's NVMe does with its VFs'
 * when the PF's own is disabled).
 */
static bool fault_restart(struct fault_run *f, const struct opts *o, bool msix)
{
	unsigned int i, try;
	uint64_t until;

	for (try = 0; try < FAULT_INIT_TRIES; try++) {
		if (dev_state(f) == DEV_GONE)
			return true;	/* the next command sees it */
		if (msix) {		/* a function reset cleared what the guest set */
			pci_enable_decoding(&f->d);
			for (i = 0; i < f->d.msix_size && i < IRQ_MAX_VECTORS; i++)
				msix_set_entry(&f->d, i, IRQ_VECTOR_BASE + i, true);
			msix_enable(&f->d, true);
			msix_mask(&f->d, 0, false);
		}
		if (!nvme_init(&f->n, f->d.bar[0]))
			return true;
		until = deadline_after_us(FAULT_POLL_US);	/* a pause */
		while (rdtsc() < until)
			cpu_relax();
	}
	if (!o->dead_ok)
		guest_fail("NVMe did not come back after a reset (%u tries)\n", FAULT_INIT_TRIES);
	return false;
}

/*
 * One command: DEV_OK when it completed (and its interrupt was waited
 * for), else what happened to the device.  A completion that was posted
 * before a reset still counts: its interrupt was raised with it.
 */
static enum dev_state fault_command(struct fault_run *f, const struct opts *o)
{
	uint64_t deadline = deadline_after_us(CMD_TIMEOUT_US);
	enum dev_state st;

	nvme_submit_get_features(&f->n);
	for (;;) {
		if (!nvme_wait_completion(&f->n, FAULT_POLL_US))
			break;
		st = dev_state(f);
		if (st != DEV_OK) {
			if (!nvme_wait_completion(&f->n, 0))
				break;	/* it made it before the reset */
			return st;
		}
		if (rdtsc() > deadline)
			guest_fail("NVMe command timed out (no completion in %u ms) with the controller ready\n",
				   CMD_TIMEOUT_US / 1000);
	}
	f->completions++;
	f->since_reset++;
	wait_irq(f->completions, o->irq_wait_us);
	return DEV_OK;
}

static void fault_report(struct fault_run *f, const char *what)
{
	con_printf("GUEST-BENCH: fault %s completions=%lu interrupts=%lu lost=%ld resets=%lu flrs=%lu since_reset=%lu gone=%u dead=%u\n",
		   what, f->completions, irq_count[0], (long)(f->completions - irq_count[0]),
		   f->resets, f->flrs, f->since_reset, f->gone, f->dead);
}

static void run_fault(const struct opts *o)
{
	static struct fault_run f;
	uint64_t end, next, cmds = 0;

	setup_device(&f.d, &f.n, 1);
	con_printf("GUEST-BENCH: fault start seconds=%lu flr_every=%lu\n", o->seconds,
		   o->flr_every);
	end = deadline_after_us(o->seconds * 1000000);
	next = deadline_after_us(FAULT_REPORT_US);
	while (rdtsc() < end) {
		if (rdtsc() >= next) {
			fault_report(&f, "progress");
			next = deadline_after_us(FAULT_REPORT_US);
		}
		if (f.gone || f.dead) {
			cpu_relax();
			continue;
		}
		if (o->flr_every && cmds && !(cmds % o->flr_every) &&
		    (!o->flr_max || f.flrs < o->flr_max)) {
			/* between commands: the last one's interrupt is in */
			if (!pci_flr(&f.d))
				guest_fail("guest.flr_every: the NVMe function offers no FLR\n");
			f.flrs++;
			f.since_reset = 0;
			if (!fault_restart(&f, o, true)) {
				f.dead = true;
				fault_report(&f, "device dead");
				continue;
			}
		}
		cmds++;
		switch (fault_command(&f, o)) {
		case DEV_OK:
			break;
		case DEV_RESET:
			f.resets++;
			f.since_reset = 0;
			if (!fault_restart(&f, o, false)) {
				f.dead = true;
				fault_report(&f, "device dead");
			}
			break;
		case DEV_GONE:
			f.gone = true;
			fault_report(&f, "device gone");
			break;
		}
	}
	wait_irq(f.completions, o->irq_wait_us);	/* late arrivals */
	fault_report(&f, "done");
}

static void run_hello(void)
{
	struct pci_dev d;

	con_printf("GUEST-BENCH: hello lapic_id=%u tsc_hz=%lu", lapic_id(), tsc_hz);
	if (pci_find_class(NVME_CLASS, &d))
		con_printf(" nvme=%02x.%u id=%04x:%04x bar0=%lx msix=%u\n", d.devfn >> 3,
			   d.devfn & 7, d.vendor, d.device, d.bar[0], d.msix_size);
	else
		con_printf(" nvme=none\n");
}

static void run_chatter(const struct opts *o)
{
	uint64_t i;

	for (i = 0; i < o->count; i++)
		con_printf("GUEST-BENCH: chatter line %lu of %lu, padding to make it longer\n",
			   i + 1, o->count);
	con_printf("GUEST-BENCH: chatter done\n");
}

static void run_triplefault(void)
{
	static const struct { uint16_t limit; uint64_t base; } __attribute__((packed))
		empty = { 0, 0 };

	con_printf("GUEST-BENCH: triple fault next\n");
	__asm__ volatile("lidt %0; int3" : : "m"(empty));
	guest_fail("still running after a trap with an empty IDT\n");
}

void guest_main(const uint8_t *boot_params);

void guest_main(const uint8_t *boot_params)
{
	uint64_t cmdline = *(const uint32_t *)(boot_params + 0x228) |
			   (uint64_t)*(const uint32_t *)(boot_params + 0x0c8) << 32;
	struct opts o = { .mode = "hello", .count = 1000, .rounds = 10, .work = 4,
			  .irq_wait_us = 20000, .ops = 2000, .seconds = 10 };

	con_init();
	mm_init();
	parse_cmdline((const char *)cmdline, &o);
	cpu_init(o.tsc_khz);
	con_printf("GUEST-BENCH: start mode=%s tsc_hz=%lu tsc_from=%s\n", o.mode, tsc_hz,
		   tsc_from);
	if (streq(o.mode, "hello"))
		run_hello();
	else if (streq(o.mode, "irq"))
		run_irq(&o);
	else if (streq(o.mode, "storm"))
		run_storm(&o);
	else if (streq(o.mode, "hostile"))
		run_hostile(o.seed, o.ops);
	else if (streq(o.mode, "soak"))
		run_soak(&o);
	else if (streq(o.mode, "fault"))
		run_fault(&o);
	else if (streq(o.mode, "chatter"))
		run_chatter(&o);
	else if (streq(o.mode, "triplefault"))
		run_triplefault();
	else
		guest_fail("unknown guest.mode=%s; use hello, irq, storm, hostile, soak, fault, chatter or triplefault\n",
			   o.mode);
	if (o.hold_ms) {
		uint64_t until = deadline_after_us(o.hold_ms * 1000);

		con_printf("GUEST-BENCH: holding %lu ms\n", o.hold_ms);
		while (rdtsc() < until)
			cpu_relax();
	}
	guest_exit(true);
}
