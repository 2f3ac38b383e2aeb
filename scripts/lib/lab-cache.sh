# SPDX-License-Identifier: GPL-2.0
#
# The lab kernels' cache (sourced by scripts/debug-kernel and
# scripts/sid-kernel; host test: scripts/tests/lab-cache-test).  An entry is
# a directory, complete once its 'complete' file exists (written last);
# its 'used' file is touched whenever a lab kernel name resolves to it.

# lab_cache_used ENTRY: note that ENTRY is in use now (best effort: a
# read-only cache still serves; an entry being removed is left alone).
lab_cache_used() {
	[ ! -f "$1/complete" ] || touch "$1/used" 2>/dev/null || true
}

# lab_cache_prune DIR KEEP [PREFIX]: remove the complete entries of DIR
# whose names start with PREFIX beyond the KEEP most recently used (0.6 to
# 1.7 GB each; an upgraded source or a changed recipe makes a new one), and
# the /lib/modules links into them.  Keeping more than one lets two clones
# whose recipes differ take turns without rebuilding.  Called under the
# cache's lock once a new entry is complete, the only moment; a lab boot
# using an entry has just marked it used, so it is among those kept unless
# KEEP others were used since.  Best effort: a failure is said, never fatal.
lab_cache_prune() {
	local dir=$1 keep=$2 prefix=${3:-} mods=${LAB_CACHE_MODULES:-/lib/modules}
	local c e u l line n=0
	while IFS= read -r -d '' line; do
		n=$((n + 1))
		[ "$n" -gt "$keep" ] || continue
		e=${line#* }
		for l in "$mods"/*; do
			[ -L "$l" ] || continue
			case $(readlink "$l") in "$e"/*) rm -f "$l" || true ;; esac
		done
		if rm -rf "$e"; then
			echo "$(basename "$dir"): removed the cache entry $e (the $keep most recently used are kept)" >&2
		else
			echo "$(basename "$dir"): could not remove the cache entry $e; remove it by hand" >&2
		fi
	done < <(for c in "$dir/$prefix"*/complete; do
			[ -f "$c" ] || continue
			e=${c%/complete} u=${c%/complete}/used
			[ -f "$u" ] || u=$c
			printf '%s %s\0' "$(stat -c %Y "$u")" "$e"
		done | sort -z -rn)
	return 0
}
