// SPDX-License-Identifier: GPL-2.0
/*
 * lab-vfs: the lab's NVMe SR-IOV VFs from the command line (scripts/lab-vfs
 * runs this; the selftests call lib/lab_vfs.c directly).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

/* More than any PF this runs on offers (the lab's: 4); lab_vfs_up_with() checks N. */
#define MAX_VFS 256

static int usage(void)
{
	fputs("usage: lab-vfs up N [--vq Q] [--vi I]   enable N VFs on the PF, assign each Q\n"
	      "                                         queue and I interrupt resources (NVMe\n"
	      "                                         Virtualization Management), set them\n"
	      "                                         online, print their BDFs one per line\n"
	      "       lab-vfs down                      remove all VFs\n"
	      "       lab-vfs list                      print the BDFs of the current VFs\n"
	      "       lab-vfs bind BDF DRIVER           bind a VF to DRIVER via driver_override\n"
	      "       lab-vfs unbind BDF                unbind a VF and clear driver_override\n"
	      "The PF is " LAB_PF_BDF ".\n", stderr);
	return 2;
}

/* @s as a count in [@min, @max], else a message naming @what and -1. */
static int count(const char *s, const char *what, int min, int max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "lab-vfs: %s '%s': give a number from %d to %d\n", what, s, min,
			max);
		return -1;
	}
	return v;
}

static int up(int argc, char **argv)
{
	char bdfs[MAX_VFS][LAB_BDF_LEN];
	int n, vq = LAB_VF_QUEUES, vi = LAB_VF_VECTORS, i, ret;

	if (argc < 1)
		return usage();
	n = count(argv[0], "N", 1, MAX_VFS);
	for (i = 1; n > 0 && i < argc; i += 2) {
		if (strcmp(argv[i], "--vq") && strcmp(argv[i], "--vi")) {
			fprintf(stderr, "lab-vfs: unknown option '%s' (see lab-vfs without arguments)\n",
				argv[i]);
			return 1;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "lab-vfs: %s needs a number\n", argv[i]);
			return 1;
		}
		if (!strcmp(argv[i], "--vq"))
			vq = count(argv[i + 1], "--vq", 1, 0xffff);
		else
			vi = count(argv[i + 1], "--vi", 1, 0xffff);
		if (vq < 0 || vi < 0)
			return 1;
	}
	if (n < 0)
		return 1;
	ret = lab_vfs_up_with(n, vq, vi, bdfs);
	if (ret < 0)
		return 1;
	for (i = 0; i < n; i++)
		printf("%s\n", bdfs[i]);
	return 0;
}

int main(int argc, char **argv)
{
	char bdfs[MAX_VFS][LAB_BDF_LEN];
	const char *cmd = argc > 1 ? argv[1] : "";
	int i, n;

	if (!strcmp(cmd, "up"))
		return up(argc - 2, argv + 2);
	if (!strcmp(cmd, "down") && argc == 2)
		return lab_vfs_down() ? 1 : 0;
	if (!strcmp(cmd, "list") && argc == 2) {
		n = lab_vfs_list(bdfs, MAX_VFS);
		for (i = 0; i < n; i++)
			printf("%s\n", bdfs[i]);
		return 0;
	}
	if (!strcmp(cmd, "bind") && argc == 4)
		return lab_bind(argv[2], argv[3]) ? 1 : 0;
	if (!strcmp(cmd, "unbind") && argc == 3)
		return lab_bind(argv[2], "") ? 1 : 0;
	return usage();
}
