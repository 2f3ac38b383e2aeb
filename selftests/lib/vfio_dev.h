/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small VFIO library for selftests: open a device by BDF through a type1
 * container, read/write config space, map BARs, map DMA, wire eventfds to
 * interrupt vectors.  Functions return 0 or a negative errno and print one
 * line naming the device on failure.
 */
#ifndef _SELFTESTS_VFIO_DEV_H
#define _SELFTESTS_VFIO_DEV_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

struct vfio_dev {
	char bdf[16];
	int container;
	int group;
	int fd;
	struct vfio_device_info info;
	struct vfio_region_info cfg;
};

int vfio_dev_open(struct vfio_dev *d, const char *bdf);
void vfio_dev_close(struct vfio_dev *d);

int vfio_dev_region_info(struct vfio_dev *d, unsigned int index,
			 struct vfio_region_info *ri);
int vfio_dev_cfg_read(struct vfio_dev *d, unsigned int off, void *buf, size_t len);
int vfio_dev_cfg_write(struct vfio_dev *d, unsigned int off, const void *buf, size_t len);
/* Offset of standard capability @id in config space, 0 if absent. */
int vfio_dev_find_cap(struct vfio_dev *d, uint8_t id);

/* mmap the whole of BAR @bar (must be mmap-able). */
int vfio_dev_bar_map(struct vfio_dev *d, unsigned int bar, void **ptr, size_t *size);
void vfio_dev_bar_unmap(void *ptr, size_t size);

int vfio_dev_dma_map(struct vfio_dev *d, void *vaddr, uint64_t iova, size_t size);
int vfio_dev_dma_unmap(struct vfio_dev *d, uint64_t iova, size_t size);

int vfio_dev_irq_info(struct vfio_dev *d, unsigned int index, struct vfio_irq_info *info);
/*
 * VFIO_DEVICE_SET_IRQS with eventfds: vectors [start, start+count) get
 * fds[i] (-1 detaches that vector).  count == 0 disables the index.
 */
int vfio_dev_irq_set_eventfds(struct vfio_dev *d, unsigned int index,
			      unsigned int start, unsigned int count, const int *fds);
/* ACTION_MASK/UNMASK/TRIGGER with DATA_NONE on a range. */
int vfio_dev_irq_action(struct vfio_dev *d, unsigned int index, uint32_t action,
			unsigned int start, unsigned int count);

#endif /* _SELFTESTS_VFIO_DEV_H */
