// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the VFIO variant driver lands (issue 4). */
#include "vfpost.h"

int vfpost_driver_init(void) { return 0; }
void vfpost_driver_exit(void) { }
int vfpost_driver_vector_stats(struct pci_dev *vf,
			       struct vfpost_vector_stats *out, unsigned int max)
{
	return -ENODEV;
}
