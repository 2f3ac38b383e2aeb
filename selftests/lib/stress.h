/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fault matrix's shared part (make stress, Documentation/reliability.rst):
 * how many times a row repeats its fault, and the checks that follow every
 * run: no kernel splat since the previous check, nothing left behind (vfpost
 * irqs, MSI-X vectors, eventfds, module references), the VF usable by a
 * fresh open.  A row prints one "# stress:" line per run and a summary that
 * scripts/stress turns into its table:
 *
 *   # stress: row=NAME runs=N passed=N splats=N leaks=N seconds=S
 */
#ifndef _SELFTESTS_STRESS_H
#define _SELFTESTS_STRESS_H

#include <stdbool.h>

/* $VFPOST_STRESS_RUNS (make stress: 20), else 2 (make check). */
int stress_runs(void);

struct stress_row {
	char name[64];
	int runs, done, passed, splats, leaks;
	long long start_ms;
	int kmsg;		/* /dev/kmsg, read up to the last check */
	int eventfds;		/* eventfds this process held at the start */
};

/*
 * Whether $VFPOST_STRESS_ROWS (names separated by spaces, tabs or commas;
 * unset or blank: every row) names row @name, so that one fault can be repeated
 * alone (make stress CAMPAIGNS=stress_test VFPOST_STRESS_ROWS=...).
 */
bool stress_row_wanted(const char *name);
/* Where _metadata is in scope: skip the row, with the reason, unless wanted. */
#define STRESS_ROW_WANTED(name)						\
	do {								\
		if (!stress_row_wanted(name))				\
			SKIP(return, "row %s: not in $VFPOST_STRESS_ROWS", name); \
	} while (0)

void stress_begin(struct stress_row *r, const char *name);
/*
 * In a harness test: one run of a row, whose own EXPECTs decide whether it
 * went well without forgetting an earlier run's failure (RUN_OK() is true
 * if the run's EXPECTs held).
 */
#define RUN_START()	int __was_passed = _metadata->passed; _metadata->passed = 1
#define RUN_OK()	({ bool __ok = _metadata->passed;			\
			   _metadata->passed = __was_passed && __ok; __ok; })
/*
 * After one run that went @ok by its own checks: count the splats in the
 * kernel log since the last check, the leaks (stress_leaks()), and whether
 * @bdf (NULL: skip) works for a fresh open, attaching @efd (-1: a new
 * eventfd; pass the run's eventfd to show the kernel holds no producer on
 * it).  Prints the run's line; returns 0 if the run was clean.
 */
int stress_check(struct stress_row *r, const char *bdf, int efd, bool ok);
/*
 * After one run of a row whose suite checks its own state (the fuzzers, the
 * hostile guest; a VF may still be open): count it, with the splats in the
 * kernel log since the previous check, and print its line.  Returns 0 if
 * the run was clean.
 */
int stress_tally(struct stress_row *r, bool ok);
/*
 * Print the row's summary line; with VFPOST_STRESS_KMEMLEAK=1 (make stress)
 * on a kernel with kmemleak, its suspects since stress_begin() count as
 * leaks (printed, then cleared).
 */
void stress_end(struct stress_row *r);

/*
 * Things left behind while nothing has @bdf open: vfpost irqs in
 * /proc/interrupts, MSI/MSI-X vectors of @bdf, eventfds of this process
 * beyond @eventfds (-1: not checked), references on vfpost.ko.  With @bdf
 * NULL (a VF may be open) only the irqs and eventfds.  Prints a line per
 * leak; returns how many kinds leaked.
 */
int stress_leaks(const char *bdf, int eventfds);
/* Eventfds this process holds. */
int stress_eventfds(void);
/*
 * Open @bdf through VFIO, attach vector 0 to @efd (-1: a new eventfd),
 * enable the NVMe controller, and see one completion interrupt arrive; then
 * close.  0, or -errno with a line saying which step failed.
 */
int stress_vf_usable(const char *bdf, int efd);

#endif /* _SELFTESTS_STRESS_H */
