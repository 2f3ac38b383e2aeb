# SPDX-License-Identifier: GPL-2.0
#
# The lab kernels' cache (sourced by scripts/debug-kernel and
# scripts/sid-kernel; host test: scripts/tests/lab-cache-test).  An entry is
# a directory, complete once its 'complete' file exists (written last).

# lab_cache_prune DIR KEEP: remove the complete entries of DIR beyond the
# KEEP most recently completed (0.6 to 1.7 GB each; an upgraded source or
# a changed recipe makes a new one), and the /lib/modules links into them.
# Keeping more than one lets two clones whose recipes differ take turns
# without rebuilding.  Called under the cache's lock, once a new entry is
# complete: the only moment, so a lab boot still running from the third
# newest (its modules are read through /lib/modules) is rare.
lab_cache_prune() {
	local dir=$1 keep=$2 mods=${LAB_CACHE_MODULES:-/lib/modules} c e l n=0
	while IFS= read -r c; do
		n=$((n + 1))
		[ "$n" -gt "$keep" ] || continue
		e=${c%/complete}
		for l in "$mods"/*; do
			[ -L "$l" ] || continue
			case $(readlink "$l") in "$e"/*) rm -f "$l" ;; esac
		done
		rm -rf "$e"
		echo "$(basename "$dir"): removed the cache entry $e (the $keep newest are kept)" >&2
	done < <(ls -dt -- "$dir"/*/complete 2>/dev/null)
}
