// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vfpost-list: list the SR-IOV VFs that vfpost tracks, through the
 * installed libvfpost.  Build it with
 *
 *	cc -o vfpost-list vfpost-list.c $(pkg-config --cflags --libs libvfpost)
 *
 * Usage: vfpost-list [PF]	(PF: the PCI address of a physical function)
 * Exit status: 0 listed, 1 the module refused or is not loaded, 2 bad usage.
 */
#include <stdio.h>
#include <libvfpost.h>

static int print_vf(const struct vfpost_vf *vf, void *arg)
{
	unsigned int *count = arg;

	printf("%s  pf %s  vf %u  %04x:%04x  %s  %s\n", vf->bdf, vf->pf_bdf,
	       vf->vf_index, vf->vendor, vf->device,
	       vf->driver[0] ? vf->driver : "-", vfpost_state_name(vf->state));
	(*count)++;
	return 0;
}

int main(int argc, char **argv)
{
	char pf[VFPOST_BDF_LEN];
	unsigned int count = 0;
	struct vfpost *h;
	int err;

	if (argc > 2 || (argc == 2 && vfpost_parse_bdf(argv[1], pf))) {
		fprintf(stderr, "usage: vfpost-list [PF]  (PF: a PCI address such as 0000:00:03.0)\n");
		return 2;
	}
	h = vfpost_open(&err);
	if (!h) {
		fprintf(stderr, "vfpost-list: %s\n", vfpost_strerror(err));
		return 1;
	}
	err = vfpost_vf_list(h, argc == 2 ? pf : NULL, print_vf, &count);
	if (err) {
		fprintf(stderr, "vfpost-list: %s\n", vfpost_errmsg(h));
		vfpost_close(h);
		return 1;
	}
	if (!count)
		printf("no VFs (libvfpost %s)\n", vfpost_version());
	vfpost_close(h);
	return 0;
}
