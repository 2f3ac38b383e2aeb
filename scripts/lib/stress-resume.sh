# SPDX-License-Identifier: GPL-2.0
#
# What lets STRESS_RESUME=1 carry on a make stress that stopped (sourced by
# scripts/stress; tested by scripts/tests/stress-resume-test):
#  - a lock, so that two make stress never write one results directory;
#  - the run's key: every input that could change a result (the source,
#    the settings the lab passes to the suites, the campaigns and the build
#    behind each lab kernel name), written when a run starts.  A resume
#    whose key differs is refused, naming the fields, and nothing of the
#    earlier run is touched.
# A campaign's rows are moved into place in one rename once it has ended
# (scripts/stress), so a run killed at any point left either all of them
# or none.

# The settings that reach the suites (scripts/vmtest passes them into the
# lab) or choose what runs.
STRESS_KEY_ENV="VFPOST_STRESS_RUNS VFPOST_SOAK_SECONDS VFPOST_STRESS_KMEMLEAK
	VFPOST_STRESS_ROWS VFPOST_FUZZ_SEED VFPOST_STRESS_SEED VFPOST_DEBUG CI V
	KSFT_VERBOSE STRESS_KERNELS L2_KERNELS VMTEST_QEMU_ARGS"

# stress_lock DIR: hold DIR.lock on fd 8 until this shell and the lab
# boots it started have ended, or refuse.
stress_lock() {
	exec 8>>"$1.lock"
	flock -n 8 && return 0
	echo "stress: another make stress is writing $1 (it holds $1.lock); wait for it to end or stop it" >&2
	exit 2
}

# stress_source ROOT: the commit and a hash of what differs from it (changes
# and untracked files that git does not ignore); "unknown" outside a git
# work tree.
stress_source() {
	local head
	head=$(git -C "$1" rev-parse --verify -q HEAD 2>/dev/null) || { echo unknown; return; }
	printf '%s+%s\n' "$head" "$({
		git -C "$1" diff HEAD --binary
		git -C "$1" ls-files -z -o --exclude-standard |
			(cd "$1" && xargs -0r sha256sum -- 2>&1)
	} | sha256sum | cut -c1-16)"
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

# stress_key ROOT PLAN KERNELS: the key, one "field=value" per line.
stress_key() {
	local v k
	echo "source=$(stress_source "$1")"
	echo "campaigns=$2"
	for v in $STRESS_KEY_ENV; do
		echo "$v=${!v-}"
	done
	for k in $3; do
		echo "kernel $k=$(stress_kernel_id "$1" "$k")"
	done
}

# stress_key_refusal OLD NEW: nothing when NEW resumes OLD, else the
# fields that differ or cannot be told, comma-separated.
stress_key_refusal() {
	awk -F= '
	NR == FNR { old[$1] = substr($0, length($1) + 2); next }
	{
		v = substr($0, length($1) + 2)
		msg = ""
		if (!($1 in old))
			msg = $1 " (not in the earlier run)"
		else if (old[$1] != v)
			msg = $1 " (was \"" old[$1] "\", now \"" v "\")"
		else if (v == "unknown" && ($1 == "source" || $1 ~ /^kernel /))
			msg = $1 " (cannot be told)"
		delete old[$1]
		if (msg != "") {
			bad = bad sep msg
			sep = ", "
		}
	}
	END {
		for (f in old) {
			bad = bad sep f " (only in the earlier run)"
			sep = ", "
		}
		print bad
	}' "$1" "$2"
}
