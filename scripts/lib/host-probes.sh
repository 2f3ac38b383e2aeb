# SPDX-License-Identifier: GPL-2.0
#
# What this machine's setup and tools can do, asked where the answer
# changes what a script does (sourced by scripts/setup and scripts/lint;
# host test: scripts/tests/host-probes-test).

# has_boot_loader [ROOT]: whether ROOT (default /) has a boot loader's
# files (/boot/grub, /boot/efi or /boot/loader).  A VM or container
# started with a kernel from outside, as CI machines often are, has none:
# the kernels installed there can never be booted.
has_boot_loader() {
	local r=${1:-}
	[ -e "$r/boot/grub" ] || [ -e "$r/boot/efi" ] || [ -e "$r/boot/loader" ]
}

# sparse_unqual: whether the installed sparse parses __typeof_unqual__.
# Kernels from 6.15 on use it under __CHECKER__, and their Makefile turns
# sparse off (C=1 then checks nothing) when it cannot: bookworm's sparse
# 0.6.4 cannot.
sparse_unqual() {
	local t out
	t=$(mktemp --suffix=.c) || return 1
	printf 'static int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }\n' > "$t"
	# Its whole output first: "sparse | grep -q" under pipefail failed
	# whenever grep's early exit cut sparse off (SIGPIPE), and the probe
	# then passed (lint failed 7.2 so on 2026-12-02).
	out=$(sparse "$t" 2>&1) || true
	rm -f "$t"
	! grep -q ': error:' <<<"$out"
}
