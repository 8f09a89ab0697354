#!/bin/sh
# Install what the VM rig needs (Debian 12, as root). Quick when all present.
set -eu

PKGS="linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static
kmod cpio gzip xz-utils make gcc libc6-dev"
# linux-source-6.1 only provides the kselftest headers; skip it when they
# have already been extracted.
[ -f "${KSELFTEST_DIR:-build/kselftest}/kselftest_harness.h" ] ||
	PKGS="$PKGS linux-source-6.1"

missing=
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$s" = "install ok installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages and not root; install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
