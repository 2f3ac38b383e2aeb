#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the L2 guest of `make demo`: show the assigned VF, let the
# guest's own nvme driver use it, write a block and read it back, and print
# the guest's MSI-X counts.  With demo.hotplug=1 on the command line it then
# prints DEMO-WAIT-HOTPLUG and waits for a second NVMe controller (added by
# the host through ACPI hotplug) and does the same on it (DEMO-HOTPLUG-OK).
# Prints DEMO-GUEST-OK on success.
fail() { echo "DEMO-GUEST-FAIL: $*"; exit 1; }

hotplug=0
# shellcheck disable=SC2013 # the command line's words
for arg in $(cat /proc/cmdline); do
	[ "$arg" = demo.hotplug=1 ] && hotplug=1
done

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

# Write 32 KiB to disk $1 and read them back.
write_read() {
	dd if=/dev/urandom of=/tmp/pattern bs=4096 count=8 2>/dev/null
	dd if=/tmp/pattern of="$1" bs=4096 count=8 seek=1024 oflag=direct 2>/dev/null ||
		fail "write to $1 failed"
	dd if="$1" of=/tmp/readback bs=4096 count=8 skip=1024 iflag=direct 2>/dev/null ||
		fail "read from $1 failed"
	cmp /tmp/pattern /tmp/readback || fail "$1: read-back differs from what was written"
	echo "guest: wrote 32 KiB to $1 and read back the same bytes"
}

write_read /dev/nvme0n1
echo "guest: MSI-X interrupts of the nvme driver (/proc/interrupts):"
grep -E 'CPU|nvme' /proc/interrupts | sed 's/^/guest:   /'

if [ "$hotplug" = 1 ]; then
	echo "DEMO-WAIT-HOTPLUG"
	# The lab's VFs are controllers of one NVMe subsystem, each with its
	# own namespace: the new disk is nvme0n<NSID> (multipath naming), on
	# controller nvme1.
	i=0
	disk=
	while [ -z "$disk" ] && [ $i -lt 600 ]; do
		for b in /sys/block/nvme*n*; do
			n=$(basename "$b")
			[ "$n" != nvme0n1 ] && [ -b "/dev/$n" ] && disk=/dev/$n
		done
		[ -n "$disk" ] || sleep 0.1
		i=$((i + 1))
	done
	[ -n "$disk" ] || fail "no second NVMe disk appeared within 60 s"
	echo "guest: the nvme driver bound the hot-added $(basename "$(readlink -f /sys/class/nvme/nvme1/device)"), disk $disk"
	write_read "$disk"
	grep -E 'CPU|nvme1' /proc/interrupts | sed 's/^/guest:   /'
	echo "DEMO-HOTPLUG-OK"
fi
echo "DEMO-GUEST-OK"
# Let the host read vfpost's statistics while the vectors are attached.
sleep 5
