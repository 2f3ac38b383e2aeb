// SPDX-License-Identifier: GPL-2.0
/*
 * bench guest: IDT with exception and interrupt handlers, the local APIC
 * (xAPIC MMIO), one interrupt counter per MSI-X vector, and the TSC
 * frequency: from guest.tsc_khz, else the hypervisor timing leaf, else
 * measured against the PIT.
 */
#include "guest.h"
#include "io.h"

#define LAPIC_BASE	0xfee00000ULL
#define LAPIC_ID	0x020
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define SPURIOUS_VEC	0xff
#define KERNEL_CS	0x08
#define PIT_HZ		1193182
#define CALIB_MS	10
#define CALIB_TRIES	5

struct intr_frame {
	uint64_t rip, cs, rflags, rsp, ss;
};

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
volatile uint64_t irq_count[IRQ_MAX_VECTORS];
uint64_t tsc_hz;
const char *tsc_from = "none";

static void lapic_write(unsigned int reg, uint32_t v)
{
	mmio_write32(LAPIC_BASE + reg, v);
}

uint32_t lapic_id(void)
{
	return mmio_read32(LAPIC_BASE + LAPIC_ID) >> 24;
}

static void set_gate(unsigned int vec, void *handler)
{
	uint64_t a = (uint64_t)handler;

	idt[vec] = (struct idt_gate){
		.off0 = a & 0xffff, .sel = KERNEL_CS, .type = 0x8e,	/* interrupt gate */
		.off1 = (a >> 16) & 0xffff, .off2 = a >> 32,
	};
}

static void __attribute__((interrupt)) exc_plain(struct intr_frame *f)
{
	guest_fail("CPU exception at rip %lx\n", f->rip);
}

static void __attribute__((interrupt)) exc_code(struct intr_frame *f, unsigned long code)
{
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	guest_fail("CPU exception (error code %lx) at rip %lx, cr2 %lx\n", code, f->rip, cr2);
}

static void __attribute__((interrupt)) spurious(struct intr_frame *f)
{
}

/* One handler per MSI-X vector: count, then EOI. */
#define IRQ_HANDLER(n)							\
static void __attribute__((interrupt)) irq_##n(struct intr_frame *f)	\
{									\
	irq_count[n]++;							\
	lapic_write(LAPIC_EOI, 0);					\
}
IRQ_HANDLER(0) IRQ_HANDLER(1) IRQ_HANDLER(2) IRQ_HANDLER(3)
IRQ_HANDLER(4) IRQ_HANDLER(5) IRQ_HANDLER(6) IRQ_HANDLER(7)
IRQ_HANDLER(8) IRQ_HANDLER(9) IRQ_HANDLER(10) IRQ_HANDLER(11)
IRQ_HANDLER(12) IRQ_HANDLER(13) IRQ_HANDLER(14) IRQ_HANDLER(15)
IRQ_HANDLER(16) IRQ_HANDLER(17) IRQ_HANDLER(18) IRQ_HANDLER(19)
IRQ_HANDLER(20) IRQ_HANDLER(21) IRQ_HANDLER(22) IRQ_HANDLER(23)
IRQ_HANDLER(24) IRQ_HANDLER(25) IRQ_HANDLER(26) IRQ_HANDLER(27)
IRQ_HANDLER(28) IRQ_HANDLER(29) IRQ_HANDLER(30) IRQ_HANDLER(31)

static void (*const irq_handlers[IRQ_MAX_VECTORS])(struct intr_frame *) = {
	irq_0, irq_1, irq_2, irq_3, irq_4, irq_5, irq_6, irq_7,
	irq_8, irq_9, irq_10, irq_11, irq_12, irq_13, irq_14, irq_15,
	irq_16, irq_17, irq_18, irq_19, irq_20, irq_21, irq_22, irq_23,
	irq_24, irq_25, irq_26, irq_27, irq_28, irq_29, irq_30, irq_31,
};

static void idt_init(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) desc = {
		sizeof(idt) - 1, (uint64_t)idt,
	};
	unsigned int v;

	for (v = 0; v < 32; v++) {
		bool code = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
			    v == 29 || v == 30;

		set_gate(v, code ? (void *)exc_code : (void *)exc_plain);
	}
	for (v = 0; v < IRQ_MAX_VECTORS; v++)
		set_gate(IRQ_VECTOR_BASE + v, irq_handlers[v]);
	set_gate(SPURIOUS_VEC, spurious);
	__asm__ volatile("lidt %0" : : "m"(desc));
}

static uint16_t pit0_read(void)
{
	uint8_t lo;

	outb(0x43, 0x00);			/* latch channel 0 */
	lo = inb(0x40);
	return lo | inb(0x40) << 8;
}

/*
 * TSC cycles per second over one CALIB_MS window of PIT channel 0 running
 * free (mode 2, period 65536 ticks, 55 ms; its IRQ 0 stays masked); 0 if
 * it does not count.  The counter is read back, so no speaker port (0x61)
 * is needed.  A vCPU preempted for longer than a period misses a wrap and
 * overestimates: hence the minimum of several.  Under KVM nested in the
 * lab's emulated debug kernel it also came out low, by 15 % and once 60
 * times (2026-12-01): the last resort, after the timing leaf.
 */
static uint64_t calibrate_once(void)
{
	uint32_t want = PIT_HZ / (1000 / CALIB_MS), ticks = 0;
	uint64_t t0, t1, spins = 0;
	uint16_t prev, cur;

	outb(0x43, 0x34);			/* ch0, lo/hi, mode 2, binary */
	outb(0x40, 0);
	outb(0x40, 0);
	prev = pit0_read();
	t0 = rdtsc();
	while (ticks < want) {
		cur = pit0_read();
		ticks += (uint16_t)(prev - cur);
		prev = cur;
		if (++spins > 10000000)
			return 0;
	}
	t1 = rdtsc();
	return (t1 - t0) * PIT_HZ / ticks;
}

static uint64_t calibrate_tsc(void)
{
	uint64_t best = 0, hz;
	int i;

	for (i = 0; i < CALIB_TRIES; i++) {
		hz = calibrate_once();
		if (hz && (!best || hz < best))
			best = hz;
	}
	return best;
}

uint64_t tsc_to_us(uint64_t cycles)
{
	return tsc_hz ? cycles / (tsc_hz / 1000000) : 0;
}

uint64_t deadline_after_us(uint64_t us)
{
	/* Uncalibrated: assume 1 GHz; timeouts only bound waits. */
	return rdtsc() + us * (tsc_hz ? tsc_hz / 1000000 : 1000);
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

/* The hypervisor timing leaf's TSC rate in kHz (vibevmm announces it), or 0. */
static uint64_t cpuid_tsc_khz(void)
{
	uint32_t r[4];

	cpuid(1, r);
	if (!(r[2] & (1u << 31)))		/* no hypervisor */
		return 0;
	cpuid(0x40000000, r);
	if (r[0] < 0x40000010)
		return 0;
	cpuid(0x40000010, r);
	return r[0];
}

void cpu_init(uint64_t tsc_khz)
{
	idt_init();
	outb(0x21, 0xff);			/* mask the legacy PICs */
	outb(0xa1, 0xff);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, 0x100 | SPURIOUS_VEC);	/* software enable */
	if (tsc_khz) {
		tsc_from = "cmdline";
	} else {
		tsc_khz = cpuid_tsc_khz();
		tsc_from = "cpuid";
	}
	if (tsc_khz) {
		tsc_hz = tsc_khz * 1000;
		return;
	}
	tsc_hz = calibrate_tsc();
	tsc_from = tsc_hz ? "pit" : "none";
}
