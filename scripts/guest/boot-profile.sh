#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# L2 guest script of scripts/boot-profile: the guest's clock when its init
# script starts, then the kernel's log (initcall_debug timings, boot
# milestones) for the host to break the boot down.
echo "GUEST-UPTIME: $(cut -d' ' -f1 /proc/uptime)"
for c in /sys/class/nvme/*; do
	[ -e "$c" ] && echo "GUEST-NVME: $(basename "$c")"
done
# The host samples KVM's counters when it sees GUEST-INIT: let it, before
# the log's own serial output adds exits.
sleep 2
dmesg | sed 's/^/GUEST-DMESG: /'
