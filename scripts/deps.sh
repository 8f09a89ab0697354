#!/bin/sh
# Install what the VM rig needs (Debian 12, as root). Quick when all present.
set -eu

PKGS="linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static
kmod cpio gzip xz-utils make gcc libc6-dev"
# Packaging tests (scripts/test-packaging.sh): DKMS builds, man page lint,
# pkg-config.
PKGS="$PKGS dkms mandoc man-db pkg-config"
# linux-source-6.1: the kselftest headers, checkpatch.pl, and the source of
# the debug kernel (scripts/debug-kernel.sh), with what building it needs.
PKGS="$PKGS linux-source-6.1 bc flex bison libelf-dev libssl-dev"
# Module lint (scripts/lint-module.sh): sparse.
PKGS="$PKGS sparse"
# The event-loop examples (make examples, evloop_test): each library's
# headers, pkg-config file and static archive.
PKGS="$PKGS libuv1-dev libevent-dev libglib2.0-dev"
# Selftests: io_uring (uring_test).
PKGS="$PKGS liburing-dev"
# The 32-bit libmsgq and selftest flavours (gcc -m32, 32-bit libc).
PKGS="$PKGS gcc-multilib"
# The Debian packages (debian/, scripts/test-packaging.sh deb):
# dpkg-buildpackage, dh with dh_dkms, lintian.
PKGS="$PKGS dpkg-dev debhelper dh-dkms lintian"
# The debian target's image (scripts/debian-image.sh): mmdebstrap, a disk
# made without loop devices (sfdisk, mkfs.ext4 -d), qcow2 (qemu-img).
PKGS="$PKGS mmdebstrap fdisk e2fsprogs qemu-utils"
# The Python package's install test (scripts/test-packaging.sh): Debian's
# python3 with its headers and setuptools.
PKGS="$PKGS python3 python3-dev python3-setuptools"
# msgq-bridge (bridge/): the NATS C client, and nats-server for its tests.
PKGS="$PKGS libnats-dev nats-server"

missing=
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$s" = "install ok installed" ] || missing="$missing $p"
done
# Debian's 6.12 kernel (bookworm-security: linux-image-6.12.N+deb12-amd64
# and its headers), for the "6.12" guest and the second DKMS build. Any one
# installed will do; otherwise the newest the archive has, by exact name.
need612=0
"$(dirname "$0")/guest-kernel.sh" 6.12 >/dev/null 2>&1 || need612=1
[ -z "$missing" ] && [ $need612 = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	[ $need612 = 0 ] || missing="$missing linux-image-6.12.*+deb12-amd64"
	echo "deps: missing packages and not root; install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if [ $need612 = 1 ]; then
	v=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' |
		sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12-amd64\) .*/\1/p' |
		sort -V | tail -n1)
	if [ -z "$v" ]; then
		echo "deps: no linux-image-6.12.*+deb12-amd64 in the archive (bookworm-security)" >&2
		exit 1
	fi
	missing="$missing linux-image-$v linux-headers-$v"
fi
echo "deps: installing$missing"
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
