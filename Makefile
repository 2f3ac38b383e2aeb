# SPDX-License-Identifier: GPL-2.0
#
# vibevmm + vfpost: top-level build.  Every target that runs something calls
# scripts/setup first, so a fresh Debian bookworm machine needs nothing else.

ROOT  := $(abspath .)
BUILD ?= $(ROOT)/build
export ROOT BUILD

.PHONY: all setup kmod user selftests ksft-headers check unit fuzz tsan demo bench lint \
	install dkms clean stress check-install deb check-deb

all: kmod user selftests

# make unit, fuzz and tsan alone need no lab: setup installs only the
# userspace packages for them (no QEMU, kernels or headers).
ifeq ($(filter-out unit fuzz tsan,$(or $(MAKECMDGOALS),all)),)
SETUP_GROUPS := unit $(if $(filter fuzz tsan,$(MAKECMDGOALS)),fuzz)
endif

setup:
	@$(ROOT)/scripts/setup $(SETUP_GROUPS)

# Kernel module, one output directory per kernel release:
# build/kmod/<release>/vfpost.ko.  KRELEASES overrides the default list.
kmod:
	@$(MAKE) -C kmod

# Extract kselftest_harness.h, kselftest.h and checkpatch.pl from Debian's
# linux-source-6.1 into build/ksft (never committed).
ksft-headers:
	@$(ROOT)/scripts/extract-ksft

user: ksft-headers
	@$(MAKE) -C user

# The suites, and the test-only modules they load (selftests/kmod).
selftests: ksft-headers user
	@$(MAKE) -C kmod KMOD_SRC=$(ROOT)/selftests/kmod \
		KMOD_OUT=$(BUILD)/selftests/kmod
	@$(MAKE) -C selftests

# Host unit tests only (sanitizers on); no lab.
unit: setup user
	@$(MAKE) -C user run_tests

# libFuzzer targets, FUZZ_SECONDS each (default 20); unit tests under TSan.
fuzz: setup ksft-headers
	@$(MAKE) -C user fuzz

tsan: setup ksft-headers
	@$(MAKE) -C user tsan

check:
	@$(ROOT)/scripts/check

# The fault matrix and campaigns, 20 runs each (Documentation/reliability.rst).
stress: setup
	@$(ROOT)/scripts/stress

demo: setup
	@$(ROOT)/scripts/demo

# A fresh Debian root (debootstrap): setup, build, unit tests and the demo
# from a fresh clone.  Not part of make check.
check-install:
	@$(ROOT)/scripts/check-install

bench: setup all
	@$(ROOT)/scripts/bench

lint: setup ksft-headers
	@$(ROOT)/scripts/lint

install: kmod user
	@$(MAKE) -C kmod install
	@$(MAKE) -C user install

# Debian packages in build/deb/ (debian/; Documentation/install.rst):
# vfpost-dkms, libvfpost1, libvfpost-dev, vibevmm; lintian must pass.
deb:
	@$(ROOT)/scripts/setup deb
	@$(ROOT)/scripts/deb

# make deb, then the packages installed in the lab: DKMS builds the module,
# modprobe loads it, the demo runs /usr/bin/vibevmm (scripts/deb-lab).
check-deb: setup
	@$(ROOT)/scripts/check-deb

# Register the module with DKMS (real-hardware machines).
dkms:
	@$(ROOT)/scripts/dkms-install

clean:
	rm -rf $(BUILD)
