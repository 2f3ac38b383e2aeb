#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# L2 guest side of selftests/vmm_vfio_test.c (runs under vibevmm, built into
# the initrd by scripts/mkinitrd-guest).  Kernel command line:
#   vfio.nvme=N    N assigned NVMe controllers must bind to the nvme driver;
#                  each gets a 32 KiB write + read-back and 16 direct reads;
#                  then the MSI-X counts are printed ("VFIO-IRQ <pci addr>
#                  <vector> <count>", then "VFIO-COUNTS") and the guest stays
#                  idle for vfio.pause seconds (default 30) so that the host
#                  can read its own counts while the vectors still exist
#   vfio.edu=1     an edu device (1234:11e8) must be on the bus
#   vfio.alive=S   afterwards print "VFIO-ALIVE i" every second for S seconds
# Ends with "VFIO-GUEST-OK", or "VFIO-GUEST-FAIL: why" and exit 1.
fail() { echo "VFIO-GUEST-FAIL: $*"; exit 1; }

nvme=0 edu=0 alive=0 pause=30
for arg in $(cat /proc/cmdline); do
	case $arg in
	vfio.nvme=*) nvme=${arg#vfio.nvme=} ;;
	vfio.edu=*) edu=${arg#vfio.edu=} ;;
	vfio.alive=*) alive=${arg#vfio.alive=} ;;
	vfio.pause=*) pause=${arg#vfio.pause=} ;;
	esac
done

if [ "$edu" = 1 ]; then
	found=
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && found=$d
	done
	[ -n "$found" ] || fail "no edu device on the bus"
	echo "VFIO-GUEST: edu at $(basename "$found") irq $(cat "$found/irq")"
fi

# Wait for the controllers' namespaces.
i=0
while [ "$(ls /sys/class/nvme 2>/dev/null | wc -l)" -lt "$nvme" ] ||
      [ "$(ls /dev/nvme*n1 2>/dev/null | wc -l)" -lt "$nvme" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || fail "only $(ls /dev/nvme*n1 2>/dev/null | wc -l) of $nvme NVMe namespaces appeared"
	sleep 0.1
done

# "<pci addr> <vector> <count>" for every nvme MSI-X vector.
irq_counts() {
	for c in /sys/class/nvme/nvme*; do
		[ -e "$c" ] || continue
		n=$(basename "$c")
		addr=$(basename "$(readlink -f "$c/device")")
		awk -v n="$n" -v addr="$addr" '
			$NF ~ "^" n "q[0-9]+$" {
				s = 0
				for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i
				q = $NF; sub("^" n "q", "", q)
				print addr, q, s
			}' /proc/interrupts
	done
}

k=0
for dev in $(ls /dev/nvme*n1 2>/dev/null); do
	k=$((k + 1))
	[ $k -le "$nvme" ] || break
	dd if=/dev/urandom of=/tmp/pattern bs=4096 count=8 2>/dev/null
	dd if=/tmp/pattern of="$dev" bs=4096 count=8 seek=$((512 * k)) oflag=direct 2>/dev/null ||
		fail "write to $dev failed"
	dd if="$dev" of=/tmp/readback bs=4096 count=8 skip=$((512 * k)) iflag=direct 2>/dev/null ||
		fail "read from $dev failed"
	cmp -s /tmp/pattern /tmp/readback || fail "$dev: read-back differs from what was written"
	echo "VFIO-GUEST: $dev write and read-back ok"
done

if [ "$nvme" -gt 0 ]; then
	for dev in $(ls /dev/nvme*n1); do
		dd if="$dev" of=/dev/null bs=4096 count=16 iflag=direct 2>/dev/null ||
			fail "reads from $dev failed"
	done
	irq_counts | sed 's/^/VFIO-IRQ /'
	echo "VFIO-COUNTS"
	sleep "$pause"
fi

i=1
while [ $i -le "$alive" ]; do
	echo "VFIO-ALIVE $i"
	sleep 1
	i=$((i + 1))
done
echo "VFIO-GUEST-OK"
