// SPDX-License-Identifier: GPL-2.0
/* The fault matrix's shared checks; see stress.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "fastpath.h"
#include "lab.h"
#include "nvme_drv.h"
#include "stress.h"
#include "vfio_dev.h"

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

/*
 * Whether each row scans with kmemleak: scripts/stress asks for it
 * (VFPOST_STRESS_KMEMLEAK=1), make check does not, as the two scans take
 * about half a minute on the debug kernel; there the lab's init scans once
 * at the end of the boot.
 */
static bool kmemleak_per_row(void)
{
	const char *s = getenv("VFPOST_STRESS_KMEMLEAK");

	return s && !strcmp(s, "1") && !access(KMEMLEAK, W_OK);
}

int stress_runs(void)
{
	const char *s = getenv("VFPOST_STRESS_RUNS");
	int n = s ? atoi(s) : 0;

	return n > 0 ? n : 2;
}

bool stress_row_wanted(const char *name)
{
	static const char sep[] = " ,\t\n";
	const char *s = getenv("VFPOST_STRESS_ROWS");
	size_t len = strlen(name), n;

	if (!s || !s[strspn(s, sep)])
		return true;
	for (; *s; s += n) {
		s += strspn(s, sep);
		n = strcspn(s, sep);
		if (n == len && !strncmp(s, name, len))
			return true;
	}
	return false;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

void stress_begin(struct stress_row *r, const char *name)
{
	/* Suspects reported before the row are not its own. */
	if (kmemleak_per_row())
		lab_write_file(KMEMLEAK, "clear");
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->runs = stress_runs();
	r->start_ms = now_ms();
	r->eventfds = stress_eventfds();
	r->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->kmsg < 0)
		fprintf(stderr, "stress: /dev/kmsg: %m; splats not checked per run\n");
	else
		lseek(r->kmsg, 0, SEEK_END);
}

/*
 * Kernel log records since the last call, as plain lines, through
 * scripts/splat-scan (the scanner vmtest runs on the whole boot): 1 if it
 * found a splat, 0 if not.
 */
static int new_splats(struct stress_row *r)
{
	char rec[8192], path[] = "/tmp/stress-kmsg.XXXXXX", *text;
	ssize_t n;
	FILE *f;
	int fd, ret;

	if (r->kmsg < 0)
		return 0;
	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return 0;
	}
	for (;;) {
		n = read(r->kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		/* The message; continuation lines ("\n KEY=val") dropped. */
		fprintf(f, "%.*s\n", (int)strcspn(text + 1, "\n"), text + 1);
	}
	fclose(f);
	ret = lab_sh("%s/scripts/splat-scan %s", lab_root(), path) ? 1 : 0;
	unlink(path);
	return ret;
}

int stress_eventfds(void)
{
	char path[300], target[64];
	struct dirent *e;
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	ssize_t len;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += !strcmp(target, "anon_inode:[eventfd]");
	}
	closedir(d);
	return n;
}

int stress_leaks(const char *bdf, int eventfds)
{
	int kinds = 0, n;
	long refs;

	n = fp_vfpost_irqs();
	if (n) {
		fprintf(stderr, "stress: leak: %d vfpost irq(s) in /proc/interrupts\n", n);
		kinds++;
	}
	n = bdf ? fp_msi_irqs(bdf) : 0;
	if (n) {
		fprintf(stderr, "stress: leak: %s still has %d MSI/MSI-X vector(s)\n", bdf, n);
		kinds++;
	}
	n = eventfds >= 0 ? stress_eventfds() : eventfds;
	if (n > eventfds) {
		fprintf(stderr, "stress: leak: %d eventfd(s) open, %d before\n", n, eventfds);
		kinds++;
	}
	/* An open VF holds the module: only counted with @bdf closed. */
	if (bdf && !lab_read_long("/sys/module/vfpost/refcnt", &refs) && refs) {
		fprintf(stderr, "stress: leak: vfpost.ko has %ld reference(s)\n", refs);
		kinds++;
	}
	return kinds;
}

int stress_vf_usable(const char *bdf, int efd)
{
	int own = efd < 0, ret;
	const char *step = "open";
	struct vfpost_vector st;
	struct vfio_dev d;
	struct nvme_drv n;
	uint32_t res;

	if (own) {
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (efd < 0)
			return -errno;
	}
	fp_efd_settle(efd, 0);
	ret = vfio_dev_open(&d, bdf);
	if (ret)
		goto out;
	step = "nvme init";
	ret = nvme_drv_init(&n, &d);
	if (ret)
		goto close;
	step = "attach vector 0";
	ret = vfio_dev_irq_set_eventfds(&d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &efd);
	/*
	 * vfpost attaches a vector without its irq bypass producer when the
	 * registration fails (host path only), as a producer left behind on
	 * the same eventfd makes it fail: only the vector's state shows it.
	 * Not a vfpost VF (no statistics): nothing to check.
	 */
	if (!ret && !fp_stats(bdf, 0, &st) && st.bypass == VFPOST_BYPASS_STATE_NONE) {
		step = "irq bypass producer (is one left on the eventfd?)";
		ret = -EEXIST;
	}
	if (!ret) {
		step = "enable";
		ret = nvme_drv_enable(&n);
	}
	if (!ret) {
		step = "get features";
		ret = nvme_drv_get_features(&n, 0x07, &res);
	}
	if (!ret && fp_efd_wait(efd, 1, 5000) != 1) {
		step = "completion interrupt";
		ret = -ETIMEDOUT;
	}
	nvme_drv_fini(&n);
close:
	vfio_dev_close(&d);
out:
	if (ret)
		fprintf(stderr, "stress: %s not usable by a fresh open: %s: %s\n",
			bdf, step, strerror(-ret));
	if (own)
		close(efd);
	return ret;
}

/* Count one run and print its line; 0 if it was clean. */
static int count_run(struct stress_row *r, bool ok, int splat, int leaks, bool usable)
{
	r->done++;
	r->splats += splat;
	r->leaks += leaks;
	ok = ok && !splat && !leaks && usable;
	r->passed += ok;
	printf("# stress: row=%s run=%d %s%s%s%s\n", r->name, r->done,
	       ok ? "ok" : "FAILED", splat ? " splat" : "",
	       leaks ? " leak" : "", usable ? "" : " unusable");
	fflush(stdout);
	return ok ? 0 : -1;
}

int stress_check(struct stress_row *r, const char *bdf, int efd, bool ok)
{
	/* The run's own eventfd, still open for the fresh open to reuse. */
	int fds = r->eventfds + (efd >= 0);
	int splat = new_splats(r), leaks = stress_leaks(bdf, fds);
	bool usable = !bdf || !stress_vf_usable(bdf, efd);

	/* The fresh open must leave nothing behind either. */
	if (bdf && !leaks)
		leaks = stress_leaks(bdf, fds);
	return count_run(r, ok, splat, leaks, usable);
}

int stress_tally(struct stress_row *r, bool ok)
{
	return count_run(r, ok, new_splats(r), 0, true);
}

/*
 * kmemleak's suspects (the debug kernel; 0 without it): two scans 6 s apart,
 * as an object must be 5 s old and stay unreferenced over two scans to be
 * reported (Documentation/dev-tools/kmemleak.rst, and the lab's init at the
 * end of a boot).  Each is printed, then the list is cleared, so that the
 * next row answers for its own.
 */
static int kmemleak_suspects(void)
{
	int n = 0, lines = 0;
	char line[512];
	FILE *f;

	if (!kmemleak_per_row())
		return 0;
	if (lab_write_file(KMEMLEAK, "scan") || sleep(6) ||
	    lab_write_file(KMEMLEAK, "scan")) {
		fprintf(stderr, "stress: leak: kmemleak scan failed\n");
		return 1;
	}
	f = fopen(KMEMLEAK, "re");
	if (!f) {
		fprintf(stderr, "stress: leak: %s: %m\n", KMEMLEAK);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		n += !strncmp(line, "unreferenced object", 19);
		if (n && lines++ < 80)	/* the first objects with their backtraces */
			fprintf(stderr, "stress: kmemleak: %s", line);
	}
	fclose(f);
	if (n)
		fprintf(stderr, "stress: leak: kmemleak: %d suspected leak(s)\n", n);
	lab_write_file(KMEMLEAK, "clear");
	return n;
}

void stress_end(struct stress_row *r)
{
	r->leaks += kmemleak_suspects();
	printf("# stress: row=%s runs=%d passed=%d splats=%d leaks=%d seconds=%.1f\n",
	       r->name, r->done, r->passed, r->splats, r->leaks,
	       (now_ms() - r->start_ms) / 1000.0);
	fflush(stdout);
	if (r->kmsg >= 0)
		close(r->kmsg);
	r->kmsg = -1;
}
