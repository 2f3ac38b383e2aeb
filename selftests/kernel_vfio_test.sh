#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel_vfio_test: the kernel's own VFIO selftests (tools/testing/selftests/
# vfio of linux-source-7.2, built by scripts/kvfio-build into build/kvfio)
# against one lab NVMe VF, first bound to stock vfio-pci, then the same VF
# bound to vfpost; then one TAP result per case with both columns
# (scripts/ktap-compare): vfpost must pass every case vfio-pci passes.
#
# IOMMU modes: where the kernel has /dev/iommu (IOMMUFD) the tests run as
# upstream has them, iommufd by default and every mode variant; elsewhere
# (Debian's kernels) the tests without a mode variant run in
# vfio_type1v2_iommu (VFPOST_VFIO_IOMMU_MODE, selftests/kvfio/glue.c) and
# the iommufd variants skip, as does vfio_iommufd_setup_test.
# Without IOMMUFD, vfio_pci_driver_test runs its cases in that one mode
# (the harness's -v) instead of in both type1 modes: the mode is the IOMMU
# backend's business, not the device driver's (vfpost and vfio-pci hand
# DMA to the same vfio core), and each case maps and pins 1 GiB, about
# 5 s under TCG, so the second mode cost 70 s per kernel in make check.
# vfio_pci_sriov_uapi_test is not run: it tests vfio-pci as a PF's driver
# (VF tokens) and asserts that the PF's new VF binds to vfio-pci, so it
# has no VF-driver column (Documentation/testing.rst).
#
# Each program's output stays in build/results/kvfio/<release>/<driver>/;
# the lab runs this as the suite kernel_vfio_test (selftests/suites).
set -uo pipefail

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
BIN=$BUILD/kvfio/bin
rel=$(uname -r)
RES=$BUILD/results/kvfio/$rel
KO=$BUILD/kmod/$rel/vfpost.ko
HP=/sys/kernel/mm/hugepages
TESTS=(vfio_pci_device_test vfio_dma_mapping_test vfio_dma_mapping_mmio_test
	vfio_pci_driver_test vfio_pci_device_init_perf_test vfio_iommufd_setup_test)
# Per program; its harness has its own per-case timeouts (30 s, 60 s).
PROG_TIMEOUT=${KVFIO_PROG_TIMEOUT:-400}

skip_all() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit 4
}

[ -x "$BIN/vfio_pci_device_test" ] ||
	skip_all "$BIN: the kernel's VFIO selftests are not built (scripts/kvfio-build; linux-source-7.2 comes with scripts/sid-kernel)"
[ -f "$KO" ] || skip_all "$KO: not built (make kmod)"
[ -d "/sys/bus/pci/devices/${LAB_PF:-0000:00:03.0}" ] ||
	skip_all "no lab PF: this suite runs in the lab (scripts/vmtest)"

for m in vfio_pci_core irqbypass vfio_iommu_type1 vfio-pci; do
	modprobe "$m" 2>/dev/null || true
done
modprobe iommufd 2>/dev/null || true
noiommufd=
if [ -c /dev/iommu ]; then
	unset VFPOST_VFIO_IOMMU_MODE
	echo "# /dev/iommu present: upstream's default IOMMU mode (iommufd) and every mode"
else
	export VFPOST_VFIO_IOMMU_MODE=vfio_type1v2_iommu
	noiommufd=--no-iommufd
	echo "# no /dev/iommu: default IOMMU mode $VFPOST_VFIO_IOMMU_MODE, iommufd variants skip"
fi

bdf=$("$ROOT/scripts/lab-vfs" up 1) || skip_all "lab-vfs up 1 failed: no NVMe VF to test"
echo "# VF $bdf, kernel $rel"
rm -rf "$RES"
mkdir -p "$RES/vfio-pci" "$RES/vfpost"

# The hugetlb variants of vfio_dma_mapping_test map one page of each size;
# without it they skip with mmap()'s reason.  Freed again afterwards.
hugepages() { # count
	local d
	for d in "$HP"/hugepages-2048kB "$HP"/hugepages-1048576kB; do
		[ -w "$d/nr_hugepages" ] && echo "$1" > "$d/nr_hugepages" 2>/dev/null
	done
	true
}

run_all() { # driver
	local t st t0 args out=$RES/$1
	for t in "${TESTS[@]}"; do
		t0=$(date +%s)
		if [ "$t" = vfio_iommufd_setup_test ] && [ -n "$noiommufd" ]; then
			echo "no /dev/iommu: the kernel has no IOMMUFD" > "$out/$t.log"
			echo 4 > "$out/$t.status"
			continue
		fi
		[ "$t" = vfio_dma_mapping_test ] && hugepages 1
		args=()
		[ "$t" = vfio_pci_driver_test ] && [ -n "$noiommufd" ] && args=(-v "$VFPOST_VFIO_IOMMU_MODE")
		VFIO_SELFTESTS_BDF=$bdf VFPOST_NVME_SCRATCH=1 \
			timeout -k 5 "$PROG_TIMEOUT" "$BIN/$t" "${args[@]}" > "$out/$t.log" 2>&1 < /dev/null
		st=$?
		[ "$t" = vfio_dma_mapping_test ] && hugepages 0
		echo "$st" > "$out/$t.status"
		echo "# $1: $t exit $st ($(grep -a -c '^ok ' "$out/$t.log") ok," \
			"$(grep -a -c '^not ok ' "$out/$t.log") not ok, $(( $(date +%s) - t0 )) s)"
	done
}

rc=0
for drv in vfio-pci vfpost; do
	start=$(date +%s)
	if [ "$drv" = vfpost ] && ! insmod "$KO"; then
		echo "# insmod $KO failed"
		rc=1
		break
	fi
	if ! "$ROOT/scripts/lab-vfs" bind "$bdf" "$drv"; then
		echo "# $bdf did not bind to $drv"
		rc=1
		break
	fi
	run_all "$drv"
	"$ROOT/scripts/lab-vfs" unbind "$bdf" || rc=1
	[ "$drv" != vfpost ] || rmmod vfpost || { echo "# rmmod vfpost failed"; rc=1; }
	echo "# $drv: $(( $(date +%s) - start )) s"
done
"$ROOT/scripts/lab-vfs" down || rc=1

"$ROOT/scripts/ktap-compare" $noiommufd "$RES" || rc=1
exit $rc
