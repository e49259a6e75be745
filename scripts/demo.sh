#!/bin/sh
# make demo -- the main job end to end, in build/demo/ (made anew).
#
# A station is created and its daemon started; the technician adds the
# staff accounts; two phones are confiscated; one is searched with a
# parent's consent and released to the parent; the other, confiscated for
# suspected nude images, is refused a search, referred to the DSL, put in
# a case, referred to police and handed to a visiting officer, who
# countersigns.  Receipts are printed; the governors' report and the
# station status are shown; the DSL seals the case for the police
# (build/demo/export.tar.p7m, password in build/demo/export.password); then
# the daemon stops, the log is verified offline against the hand-over
# receipt, a tampered copy is caught, and the export is checked with
# stock openssl, tar and sha256sum, and with custody verify.
set -eu
B=${1:-build}
D="$B/demo"
C="$(pwd)/$B/custody"
CD="$(pwd)/$B/custodyd"
rm -rf "$D"
mkdir -p "$D/run" "$D/secrets"
chmod 700 "$D/secrets" "$D/run"
D="$(cd "$D" && pwd)"
export CUSTODY_SOCKET="$D/custodyd.sock"

say() { printf '\n== %s\n' "$*"; }

# Passwords for the demo accounts, in files only their user could read.
pw() {
	printf '%s\n' "$2" > "$D/secrets/$1"
	chmod 600 "$D/secrets/$1"
}
pw tech     "violet kettle harbour nine"
pw mr.jones "amber falcon river forty"
pw mrs.khan "tulip garden seventeen owls"
pw ms.patel "marble otter lantern five"
pw gov      "copper thistle meadow eight"
pw pc.smith "granite puffin station two"

# Runs the CLI as one person: each has their own session directory.
as() {
	u=$1
	shift
	mkdir -p "$D/run/$u"
	chmod 700 "$D/run/$u"
	XDG_RUNTIME_DIR="$D/run/$u" "$C" "$@"
}
login() { as "$1" login --user "$1" --password-file "$D/secrets/$1"; }

cat > "$D/custody.conf" <<CONF
# The demo runs as an unprivileged user in a temporary directory.
# kdf_log2n is lowered so the demo is quick: 'custody status' says so.
kdf_log2n = 12
CONF

say "Create the station (key, certificate, log) and its first admin"
"$CD" --init --config "$D/custody.conf" --state "$D" \
    --id demo.school.example/custody-1 --admin tech \
    --password-file "$D/secrets/tech"

say "Start custodyd"
"$CD" --config "$D/custody.conf" --state "$D" \
    --socket "$CUSTODY_SOCKET" 2> "$D/custodyd.log" &
DPID=$!
trap 'kill $DPID 2>/dev/null || true' EXIT
i=0
while [ ! -S "$CUSTODY_SOCKET" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done

say "The technician adds the staff accounts"
login tech
for u in "mr.jones staff" "mrs.khan slt" "ms.patel dsl" "gov auditor"; do
	set -- $u
	as tech user add --user "$1" --role "$2" \
	    --password-file "$D/secrets/tech" \
	    --new-password-file "$D/secrets/$1" > /dev/null
done
as tech user list
echo "(the technician cannot see devices:)"
as tech device list || true

say "Mr Jones confiscates two phones"
login mr.jones
as mr.jones device register --pupil P-1042 --reason behaviour \
    --location "main office safe" --seal A1001 --power off \
    --description "black phone, cracked case" | tee "$D/register-1.txt"
as mr.jones device register --pupil P-2077 --reason suspected_nudes \
    --location "main office safe" --seal A1002 --power off \
    --description "blue phone in a glitter case" | tee "$D/register-2.txt"

say "Mrs Khan (senior leader) searches the first with consent, releases it"
login mrs.khan
as mrs.khan device search DEV-0001 --consent-by parent_carer \
    --consent-name "Mr A Smith" --consent-how "by telephone, 10:05" \
    --good-reason "reports of threatening messages sent in class" \
    --found nothing > /dev/null
as mrs.khan device release DEV-0001 --to-name "Mr A Smith" \
    --relationship father --id-check "driving licence seen" \
    | tee "$D/release-receipt.txt"

say "The second is refused a search (suspected images) and referred"
as mrs.khan device search DEV-0002 --consent-by pupil \
    --consent-name "the pupil" --consent-how "in person" \
    --good-reason "to find the image" --found nothing || true
as mrs.khan device refer DEV-0002 \
    --reason "pupil says an image of another pupil was shared" > /dev/null

say "Ms Patel (DSL) opens a case, refers it to police, hands the phone over"
login ms.patel
as ms.patel case open --category nudes --devices DEV-0002 \
    --pupils P-2077 --summary "image shared in a year 9 group chat" \
    > /dev/null
as ms.patel case flag CASE-0001 --value yes \
    --why "the image appears to show a child under 13" > /dev/null
as ms.patel case refer CASE-0001 --force "Kent Police" \
    --crime-ref KP/2026/0042 --officer "PC 1234 Smith" \
    --password-file "$D/secrets/ms.patel" > /dev/null
as ms.patel case police CASE-0001 --user pc.smith \
    --officer "PC Smith" --collar 1234 \
    --password-file "$D/secrets/ms.patel" \
    --new-password-file "$D/secrets/pc.smith" > /dev/null
as ms.patel device handover DEV-0002 --officer-user pc.smith --seal A1002 \
    --password-file "$D/secrets/ms.patel" \
    --officer-password-file "$D/secrets/pc.smith" \
    | tee "$D/handover.txt"
sed -n '/^custody-receipt/,$p' "$D/handover.txt" > "$D/handover-receipt.txt"

say "The officer sees only the case referred under their crime reference"
login pc.smith
as pc.smith case list

say "The governor's report: figures, no names"
login gov
as gov report

say "The DSL's view of the station"
as ms.patel status

say "The DSL seals the case for the police"
printf '%s\n' "cobalt ferry willow eleven" > "$D/export.password"
chmod 600 "$D/export.password"
rm -f "$D/export.tar.p7m"
as ms.patel export CASE-0001 -o "$D/export.tar.p7m" \
    --password-file "$D/export.password" \
    --stepup-password-file "$D/secrets/ms.patel"

say "Stop the daemon; verify the log offline against the hand-over receipt"
kill "$DPID"
wait "$DPID" || true
trap - EXIT
"$C" log show --db "$D/custody.db"
"$C" log verify --db "$D/custody.db" \
    --against "$D/handover-receipt.txt"

say "Tamper with a copy: the seal number recorded at registration"
mkdir -p "$D/tampered"
cp "$D/custody.db" "$D/tampered/custody.db"
sqlite3 "$D/tampered/custody.db" "DROP TRIGGER events_ro;
    UPDATE events SET body = replace(body, 'A1002', 'B9999')
    WHERE action = 'device.register';"
if "$C" log verify --db "$D/tampered/custody.db"; then
	echo "demo: tampering was NOT detected" >&2
	exit 1
fi

say "The officer checks the export with stock tools (data/README.txt)"
rm -rf "$D/police"
mkdir -p "$D/police"
(
	cd "$D/police"
	openssl cms -decrypt -binary -inform DER -in ../export.tar.p7m \
	    -pwri_password "$(cat ../export.password)" -out B.tar
	tar xf B.tar
	cd custody-*
	openssl cms -verify -binary -inform DER \
	    -in tagmanifest-sha256.txt.p7s -content tagmanifest-sha256.txt \
	    -CAfile station.pem -purpose any -out /dev/null
	sha256sum -c tagmanifest-sha256.txt && sha256sum -c manifest-sha256.txt
	openssl x509 -noout -fingerprint -sha256 -in station.pem
)
"$C" verify "$D/export.tar.p7m" --password-file "$D/export.password" \
    --against "$D/handover-receipt.txt"

say "Done"
echo "demo station: $D (database $D/custody.db)"
echo "police export: $D/export.tar.p7m (password in $D/export.password)"
