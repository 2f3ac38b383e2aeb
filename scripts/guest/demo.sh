#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the L2 guest of `make demo`: show the assigned VF, let the
# guest's own nvme driver use it, write a block and read it back, and print
# the guest's MSI-X counts.  Prints DEMO-GUEST-OK on success.
fail() { echo "DEMO-GUEST-FAIL: $*"; exit 1; }

echo "guest: PCI devices:"
for d in /sys/bus/pci/devices/*; do
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	echo "guest:   $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device") class $(cat "$d/class") driver $drv"
done
nvme=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/class")" = 0x010802 ] && nvme=$d
done
[ -n "$nvme" ] || fail "no NVMe controller on the guest's PCI bus"
[ "$(basename "$(readlink "$nvme/driver")")" = nvme ] || fail "the nvme driver did not bind"
echo "guest: the nvme driver bound $(basename "$nvme")"

i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/nvme0n1 ] || fail "no /dev/nvme0n1"

dd if=/dev/urandom of=/tmp/pattern bs=4096 count=8 2>/dev/null
dd if=/tmp/pattern of=/dev/nvme0n1 bs=4096 count=8 seek=1024 oflag=direct 2>/dev/null ||
	fail "write to /dev/nvme0n1 failed"
dd if=/dev/nvme0n1 of=/tmp/readback bs=4096 count=8 skip=1024 iflag=direct 2>/dev/null ||
	fail "read from /dev/nvme0n1 failed"
cmp /tmp/pattern /tmp/readback || fail "read-back differs from what was written"
echo "guest: wrote 32 KiB to /dev/nvme0n1 and read back the same bytes"

echo "guest: MSI-X interrupts of the nvme driver (/proc/interrupts):"
grep -E 'CPU|nvme' /proc/interrupts | sed 's/^/guest:   /'
echo "DEMO-GUEST-OK"
# Let the host read vfpost's statistics while the vectors are attached.
sleep 5
