/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vibevmm command line (seed-compatible):
 *   --kernel PATH --initrd PATH --mem SIZE[K|M|G] --cpus N
 *   --vfio BDF[,rom=on|off] (repeatable) --console --log 0..4 --cmdline STR
 *   --irq-path vfpost|vfio|relay --vfio-backend auto|container|iommufd
 *   --kernel-unpack vmm|guest --kernel-cache DIR|off --no-seccomp --api-socket PATH --eject-timeout MS
 *   --help --version
 */
#ifndef VIBEVMM_CLI_H
#define VIBEVMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VMM_MAX_VFIO		16
/* A normalized BDF with its NUL: libvfpost's VFPOST_BDF_LEN (8-digit domains). */
#define VMM_BDF_LEN		20
#define VMM_MAX_CPUS		64
#define VMM_MIN_MEM		(32ULL << 20)
#define VMM_DEFAULT_MEM		(512ULL << 20)
#define VMM_PAGE_SIZE		4096ULL	/* --mem must be a multiple */
/* Guest physical address space we lay out (RAM + PCI windows < 1 TiB). */
#define VMM_MAX_MEM		(512ULL << 30)
/* --eject-timeout: the guest's time to eject a device the host wants back */
#define VMM_EJECT_MS		10000
#define VMM_MAX_EJECT_MS	600000

enum irq_path { IRQ_PATH_AUTO, IRQ_PATH_VFPOST, IRQ_PATH_VFIO, IRQ_PATH_RELAY };
/* How --vfio devices are opened and their DMA mapped (vfio_iommu.c). */
enum vfio_backend { VFIO_BACKEND_AUTO, VFIO_BACKEND_CONTAINER, VFIO_BACKEND_IOMMUFD };
/* Who decompresses the bzImage's kernel (kunpack.h); 0 = vibevmm. */
enum kernel_unpack { KERNEL_UNPACK_VMM, KERNEL_UNPACK_GUEST };

/* Options of one --vfio device: --vfio BDF[,rom=on|off]. */
struct vfio_dev_opts {
	bool rom_off;		/* hide the device's ROM BAR */
};

struct vmm_config {
	const char *kernel, *initrd, *cmdline;
	uint64_t mem;
	int cpus;
	const char *vfio[VMM_MAX_VFIO];	/* normalized "DDDD:BB:DD.F" */
	struct vfio_dev_opts vfio_opts[VMM_MAX_VFIO];
	int nr_vfio;
	bool console;
	bool no_seccomp;	/* --no-seccomp: stay unconfined (debugging) */
	const char *api_socket;	/* --api-socket PATH, or NULL */
	unsigned int eject_ms;	/* --eject-timeout MS */
	int log;
	enum irq_path irq_path;
	enum vfio_backend vfio_backend;
	enum kernel_unpack kernel_unpack;
	const char *kernel_cache;	/* --kernel-cache DIR, NULL: the default */
	bool no_kernel_cache;		/* --kernel-cache off */
	/* storage behind vfio[] */
	char vfio_bdf[VMM_MAX_VFIO][VMM_BDF_LEN];
};

enum cli_result {
	CLI_RUN = 0,		/* config valid: start the VM */
	CLI_EXIT_OK = 1,	/* --help or --version printed: exit 0 */
	CLI_ERROR = -1,		/* err holds one line naming the problem */
};

/*
 * Parse argv into cfg.  On CLI_ERROR, err (errlen bytes) holds one line
 * without the "vibevmm: " prefix or newline.  --help/--version text is
 * written to out.
 */
int cli_parse(int argc, char **argv, struct vmm_config *cfg, FILE *out,
	      char *err, size_t errlen);

/* "2G", "512M", "65536K", "1073741824": bytes, or -1 if malformed/overflow. */
int cli_parse_size(const char *s, uint64_t *bytes);
/*
 * "0000:00:03.1", "00:03.1" or "0001abcd:00:03.1" -> normalized
 * "0000:00:03.1"; -1 if malformed.  libvfpost's vfpost_parse_bdf(), the
 * parser vfpostctl uses: both accept the same addresses.
 */
int cli_parse_bdf(const char *s, char out[VMM_BDF_LEN]);
const char *irq_path_name(enum irq_path p);
const char *vfio_backend_name(enum vfio_backend b);
void cli_usage(FILE *out);

#endif
