// SPDX-License-Identifier: GPL-2.0
/*
 * vfpost: SR-IOV VF lifecycle tracking and a VFIO variant driver that posts
 * VF MSI-X interrupts to KVM through the irq bypass manager.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "posting.h"
#include "vfpost.h"

static int __init vfpost_init(void)
{
	int ret;

	ret = vfpost_registry_init();
	if (ret)
		return ret;
	ret = vfpost_netlink_init();
	if (ret)
		goto err_registry;
	ret = vfpost_posting_init();
	if (ret)
		goto err_netlink;
	ret = vfpost_driver_init();
	if (ret)
		goto err_posting;
	return 0;

err_posting:
	vfpost_posting_exit();
err_netlink:
	vfpost_netlink_exit();
err_registry:
	vfpost_registry_exit();
	return ret;
}

static void __exit vfpost_exit(void)
{
	vfpost_driver_exit();
	vfpost_posting_exit();
	vfpost_netlink_exit();
	vfpost_registry_exit();
}

module_init(vfpost_init);
module_exit(vfpost_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SR-IOV VF lifecycle tracking and a VFIO variant driver handing MSI-X vectors to KVM's irq bypass");
MODULE_AUTHOR("The vibevmm and vfpost developers");
