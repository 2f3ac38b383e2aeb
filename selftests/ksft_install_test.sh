#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ksft_install_test: the kselftest install tree (scripts/ksft-install, as
# `make -C selftests install` makes it) run in the lab as on a kernel
# developer's machine with SR-IOV hardware (Documentation/testing.rst, "On
# your own hardware"): vfpost loaded and a VF bound to it, then the tree's
# run_kselftest.sh with no $ROOT and no $BUILD, so the suites see no lab:
#   1. VFPOST_BDF names the VF: the fast-path suites pass on it, posting_test
#      skips its posting case (the lab posts nothing) and its lab case, and
#      the lab-only suites skip whole, saying so;
#   2. posting_test's guest from the tree's own files: mkinitrd-guest,
#      vfio-guest.sh and vibevmm drive I/O on the VF through vfpost;
#   3. no VFPOST_BDF: the VF bound to vfpost is found;
#   4. VFPOST_BDF names the edu device: every case skips naming 1234:11e8;
#   5. the VF unbound: found (the nvme driver knows it), bound to vfpost
#      and given back unbound;
#   6. no VF at all: every case skips, saying how to name one.
set -u
: "${ROOT:?}" "${BUILD:?}"
INST=$(mktemp -d /tmp/ksft.XXXXXX)
out=$(mktemp)
n=0 fail=0 bdf=
ok() { # status description
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		sed 's/^/# /' "$out" | tail -n 60
		fail=$((fail + 1))
	fi
}
cleanup() {
	[ -n "$bdf" ] && "$ROOT/scripts/lab-vfs" unbind "$bdf" 2> /dev/null
	"$ROOT/scripts/lab-vfs" down > /dev/null 2>&1
	rmmod vfpost 2> /dev/null
	rm -rf "$INST" "$out"
}
trap cleanup EXIT
# As the machine's user would: no project tree in the environment.  The
# runner appends its suites' output to /dev/stdout: through a pipe.
tree() { env -u ROOT -u BUILD "$@" 2>&1 | cat > "$out"; }
driver() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2> /dev/null)" 2> /dev/null; }
EDU=0000:00:04.0

echo "TAP version 13"
echo "1..7"
"$ROOT/scripts/ksft-install" "$INST" > "$out" 2>&1 &&
	modprobe vfio-pci >> "$out" 2>&1 && modprobe vfio_iommu_type1 >> "$out" 2>&1 &&
	insmod "$BUILD/kmod/$(uname -r)/vfpost.ko" >> "$out" 2>&1 &&
	bdf=$("$ROOT/scripts/lab-vfs" up 1 2>> "$out") &&
	"$ROOT/scripts/lab-vfs" bind "$bdf" vfpost >> "$out" 2>&1
st=$?
ok $st "tree installed in $INST; vfpost loaded, VF ${bdf:-?} bound to it"
[ "$st" -eq 0 ] || exit 1

tree VFPOST_BDF="$bdf" "$INST/run_kselftest.sh" -t vfpost:fastpath_test \
	-t vfpost:fastpath_kvm_test -t vfpost:hostile_vmm_test -t vfpost:setirqs_fuzz_test \
	-t vfpost:posting_test
! grep -q '^not ok' "$out" &&
	[ "$(grep -c '^ok [0-9]* selftests: vfpost: [a-z_]*$' "$out")" -eq 5 ] &&
	grep -q '^# # Totals: pass:11 fail:0 xfail:0 xpass:0 skip:0 error:0' "$out" &&
	grep -q '^# ok 1 # SKIP KVM cannot post device interrupts on this host' "$out" &&
	grep -q "^# ok 3 # SKIP unloads and reloads kvm_amd with the lab's options: not the lab" "$out" &&
	[ "$(driver "$bdf")" = vfpost ]
ok $? "VFPOST_BDF=$bdf: fastpath, fastpath_kvm, hostile_vmm, setirqs_fuzz pass; posting skips where the lab cannot post"

tree VFPOST_BDF="$bdf" "$INST/run_kselftest.sh" -t vfpost:lab_test -t vfpost:lifecycle_test
grep -q '^ok 1 selftests: vfpost: lab_test # SKIP' "$out" &&
	grep -q '^ok 2 selftests: vfpost: lifecycle_test # SKIP' "$out" &&
	[ "$(grep -c '^# 1\.\.0 # SKIP [a-z_]* needs the lab (.*); not the lab: ' "$out")" -eq 2 ]
ok $? "lab-only suites skip whole, saying what they need the lab for"

(
	cd "$INST/vfpost" &&
	env -u ROOT -u BUILD scripts/mkinitrd-guest --kernel "$(uname -r)" --modules nvme \
		--script selftests/guest/vfio-guest.sh -o selftests/test-initrd.cpio.gz &&
	timeout 400 env -u ROOT -u BUILD user/vibevmm --kernel "/boot/vmlinuz-$(uname -r)" \
		--mem 384M --cpus 1 --vfio "$bdf" --irq-path vfpost \
		--initrd selftests/test-initrd.cpio.gz \
		--cmdline 'quiet guest.script=vfio-guest.sh vfio.nvme=1 vfio.pause=0'
) > "$out" 2>&1
st=$?
[ "$st" -eq 0 ] && grep -a -q 'VFIO-COUNTS' "$out" && grep -a -q 'GUEST-SCRIPT: exit=0' "$out" &&
	grep -a -q "^VFIO-IRQ [0-9a-f:.]* 1 [1-9]" "$out"
ok $? "the tree's vibevmm, mkinitrd-guest and vfio-guest.sh: guest NVMe I/O on $bdf through vfpost"

tree "$INST/run_kselftest.sh" -t vfpost:fastpath_kvm_test
grep -q '^# # Totals: pass:3 fail:0 xfail:0 xpass:0 skip:0 error:0' "$out" &&
	[ "$(driver "$bdf")" = vfpost ]
ok $? "no VFPOST_BDF: the VF on vfpost is found and stays there"

tree VFPOST_BDF=$EDU "$INST/run_kselftest.sh" -t vfpost:fastpath_kvm_test
[ "$(grep -c "^# ok [0-9] # SKIP no selftest driver for $EDU (vendor:device 1234:11e8, class 00ff00); drivers: nvme" "$out")" -eq 3 ]
ok $? "VFPOST_BDF=$EDU (edu): every case skips naming 1234:11e8"

"$ROOT/scripts/lab-vfs" unbind "$bdf" > /dev/null 2>&1
tree "$INST/run_kselftest.sh" -t vfpost:fastpath_kvm_test
grep -q '^# # Totals: pass:3 fail:0 xfail:0 xpass:0 skip:0 error:0' "$out" &&
	[ -z "$(driver "$bdf")" ]
st=$?
"$ROOT/scripts/lab-vfs" down > /dev/null 2>&1
tree "$INST/run_kselftest.sh" -t vfpost:fastpath_kvm_test
[ "$st" -eq 0 ] &&
	[ "$(grep -c '^# ok [0-9] # SKIP no VF to test: .*; set VFPOST_BDF=dddd:bb:dd.f' "$out")" -eq 3 ]
ok $? "an unbound VF is found, bound and given back; with no VF every case skips"
bdf=
echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
