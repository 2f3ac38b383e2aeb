// SPDX-License-Identifier: GPL-2.0
/*
 * vibevmm command line.  Long options take their value as the next argument
 * or after '='.  Every error produces one line naming the option or value and
 * what to do; the caller prints it and exits non-zero.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "libvfpost.h"

#ifndef VIBEVMM_VERSION
#define VIBEVMM_VERSION "0.1"
#endif

void cli_usage(FILE *out)
{
	fprintf(out,
"Usage: vibevmm --kernel BZIMAGE [options]\n"
"Boot a Linux bzImage in a KVM virtual machine, optionally with PCI devices\n"
"(SR-IOV VFs) passed through with VFIO.\n"
"\n"
"  --kernel PATH      Linux bzImage to boot (e.g. /boot/vmlinuz-$(uname -r))\n"
"  --initrd PATH      initial ramdisk (cpio archive, optionally compressed)\n"
"  --mem SIZE         guest RAM, with optional K, M or G suffix (default 512M)\n"
"  --cpus N           number of vCPUs, 1..%d (default 1)\n"
"  --vfio BDF[,rom=on|off]\n"
"                     pass the PCI device at BDF (e.g. 0000:03:00.1) through;\n"
"                     repeatable, up to %d devices; rom=off hides its ROM BAR\n"
"  --console          connect the guest's serial console (ttyS0) to this\n"
"                     terminal in raw mode (input too); without it the guest's\n"
"                     output still goes to stdout\n"
"  --log N            log level 0..4: 0 errors, 1 warnings, 2 info (default),\n"
"                     3 verbose, 4 debug\n"
"  --cmdline STR      extra kernel command line, appended to\n"
"                     \"console=ttyS0\"\n"
"  --irq-path P       MSI-X delivery for --vfio devices: vfpost (default when\n"
"                     the device is bound to vfpost), vfio (vfio-pci + irqfd)\n"
"                     or relay (a VMM thread injects with KVM_SIGNAL_MSI)\n"
"  --vfio-backend B   how --vfio devices are opened and DMA-mapped: iommufd\n"
"                     (/dev/iommu and /dev/vfio/devices/vfioN), container\n"
"                     (/dev/vfio/vfio and the IOMMU group) or auto (default:\n"
"                     iommufd where the kernel has it, else container)\n"
"  --kernel-unpack W  who decompresses the bzImage's kernel: vmm (default:\n"
"                     vibevmm, faster; the kernel runs at its link address,\n"
"                     without KASLR) or guest (the kernel's own decompressor)\n"
"  --kernel-cache D   keep kernels vibevmm unpacked in directory D, so the\n"
"                     next boot of the same bzImage reads them instead of\n"
"                     unpacking again (default: $XDG_CACHE_HOME/vibevmm or\n"
"                     ~/.cache/vibevmm); off: unpack every time, keep nothing\n"
"  --api-socket PATH  serve the control socket at PATH (a Unix socket, mode\n"
"                     0600; vibevmm-ctl talks to it)\n"
"  --eject-timeout MS when the host wants a device back, give the guest MS\n"
"                     milliseconds (0 to %d, default %d) to eject it before\n"
"                     it is detached by force\n"
"  --no-seccomp       do not confine vibevmm with its seccomp filter once\n"
"                     the VM is built (for debugging only)\n"
"  -h, --help         show this help and exit\n"
"  -V, --version      show the version and exit\n"
"\n"
"Exit status: 0 guest poweroff or reboot, 1 VMM failure or guest crash,\n"
"2 bad command line, 128+N stopped by signal N.\n",
		VMM_MAX_CPUS, VMM_MAX_VFIO, VMM_MAX_EJECT_MS, VMM_EJECT_MS);
}

int cli_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		return -1;
	}
	if (*end) {
		end++;
		/* accept "2GB", "2GiB" too */
		if (!strcmp(end, "B") || !strcmp(end, "iB"))
			end += strlen(end);
		if (*end)
			return -1;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)v << shift;
	return 0;
}

_Static_assert(VMM_BDF_LEN == VFPOST_BDF_LEN, "vibevmm's BDF buffers are libvfpost's");

/*
 * libvfpost's parser, the one vfpostctl uses; @out is written whole
 * (NUL-padded), so a copy of it carries no stale bytes.
 */
int cli_parse_bdf(const char *s, char out[VMM_BDF_LEN])
{
	return vfpost_parse_bdf(s, out) ? -1 : 0;
}

const char *irq_path_name(enum irq_path p)
{
	switch (p) {
	case IRQ_PATH_VFPOST: return "vfpost";
	case IRQ_PATH_VFIO: return "vfio";
	case IRQ_PATH_RELAY: return "relay";
	default: return "auto";
	}
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* arguments are echoed: keep the error one line, without escapes */
	for (p = err; *p; p++)
		if (iscntrl((unsigned char)*p))
			*p = '?';
	return CLI_ERROR;
}

enum opt_id {
	OPT_KERNEL, OPT_INITRD, OPT_MEM, OPT_CPUS, OPT_VFIO, OPT_CONSOLE,
	OPT_LOG, OPT_CMDLINE, OPT_IRQ_PATH, OPT_VFIO_BACKEND, OPT_KERNEL_UNPACK, OPT_KERNEL_CACHE,
	OPT_NO_SECCOMP,
	OPT_API_SOCKET, OPT_EJECT_TIMEOUT, OPT_HELP,
	OPT_VERSION,
};

static const struct {
	const char *name;
	enum opt_id id;
	bool has_arg;
} opts[] = {
	{ "kernel", OPT_KERNEL, true },
	{ "initrd", OPT_INITRD, true },
	{ "mem", OPT_MEM, true },
	{ "cpus", OPT_CPUS, true },
	{ "vfio", OPT_VFIO, true },
	{ "console", OPT_CONSOLE, false },
	{ "log", OPT_LOG, true },
	{ "cmdline", OPT_CMDLINE, true },
	{ "irq-path", OPT_IRQ_PATH, true },
	{ "vfio-backend", OPT_VFIO_BACKEND, true },
	{ "kernel-unpack", OPT_KERNEL_UNPACK, true },
	{ "kernel-cache", OPT_KERNEL_CACHE, true },
	{ "no-seccomp", OPT_NO_SECCOMP, false },
	{ "api-socket", OPT_API_SOCKET, true },
	{ "eject-timeout", OPT_EJECT_TIMEOUT, true },
	{ "help", OPT_HELP, false },
	{ "version", OPT_VERSION, false },
};

static int parse_int(const char *s, long min, long max, long *v)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || *end || *v < min || *v > max)
		return -1;
	return 0;
}

/* --vfio BDF[,rom=on|off] */
static int parse_vfio(const char *val, char bdf[VMM_BDF_LEN], struct vfio_dev_opts *o,
		      char *err, size_t errlen)
{
	const char *comma = strchr(val, ',');
	int n = comma ? (int)(comma - val) : (int)strlen(val);
	char addr[VMM_BDF_LEN + 1];

	memset(o, 0, sizeof(*o));
	if (n >= (int)sizeof(addr) || snprintf(addr, sizeof(addr), "%.*s", n, val) < 0 ||
	    cli_parse_bdf(addr, bdf))
		return fail(err, errlen, "--vfio '%.*s': not a PCI address; use DDDD:BB:DD.F, e.g. --vfio 0000:00:03.1",
			    n, val);
	while (comma) {
		const char *opt = comma + 1;

		comma = strchr(opt, ',');
		n = comma ? (int)(comma - opt) : (int)strlen(opt);
		if (n == 6 && !strncmp(opt, "rom=on", 6))
			o->rom_off = false;
		else if (n == 7 && !strncmp(opt, "rom=off", 7))
			o->rom_off = true;
		else
			return fail(err, errlen, "--vfio %s: unknown device option '%.*s'; use rom=on or rom=off",
				    bdf, n, opt);
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct vmm_config *cfg, FILE *out,
	      char *err, size_t errlen)
{
	int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mem = VMM_DEFAULT_MEM;
	cfg->cpus = 1;
	cfg->log = 2;
	cfg->irq_path = IRQ_PATH_AUTO;
	cfg->eject_ms = VMM_EJECT_MS;
	err[0] = '\0';

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		size_t namelen, k;
		char bdf[VMM_BDF_LEN];
		struct vfio_dev_opts vo;
		long n;

		if (!strcmp(a, "-h"))
			a = "--help";
		else if (!strcmp(a, "-V"))
			a = "--version";
		if (strncmp(a, "--", 2) || !a[2]) {
			if (a[0] == '-')
				return fail(err, errlen, "unknown option '%s'; see 'vibevmm --help'", a);
			return fail(err, errlen, "unexpected argument '%s'; options start with '--', see 'vibevmm --help'", a);
		}
		a += 2;
		eq = strchr(a, '=');
		namelen = eq ? (size_t)(eq - a) : strlen(a);
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strlen(opts[k].name) == namelen &&
			    !strncmp(opts[k].name, a, namelen))
				break;
		if (k == sizeof(opts) / sizeof(opts[0]))
			return fail(err, errlen, "unknown option '--%.*s'; see 'vibevmm --help'",
				    (int)namelen, a);
		if (opts[k].has_arg) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return fail(err, errlen, "option '--%s' needs a value; see 'vibevmm --help'",
					    opts[k].name);
		} else if (eq) {
			return fail(err, errlen, "option '--%s' takes no value; remove '=%s'",
				    opts[k].name, eq + 1);
		}

		switch (opts[k].id) {
		case OPT_KERNEL:
			if (!*val)
				return fail(err, errlen, "--kernel: empty path; give a bzImage such as /boot/vmlinuz-$(uname -r)");
			cfg->kernel = val;
			break;
		case OPT_INITRD:
			if (!*val)
				return fail(err, errlen, "--initrd: empty path; give an initrd file or leave the option out");
			cfg->initrd = val;
			break;
		case OPT_MEM:
			if (cli_parse_size(val, &cfg->mem))
				return fail(err, errlen, "--mem '%s': not a size; give a number with an optional K, M or G suffix, e.g. --mem 2G", val);
			if (cfg->mem < VMM_MIN_MEM)
				return fail(err, errlen, "--mem '%s': too small; give at least %lluM",
					    val, VMM_MIN_MEM >> 20);
			if (cfg->mem > VMM_MAX_MEM)
				return fail(err, errlen, "--mem '%s': more than vibevmm supports; give at most %lluG",
					    val, VMM_MAX_MEM >> 30);
			if (cfg->mem % VMM_PAGE_SIZE)
				return fail(err, errlen, "--mem '%s': not a multiple of the %lluK page size; round it, e.g. --mem %lluK",
					    val, VMM_PAGE_SIZE >> 10,
					    (unsigned long long)(cfg->mem / VMM_PAGE_SIZE + 1) *
					    (VMM_PAGE_SIZE >> 10));
			break;
		case OPT_CPUS:
			if (parse_int(val, 1, VMM_MAX_CPUS, &n))
				return fail(err, errlen, "--cpus '%s': not a CPU count; give a number from 1 to %d",
					    val, VMM_MAX_CPUS);
			cfg->cpus = n;
			break;
		case OPT_VFIO:
			if (parse_vfio(val, bdf, &vo, err, errlen))
				return CLI_ERROR;
			if (cfg->nr_vfio == VMM_MAX_VFIO)
				return fail(err, errlen, "--vfio %s: too many devices; at most %d --vfio options",
					    bdf, VMM_MAX_VFIO);
			for (n = 0; n < cfg->nr_vfio; n++)
				if (!strcmp(cfg->vfio[n], bdf))
					return fail(err, errlen, "--vfio %s: given twice; pass each device once", bdf);
			memcpy(cfg->vfio_bdf[cfg->nr_vfio], bdf, VMM_BDF_LEN);
			cfg->vfio_opts[cfg->nr_vfio] = vo;
			cfg->vfio[cfg->nr_vfio] = cfg->vfio_bdf[cfg->nr_vfio];
			cfg->nr_vfio++;
			break;
		case OPT_CONSOLE:
			cfg->console = true;
			break;
		case OPT_LOG:
			if (parse_int(val, 0, 4, &n))
				return fail(err, errlen, "--log '%s': not a log level; give 0 (errors) to 4 (debug)", val);
			cfg->log = n;
			break;
		case OPT_CMDLINE:
			cfg->cmdline = val;
			break;
		case OPT_IRQ_PATH:
			if (!strcmp(val, "vfpost"))
				cfg->irq_path = IRQ_PATH_VFPOST;
			else if (!strcmp(val, "vfio"))
				cfg->irq_path = IRQ_PATH_VFIO;
			else if (!strcmp(val, "relay"))
				cfg->irq_path = IRQ_PATH_RELAY;
			else
				return fail(err, errlen, "--irq-path '%s': unknown path; use vfpost, vfio or relay", val);
			break;
		case OPT_VFIO_BACKEND:
			if (!strcmp(val, "auto"))
				cfg->vfio_backend = VFIO_BACKEND_AUTO;
			else if (!strcmp(val, "container"))
				cfg->vfio_backend = VFIO_BACKEND_CONTAINER;
			else if (!strcmp(val, "iommufd"))
				cfg->vfio_backend = VFIO_BACKEND_IOMMUFD;
			else
				return fail(err, errlen, "--vfio-backend '%s': unknown backend; use auto, container or iommufd", val);
			break;
		case OPT_API_SOCKET:
			if (!*val)
				return fail(err, errlen, "--api-socket: empty path; give the path of the control socket to create");
			cfg->api_socket = val;
			break;
		case OPT_EJECT_TIMEOUT:
			if (parse_int(val, 0, VMM_MAX_EJECT_MS, &n))
				return fail(err, errlen, "--eject-timeout '%s': not a time; give milliseconds from 0 to %d",
					    val, VMM_MAX_EJECT_MS);
			cfg->eject_ms = n;
			break;
		case OPT_KERNEL_UNPACK:
			if (!strcmp(val, "vmm"))
				cfg->kernel_unpack = KERNEL_UNPACK_VMM;
			else if (!strcmp(val, "guest"))
				cfg->kernel_unpack = KERNEL_UNPACK_GUEST;
			else
				return fail(err, errlen, "--kernel-unpack '%s': unknown place; use vmm or guest", val);
			break;
		case OPT_KERNEL_CACHE:
			if (!*val)
				return fail(err, errlen, "--kernel-cache: empty path; give a directory or off");
			cfg->no_kernel_cache = !strcmp(val, "off");
			cfg->kernel_cache = cfg->no_kernel_cache ? NULL : val;
			break;
		case OPT_NO_SECCOMP:
			cfg->no_seccomp = true;
			break;
		case OPT_HELP:
			cli_usage(out);
			return CLI_EXIT_OK;
		case OPT_VERSION:
			fprintf(out, "vibevmm %s\n", VIBEVMM_VERSION);
			return CLI_EXIT_OK;
		}
	}
	if (!cfg->kernel)
		return fail(err, errlen, "no kernel given; use --kernel PATH with a bzImage, e.g. /boot/vmlinuz-$(uname -r)");
	if (cfg->irq_path != IRQ_PATH_AUTO && !cfg->nr_vfio)
		return fail(err, errlen, "--irq-path %s: no --vfio device to apply it to; add --vfio BDF or drop --irq-path",
			    irq_path_name(cfg->irq_path));
	if (cfg->vfio_backend != VFIO_BACKEND_AUTO && !cfg->nr_vfio)
		return fail(err, errlen, "--vfio-backend %s: no --vfio device to apply it to; add --vfio BDF or drop --vfio-backend",
			    vfio_backend_name(cfg->vfio_backend));
	return CLI_RUN;
}

const char *vfio_backend_name(enum vfio_backend b)
{
	switch (b) {
	case VFIO_BACKEND_AUTO: return "auto";
	case VFIO_BACKEND_CONTAINER: return "container";
	case VFIO_BACKEND_IOMMUFD: return "iommufd";
	}
	return "?";
}
