#!/bin/sh
# Installs the Debian packages custody needs, if any is missing; any
# arguments name more (make fuzz adds clang and its libFuzzer runtime).
# As root: apt-get update, then apt-get install.  Otherwise: one line
# naming what to install, and a non-zero exit.
set -u
PKGS="gcc make pkg-config libssl-dev libsqlite3-dev libjansson-dev \
libcmocka-dev libseccomp-dev libarchive-dev libudev-dev libusb-1.0-0-dev umockdev \
libumockdev-dev udev usbmuxd libimobiledevice-dev libplist-dev \
libusbmuxd-dev libgphoto2-6 libmtp-common media-player-info \
openssl sqlite3 coreutils tar $*"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "custody: missing Debian packages:$missing; run as root: apt-get install$missing" >&2
	exit 1
fi
echo "custody: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null || {
	echo "custody: apt-get install$missing failed" >&2
	exit 1
}
