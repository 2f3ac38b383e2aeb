// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm: the x86_64 KVM virtual machine: RAM, vCPU threads, in-kernel
 * irqchip and PIT, CPUID, memslots and the MMIO/port I/O dispatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "acpi.h"
#include "boot.h"
#include "cpuid.h"
#include "exits.h"
#include "cli.h"
#include "gsi.h"
#include "io.h"
#include "log.h"
#include "pci.h"
#include "serial.h"
#include "signals.h"
#include "thread.h"
#include "vm.h"

#define VM_MAX_SLOTS		64
#define SLOT_LOW_RAM		0
#define SLOT_HIGH_RAM		1
#define VM_TSS_ADDR		0xfffbd000ULL
#define VM_IDENT_MAP_ADDR	0xfffbc000ULL

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	/*
	 * Under vm->exit_lock: set after vmm_thread_start wrote thread, cleared
	 * before the join.  vm_request_exit, which any thread may call (vCPUs,
	 * the console input thread, VFIO service threads), kicks only started
	 * threads, under the same lock, so it never reads thread while it is
	 * written nor signals a thread that was joined.
	 */
	bool started;
	struct exit_stats stats;	/* the vCPU thread's; read after the join */
};

struct vm {
	int kvm_fd;
	int fd;
	int nr_cpus;
	size_t run_size;
	struct vcpu *vcpus;

	uint64_t ram_size;
	void *low_hva;
	uint64_t low_size;
	void *high_hva;
	uint64_t high_size;

	pthread_mutex_t slot_lock;
	uint64_t slots_used;		/* bitmap, slot 0/1 = RAM */

	struct io_table *mmio, *pio;

	struct gsi_table *gsi;
	struct pci_bus *pci;
	struct serial *serial;

	pthread_mutex_t exit_lock;	/* exit_status, vcpus[].started; a leaf */
	atomic_bool exiting;
	int exit_status;
	uint32_t phys_bits;
	struct kvm_cpuid2 *cpuid;
};

int vm_fd(struct vm *vm) { return vm->fd; }
int vm_nr_cpus(struct vm *vm) { return vm->nr_cpus; }
uint64_t vm_ram_size(struct vm *vm) { return vm->ram_size; }
uint64_t vm_low_ram_end(struct vm *vm) { return vm->low_size; }
uint64_t vm_high_ram_end(struct vm *vm)
{
	return vm->high_size ? VM_HIGH_RAM_BASE + vm->high_size : 0;
}
struct gsi_table *vm_gsi_table(struct vm *vm) { return vm->gsi; }
struct pci_bus *vm_pci_bus(struct vm *vm) { return vm->pci; }
bool vm_exiting(struct vm *vm) { return atomic_load(&vm->exiting); }

/* ---- memory ---- */

int vm_for_each_ram(struct vm *vm, vm_ram_fn fn, void *opaque)
{
	int ret = fn(opaque, 0, vm->low_hva, vm->low_size);

	if (!ret && vm->high_size)
		ret = fn(opaque, VM_HIGH_RAM_BASE, vm->high_hva, vm->high_size);
	return ret;
}

void *vm_gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return NULL;
	if (gpa + len <= vm->low_size)
		return (uint8_t *)vm->low_hva + gpa;
	if (vm->high_size && gpa >= VM_HIGH_RAM_BASE &&
	    gpa + len <= VM_HIGH_RAM_BASE + vm->high_size)
		return (uint8_t *)vm->high_hva + (gpa - VM_HIGH_RAM_BASE);
	return NULL;
}

static int set_slot(struct vm *vm, int slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	return 0;
}

int vm_map_memslot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva)
{
	int slot, ret;

	if (!size || (gpa | size | (uintptr_t)hva) & 0xfff)
		return -EINVAL;
	pthread_mutex_lock(&vm->slot_lock);
	for (slot = 0; slot < VM_MAX_SLOTS; slot++)
		if (!(vm->slots_used & (1ULL << slot)))
			break;
	if (slot == VM_MAX_SLOTS) {
		pthread_mutex_unlock(&vm->slot_lock);
		return -ENOSPC;
	}
	ret = set_slot(vm, slot, gpa, size, hva);
	if (!ret)
		vm->slots_used |= 1ULL << slot;
	pthread_mutex_unlock(&vm->slot_lock);
	if (ret)
		return ret;
	log_debug_rl("memslot %d: GPA %#llx size %#llx", slot,
		     (unsigned long long)gpa, (unsigned long long)size);
	return slot;
}

int vm_unmap_memslot(struct vm *vm, int slot)
{
	int ret;

	if (slot <= SLOT_HIGH_RAM || slot >= VM_MAX_SLOTS)
		return -EINVAL;
	pthread_mutex_lock(&vm->slot_lock);
	if (!(vm->slots_used & (1ULL << slot))) {
		pthread_mutex_unlock(&vm->slot_lock);
		return -ENOENT;
	}
	ret = set_slot(vm, slot, 0, 0, NULL);
	if (!ret)
		vm->slots_used &= ~(1ULL << slot);
	pthread_mutex_unlock(&vm->slot_lock);
	return ret;
}

/* ---- MMIO / PIO dispatch ---- */

int vm_register_mmio(struct vm *vm, uint64_t gpa, uint64_t len, vm_io_fn fn, void *opaque)
{
	return io_table_register(vm->mmio, gpa, len, fn, opaque);
}

int vm_unregister_mmio(struct vm *vm, uint64_t gpa, const void *opaque)
{
	return io_table_unregister(vm->mmio, gpa, opaque);
}

int vm_register_pio(struct vm *vm, uint16_t port, uint16_t len, vm_io_fn fn, void *opaque)
{
	if (port + len > 0x10000)
		return -EINVAL;
	return io_table_register(vm->pio, port, len, fn, opaque);
}

int vm_unregister_pio(struct vm *vm, uint16_t port, const void *opaque)
{
	return io_table_unregister(vm->pio, port, opaque);
}

int vm_irq_line(struct vm *vm, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(vm->fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

/* ---- exit ---- */

void vm_request_exit(struct vm *vm, int status)
{
	int i;

	pthread_mutex_lock(&vm->exit_lock);
	if (!atomic_load(&vm->exiting)) {
		vm->exit_status = status;
		atomic_store(&vm->exiting, true);
	}
	/* Kick every vCPU out of KVM_RUN (immediate_exit covers the race). */
	for (i = 0; i < vm->nr_cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->run)
			v->run->immediate_exit = 1;
		if (v->started && !pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, SIGNALS_KICK);
	}
	pthread_mutex_unlock(&vm->exit_lock);
}

/* ---- platform ports ---- */

/* Port 0x64 (i8042 command): 0xfe pulses the CPU reset line. */
static void i8042_io(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	struct vm *vm = opaque;

	if (!is_write) {
		memset(data, 0, len);	/* status: buffers empty */
		return;
	}
	if (*(uint8_t *)data == 0xfe) {
		log_info("guest reset (keyboard controller); stopping the VM");
		vm_request_exit(vm, 0);
	}
}

/* Port 0x80 (POST codes / io delay) and other known-harmless ports. */
static void sink_io(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	if (!is_write)
		memset(data, 0xff, len);
}

static void pci_conf1_cb(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	pci_bus_conf1_io(opaque, off, data, len, is_write);
}

static void pci_ecam_cb(void *opaque, uint64_t off, void *data, unsigned int len, bool is_write)
{
	pci_bus_ecam_io(opaque, off, data, len, is_write);
}

static int gsi_commit_kvm(void *opaque, const void *routing)
{
	struct vm *vm = opaque;

	if (ioctl(vm->fd, KVM_SET_GSI_ROUTING, routing) < 0)
		return -errno;
	return 0;
}

/* ---- CPUID ---- */

static struct kvm_cpuid2 *get_supported_cpuid(int kvm_fd)
{
	int nent = 64;

	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || nent >= 4096)
			return NULL;
		nent *= 2;
	}
}

/*
 * Start with XCR0 = every XSAVE feature the guest's CPUID offers, so that
 * CPUID(0xd, 0).EBX (which KVM derives from XCR0) already matches the size
 * the guest kernel computes.  Where XSETBV is not intercepted (nested SVM
 * under QEMU's TCG) KVM never sees the guest enable AVX, and a guest that
 * read the size for XCR0 = x87|SSE warns "XSAVE consistency problem".
 */
static void set_initial_xcr0(struct vcpu *v)
{
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
	unsigned int i;

	if (ioctl(v->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) <= 0)
		return;
	for (i = 0; i < v->vm->cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &v->vm->cpuid->entries[i];

		if (e->function == 0xd && e->index == 0)
			xcrs.xcrs[0].value = e->eax | ((uint64_t)e->edx << 32);
	}
	if (!(xcrs.xcrs[0].value & 1))
		return;
	if (ioctl(v->fd, KVM_SET_XCRS, &xcrs) < 0)
		log_debug("vCPU %d: KVM_SET_XCRS %#llx: %s", v->id,
			  (unsigned long long)xcrs.xcrs[0].value, strerror(errno));
}

static uint32_t cpuid_phys_bits(const struct kvm_cpuid2 *c)
{
	unsigned int i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x80000008)
			return c->entries[i].eax & 0xff;
	return 36;
}

/* ---- creation ---- */

static int check_cap(struct vm *vm, int cap, const char *name)
{
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap) <= 0) {
		log_err("/dev/kvm: this KVM lacks %s; use a host kernel with a full x86 KVM", name);
		return -1;
	}
	return 0;
}

static int host_mem_check(uint64_t mem)
{
	struct sysinfo si;
	uint64_t total;

	if (sysinfo(&si) < 0)
		return 0;
	total = (uint64_t)si.totalram * si.mem_unit;
	if (mem > total) {
		log_err("--mem %lluM: more than this host's RAM (%lluM); give a smaller --mem",
			(unsigned long long)(mem >> 20), (unsigned long long)(total >> 20));
		return -1;
	}
	return 0;
}

/*
 * Guest RAM, its start aligned to VM_RAM_ALIGN.  KVM maps guest memory with
 * 2 MiB pages only where guest physical and host virtual addresses agree
 * modulo 2 MiB; with mmap's 4 KiB alignment every page of RAM the guest
 * touches costs one nested page fault (one VM exit) instead of one per
 * 2 MiB.  Measured: about 29,000 such exits in a Debian boot to init
 * (Documentation/benchmarks.rst).
 */
void *vm_alloc_ram(uint64_t size)
{
	uint8_t *p, *a;
	uint64_t head;

	if (!size || size > UINT64_MAX - VM_RAM_ALIGN)
		return NULL;
	p = mmap(NULL, size + VM_RAM_ALIGN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + VM_RAM_ALIGN - 1) & ~(uintptr_t)(VM_RAM_ALIGN - 1));
	head = a - p;
	if (head)
		munmap(p, head);
	munmap(a + size, VM_RAM_ALIGN - head);
	madvise(a, size, MADV_HUGEPAGE);
	return a;
}

static int create_vcpus(struct vm *vm)
{
	int i, max;

	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && vm->nr_cpus > max) {
		log_err("--cpus %d: this host's KVM allows at most %d vCPUs; give fewer",
			vm->nr_cpus, max);
		return -1;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if ((long)vm->run_size <= 0) {
		log_err("/dev/kvm: KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		return -1;
	}
	vm->cpuid = get_supported_cpuid(vm->kvm_fd);
	if (!vm->cpuid) {
		log_err("/dev/kvm: KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
		return -1;
	}
	vm->phys_bits = cpuid_phys_bits(vm->cpuid);
	vm->vcpus = calloc(vm->nr_cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -1;
	for (i = 0; i < vm->nr_cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct kvm_cpuid2 *c;
		size_t csz = sizeof(*c) + vm->cpuid->nent * sizeof(c->entries[0]);
		int tsc_khz;

		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0) {
			log_err("vCPU %d: KVM_CREATE_VCPU failed: %s", i, strerror(errno));
			return -1;
		}
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			log_err("vCPU %d: cannot map kvm_run: %s", i, strerror(errno));
			return -1;
		}
		c = malloc(csz + sizeof(c->entries[0]));	/* + the timing leaf */
		if (!c)
			return -1;
		memcpy(c, vm->cpuid, csz);
		cpuid_patch(c, &(struct cpuid_opts){
			.apic_id = i, .nr_cpus = vm->nr_cpus,
			.tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
					      KVM_CAP_TSC_DEADLINE_TIMER) > 0 });
		/* The vCPU's TSC rate; a KVM without it gets no timing leaf. */
		tsc_khz = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) > 0 ?
			  ioctl(v->fd, KVM_GET_TSC_KHZ, 0) : 0;
		cpuid_add_timing_leaf(c, tsc_khz > 0 ? (uint32_t)tsc_khz : 0);
		if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0) {
			log_err("vCPU %d: KVM_SET_CPUID2 failed: %s", i, strerror(errno));
			free(c);
			return -1;
		}
		free(c);
		set_initial_xcr0(v);
	}
	return 0;
}

struct vm *vm_create(const struct vmm_config *cfg)
{
	struct kvm_pit_config pit = { .flags = 0 };
	uint64_t m64, m64sz, m64max;
	struct vm *vm;
	int ret;

	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		log_err("out of memory");
		return NULL;
	}
	vm->fd = -1;
	vm->kvm_fd = -1;
	vm->nr_cpus = cfg->cpus;
	vm->ram_size = cfg->mem;
	pthread_mutex_init(&vm->slot_lock, NULL);
	pthread_mutex_init(&vm->exit_lock, NULL);
	vm->mmio = io_table_new();
	vm->pio = io_table_new();
	if (!vm->mmio || !vm->pio) {
		log_err("out of memory");
		goto fail;
	}

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		if (errno == ENOENT)
			log_err("/dev/kvm: no such device; load kvm_intel or kvm_amd (modprobe) and enable virtualization in the firmware");
		else
			log_err("/dev/kvm: %s; run as root or join the group owning /dev/kvm",
				strerror(errno));
		goto fail;
	}
	ret = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION) {
		log_err("/dev/kvm: KVM API version %d, expected %d; use a matching kernel",
			ret, KVM_API_VERSION);
		goto fail;
	}
	if (check_cap(vm, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP") ||
	    check_cap(vm, KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING") ||
	    check_cap(vm, KVM_CAP_PIT2, "KVM_CAP_PIT2") ||
	    check_cap(vm, KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT") ||
	    check_cap(vm, KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"))
		goto fail;
	if (host_mem_check(cfg->mem))
		goto fail;

	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		log_err("/dev/kvm: KVM_CREATE_VM failed: %s", strerror(errno));
		goto fail;
	}
	/* Intel needs these; harmless on AMD.  Both sit in the PCI hole. */
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, VM_TSS_ADDR) < 0)
		log_debug("KVM_SET_TSS_ADDR: %s", strerror(errno));
	{
		uint64_t ident = VM_IDENT_MAP_ADDR;

		if (ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
			log_debug("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	}
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_err("/dev/kvm: KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0) {
		log_err("/dev/kvm: KVM_CREATE_PIT2 failed: %s", strerror(errno));
		goto fail;
	}

	/* RAM: below the PCI hole, the rest above 4 GiB. */
	vm->low_size = cfg->mem < VM_LOW_RAM_MAX ? cfg->mem : VM_LOW_RAM_MAX;
	vm->high_size = cfg->mem - vm->low_size;
	vm->low_hva = vm_alloc_ram(vm->low_size);
	if (vm->high_size)
		vm->high_hva = vm_alloc_ram(vm->high_size);
	if (!vm->low_hva || (vm->high_size && !vm->high_hva)) {
		log_err("--mem %lluM: cannot allocate guest RAM: %s; give a smaller --mem",
			(unsigned long long)(cfg->mem >> 20), strerror(errno));
		goto fail;
	}
	ret = set_slot(vm, SLOT_LOW_RAM, 0, vm->low_size, vm->low_hva);
	if (!ret && vm->high_size)
		ret = set_slot(vm, SLOT_HIGH_RAM, VM_HIGH_RAM_BASE, vm->high_size, vm->high_hva);
	if (ret) {
		log_err("/dev/kvm: cannot register guest RAM: %s", strerror(-ret));
		goto fail;
	}
	vm->slots_used = 3;

	vm->gsi = gsi_table_new(gsi_commit_kvm, vm);
	if (!vm->gsi)
		goto fail;
	ret = gsi_table_init_ioapic(vm->gsi);
	if (ret) {
		log_err("/dev/kvm: KVM_SET_GSI_ROUTING failed: %s", strerror(-ret));
		goto fail;
	}

	if (create_vcpus(vm))
		goto fail;

	/* 64-bit PCI window: above RAM, 1 GiB aligned, within the guest's
	 * physical address width. */
	m64 = vm_high_ram_end(vm) ? vm_high_ram_end(vm) : VM_HIGH_RAM_BASE;
	m64 = (m64 + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
	m64max = vm->phys_bits >= 63 ? ~0ULL : (1ULL << vm->phys_bits);
	m64sz = VM_PCI_MMIO64_SIZE;
	if (m64 + m64sz > m64max)
		m64sz = m64max > m64 ? m64max - m64 : 0;
	vm->pci = pci_bus_new(VM_PCI_MMIO32_BASE, VM_PCI_MMIO32_SIZE, m64, m64sz,
			      VM_PCI_IO_BASE, VM_PCI_IO_SIZE);
	if (!vm->pci)
		goto fail;
	if (vm_register_pio(vm, 0xcf8, 8, pci_conf1_cb, vm->pci) ||
	    vm_register_mmio(vm, VM_ECAM_BASE, VM_ECAM_SIZE, pci_ecam_cb, vm->pci) ||
	    vm_register_pio(vm, 0x64, 1, i8042_io, vm) ||
	    vm_register_pio(vm, 0x80, 1, sink_io, vm) ||
	    acpi_register_pm(vm))
		goto fail;
	vm->serial = serial_create(vm, cfg->console);
	if (!vm->serial)
		goto fail;
	log_verbose("VM: %d vCPUs, RAM %lluM (%lluM below 4G), PCI 64-bit window %#llx+%#llx",
		    vm->nr_cpus, (unsigned long long)(cfg->mem >> 20),
		    (unsigned long long)(vm->low_size >> 20),
		    (unsigned long long)m64, (unsigned long long)m64sz);
	return vm;
fail:
	vm_destroy(vm);
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	int i;

	if (!vm)
		return;
	serial_destroy(vm->serial);
	for (i = 0; vm->vcpus && i < vm->nr_cpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd > 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	free(vm->cpuid);
	io_table_free(vm->mmio);
	io_table_free(vm->pio);
	pci_bus_free(vm->pci);
	gsi_table_free(vm->gsi);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->low_hva)
		munmap(vm->low_hva, vm->low_size);
	if (vm->high_hva)
		munmap(vm->high_hva, vm->high_size);
	pthread_mutex_destroy(&vm->slot_lock);
	pthread_mutex_destroy(&vm->exit_lock);
	free(vm);
}

/* ---- boot ---- */

int vm_load(struct vm *vm, const struct boot_files *bf)
{
	struct boot_info bi;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	struct vcpu *bsp = &vm->vcpus[0];
	uint64_t m32, m32sz, m64, m64sz;
	uint32_t io, iosz;

	if (boot_load_linux(vm, bf, &bi))
		return -1;
	pci_bus_windows(vm->pci, &m32, &m32sz, &m64, &m64sz, &io, &iosz);
	if (acpi_build(vm, vm->nr_cpus, m32, m32sz, m64, m64sz))
		return -1;

	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) < 0) {
		log_err("vCPU 0: KVM_GET_SREGS failed: %s", strerror(errno));
		return -1;
	}
	boot_setup_sregs(&sregs, &bi);
	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) < 0) {
		log_err("vCPU 0: KVM_SET_SREGS failed: %s", strerror(errno));
		return -1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = bi.entry;
	regs.rsi = bi.boot_params;
	regs.rsp = regs.rbp = bi.stack;
	if (ioctl(bsp->fd, KVM_SET_REGS, &regs) < 0) {
		log_err("vCPU 0: KVM_SET_REGS failed: %s", strerror(errno));
		return -1;
	}
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(bsp->fd, KVM_SET_FPU, &fpu) < 0) {
		log_err("vCPU 0: KVM_SET_FPU failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- run ---- */

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t i;

	for (i = 0; i < run->io.count; i++, p += run->io.size) {
		if (io_table_dispatch(v->vm->pio, run->io.port, p, run->io.size, is_write))
			continue;
		if (!is_write)
			memset(p, 0xff, run->io.size);
		log_debug_rl("vCPU %d: unhandled port %s %#x/%u", v->id,
			     is_write ? "write" : "read", run->io.port, run->io.size);
	}
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (io_table_dispatch(v->vm->mmio, run->mmio.phys_addr, run->mmio.data,
			run->mmio.len, run->mmio.is_write))
		return;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, run->mmio.len);
	log_debug_rl("vCPU %d: unhandled MMIO %s %#llx/%u", v->id,
		     run->mmio.is_write ? "write" : "read",
		     (unsigned long long)run->mmio.phys_addr, run->mmio.len);
}

static void dump_regs(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	log_err("vCPU %d: rip %#llx rsp %#llx cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx",
		v->id, (unsigned long long)r.rip, (unsigned long long)r.rsp,
		(unsigned long long)s.cr0, (unsigned long long)s.cr3,
		(unsigned long long)s.cr4, (unsigned long long)s.efer);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;
	struct exit_verdict verdict;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%d", v->id);
	pthread_setname_np(pthread_self(), name);
	signals_unblock_kick();

	while (!vm_exiting(vm)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;
				continue;
			}
			log_err("vCPU %d: KVM_RUN failed: %s", v->id, strerror(errno));
			vm_request_exit(vm, 1);
			break;
		}
		exit_stats_count(&v->stats, run->exit_reason,
				 run->exit_reason == KVM_EXIT_IO ? run->io.port :
				 run->exit_reason == KVM_EXIT_MMIO ? run->mmio.phys_addr : 0);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(v);
			break;
		default:
			exit_decide(run, v->id, &verdict);
			if (!verdict.stop)
				break;
			if (verdict.error)
				log_err("%s", verdict.msg);
			else
				log_info("%s", verdict.msg);
			if (verdict.dump_regs)
				dump_regs(v);
			vm_request_exit(vm, verdict.status);
			break;
		}
	}
	return NULL;
}

int vm_run(struct vm *vm)
{
	int i, sig;

	/*
	 * The stop signals and the kick are blocked in every thread since
	 * signals_init(); vCPU threads unblock the kick, this thread takes the
	 * stop signals synchronously and leaves them blocked for the teardown.
	 */
	if (serial_start(vm->serial))
		return 1;
	for (i = 0; i < vm->nr_cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int err = vmm_thread_start(&v->thread, vcpu_thread, v);

		if (err) {
			log_err("vCPU %d: cannot start a thread: %s", i, strerror(err));
			vm_request_exit(vm, 1);
			break;
		}
		pthread_mutex_lock(&vm->exit_lock);
		v->started = true;
		pthread_mutex_unlock(&vm->exit_lock);
	}
	while (!vm_exiting(vm)) {
		sig = signals_wait_stop(200);
		if (sig) {
			log_info("%s received; stopping the VM", strsignal(sig));
			vm_request_exit(vm, 128 + sig);
		}
	}
	vm_request_exit(vm, 0);	/* re-kick: threads may have missed the first */
	for (i = 0; i < vm->nr_cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		bool started;

		pthread_mutex_lock(&vm->exit_lock);
		started = v->started;
		v->started = false;
		pthread_mutex_unlock(&vm->exit_lock);
		if (started) {
			pthread_join(v->thread, NULL);
			if (log_level >= LOG_VERBOSE) {
				char line[1024];

				exit_stats_format(&v->stats, line, sizeof(line));
				log_verbose("vCPU %d: %s", i, line);
			}
		}
	}
	serial_stop(vm->serial);
	return vm->exit_status;
}
