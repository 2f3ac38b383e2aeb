#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# L2 guest side of selftests/vmm_vfio_test.c (runs under vibevmm, built into
# the initrd by scripts/mkinitrd-guest).  Kernel command line:
#   vfio.nvme=N    N assigned NVMe controllers must bind to the nvme driver;
#                  each namespace gets a 32 KiB write + read-back ("VFIO-IO-OK
#                  <pci addr> <disk>") and 16 direct reads;
#                  then the MSI-X counts are printed ("VFIO-IRQ <pci addr>
#                  <vector> <count>", then "VFIO-COUNTS") and the guest stays
#                  idle for vfio.pause seconds (default 30) so that the host
#                  can read its own counts while the vectors still exist
#   vfio.edu=1     an edu device (1234:11e8) must be on the bus and deliver
#                  3 INTx interrupts through uio_pci_generic ("VFIO-EDU-INTX
#                  ok: ..."); needs uio_pci_generic in the initrd
#   vfio.flr=1     before the I/O, each NVMe controller's function shows its
#                  capabilities ("VFIO-CAPS <pci addr> msix pcie-type=T
#                  flr=F pm=Dn no-soft-reset=N", in list order), then is
#                  reset by FLR through sysfs and must come back live
#                  ("VFIO-FLR-OK <pci addr>"); the I/O after it proves the
#                  controller and its MSI-X work after the reset
#   vfio.eject=N   after the I/O (and the pause) eject PCI slot N as a user
#                  would (echo 0 > /sys/bus/pci/slots/N/power; acpiphp calls
#                  the slot's _EJ0): its function must be gone within 10 s
#                  ("VFIO-EJECTED N")
#   vfio.alive=S   afterwards print "VFIO-ALIVE i" every second for S
#                  seconds, and "VFIO-GONE <pci addr>" when an NVMe
#                  controller's function goes (the host asked for it: ACPI
#                  eject request, its driver unbound)
#   vfio.ids=V:D,...  a PCI function with each vendor:device ID (hex, as in
#                  sysfs without 0x) must be on the bus ("VFIO-SEEN V:D at
#                  <pci addr>")
# Ends with "VFIO-GUEST-OK", or "VFIO-GUEST-FAIL: why" and exit 1.
fail() { echo "VFIO-GUEST-FAIL: $*"; exit 1; }

nvme=0 edu=0 alive=0 pause=30 ids= flr=0 eject=""
for arg in $(cat /proc/cmdline); do
	case $arg in
	vfio.nvme=*) nvme=${arg#vfio.nvme=} ;;
	vfio.edu=*) edu=${arg#vfio.edu=} ;;
	vfio.alive=*) alive=${arg#vfio.alive=} ;;
	vfio.pause=*) pause=${arg#vfio.pause=} ;;
	vfio.ids=*) ids=${arg#vfio.ids=} ;;
	vfio.flr=*) flr=${arg#vfio.flr=} ;;
	vfio.eject=*) eject=${arg#vfio.eject=} ;;
	esac
done

for id in $(echo "$ids" | tr ',' ' '); do
	at=
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x${id%:*}:0x${id#*:}" ] && at=$(basename "$d")
	done
	[ -n "$at" ] || fail "no $id device on the bus"
	echo "VFIO-SEEN $id at $at"
done

if [ "$edu" = 1 ]; then
	found=
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && found=$d
	done
	[ -n "$found" ] || fail "no edu device on the bus"
	echo "VFIO-GUEST: edu at $(basename "$found") irq $(cat "$found/irq")"
	# The handler of uio_pci_generic masks INTx (command register bit
	# 10); the user unmasks it through config space (uio-howto).
	intx_unmask() {
		v=$(dd if="$1/config" bs=1 skip=5 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
		[ -n "$v" ] || return 1
		v=$((v & ~4))
		if [ $v -eq 0 ]; then
			dd if=/dev/zero of="$1/config" bs=1 seek=5 count=1 conv=notrunc 2>/dev/null
		else
			# the byte as an octal escape:
			# shellcheck disable=SC2059
			printf "\\$(printf %o $v)" |
				dd of="$1/config" bs=1 seek=5 count=1 conv=notrunc 2>/dev/null
		fi
	}
	# INTx with its resample path: uio_pci_generic (INTx only, masked
	# with the command register's Interrupt Disable) takes the device;
	# each edu "raise" (BAR0 + 0x60) must wake a reader of /dev/uioN,
	# and after the ack (0x64) and the unmask the line is quiet again.
	echo "1234 11e8" > /sys/bus/pci/drivers/uio_pci_generic/new_id 2>/dev/null ||
		fail "uio_pci_generic: cannot add the edu device ID"
	i=0
	while [ ! -d "$found/uio" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	uio=$(ls "$found/uio" 2>/dev/null | head -n 1)
	[ -n "$uio" ] || fail "edu: uio_pci_generic did not bind (no INTx masking?)"
	bar=$(($(head -n 1 "$found/resource" | cut -d' ' -f1)))
	[ "$(devmem $bar 32)" = 0x010000ED ] || fail "edu: BAR0 identification register reads $(devmem $bar 32)"
	exec 3< "/dev/$uio"
	[ -z "$({ timeout 2 dd bs=4 count=1 <&3; } 2>/dev/null)" ] ||
		fail "edu: an interrupt before any was raised"
	k=0
	while [ $k -lt 3 ]; do
		k=$((k + 1))
		devmem $((bar + 0x60)) 32 1
		ev=$({ timeout 10 dd bs=4 count=1 <&3 | od -An -tu4 | tr -d ' '; } 2>/dev/null)
		[ -n "$ev" ] && [ "$ev" -ge $k ] || fail "edu: raise $k: no interrupt within 10 s"
		[ "$(devmem $((bar + 0x24)) 32)" = 0x00000001 ] ||
			fail "edu: raise $k: interrupt status $(devmem $((bar + 0x24)) 32)"
		devmem $((bar + 0x64)) 32 1
		intx_unmask "$found" || fail "edu: cannot unmask INTx"
	done
	[ -z "$({ timeout 2 dd bs=4 count=1 <&3; } 2>/dev/null)" ] ||
		fail "edu: interrupts still coming after the ack and the unmask"
	exec 3<&-
	echo "VFIO-EDU-INTX ok: $k interrupts, uio event count $ev"
fi

# The block device of every NVMe namespace, one per line.  A lab VF has one
# private namespace (scripts/lab-vfs), so there is one per controller.  The
# guest's nvme driver does multipath (busybox insmod takes no nvme_core.*
# from the command line): each disk is a subsystem-level node
# (nvme<subsys>n<i>), and its one path is a hidden disk under the
# controller, .../0000:00:01.0/nvme/nvme0/nvme0c0n<i>, with the same NSID.
namespaces() {
	for b in /sys/block/nvme*; do
		[ -e "$b" ] && [ -b "/dev/$(basename "$b")" ] && echo "/dev/$(basename "$b")"
	done
}

# The PCI function behind disk $1.
disk_pci() {
	for p in "/sys/block/$1" /sys/block/nvme*c*; do
		[ -e "$p" ] && [ "$(cat "$p/nsid")" = "$(cat "/sys/block/$1/nsid")" ] || continue
		readlink -f "$p" | sed -n 's|/nvme/.*||p' | sed 's|.*/||'
	done | head -n 1
}

# Wait for the controllers' namespaces.
i=0
while [ "$(ls /sys/class/nvme 2>/dev/null | wc -l)" -lt "$nvme" ] ||
      [ "$(namespaces | wc -l)" -lt "$nvme" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || fail "only $(namespaces | wc -l) of $nvme NVMe namespaces appeared"
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

# Config space of the function at sysfs directory $1: $3 bytes (1, 2 or 4)
# at offset $2, as a decimal number.
cfg() {
	dd if="$1/config" bs=1 skip="$2" count="$3" 2>/dev/null | od -An -tu"$3" | tr -d ' '
}

# The capabilities the function at $1 lists, with the PCIe and PM fields.
caps_of() {
	pos=$(cfg "$1" 52 1) n=0
	while [ "${pos:-0}" -ne 0 ] && [ $n -lt 48 ]; do
		case $(cfg "$1" "$pos" 1) in
		1)	pmcsr=$(cfg "$1" $((pos + 4)) 2)
			printf ' pm=D%d no-soft-reset=%d' $((pmcsr & 3)) $(((pmcsr >> 3) & 1)) ;;
		16)	flags=$(cfg "$1" $((pos + 2)) 2) devcap=$(cfg "$1" $((pos + 4)) 4)
			printf ' pcie-type=%d flr=%d' $(((flags >> 4) & 15)) $(((devcap >> 28) & 1)) ;;
		17)	printf ' msix' ;;
		*)	printf ' cap%d' "$(cfg "$1" "$pos" 1)" ;;
		esac
		pos=$(($(cfg "$1" $((pos + 1)) 1) & ~3)) n=$((n + 1))
	done
}

if [ "$flr" = 1 ]; then
	for c in /sys/class/nvme/nvme*; do
		[ -e "$c" ] || continue
		d=$(readlink -f "$c/device")
		addr=$(basename "$d")
		echo "VFIO-CAPS $addr$(caps_of "$d")"
		echo flr > "$d/reset_method" 2>/dev/null ||
			fail "$addr: FLR not offered (reset_method: $(cat "$d/reset_method" 2>/dev/null))"
		echo 1 > "$d/reset" || fail "$addr: reset through sysfs failed"
		i=0
		while [ "$(cat "$c/state")" != live ] && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ "$(cat "$c/state")" = live ] || fail "$addr: controller $(cat "$c/state") after FLR"
		echo "VFIO-FLR-OK $addr"
	done
fi

k=0
for dev in $(namespaces); do
	k=$((k + 1))
	[ $k -le "$nvme" ] || break
	dd if=/dev/urandom of=/tmp/pattern bs=4096 count=8 2>/dev/null
	dd if=/tmp/pattern of="$dev" bs=4096 count=8 seek=$((512 * k)) oflag=direct 2>/dev/null ||
		fail "write to $dev failed"
	dd if="$dev" of=/tmp/readback bs=4096 count=8 skip=$((512 * k)) iflag=direct 2>/dev/null ||
		fail "read from $dev failed"
	cmp -s /tmp/pattern /tmp/readback || fail "$dev: read-back differs from what was written"
	pci=$(disk_pci "${dev#/dev/}")
	echo "VFIO-IO-OK $pci $dev: write and read-back ok"
done

if [ "$nvme" -gt 0 ]; then
	for dev in $(namespaces); do
		dd if="$dev" of=/dev/null bs=4096 count=16 iflag=direct 2>/dev/null ||
			fail "reads from $dev failed"
	done
	irq_counts | sed 's/^/VFIO-IRQ /'
	echo "VFIO-COUNTS"
	sleep "$pause"
fi

if [ -n "$eject" ]; then
	fn=$(printf '0000:00:%02x.0' "$eject")
	[ -e "/sys/bus/pci/slots/$eject/power" ] ||
		fail "no hotplug slot $eject (/sys/bus/pci/slots: $(ls /sys/bus/pci/slots 2>/dev/null | tr '\n' ' '))"
	echo 0 > "/sys/bus/pci/slots/$eject/power" || fail "slot $eject: power off refused"
	i=0
	while [ -e "/sys/bus/pci/devices/$fn" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ ! -e "/sys/bus/pci/devices/$fn" ] || fail "slot $eject: $fn still there 10 s after its eject"
	echo "VFIO-EJECTED $eject"
fi

# The PCI functions of the NVMe controllers, on one line.
nvme_fns() {
	for c in /sys/class/nvme/nvme*; do
		[ -e "$c" ] && basename "$(readlink -f "$c/device")"
	done | tr '\n' ' '
}

known=$(nvme_fns)
i=1
while [ $i -le "$alive" ]; do
	echo "VFIO-ALIVE $i"
	now=$(nvme_fns)
	for fn in $known; do
		case " $now " in *" $fn "*) ;; *) echo "VFIO-GONE $fn" ;; esac
	done
	known=$now
	sleep 1
	i=$((i + 1))
done
echo "VFIO-GUEST-OK"
