#!/bin/sh
# tamper.sh -- thirty ways to tamper with a station's database, each of
# which custody log verify must catch and name.
#
#   sh tests/tamper/tamper.sh CUSTODY_BIN [STATION_DIR]
#   (or with CUSTODY_BIN in the environment, as make check runs it)
#
# Without STATION_DIR it builds a station of its own (offline, with the
# station key).  Each case works on a fresh copy, as someone holding the
# file would: the append-only triggers dropped first.  Truncating the
# newest events consistently cannot be seen from inside one database; those
# cases are checked against a receipt taken before the cut, and are shown
# to pass without it.  Output ends in cmocka's summary form so the test
# runner counts the cases.
set -u
C=${1:-${CUSTODY_BIN:?usage: tamper.sh CUSTODY_BIN [STATION_DIR]}}
W=$(mktemp -d /tmp/custody-tamper-XXXXXX)
trap 'rm -rf "$W"' EXIT
pass=0
fail=0

if [ $# -ge 2 ]; then
	S=$2
else
	S="$W/station"
	"$C" station init --state "$S" --id tamper.school.example/s1 >/dev/null
	i=1
	while [ $i -le 20 ]; do
		"$C" log append --state "$S" --action device.move \
		    --subject "{\"device\":\"DEV-000$((i % 4))\"}" \
		    --data "{\"seal\":\"SEAL-$i\",\"location\":\"safe $i\"}" \
		    > "$W/receipt-$i.txt" || exit 1
		i=$((i + 1))
	done
fi
"$C" log verify --db "$S/custody.db" >/dev/null ||
	{ echo "tamper: the untouched station does not verify" >&2; exit 1; }
N=$(sqlite3 "$S/custody.db" "SELECT count(*) FROM events")
"$C" log receipt $((N - 1)) --db "$S/custody.db" > "$W/last-receipt.txt"
"$C" log receipt $((N / 2)) --db "$S/custody.db" > "$W/mid-receipt.txt"

UNLOCK="DROP TRIGGER IF EXISTS events_ro; DROP TRIGGER IF EXISTS events_nd;
DROP TRIGGER IF EXISTS tree_ro; DROP TRIGGER IF EXISTS tree_nd;
DROP TRIGGER IF EXISTS checkpoints_ro; DROP TRIGGER IF EXISTS checkpoints_nd;
DROP TRIGGER IF EXISTS checkpoints_nr; DROP TRIGGER IF EXISTS station_ro;
DROP TRIGGER IF EXISTS station_nd; DROP TRIGGER IF EXISTS station_nr;"

# case NAME EXPECT SQL [verify options]: EXPECT is a phrase verify's error
# must contain.
case_() {
	name=$1 expect=$2 sql=$3
	shift 3
	rm -f "$W/t.db" "$W/t.db-wal" "$W/t.db-shm"
	cp "$S/custody.db" "$W/t.db"
	if ! sqlite3 "$W/t.db" "$UNLOCK $sql" >/dev/null 2>"$W/sql.err"; then
		echo "[  FAILED  ] $name: the tampering SQL failed: $(cat "$W/sql.err")"
		fail=$((fail + 1))
		return
	fi
	out=$("$C" log verify --db "$W/t.db" "$@" 2>&1)
	rc=$?
	# Caught: a failing exit (1, or 5 for a file no longer a station's)
	# and the message naming what.
	if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q -- "$expect"; then
		echo "[       OK ] $name: $out"
		pass=$((pass + 1))
	else
		echo "[  FAILED  ] $name: exit $rc: $out"
		fail=$((fail + 1))
	fi
}

M=$((N / 2))
L=$((N - 1))
echo "[==========] Running 30 test(s)."
case_ "body byte changed" "event 3: body does not match" \
    "UPDATE events SET body = replace(body, 'SEAL-', 'SEEL-') WHERE seq = 3"
case_ "body of the first event changed" "event 0:" \
    "UPDATE events SET body = replace(body, 'tamper', 'tamqer') WHERE seq = 0"
case_ "body of the newest event changed" "event $L:" \
    "UPDATE events SET body = replace(body, 'safe', 'sofe') WHERE seq = $L"
case_ "body and leaf hash rewritten" "does not match" \
    "UPDATE events SET body = replace(body, 'SEAL-', 'SEEL-'),
     leaf_hash = randomblob(32) WHERE seq = 5"
case_ "leaf hash altered" "event 7: body does not match its leaf hash" \
    "UPDATE events SET leaf_hash = zeroblob(32) WHERE seq = 7"
case_ "event deleted" "event 4 is missing" \
    "DELETE FROM events WHERE seq = 4"
case_ "first event deleted" "event 0 is missing" \
    "DELETE FROM events WHERE seq = 0"
case_ "two events swapped" "body records seq" \
    "UPDATE events SET seq = 1007 WHERE seq = 2; UPDATE events SET seq = 2
     WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = 1007"
case_ "event renumbered" "missing" \
    "UPDATE events SET seq = seq + 1000 WHERE seq = $M"
case_ "event duplicated in place of another" "body records seq" \
    "UPDATE events SET body = (SELECT body FROM events WHERE seq = 6),
     leaf_hash = (SELECT leaf_hash FROM events WHERE seq = 6) WHERE seq = 8"
case_ "non-canonical body (whitespace)" "not canonical" \
    "UPDATE events SET body = replace(body, '{\"', '{ \"') WHERE seq = 9"
case_ "forged event appended, unsigned" "event $N:" \
    "INSERT INTO events (seq, action, body, leaf_hash) SELECT $N,
     'device.move', replace(body, '\"seq\":$L', '\"seq\":$N'), randomblob(32)
     FROM events WHERE seq = $L"
case_ "level-1 node altered" "tree node (level 1" \
    "UPDATE tree SET hash = zeroblob(32) WHERE level = 1 AND idx = 2"
case_ "level-1 leaf pair altered" "holds leaves that do not match" \
    "UPDATE tree SET leaves = zeroblob(64) WHERE level = 1 AND idx = 1"
case_ "level-2 node altered" "tree node (level 2" \
    "UPDATE tree SET hash = randomblob(32) WHERE level = 2 AND idx = 0"
case_ "top node deleted" "is missing" \
    "DELETE FROM tree WHERE level = 3 AND idx = 0"
case_ "extra tree node" "nodes were added or removed" \
    "INSERT INTO tree VALUES (7, 99, randomblob(32), NULL)"
case_ "checkpoint signature altered" "does not verify" \
    "UPDATE checkpoints SET note = replace(note, substr(note, -12, 4),
     'AAAA') WHERE size = $M"
case_ "checkpoint root column altered" "its row does not match" \
    "UPDATE checkpoints SET root = zeroblob(32) WHERE size = $M"
case_ "checkpoint note from another size" "checkpoint at size" \
    "UPDATE checkpoints SET note = (SELECT note FROM checkpoints WHERE
     size = 3) WHERE size = 4"
case_ "checkpoint origin changed" "origin" \
    "UPDATE checkpoints SET note = replace(note, 'tamper.', 'tamprr.')
     WHERE size = 5"
case_ "newest checkpoint deleted" "not covered by any signed" \
    "DELETE FROM checkpoints WHERE size = $N"
case_ "checkpoint beyond the log" "beyond the log" \
    "DELETE FROM events WHERE seq = $L; DELETE FROM tree WHERE
     (idx + 1) << level > $L AND level > 0"
case_ "station certificate replaced" "station certificate" \
    "UPDATE station SET cert = (SELECT cert FROM station) || x'00'"
case_ "station row deleted" "no station row" \
    "DELETE FROM station"
case_ "truncated, seen by the receipt" "truncated" \
    "DELETE FROM events WHERE seq >= $M; DELETE FROM tree WHERE level > 0
     AND ((idx + 1) << level) > $M; DELETE FROM checkpoints WHERE size > $M" \
    --against "$W/last-receipt.txt"
case_ "truncated to one event, seen by the receipt" "truncated" \
    "DELETE FROM events WHERE seq >= 1; DELETE FROM tree WHERE level > 0;
     DELETE FROM checkpoints WHERE size > 1" --against "$W/mid-receipt.txt"
case_ "receipt's event altered" "event $M:" \
    "UPDATE events SET body = replace(body, 'safe', 'sofe'),
     leaf_hash = randomblob(32) WHERE seq = $M" --against "$W/mid-receipt.txt"
case_ "history rewritten, another key" "station key" \
    "SELECT 1" --station-fingerprint \
    0000000000000000000000000000000000000000000000000000000000000000
case_ "all triggers dropped, WAL mode off, body altered" "event 10:" \
    "PRAGMA journal_mode = DELETE; UPDATE events SET body =
     replace(body, 'SEAL-', 'SEAL_') WHERE seq = 10"

# Shown for honesty: consistent truncation without a receipt passes.
rm -f "$W/t.db"
cp "$S/custody.db" "$W/t.db"
sqlite3 "$W/t.db" >/dev/null "$UNLOCK DELETE FROM events WHERE seq >= $M;
    DELETE FROM tree WHERE level > 0 AND ((idx + 1) << level) > $M;
    DELETE FROM checkpoints WHERE size > $M;"
if "$C" log verify --db "$W/t.db" >/dev/null 2>&1; then
	echo "(as designed: a consistently truncated log verifies on its own;"
	echo " only a receipt taken before the cut shows it -- see above)"
fi
echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
