// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm: boot a Linux bzImage in a KVM VM, with VFIO passthrough.
 * Exit status: the guest's poweroff/reboot -> 0; bad input or VMM error -> 1;
 * stopped by a signal -> 128 + signal.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "log.h"
#include "vfio_pci.h"
#include "vm.h"

int main(int argc, char **argv)
{
	struct vmm_config cfg;
	char err[512];
	struct vfio_assigned *vf[VMM_MAX_VFIO] = { NULL };
	struct vm *vm;
	int ret, i;

	ret = cli_parse(argc, argv, &cfg, stdout, err, sizeof(err));
	if (ret == CLI_EXIT_OK)
		return 0;
	if (ret == CLI_ERROR) {
		log_err("%s", err);
		return 2;
	}
	log_level = cfg.log;
	setvbuf(stdout, NULL, _IONBF, 0);

	vm = vm_create(&cfg);
	if (!vm)
		return 1;
	for (i = 0; i < cfg.nr_vfio; i++) {
		vf[i] = vfio_assign(vm, cfg.vfio[i], cfg.irq_path, cfg.vfio_backend);
		if (!vf[i])
			break;
	}
	if (i < cfg.nr_vfio || vm_load(vm, &cfg)) {
		while (i-- > 0)
			vfio_release(vf[i]);
		vm_destroy(vm);
		return 1;
	}
	log_verbose("starting %d vCPU%s", cfg.cpus, cfg.cpus > 1 ? "s" : "");
	ret = vm_run(vm);
	for (i = 0; i < cfg.nr_vfio; i++)
		vfio_release(vf[i]);
	vm_destroy(vm);
	log_verbose("exit status %d", ret);
	return ret;
}
