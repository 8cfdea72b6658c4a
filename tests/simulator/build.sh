#!/bin/sh
# Build the tenantdr-vcsim launcher (tests/simulator/vcsim) to $REPO/.build/bin/tenantdr-vcsim.
#
# Uses Debian's golang-go and golang-github-vmware-govmomi-dev in GOPATH mode (no module proxy
# here): GOPATH=$REPO/.build/gopath:/usr/share/gocode, GOCACHE=$REPO/.build/gocache.
# Rebuilds only when a .go file (or this script) is newer than the binary. Exits non-zero on failure.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SRC="$HERE/vcsim"
OUT="$REPO/.build/bin/tenantdr-vcsim"

if [ -x "$OUT" ] && [ -z "$(find "$SRC" "$HERE/build.sh" -newer "$OUT" \( -name '*.go' -o -name build.sh \) 2>/dev/null | head -n 1)" ]; then
    echo "tenantdr-vcsim is up to date: $OUT"
    exit 0
fi

command -v go >/dev/null 2>&1 || { echo "build.sh: 'go' not found (apt-get install golang-go golang-github-vmware-govmomi-dev)" >&2; exit 1; }
[ -d /usr/share/gocode/src/github.com/vmware/govmomi/simulator ] || {
    echo "build.sh: govmomi simulator sources missing (apt-get install golang-github-vmware-govmomi-dev)" >&2; exit 1; }

mkdir -p "$REPO/.build/bin" "$REPO/.build/gopath" "$REPO/.build/gocache"
echo "building $OUT ..."
cd "$SRC"
# build to a temporary name, then rename: a failed or interrupted build never leaves a stale binary newer than the sources
GO111MODULE=off GOFLAGS= GOPATH="$REPO/.build/gopath:/usr/share/gocode" GOCACHE="$REPO/.build/gocache" \
    go build -o "$OUT.tmp.$$" .
mv -f "$OUT.tmp.$$" "$OUT"
echo "built $OUT"
