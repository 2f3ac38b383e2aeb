// SPDX-License-Identifier: GPL-2.0
/* Helpers for vfpost's fast-path selftests; see fastpath.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fastpath.h"
#include "lab.h"
#include "nvme_drv.h"
#include "vf_drv.h"
#include "vfio_dev.h"
#include "vfpost_lab.h"

#define TRACEFS "/sys/kernel/tracing"

/*
 * What fp_vf_setup() found and changed, for fp_vf_teardown() in the same
 * process (each harness case is a process of its own).
 */
static struct {
	bool lab;		/* a lab VF, created for this case */
	bool loaded;		/* vfpost loaded for this case */
	char drv[64];		/* the VF's driver before, "" none */
	char override[64];	/* its driver_override before */
	char why[512];		/* why fp_vf_setup() returned -ENODEV */
} fp;

const char *fp_why(void)
{
	return fp.why;
}

static int skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fp.why, sizeof(fp.why), fmt, ap);
	va_end(ap);
	return -ENODEV;
}

static bool is_vf(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/physfn", bdf);
	return !access(path, F_OK);
}

/*
 * A VF to test on this machine: one bound to vfpost, else one that a
 * selftest driver knows and that no host driver holds (unbound, or on
 * vfio-pci).
 */
static int find_vf(char *bdf)
{
	char drv[64], best[LAB_BDF_LEN] = "";
	struct dirent *e;
	DIR *d = opendir("/sys/bus/pci/devices");

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= LAB_BDF_LEN ||
		    !is_vf(e->d_name) || lab_driver_of(e->d_name, drv, sizeof(drv)))
			continue;
		if (!strcmp(drv, "vfpost")) {
			snprintf(best, sizeof(best), "%s", e->d_name);
			break;
		}
		if (!*best && (!*drv || !strcmp(drv, "vfio-pci")) &&
		    vf_drv_lookup(e->d_name, NULL, 0))
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (!*best)
		return -ENOENT;
	memcpy(bdf, best, LAB_BDF_LEN);
	return 0;
}

/* A VF of this machine (VFPOST_BDF, or found), bound to vfpost. */
static int host_vf_setup(char *bdf, const char *env)
{
	char path[PATH_MAX], given[VFPOST_BDF_LEN];
	int ret;

	if (env && *env) {
		if (vfpost_parse_bdf(env, given) || strlen(given) >= LAB_BDF_LEN) {
			fprintf(stderr, "fastpath: VFPOST_BDF=%s: not a PCI address; give dddd:bb:dd.f\n",
				env);
			return -EINVAL;
		}
		memcpy(bdf, given, LAB_BDF_LEN);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
		if (access(path, F_OK))
			return skip("VFPOST_BDF=%s: no such PCI device (lspci -D lists them)", env);
	} else if (find_vf(bdf)) {
		return skip("no VF to test: none is bound to vfpost, and none that a selftest "
			    "driver knows is unbound or on vfio-pci; set VFPOST_BDF=dddd:bb:dd.f");
	}
	if (!vf_drv_lookup(bdf, fp.why, sizeof(fp.why)))
		return -ENODEV;
	if (!is_vf(bdf))
		return skip("%s is not an SR-IOV VF (no physfn in sysfs): vfpost binds VFs only", bdf);
	if (!vfpost_loaded()) {
		/* Built (or installed with the selftests) for this kernel, or installed. */
		if (strcmp(lab_vfpost_ko(), "vfpost") ? vfpost_load() : lab_sh("modprobe vfpost"))
			return skip("vfpost is not loaded and could not be loaded: insmod vfpost.ko "
				    "(or make install; make dkms) first");
		fp.loaded = true;
	}
	ret = lab_driver_of(bdf, fp.drv, sizeof(fp.drv));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (lab_read_file(path, fp.override, sizeof(fp.override)) || !strcmp(fp.override, "(null)"))
		fp.override[0] = '\0';
	return lab_sysfs_bind(bdf, "vfpost");
}

int fp_vf_setup(char *bdf)
{
	const char *env = getenv("VFPOST_BDF");
	char bdfs[1][LAB_BDF_LEN];
	int ret;

	memset(&fp, 0, sizeof(fp));
	if (!lab_only_ok(NULL, 0))
		return host_vf_setup(bdf, env);
	fp.lab = true;
	ret = vfpost_loaded() ? 0 : vfpost_load();
	if (ret)
		return ret;
	ret = lab_vfs_up(1, bdfs);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	memcpy(bdf, bdfs[0], LAB_BDF_LEN);
	return lab_bind(bdf, "vfpost");
}

/* The VF back with the driver it had; vfpost unloaded if we loaded it. */
static int host_vf_teardown(const char *bdf)
{
	char path[PATH_MAX];
	int ret = 0;

	if (strcmp(fp.drv, "vfpost")) {
		ret = lab_sysfs_bind(bdf, "");
		if (!ret && *fp.override) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
				 bdf);
			ret = lab_write_file(path, fp.override);
		}
		/* Unbound before: stays so.  Else its driver probes it again. */
		if (!ret && *fp.drv) {
			lab_write_file("/sys/bus/pci/drivers_probe", bdf);
			ret = lab_driver_of(bdf, path, sizeof(path));
			if (!ret && strcmp(path, fp.drv)) {
				fprintf(stderr, "fastpath: %s did not go back to %s (now '%s')\n",
					bdf, fp.drv, path);
				ret = -EIO;
			}
		}
	}
	if (fp.loaded && vfpost_unload())
		return -EBUSY;
	return ret;
}

int fp_vf_teardown(const char *bdf)
{
	int ret;

	if (!fp.lab)
		return host_vf_teardown(bdf);
	lab_bind(bdf, "");
	ret = lab_vfs_down();
	if (vfpost_unload())
		return -EBUSY;
	return ret;
}

int fp_vf_open(char *bdf, struct vfio_dev *d, struct vf_drv *drv, char *why, size_t len)
{
	int ret = fp_vf_setup(bdf);

	if (ret == -ENODEV)
		snprintf(why, len, "%s", fp.why);
	if (ret)
		return ret;
	ret = vfio_dev_open(d, bdf);
	if (ret)
		return ret;
	ret = vf_drv_probe(drv, d, why, len);
	if (!ret)
		return 0;
	vfio_dev_close(d);
	/* Nothing to test: the caller skips, and its teardown does not run. */
	if (ret == -ENODEV)
		fp_vf_teardown(bdf);
	return ret;
}

int fp_vf_start(struct vfio_dev *d, struct nvme_drv *n, const char *bdf,
		const int *efds, unsigned int nvec)
{
	int ret = vfio_dev_open(d, bdf);

	if (ret)
		return ret;
	ret = nvme_drv_init(n, d);
	if (ret)
		goto close;
	ret = vfio_dev_irq_set_eventfds(d, VFIO_PCI_MSIX_IRQ_INDEX, 0, nvec, efds);
	if (!ret)
		ret = nvme_drv_enable(n);
	if (!ret)
		return 0;
	nvme_drv_fini(n);
close:
	vfio_dev_close(d);
	return ret;
}

void fp_storm(const char *bdf)
{
	struct nvme_sqe cmd = { .opcode = 0x0a, .cdw10 = 0x07 };
	struct nvme_cqe cqe;
	struct vfio_dev d;
	struct nvme_drv n;
	int efd = eventfd(0, EFD_NONBLOCK);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (efd < 0 || fp_vf_start(&d, &n, bdf, &efd, 1))
		_exit(2);
	for (;;)
		if (nvme_drv_submit(&n, &n.admin, &cmd) ||
		    nvme_drv_reap(&n, &n.admin, &cqe, 5000))
			_exit(3);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static long efd_read_until(int fd, uint64_t want, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t total = 0, v;
	/* counts are small: a long holds them */
	long long left;

	/*
	 * At least one look: a timeout of 0 takes what is there (it took
	 * nothing, and the drains written with it drained nothing).
	 */
	do {
		left = end - now_ms();
		if (poll(&p, 1, left > 0 ? (int)left : 0) > 0 &&
		    read(fd, &v, sizeof(v)) == sizeof(v))
			total += v;
	} while (total < want && left > 0);
	return (long)total;
}

long fp_efd_wait(int fd, uint64_t want, int timeout_ms)
{
	return efd_read_until(fd, want, timeout_ms);
}

long fp_efd_settle(int fd, int ms)
{
	return efd_read_until(fd, UINT64_MAX, ms);
}

/*
 * Sum of the per-CPU columns of the /proc/interrupts lines naming @name
 * (and @also, when given).
 */
static long irq_line_count2(const char *name, const char *also, int *lines)
{
	char line[1024];
	long total = -1;
	FILE *f = fopen("/proc/interrupts", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *end;
		long sum = 0;

		if (!p || !strstr(line, name) || (also && !strstr(line, also)))
			continue;
		if (lines)
			(*lines)++;
		for (p++;; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			sum += v;
		}
		total = total < 0 ? sum : total + sum;
	}
	fclose(f);
	return total;
}

static long irq_line_count(const char *name, int *lines)
{
	return irq_line_count2(name, NULL, lines);
}

int fp_vf_irq_lines(const char *prefix, const char *bdf)
{
	char own[LAB_BDF_LEN + 4];
	int lines = 0;

	snprintf(own, sizeof(own), "](%s)", bdf);
	irq_line_count2(prefix, own, &lines);
	return lines;
}

long fp_host_count(const char *bdf, unsigned int vector)
{
	char name[64];

	snprintf(name, sizeof(name), "vfpost-msix[%u](%s)", vector, bdf);
	return irq_line_count(name, NULL);
}

int fp_irq_lines(const char *substr)
{
	int lines = 0;

	irq_line_count(substr, &lines);
	return lines;
}

int fp_msi_irqs(const char *bdf)
{
	char path[96];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs", bdf);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int fp_vfpost_irqs(void)
{
	return fp_irq_lines("vfpost-msix[");
}

static void log_lines_with(const char *path, const char *what,
			   const char *substr)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f) {
		printf("# leftover: cannot read %s: %m\n", path);
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (strstr(line, substr))
			printf("# leftover %s: %s", what, line);
	fclose(f);
}

void fp_log_irq_leftovers(void)
{
	char path[300], target[256];
	struct dirent *e;
	ssize_t n;
	DIR *d;

	log_lines_with("/proc/interrupts", "irq", "vfpost-msix[");
	log_lines_with("/proc/self/maps", "mapping", "vfio");
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strstr(target, "vfio"))
			printf("# leftover fd %s: %s\n", e->d_name, target);
	}
	closedir(d);
	fflush(stdout);
}

int fp_stats(const char *bdf, unsigned int index, struct vfpost_vector *out)
{
	struct vfpost_vector vec[8];
	struct vfpost_vf vf;
	struct vfpost *h;
	int err, n, i;

	h = vfpost_open(&err);
	if (!h) {
		fprintf(stderr, "fastpath: %s\n", vfpost_strerror(err));
		return err;
	}
	n = vfpost_vf_stats(h, bdf, &vf, vec, 8);
	if (n < 0)
		fprintf(stderr, "fastpath: stats %s: %s\n", bdf, vfpost_errmsg(h));
	vfpost_close(h);
	if (n < 0)
		return n;
	for (i = 0; i < n && i < 8; i++) {
		if (vec[i].index == index) {
			*out = vec[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int trace_write(const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	if (lab_write_file(path, val)) {
		fprintf(stderr, "fastpath: cannot write '%s' to %s\n", val, path);
		return -EIO;
	}
	return 0;
}

/*
 * Empty the trace buffer.  Only an open with O_TRUNC does (`echo >
 * trace`); a write does not, and events of an earlier run in the same
 * boot would be counted again.
 */
static int trace_clear(void)
{
	int fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		fprintf(stderr, "fastpath: cannot clear %s: %s\n", TRACEFS "/trace", strerror(err));
		return -err;
	}
	close(fd);
	return 0;
}

int fp_trace_start(const char *events)
{
	char list[256], *ev, *save = NULL, file[128];
	struct stat st;

	if (stat(TRACEFS "/trace", &st) &&
	    lab_sh("mount -t tracefs tracefs " TRACEFS)) {
		fprintf(stderr, "fastpath: cannot mount tracefs\n");
		return -ENOENT;
	}
	if (trace_write("tracing_on", "0") || trace_clear())
		return -EIO;
	snprintf(list, sizeof(list), "%s", events);
	for (ev = strtok_r(list, " ", &save); ev; ev = strtok_r(NULL, " ", &save)) {
		snprintf(file, sizeof(file), "events/vfpost/%s/enable", ev);
		if (trace_write(file, "1"))
			return -EIO;
	}
	return trace_write("tracing_on", "1");
}

int fp_trace_count(const char *event, const char *substr)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(TRACEFS "/trace", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && strstr(line, event) && strstr(line, substr))
			n++;
	fclose(f);
	return n;
}

void fp_trace_stop(void)
{
	trace_write("events/vfpost/enable", "0");
	trace_write("tracing_on", "0");
}
