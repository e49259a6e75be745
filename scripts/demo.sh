#!/bin/sh
# make demo -- the custody log end to end, in build/demo/ (made anew).
#
# Until the daemon exists this drives the log directly: a station is
# created, a confiscation's hand-overs are recorded, a receipt is printed
# for the paper form, the log is verified offline, and then a copy of the
# database is tampered with and truncated to show that both are caught.
set -eu
B=${1:-build}
C="$B/custody"
D="$B/demo"
rm -rf "$D"
mkdir -p "$B"

say() { printf '\n== %s\n' "$*"; }

say "Create a station (state directory 0700, key 0600, certificate, log)"
"$C" station init --state "$D" --id demo.school.example/custody-1

ev() {
	"$C" log append --state "$D" --user "$1" --action "$2" \
	    --subject "$3" --data "$4" > "$D/last-receipt.txt"
}

say "Record a confiscation and its hand-overs"
ev mr.jones device.register '{"device":"DEV-0001","pupil":"P-1042"}' \
    '{"reason":"behaviour","seal":"SEAL-A1001","location":"main office safe","power":"off","description":"black phone, cracked case"}'
ev mrs.khan device.seal '{"device":"DEV-0001"}' \
    '{"old_seal":"SEAL-A1001","new_seal":"SEAL-A1002","why":"bag torn"}'
ev mrs.khan device.move '{"device":"DEV-0001"}' \
    '{"from":"main office safe","to":"DSL office safe"}'
ev ms.patel device.handover '{"device":"DEV-0001","case":"CASE-0001"}' \
    '{"officer":"PC 1234 Smith","force":"Kent Police","crime_reference":"KP/2026/0042","seal":"SEAL-A1002"}'
cp "$D/last-receipt.txt" "$D/handover-receipt.txt"

say "The hand-over receipt (for the paper form and the evidence bag)"
cat "$D/handover-receipt.txt"

say "The custody log"
"$C" log show --state "$D"

say "An inclusion proof of the hand-over event"
"$C" log proof 4 --state "$D"

say "Offline verification, against the receipt"
"$C" log verify --db "$D/custody.db" --against "$D/handover-receipt.txt"

say "Tamper with a copy: change the seal number recorded at event 1"
mkdir -p "$D/tampered"
cp "$D/custody.db" "$D/tampered/custody.db"
sqlite3 "$D/tampered/custody.db" "DROP TRIGGER events_ro;
    UPDATE events SET body = replace(body, 'SEAL-A1001', 'SEAL-B9999')
    WHERE seq = 1;"
if "$C" log verify --db "$D/tampered/custody.db"; then
	echo "demo: tampering was NOT detected" >&2
	exit 1
fi

say "Truncate a copy consistently: only the receipt can tell"
mkdir -p "$D/truncated"
cp "$D/custody.db" "$D/truncated/custody.db"
sqlite3 "$D/truncated/custody.db" "DROP TRIGGER events_nd;
    DROP TRIGGER tree_nd; DROP TRIGGER checkpoints_nd;
    DELETE FROM events WHERE seq >= 4;
    DELETE FROM tree WHERE idx >= (4 >> level) OR level > 2;
    DELETE FROM checkpoints WHERE size > 4;"
"$C" log verify --db "$D/truncated/custody.db" > /dev/null &&
    echo "without the receipt the shortened log looks whole;"
if "$C" log verify --db "$D/truncated/custody.db" \
    --against "$D/handover-receipt.txt"; then
	echo "demo: truncation was NOT detected" >&2
	exit 1
fi

say "Done"
echo "demo station: $D (database $D/custody.db)"
