// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm: boot a Linux bzImage in a KVM VM, with VFIO passthrough.
 *
 * Order: the command line, the boot files (kernel, initrd, --mem) and what
 * sysfs says of every --vfio device (vfio_precheck()) are checked before
 * any host side effect; then the VM, then the devices (claim, open,
 * reset), then the DMA mapping of guest RAM (after every device is
 * reset), then the guest is loaded, vibevmm confines itself
 * (seccomp) and runs the VM.  A stop signal during setup is taken
 * between steps and undoes what was done.
 *
 * Exit status: the guest's poweroff/reboot -> 0; VMM error, bad boot file
 * or guest crash -> 1; bad command line -> 2; stopped by a signal -> 128 +
 * signal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "boot.h"
#include "cli.h"
#include "log.h"
#include "seccomp.h"
#include "signals.h"
#include "vfio_pci.h"
#include "vm.h"

/* A stop signal arrived during setup: its exit status, else 0. */
static int setup_stopped(void)
{
	int sig = signals_take_stop();

	if (!sig)
		return 0;
	log_info("%s received during setup; undoing it", strsignal(sig));
	return 128 + sig;
}

int main(int argc, char **argv)
{
	struct vmm_config cfg;
	struct boot_files bf;
	char err[512];
	struct vfio_assigned *vf[VMM_MAX_VFIO] = { NULL };
	struct vm *vm;
	int ret, i, n = 0;

	ret = signals_init();
	if (ret) {
		log_err("cannot set up signal handling: %s", strerror(-ret));
		return 1;
	}
	ret = cli_parse(argc, argv, &cfg, stdout, err, sizeof(err));
	if (ret == CLI_EXIT_OK)
		return 0;
	if (ret == CLI_ERROR) {
		log_err("%s", err);
		return 2;
	}
	log_level = cfg.log;
	setvbuf(stdout, NULL, _IONBF, 0);
	if (boot_files_load(&cfg, &bf))
		return 1;
	for (n = 0; n < cfg.nr_vfio; n++)
		if (vfio_precheck(cfg.vfio[n], cfg.irq_path, cfg.vfio_backend)) {
			boot_files_free(&bf);
			return 1;
		}
	n = 0;

	ret = 1;
	vm = vm_create(&cfg);
	if (!vm)
		goto out_files;
	for (n = 0; n < cfg.nr_vfio; n++) {
		ret = setup_stopped();
		if (ret)
			goto out;
		vf[n] = vfio_assign(vm, cfg.vfio[n], cfg.irq_path, cfg.vfio_backend,
				    &cfg.vfio_opts[n]);
		if (!vf[n]) {
			ret = 1;
			goto out;
		}
	}
	/* every device is reset: now guest RAM may be mapped for DMA */
	ret = setup_stopped();
	if (ret)
		goto out;
	ret = 1;
	if (n && vfio_map_guest_ram(vf[0]))
		goto out;
	ret = setup_stopped();
	if (ret)
		goto out;
	ret = 1;
	if (vm_load(vm, &bf))
		goto out;
	boot_files_free(&bf);	/* in guest RAM now; the unpacked kernel is large */
	if (!cfg.no_seccomp) {
#if defined(__SANITIZE_ADDRESS__)
		/*
		 * vibevmm-san: LeakSanitizer's check at exit stops the world
		 * with ptrace, which the filter forbids.  Run it now instead
		 * (which cancels the one at exit); --no-seccomp keeps it at
		 * exit.
		 */
		__lsan_do_leak_check();
#endif
		if (vmm_seccomp_install())
			goto out;
	}
	log_verbose("starting %d vCPU%s", cfg.cpus, cfg.cpus > 1 ? "s" : "");
	ret = vm_run(vm);
out:
	for (i = 0; i < n && i < cfg.nr_vfio; i++)
		vfio_release(vf[i]);
	vm_destroy(vm);
out_files:
	boot_files_free(&bf);
	log_verbose("exit status %d", ret);
	return ret;
}
