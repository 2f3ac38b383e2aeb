# SPDX-License-Identifier: GPL-2.0
#
# What lets STRESS_RESUME=1 carry on a make stress that stopped (sourced by
# scripts/stress; tested by scripts/tests/stress-resume-test):
#  - a lock, so that two make stress never write one results directory;
#  - the run's key: every input that could change a result (the source,
#    the settings the lab passes to the suites, the campaigns, QEMU, the
#    build behind each lab kernel name and the project's build), written
#    when a run starts.  A resume whose key differs is refused, naming
#    the fields, and nothing of the earlier run is touched.
# A campaign's rows are moved into place in one rename once it has ended
# (scripts/stress), so a run killed at any point left either all of them
# or none, flushed to disk before the rename.

# The settings that reach the suites (scripts/vmtest passes them into the
# lab) or choose what runs.
STRESS_KEY_ENV="VFPOST_STRESS_RUNS VFPOST_SOAK_SECONDS VFPOST_STRESS_KMEMLEAK
	VFPOST_STRESS_ROWS VFPOST_FUZZ_SEED VFPOST_STRESS_SEED VFPOST_DEBUG CI V
	KSFT_VERBOSE STRESS_KERNELS L2_KERNELS VMTEST_QEMU_ARGS"

# stress_lock DIR: hold DIR.lock on fd 8 until this shell and the lab
# boots it started have ended, or refuse.  The boots inherit the lock: one
# that outlives a killed make stress still writes its campaign's log.
stress_lock() {
	exec 8>>"$1.lock"
	flock -n 8 && return 0
	echo "stress: another make stress, or a lab boot one started, is writing $1 (it holds $1.lock: fuser -v $1.lock); wait for it to end or stop it" >&2
	exit 2
}

# stress_source ROOT: the git tree of the work tree's content (tracked
# files as they are now, and untracked ones that git does not ignore), made
# in a private index so that colour and diff settings cannot change it (it
# stores the changed files' blobs in the repository, as git add does);
# "unknown" outside a git work tree.
stress_source() {
	local idx tree
	idx=$(mktemp) || { echo unknown; return; }
	# A copy of the real index only spares re-reading unchanged files.
	cp "$(git -C "$1" rev-parse --absolute-git-dir 2>/dev/null)/index" "$idx" 2>/dev/null || rm -f "$idx"
	tree=$(GIT_INDEX_FILE=$idx git -C "$1" add -A 2>/dev/null &&
		GIT_INDEX_FILE=$idx git -C "$1" write-tree 2>/dev/null) || tree=unknown
	rm -f "$idx"
	echo "$tree"
}

# stress_kernel_id ROOT NAME: the release a lab kernel name resolves to and
# a hash of its image, so a rebuilt or upgraded kernel under the same name
# differs; "unknown" when it cannot be told.
stress_kernel_id() {
	local rel img
	rel=$("$1/scripts/lab-kernel" "$2" 2>/dev/null) &&
		img=$("$1/scripts/lab-kernel" --image "$2" 2>/dev/null) &&
		[ -n "$rel" ] && [ -r "$img" ] || { echo unknown; return; }
	echo "$rel $(sha256sum < "$img" | cut -c1-16)"
}

# stress_build_id ROOT BUILD KERNELS CAMPAIGNS: a hash of what the lab
# runs from the build for this plan (vfpost and the test modules for those
# kernels, the campaigns' suites, vibevmm, its tools, guests and library;
# names and content): the compiler, its flags and the host's headers reach
# the results there.  Not the rest of the build, which other kernels and
# make check add to.
stress_build_id() {
	local k rel c paths=()
	for k in $3; do
		rel=$("$1/scripts/lab-kernel" "$k" 2>/dev/null) || rel=unknown-$k
		paths+=("kmod/$rel" "selftests/kmod/$rel")
	done
	for c in $4; do
		paths+=("selftests/$c")
	done
	paths+=(user/vibevmm user/vibevmm-san user/vibevmm-ctl user/vfpostctl user/guest user/libvfpost.so)
	(cd "$2" 2>/dev/null && find -L "${paths[@]}" -type f -print0 2>/dev/null |
		LC_ALL=C sort -z | xargs -0r sha256sum --) | sha256sum | cut -c1-16
}

# stress_key_field NAME VALUE: one line of the key (a value with a control
# character, such as a newline, quoted so that it stays one line).
stress_key_field() {
	local v=$2
	[[ $v != *[[:cntrl:]]* ]] || v=$(printf '%q' "$v")
	printf '%s=%s\n' "$1" "$v"
}

# stress_key_inputs ROOT PLAN: the key's fields known before anything is
# built (the source, the campaigns, the settings, the emulator).
stress_key_inputs() {
	local v
	stress_key_field "source tree" "$(stress_source "$1")"
	stress_key_field campaigns "$2"
	for v in $STRESS_KEY_ENV; do
		stress_key_field "$v" "${!v-}"
	done
	stress_key_field qemu "$(qemu-system-x86_64 --version 2>/dev/null | head -n 1)"
}

# stress_key_builds ROOT BUILD KERNELS CAMPAIGNS: the fields known once
# the kernels are prepared and the project built.
stress_key_builds() {
	local k
	for k in $3; do
		stress_key_field "kernel $k" "$(stress_kernel_id "$1" "$k")"
	done
	stress_key_field build "$(stress_build_id "$@")"
}

# stress_key_refusal OLD NEW [some]: nothing when NEW resumes OLD, else the
# fields that differ or cannot be told, comma-separated.  With "some", NEW
# holds only some of the fields, and OLD's others are not asked for.
stress_key_refusal() {
	awk -F= -v some="${3:-}" '
	NR == FNR { old[$1] = substr($0, length($1) + 2); next }
	{
		v = substr($0, length($1) + 2)
		msg = ""
		if (!($1 in old))
			msg = $1 " (not in the earlier run)"
		else if (old[$1] != v)
			msg = $1 " (was \"" old[$1] "\", now \"" v "\")"
		else if (v == "unknown" && ($1 == "source tree" || $1 ~ /^kernel /))
			msg = $1 " (cannot be told)"
		delete old[$1]
		if (msg != "") {
			bad = bad sep msg
			sep = ", "
		}
	}
	END {
		for (f in old) {
			if (some != "")
				break
			bad = bad sep f " (only in the earlier run)"
			sep = ", "
		}
		print bad
	}' "$1" "$2"
}
