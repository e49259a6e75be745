#!/bin/sh
# Runs cmocka test binaries one after another, then prints the total as
# the closing line.  Exits non-zero if any test or binary failed.
set -u
passed=0
failed=0
bad=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		echo "run-tests: $t exited with status $rc" >&2
		bad=$((bad + 1))
		failed=$((failed + 1))
	fi
done
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$bad" -eq 0 ]
