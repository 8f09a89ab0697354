#!/bin/sh
# Print the newest Debian kernel image of SERIES (e.g. 6.1) in /boot that has
# matching headers, as "IMAGE KDIR". The version comes from the image's name,
# never from uname -r: the guest kernel is not the machine's kernel.
#   scripts/guest-kernel.sh SERIES
set -eu

for image in $(ls /boot/vmlinuz-"$1".* 2>/dev/null | sort -rV); do
	kdir=/usr/src/linux-headers-${image#/boot/vmlinuz-}
	if [ -f "$kdir/Makefile" ]; then
		echo "$image $kdir"
		exit 0
	fi
done
echo "guest-kernel: no /boot/vmlinuz-$1.* with headers in /usr/src" >&2
exit 1
