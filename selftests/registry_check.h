/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfpost's registry against sysfs: a whole dump of vfpost's VFs must name
 * the PF's virtfnN links, with their indexes and drivers.  Shared by the
 * module suites (vfpost_fixture.h) and fault_l2_test.
 */
#ifndef _SELFTESTS_REGISTRY_CHECK_H
#define _SELFTESTS_REGISTRY_CHECK_H

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lab.h"
#include "libvfpost.h"

/* Basename of the symlink @dir/@name into @out ("" if absent). */
static inline void link_base(const char *dir, const char *name, char *out,
		      size_t len)
{
	char path[512], target[512];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		out[0] = '\0';
		return;
	}
	target[n] = '\0';
	snprintf(out, len, "%s", basename(target));
}

struct dump {
	struct vfpost_vf vf[16];
	int n;
};

static inline int dump_one(const struct vfpost_vf *vf, void *arg)
{
	struct dump *d = arg;

	if (d->n < 16)
		d->vf[d->n] = *vf;
	d->n++;
	return 0;
}

/*
 * A whole dump; one that VFs came or went during (libvfpost: -EAGAIN,
 * NLM_F_DUMP_INTR) is taken again, up to 10 times.
 */
static inline int list_consistent(struct vfpost *h, struct dump *d)
{
	int ret, tries = 0;

	do {
		d->n = 0;
		ret = vfpost_vf_list(h, NULL, dump_one, d);
	} while (ret == -EAGAIN && ++tries < 10);
	return ret;
}

/* The dump against sysfs: the same VFs, indexes and drivers. */
static inline void expect_dump_matches_sysfs(struct __test_metadata *_metadata,
					     struct vfpost *h, const char *when)
{
	char dir[256], name[300], bdf[64], s[64];
	struct dump d = { .n = 0 };
	long numvfs;
	int i, j;

	ASSERT_EQ(0, list_consistent(h, &d))
		TH_LOG("%s: %s", when, vfpost_errmsg(h));
	ASSERT_EQ(0, lab_read_long(LAB_PF_SYS "/sriov_numvfs", &numvfs));
	ASSERT_EQ(numvfs, d.n) TH_LOG("%s: %d VFs in the dump, numvfs %ld",
				       when, d.n, numvfs);
	for (i = 0; i < numvfs; i++) {
		snprintf(name, sizeof(name), "virtfn%d", i);
		link_base(LAB_PF_SYS, name, bdf, sizeof(bdf));
		for (j = 0; j < d.n; j++)
			if (!strcmp(d.vf[j].bdf, bdf))
				break;
		ASSERT_LT(j, d.n) TH_LOG("%s: %s missing from the dump", when, bdf);
		ASSERT_EQ((unsigned int)i, d.vf[j].vf_index);
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
		link_base(dir, "driver", s, sizeof(s));
		ASSERT_STREQ(s, d.vf[j].driver) TH_LOG("%s: %s", when, bdf);
	}
}

#endif /* _SELFTESTS_REGISTRY_CHECK_H */
