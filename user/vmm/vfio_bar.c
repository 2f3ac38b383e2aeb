// SPDX-License-Identifier: GPL-2.0
/*
 * BAR layout: see vfio_bar.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "vfio_bar.h"

static int cmp_area(const void *a, const void *b)
{
	const struct bar_area *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Append [start, end) minus the traps, recursively splitting. */
static int add_piece(uint64_t start, uint64_t end, const struct bar_area *trap,
		     int nr_trap, uint64_t page, struct bar_area *out, int *n, int max)
{
	int i, ret;

	if (start >= end)
		return 0;
	for (i = 0; i < nr_trap; i++) {
		uint64_t ts, te;

		if (!trap[i].size)
			continue;
		ts = trap[i].off & ~(page - 1);
		te = (trap[i].off + trap[i].size + page - 1) & ~(page - 1);
		if (te <= start || ts >= end)
			continue;
		ret = add_piece(start, ts, trap + i + 1, nr_trap - i - 1, page,
				out, n, max);
		if (ret)
			return ret;
		return add_piece(te, end, trap + i + 1, nr_trap - i - 1, page,
				 out, n, max);
	}
	if (*n >= max)
		return -ENOSPC;
	out[*n].off = start;
	out[*n].size = end - start;
	(*n)++;
	return 0;
}

int vfio_bar_plan(const struct bar_area *mm, int nr_mm,
		  const struct bar_area *trap, int nr_trap, uint64_t page,
		  struct bar_area *out, int max)
{
	int i, n = 0, ret;

	if (!page || (page & (page - 1)))
		return -EINVAL;
	for (i = 0; i < nr_mm; i++) {
		uint64_t start = (mm[i].off + page - 1) & ~(page - 1);
		uint64_t end = (mm[i].off + mm[i].size) & ~(page - 1);

		ret = add_piece(start, end, trap, nr_trap, page, out, &n, max);
		if (ret)
			return ret;
	}
	qsort(out, n, sizeof(*out), cmp_area);
	return n;
}
