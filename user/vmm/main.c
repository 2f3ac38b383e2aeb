// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm: boot a Linux bzImage in a KVM VM, with VFIO passthrough.
 *
 * Order: the command line, the boot files (kernel, initrd, --mem) and what
 * sysfs says of every --vfio device (vfio_precheck()) are checked before
 * any host side effect; then the control socket is created (--api-socket:
 * a bad path fails before any device is touched), the VM, the devices
 * (claim, open, reset; kept in the device table), then the DMA mapping of
 * guest RAM (after every device is reset), the guest is loaded, the
 * socket's thread starts, vibevmm confines itself (seccomp) and runs the
 * VM.  A stop signal during setup is taken between steps and undoes what
 * was done.  At exit the socket closes before the devices are released.
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

#include "api.h"
#include "boot.h"
#include "cli.h"
#include "devices.h"
#include "hotplug.h"
#include "log.h"
#include "seccomp.h"
#include "signals.h"
#include "vfio_pci.h"
#include "vm.h"

/* What the control socket acts on. */
struct vmm_api_ctx {
	struct vm *vm;
	struct devtab *devs;
};

static int api_devices(void *ctx, struct vmm_device_info *out, int max)
{
	struct vmm_api_ctx *c = ctx;

	return devtab_snapshot(c->devs, out, max);
}

static void api_shutdown(void *ctx)
{
	struct vmm_api_ctx *c = ctx;

	log_info("shutdown requested on the control socket; stopping the VM");
	vm_request_exit(c->vm, 0);
}

static int api_add(void *ctx, const char *bdf, int path, const struct vfio_dev_opts *opts,
		   char *err, size_t errlen)
{
	struct vmm_api_ctx *c = ctx;

	return devtab_attach(c->devs, bdf, path, opts, err, errlen);
}

static int api_remove(void *ctx, const char *bdf, unsigned int timeout_ms, bool *ejected,
		      char *err, size_t errlen)
{
	struct vmm_api_ctx *c = ctx;

	return devtab_detach(c->devs, bdf, timeout_ms, ejected, err, errlen);
}

static const struct api_ops vmm_api_ops = { api_devices, api_shutdown, api_add, api_remove };

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
	struct vfio_assigned *vf = NULL;
	struct api_server *api = NULL;
	struct hotplug *hp = NULL;
	struct vmm_api_ctx actx = { NULL, NULL };
	struct vm *vm;
	int ret, n;

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

	ret = 1;
	if (cfg.api_socket) {
		api = api_server_open(cfg.api_socket);
		if (!api)
			goto out_files;
	}
	vm = vm_create(&cfg);
	if (!vm)
		goto out_api;
	actx.vm = vm;
	/* the registers behind the DSDT's hotplug slots and GPE: always there */
	hp = hotplug_new(vm);
	if (!hp)
		goto out;
	actx.devs = devtab_new(vm, cfg.irq_path, cfg.vfio_backend, cfg.eject_ms);
	if (!actx.devs)
		goto out;
	devtab_set_hotplug(actx.devs, hp);
	for (n = 0; n < cfg.nr_vfio; n++) {
		ret = setup_stopped();
		if (ret)
			goto out;
		vf = devtab_assign(actx.devs, cfg.vfio[n], &cfg.vfio_opts[n]);
		ret = 1;
		if (!vf)
			goto out;
	}
	/* every device is reset: now guest RAM may be mapped for DMA */
	ret = setup_stopped();
	if (ret)
		goto out;
	ret = 1;
	if (n && vfio_map_guest_ram(vf))
		goto out;
	ret = setup_stopped();
	if (ret)
		goto out;
	ret = 1;
	if (vm_load(vm, &bf))
		goto out;
	boot_files_free(&bf);	/* in guest RAM now; the unpacked kernel is large */
	if (api && api_server_start(api, &vmm_api_ops, &actx))
		goto out;
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
		/* first: waits for an add-device in progress, refuses the next */
		devtab_set_confined(actx.devs);
		vmm_seccomp_allow_unlinkat(api_server_dirfd(api));
		if (vmm_seccomp_install())
			goto out;
	}
	log_verbose("starting %d vCPU%s", cfg.cpus, cfg.cpus > 1 ? "s" : "");
	ret = vm_run(vm);
out:
	/* no guest will eject anything now: a remove-device waiting ends */
	devtab_hurry(actx.devs);
	/* the control socket first: it reads the devices */
	api_server_close(api);
	api = NULL;
	devtab_free(actx.devs);
	actx.devs = NULL;
	hotplug_free(hp);
	vm_destroy(vm);
out_api:
	api_server_close(api);
out_files:
	boot_files_free(&bf);
	log_verbose("exit status %d", ret);
	return ret;
}
