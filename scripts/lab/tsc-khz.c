// SPDX-License-Identifier: GPL-2.0
/*
 * tsc-khz: print this host's TSC rate in kHz (scripts/vmtest passes it to
 * the lab kernel as tsc_early_khz=).  QEMU's TCG gives its guest the host's
 * TSC, and the lab kernel's own early calibration against the emulated PIT
 * sometimes fails on a loaded host ("tsc: Unable to calibrate against
 * PIT"); KVM in the lab then takes the poor early rate as its guests' TSC
 * rate (Documentation/lab.rst).  Exit 1, printing nothing, on a host whose
 * TSC rate is not constant.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#define SAMPLES	3
#define WINDOW_NS	100000000L

static int constant_tsc(void)
{
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int yes = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			yes = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
			break;
		}
	fclose(f);
	return yes;
}

static double ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	struct timespec window = { 0, WINDOW_NS };
	double khz[SAMPLES], t0, t1;
	unsigned long long c0, c1;
	cpu_set_t one;
	int i;

	if (!constant_tsc())
		return 1;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);	/* best effort */
	for (i = 0; i < SAMPLES; i++) {
		t0 = ns();
		c0 = __rdtsc();
		nanosleep(&window, NULL);
		t1 = ns();
		c1 = __rdtsc();
		khz[i] = (c1 - c0) * 1e6 / (t1 - t0);
	}
	qsort(khz, SAMPLES, sizeof(khz[0]), cmp);
	printf("%.0f\n", khz[SAMPLES / 2]);
	return 0;
}
