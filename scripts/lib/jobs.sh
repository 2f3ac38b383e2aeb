# SPDX-License-Identifier: GPL-2.0
#
# make check's jobs (sourced by scripts/check; host test:
# scripts/tests/check-jobs-test): background jobs that each run in a
# session of their own at a niceness of their own and are killed when the
# run ends, and the failure record of a job that ended without its results.
# A counts line is "name passed failed skipped log".

# The background jobs (the kernels' preparation, the host checks, the
# packages and VFIO selftests) each run in a process group of their own;
# a make check that ends early (a failure, ^C, a CI timeout's SIGTERM)
# kills those still running, so that none writes into the next run's
# results or holds the debug kernel's cache lock.
bg_groups=()
declare -gA bg_done_file=() # group -> a file that exists once its job ended
bg_add() { bg_groups+=("-$1"); }
bg_done() { # pid: its job has ended
	local i
	for i in "${!bg_groups[@]}"; do
		[ "${bg_groups[$i]}" != "-$1" ] || unset "bg_groups[$i]"
	done
}
bg_kill() {
	local g
	for g in "${bg_groups[@]}"; do
		# An ended job's group number may belong to another by now.
		[ ! -e "${bg_done_file[$g]:-/nonexistent}" ] || continue
		kill -- "$g" 2> /dev/null
	done
}
# bg_start NICE NAME COMMAND...: run COMMAND in the background in a session
# (so a process group) of its own, at niceness NICE; $! is its pid.  A new
# session is also a new scheduler autogroup where the kernel has them
# (Debian's kernels and most distributions' do), and between autogroups the
# CPU is shared evenly whatever the processes' own niceness: so the group's
# niceness is set too (/proc/self/autogroup), or the debug kernel's build
# "at nice 19" took as much CPU as the whole lab (2026-12-02: the L2 suites
# and DKMS's build in the lab ran at half speed).
# Not root: the kernel refuses a second autogroup change within 100 ms
# (EAGAIN), hence the retries.  No autogroups (or a cpu cgroup around the
# whole run): nothing to set.  NAME is the wrapper's $0 (its error
# messages carry it).
bg_start() { # nice name command...
	setsid -w bash -c 'n=$1; shift
		if [ -e /proc/self/autogroup ]; then
			for try in 1 2 3 4 5; do
				{ echo "$n" > /proc/self/autogroup; } 2> /dev/null && break
				sleep 0.2
			done
		fi
		renice -n "$n" -p $$ > /dev/null; exec "$@"' "$2" "$1" "${@:3}" < /dev/null &
	bg_add $!
}

# job_record COUNTS NAME STATUS DONE-FILE LOG WHAT: a job that exited
# non-zero or never reached its last step (DONE-FILE missing) is one
# failure, whatever results it wrote before (a killed make deb leaves none);
# COUNTS is overwritten.  Returns 1 then.
job_record() {
	if [ "$3" -ne 0 ] || [ ! -f "$4" ]; then
		echo "$2 0 1 0 $5" > "$1"
		echo "$6: ended early (status $3; log: $5)"
		return 1
	fi
}

# lab_run COUNTS: scripts/run-selftests with the caller's environment.  A
# run that stopped before any suite (a bad list or BOOTS) has written no
# result: one failure in COUNTS, not silence.
lab_run() {
	local st name log
	name=$(basename "$1" .counts) log=${1%.counts}-stopped.log
	# Its error lines kept for the failure digest, and shown as ever:
	# stderr through a tee that has ended before the lines below (a
	# process substitution's tee could truncate them afterwards).
	{ "$ROOT/scripts/run-selftests" 2>&1 >&3 3>&- | tee "$log" >&2; st=${PIPESTATUS[0]}; } 3>&1
	if [ "$st" -ne 0 ] && [ ! -s "$1" ]; then
		echo "run-selftests stopped with status $st before any suite (KERNELS=${KERNELS:-} BOOTS=${BOOTS:-})" |
			tee -a "$log"
		echo "$name 0 1 0 $log" >> "$1"
	else
		rm -f "$log"
	fi
}
