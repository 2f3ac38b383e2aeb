#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# L2 guest script of scripts/boot-profile: the guest's clock when its init
# script starts, then the kernel's log (initcall_debug timings, boot
# milestones) for the host to break the boot down.
echo "GUEST-UPTIME: $(cut -d' ' -f1 /proc/uptime)"
for c in /sys/class/nvme/*; do
	[ -e "$c" ] && echo "GUEST-NVME: $(basename "$c")"
done
dmesg | sed 's/^/GUEST-DMESG: /'
