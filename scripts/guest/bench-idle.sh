#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# L2 guest script of `make bench` (VMM comparison): name the NVMe controllers
# the guest's driver brought up, then stay up while the host samples the
# VMM's memory.
for c in /sys/class/nvme/*; do
	[ -e "$c" ] && echo "GUEST-NVME: $(basename "$c")"
done
sleep 3
