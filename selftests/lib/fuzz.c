// SPDX-License-Identifier: GPL-2.0
/* The fuzzers' PRNG, seed and run count: see fuzz.h. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fuzz.h"

void fuzz_rng_init(struct fuzz_rng *r, uint64_t seed)
{
	/* splitmix64 of the seed: never the all-zero state. */
	uint64_t z = seed + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	r->s = (z ^ (z >> 31)) | 1;
}

uint64_t fuzz_u64(struct fuzz_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

uint32_t fuzz_u32(struct fuzz_rng *r)
{
	return (uint32_t)(fuzz_u64(r) >> 32);
}

uint32_t fuzz_below(struct fuzz_rng *r, uint32_t n)
{
	return (uint32_t)(((fuzz_u64(r) >> 32) * n) >> 32);
}

int fuzz_pct(struct fuzz_rng *r, unsigned int pct)
{
	return fuzz_below(r, 100) < pct;
}

void fuzz_bytes(struct fuzz_rng *r, void *p, size_t n)
{
	unsigned char *b = p;

	while (n--)
		*b++ = (unsigned char)fuzz_u32(r);
}

uint32_t fuzz_seed(void)
{
	const char *s = getenv("VFPOST_FUZZ_SEED");
	struct timespec ts;
	char *end;
	unsigned long v;

	if (s && *s) {
		v = strtoul(s, &end, 0);
		if (!*end)
			return (uint32_t)v;
		fprintf(stderr, "VFPOST_FUZZ_SEED=%s: not a number, using the clock\n", s);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint32_t)(ts.tv_sec ^ ts.tv_nsec);
}

int fuzz_runs(void)
{
	const char *s = getenv("VFPOST_STRESS_RUNS");
	char *end;
	long v;

	if (!s || !*s)
		return 2;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 1000) {
		fprintf(stderr, "VFPOST_STRESS_RUNS=%s: want 1 to 1000, using 2\n", s);
		return 2;
	}
	return (int)v;
}
