/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the lab's fuzzers share: a small seeded PRNG (xorshift64*), the
 * seed and the number of runs from the environment.
 *
 *   VFPOST_FUZZ_SEED    the seed of the first run (default: from the clock);
 *                       run r uses seed + r, and every run prints its seed,
 *                       so VFPOST_FUZZ_SEED=<printed> VFPOST_STRESS_RUNS=1
 *                       replays one run
 *   VFPOST_STRESS_RUNS  runs per test (default 2; make stress sets 20)
 */
#ifndef _SELFTESTS_FUZZ_H
#define _SELFTESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_rng {
	uint64_t s;
};

void fuzz_rng_init(struct fuzz_rng *r, uint64_t seed);
uint64_t fuzz_u64(struct fuzz_rng *r);
uint32_t fuzz_u32(struct fuzz_rng *r);
/* Uniform in [0, @n); @n > 0. */
uint32_t fuzz_below(struct fuzz_rng *r, uint32_t n);
/* True with probability @pct percent. */
int fuzz_pct(struct fuzz_rng *r, unsigned int pct);
void fuzz_bytes(struct fuzz_rng *r, void *p, size_t n);

/* The first run's seed: $VFPOST_FUZZ_SEED, else from the clock. */
uint32_t fuzz_seed(void);
/* $VFPOST_STRESS_RUNS (1 to 1000), default 2. */
int fuzz_runs(void);

#endif /* _SELFTESTS_FUZZ_H */
