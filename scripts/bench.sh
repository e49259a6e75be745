#!/bin/sh
# bench.sh -- runs the benchmarks; writes B/bench.json and prints a table.
#
#	sh scripts/bench.sh [B]		(make bench: B is build)
#
# Every tests/bench/NAME.c is built by make as B/tests/bench/NAME and run
# here as `NAME TMPDIR CUSTODY_BIN`, with CUSTODYD_BIN in the environment
# naming the daemon (bench_daemon starts its own, on a station of its own
# in TMPDIR/daemon; bench_export two, in TMPDIR/export; bench_load one,
# in TMPDIR/load); it prints one
# "name value" line per figure on stdout and its progress on stderr.
# Every timing and every ratio is measured inside those programs, side
# by side in one run (see the comment at the top of each).  This script
# only gathers the lines into one JSON object, B/bench.json, and prints
# them as a table with the targets.  A figure that misses its target is
# marked MISS; the run still succeeds, since a benchmark reports and does
# not judge.  A program that fails makes the run fail.
#
# Scratch files live in B/bench-tmp.  The 1,000,000-event log stays there
# so that the next run can reuse it, as does bench_export's 1,000,000-event
# station (export-1m, filler only: each run works on a copy); the 1 GiB
# hashing file, the intake files of bench_item (its 1 GiB and 10 MiB
# contents, the sealed blob and openssl's ciphertext), the daemon's
# station and bench_export's work (export/: its stations, the 100 MiB
# item, the bundles and the stock tools' files) never do.
# POSIX sh and awk only: python is not on every station.
set -eu

B=${1:-build}
tmp=$B/bench-tmp
json=$B/bench.json
figs=$tmp/figures.txt

if [ ! -d tests/bench ] || [ ! -x "$B/custody" ] ||
    [ ! -x "$B/custodyd" ]; then
	echo "bench: run from the top of the tree after make (see make bench)" >&2
	exit 1
fi
mkdir -p "$tmp"
CUSTODYD_BIN=$(cd "$B" && pwd)/custodyd
export CUSTODYD_BIN
trap 'rm -f "$tmp/hash-1g.bin" "$tmp/item-1g.bin" "$tmp/item-10m.bin" \
    "$tmp/item-seal.blob" "$tmp/item-enc.out" "$json.tmp"
    rm -rf "$tmp/daemon" "$tmp/export" "$tmp/export-1m.tmp" "$tmp/load"' EXIT
trap 'exit 130' HUP INT TERM

start=$(date +%s)
: >"$figs"
for src in tests/bench/*.c; do
	[ -e "$src" ] || continue
	name=${src##*/}
	name=${name%.c}
	bin=$B/tests/bench/$name
	if [ ! -x "$bin" ]; then
		echo "bench: $bin is missing; run make bench" >&2
		exit 1
	fi
	echo "bench: running $name" >&2
	if ! "$bin" "$tmp" "$B/custody" >>"$figs"; then
		echo "bench: $name failed; figures so far in $figs" >&2
		exit 1
	fi
done
# Detection under umockdev (tests/umockdev/bench_detect.c): its own build,
# without sanitizers, run through its umockdev-wrapper script.
detect=build/usb/tests/umockdev/bench_detect.sh
if [ -x "$detect" ]; then
	echo "bench: running bench_detect" >&2
	if ! CUSTODY_BIN=$(cd "$B" && pwd)/custody "$detect" >>"$figs"; then
		echo "bench: bench_detect failed; figures so far in $figs" >&2
		exit 1
	fi
fi
{
	echo "bench_seconds $(($(date +%s) - start))"
	echo "bench_date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "bench_cpus $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)"
} >>"$figs"

# One JSON object; numbers as numbers, anything else as a string.  A name
# given twice keeps its last value, in the place of its first.
awk '
function jstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	gsub(/\t/, "\\t", s)
	return "\"" s "\""
}
$1 !~ /^[a-z][a-z0-9_]*$/ || NF < 2 { next }
{
	v = $0
	sub(/^[^ \t]+[ \t]+/, "", v)
	if (!($1 in val))
		order[n++] = $1
	val[$1] = v
}
END {
	printf "{"
	for (i = 0; i < n; i++) {
		k = order[i]
		v = val[k]
		if (v !~ /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/)
			v = jstr(v)
		printf "%s\n  \"%s\": %s", i ? "," : "", k, v
	}
	printf "\n}\n"
}' "$figs" >"$json.tmp"
mv "$json.tmp" "$json"

# The table: figure, value, unit, target, and whether the target is met.
awk '
BEGIN {
	t["hash_sha256_vs_openssl"] = ">= 0.9"
	t["append_overhead_vs_sqlite"] = "< 2"
	t["append_batch_overhead_vs_sqlite"] = "< 2"
	t["log_verify_1m_seconds"] = "< 5"
	t["proof_ratio_1m_vs_1k"] = "< 3"
	# Bounded: about the SQLite default page cache (2 MiB) at most.
	t["verify_rss_growth_kib"] = "< 4096"
	t["daemon_overhead_vs_append"] = "< 2"
	t["daemon_idle_rss_kib_fresh"] = "< 10240"
	t["daemon_idle_rss_kib"] = "< 10240"
	# An idle daemon polls with no timeout: it never runs.
	t["daemon_idle_wakeups"] = "== 0"
	t["daemon_idle_cpu_ticks"] = "== 0"
	# Intake: one pass (SHA-256, SHA-512, AES-256-GCM) of a 1 GiB file.
	t["intake_vs_openssl_sha256"] = ">= 0.8"
	t["intake_vs_dgst_then_enc"] = "< 1"
	# Peak RSS independent of size: 1 GiB against 10 MiB, within 1 MiB.
	t["intake_rss_growth_kib"] = "< 1024"
	# Load (issue 7): 50 clients x 1,000 mixed requests; RSS after 2 s idle.
	t["load_errors"] = "== 0"
	t["load_rss_growth_kib"] = "< 2048"
	# Export: one case (20 events, a 100 MiB item) from 1M events vs 1k;
	# and against sha256sum, sha512sum, tar, openssl cms -sign/-encrypt.
	t["export_ratio_1m_vs_1k"] = "< 1.5"
	t["export_vs_stock_tools"] = "<= 1.0"
	t["detect_p99_ms"] = "< 100"
	t["detect_idle_wakeups"] = "== 0"
	printf "%-34s %14s  %-9s %-9s %s\n", "FIGURE", "VALUE", "UNIT",
	    "TARGET", ""
}
function unit(k) {
	if (k ~ /_mib_s$/) return "MiB/s"
	if (k ~ /_requests_per_s/) return "req/s"
	if (k ~ /_per_s$/) return "events/s"
	if (k ~ /_seconds(_|$)/) return "s"
	if (k ~ /_kib(_|$)/) return "KiB"
	if (k ~ /_mib$/) return "MiB"
	if (k ~ /_us_/ || k ~ /_us$/) return "us"
	if (k ~ /_ms_/ || k ~ /_ms$/) return "ms"
	if (k ~ /_wakeups$/) return "switches"
	if (k ~ /_ticks$/) return "ticks"
	if (k ~ /_bytes_/) return "bytes"
	if (k ~ /(_vs_|overhead|ratio)/) return "x"
	return ""
}
function met(v, c,    p, op, lim) {
	split(c, p, " ")
	op = p[1]
	lim = p[2] + 0
	if (op == "<") return v + 0 < lim
	if (op == "<=") return v + 0 <= lim
	if (op == ">") return v + 0 > lim
	if (op == "==") return v + 0 == lim
	return v + 0 >= lim
}
$1 !~ /^[a-z][a-z0-9_]*$/ || NF < 2 { next }
{
	v = $0
	sub(/^[^ \t]+[ \t]+/, "", v)
	if (!($1 in val))
		order[n++] = $1
	val[$1] = v
}
END {
	for (i = 0; i < n; i++) {
		k = order[i]
		c = (k in t) ? t[k] : ""
		s = c == "" ? "" : (met(val[k], c) ? "ok" : "MISS")
		printf "%-34s %14s  %-9s %-9s %s\n", k, val[k], unit(k), c, s
	}
}' "$figs"
echo "bench: figures in $json"
