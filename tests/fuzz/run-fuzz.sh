#!/bin/sh
# run-fuzz.sh BUILD SECONDS TARGET... -- runs each libFuzzer target for
# SECONDS, starting from its seed corpus (tests/fuzz/corpus/TARGET, read
# only) and a working corpus BUILD/work/TARGET that grows across runs.
# Crash reproducers go to BUILD/artifacts/TARGET/ (kept across runs;
# only this run's new ones are counted).  Prints executions and
# crashes per target; exits non-zero if any target crashed.
set -u
b=$1 secs=$2
shift 2
bad=0
printf '%-16s %12s %8s %8s\n' target executions exec/s crashes
for t in "$@"; do
	mkdir -p "$b/work/$t" "$b/artifacts/$t"
	log="$b/fuzz_$t.log"
	before=$(ls "$b/artifacts/$t" | wc -l)
	"$b/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix="$b/artifacts/$t/" -close_fd_mask=1 \
	    "$b/work/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	# Reproducers this run left (crash-, leak-, timeout-, oom-).
	crashes=$(( $(ls "$b/artifacts/$t" | wc -l) - before ))
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes="?(rc=$rc, see $log)"
	fi
	printf '%-16s %12s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "$crashes"
	[ "$rc" -eq 0 ] && [ "$crashes" = 0 ] || bad=1
done
exit $bad
