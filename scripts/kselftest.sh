#!/bin/sh
# Extract the kselftest harness from Debian's linux-source-6.1 tarball into
# DEST (default build/kselftest), laid out as tools/testing/selftests/ so
# that lib.mk and kselftest/runner.sh work as in the kernel tree.
set -eu

DEST=${1:-build/kselftest}
TARBALL=${KSELFTEST_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
FILES="kselftest_harness.h kselftest.h lib.mk kselftest/runner.sh kselftest/prefix.pl"

have=1
for f in $FILES; do
	[ -f "$DEST/$f" ] || have=0
done
[ $have = 1 ] && exit 0

[ -f "$TARBALL" ] || { echo "kselftest: $TARBALL missing (apt-get install linux-source-6.1)" >&2; exit 1; }
top=$(basename "$TARBALL" .tar.xz)
st=$top/tools/testing/selftests
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
list=
for f in $FILES; do list="$list $st/$f"; done
echo "kselftest: extracting harness from $TARBALL"
# shellcheck disable=SC2086
tar -xJf "$TARBALL" -C "$tmp" $list
mkdir -p "$DEST/kselftest"
for f in $FILES; do cp "$tmp/$st/$f" "$DEST/$f"; done
