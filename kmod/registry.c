// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the lifecycle tracker lands (issue 3). */
#include "vfpost.h"

int vfpost_registry_init(void) { return 0; }
void vfpost_registry_exit(void) { }
void vfpost_registry_opened(struct pci_dev *vf, pid_t owner) { }
void vfpost_registry_closed(struct pci_dev *vf) { }
void vfpost_registry_reset(struct pci_dev *vf) { }
void vfpost_registry_remove_requested(struct pci_dev *vf, unsigned int count) { }
int vfpost_netlink_init(void) { return 0; }
void vfpost_netlink_exit(void) { }
