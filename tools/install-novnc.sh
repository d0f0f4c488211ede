#!/usr/bin/env bash
# noVNC's pages for the console proxy ([console_proxy] web), taken out of Debian's novnc
# package without installing it. The package Depends (not Recommends) on nodejs,
# python3-numpy, python3-novnc (oslo.config, PIL), websockify and net-tools for its own
# proxy and scripts: 83 packages on top of the all-in-one's. The console proxy uses none
# of them; it serves the static pages and relays with websockify from PyPI.
# The .deb is checked against the SHA256 of the archive's signed index. Idempotent: a
# second run with the same candidate version changes nothing (the version is kept in
# DEST.version). Called by tools/install.sh, as root.
#
#   tools/install-novnc.sh [DEST]     # default /usr/local/share/novnc
set -euo pipefail

DEST=${1:-/usr/local/share/novnc}
version=$(apt-cache policy novnc | awk '/Candidate:/ { print $2 }')
installed=$(cat "$DEST.version" 2>/dev/null || true)
if [ -f "$DEST/vnc_lite.html" ] && { [ "$installed" = "$version" ] \
        || [ -z "$version" ] || [ "$version" = "(none)" ]; }; then
    exit 0      # present (and the archive knows no other version)
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
    echo "install-novnc.sh: the archive has no novnc package (run apt-get update)" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chown _apt "$work" 2>/dev/null || true     # apt downloads as _apt where it can
(cd "$work" && apt-get download -qq "novnc=$version")
deb=$(echo "$work"/novnc_*.deb)
expected=$(apt-cache show "novnc=$version" | awk '/^SHA256:/ { print $2; exit }')
actual=$(sha256sum "$deb" | cut -d' ' -f1)
if [ -z "$expected" ] || [ "$actual" != "$expected" ]; then
    echo "install-novnc.sh: $deb has SHA256 $actual, the archive says '$expected'" >&2
    exit 1
fi
dpkg-deb -x "$deb" "$work/root"
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST.new"
cp -a "$work/root/usr/share/novnc" "$DEST.new"
rm -rf "$DEST"
mv "$DEST.new" "$DEST"
echo "$version" > "$DEST.version"
echo "==> noVNC $version pages in $DEST"
