// SPDX-License-Identifier: GPL-2.0
/*
 * tsc-khz: print this host's TSC rate in kHz (scripts/vmtest passes it to
 * the lab kernel as tsc_early_khz=).  QEMU's TCG gives its guest the host's
 * TSC, and the lab kernel's own early calibration against the emulated PIT
 * sometimes fails on a loaded host; KVM in the lab then keeps the poor
 * early rate for its guests (Documentation/lab.rst, "Known behaviour").
 *
 * The rate is measured against CLOCK_MONOTONIC, the clock QEMU's emulated
 * timers follow, so that the lab kernel's own refinement of the rate
 * (against the emulated HPET or PM timer, some 10 s into its boot) finds
 * the same value within KVM's 250 ppm tolerance.
 *
 * Exit 0 with the rate; 1 when the host's TSC rate is not constant; 2 when
 * the samples disagree by more than SPREAD_PPM (a host too busy to tell).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SAMPLES		5
#define WINDOW_NS	100000000L
#define SPREAD_PPM	50

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>

/* Both flags, as whole words, in /proc/cpuinfo's first "flags" line. */
static int constant_tsc(void)
{
	char line[16384], *tok, *save, *colon = NULL;
	FILE *f = fopen("/proc/cpuinfo", "r");
	int constant = 0, nonstop = 0;

	if (!f)
		return 0;
	while (!colon && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5))
			colon = strchr(line, ':');
	fclose(f);
	if (!colon)
		return 0;
	for (tok = strtok_r(colon + 1, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		constant |= !strcmp(tok, "constant_tsc");
		nonstop |= !strcmp(tok, "nonstop_tsc");
	}
	return constant && nonstop;
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
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
	int i;

	if (!constant_tsc())
		return 1;
	for (i = 0; i < SAMPLES; i++) {
		t0 = now_ns();
		c0 = __rdtsc();
		nanosleep(&window, NULL);
		t1 = now_ns();
		c1 = __rdtsc();
		khz[i] = (c1 - c0) * 1e6 / (t1 - t0);
	}
	qsort(khz, SAMPLES, sizeof(khz[0]), cmp);
	/* The middle three must agree: one preempted window is allowed at each end. */
	if ((khz[SAMPLES - 2] - khz[1]) * 1e6 > SPREAD_PPM * khz[SAMPLES / 2])
		return 2;
	printf("%.0f\n", khz[SAMPLES / 2]);
	return 0;
}
#else
int main(void)
{
	return 1;	/* no TSC */
}
#endif
