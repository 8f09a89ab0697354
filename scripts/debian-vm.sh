#!/bin/bash
# Boot the Debian 12 image (scripts/debian-image.sh) under QEMU (TCG) with a
# checkout of msgq, and let the guest's rig (scripts/guest/debian-rig.sh)
# install and test msgq across its reboots. The console goes to stdout and
# --log.
#
#   scripts/debian-vm.sh --image IMAGE.qcow2 [--checkout DIR] [--timeout SECS]
#                        [--smp N] [--mem MB] [--log FILE] [--mode MODE]
#                        [--module MSGQ.KO] [--rig deb --debs DIR]
#
# --rig deb: the packages' pass instead (scripts/guest/debian-deb-rig.sh):
# the .debs in DIR (msgq-dkms, libmsgq1, libmsgq-dev, msgq-tools; built by
# scripts/test-packaging.sh deb) go into the payload as debs/, with the
# marker debs/.rig-deb that makes the guest's debian-rig.sh run
# debian-deb-rig.sh. --rig make (the default) is the make targets' pass.
#
# The image is never written: the guest's disk is a qcow2 overlay backed by
# it, in a scratch directory deleted at the end. The checkout (DIR, default
# this tree: its tracked and new files, nothing ignored) reaches the guest
# as a second disk, a tar archive with serial "msgq-payload" that the
# image's msgq-rig.service unpacks to /root/msgq at the first boot. The
# guest has no network. QEMU runs with -no-reboot: when the guest reboots
# (after printing "MSGQ-RIG: reboot") QEMU exits and is started again on
# the same overlay, at most 4 boots in all; grub in the image picks the
# kernel, as on a real machine. The results come back on the serial
# console: KTAP lines and "MSGQ-RIG: ..." markers (scripts/scan-log.sh).
# --timeout bounds the whole run, all boots together. --mode MODE (default
# full) goes into the payload as the checkout's .rig-mode: the rig's quick
# modes, one boot each ("python", "bench-python": debian-rig.sh), and
# --module a msgq.ko built on the host for the guest's 6.1 kernel, as
# .rig-module.ko, which a quick mode loads instead of building one under
# TCG (5 minutes).
# Exit status: 0 when the guest printed "done rc=0", 124 on host timeout,
# 1 otherwise.
set -eu

die() { echo "debian-vm.sh: $*" >&2; exit 2; }

image= checkout= log= timeout=1800 smp=2 mem=2048 mode=full module=
rig=make debs=
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "$1 needs an argument"
	case $1 in
	--image) image=$2 ;;
	--checkout) checkout=$2 ;;
	--timeout) timeout=$2 ;;
	--smp) smp=$2 ;;
	--mem) mem=$2 ;;
	--log) log=$2 ;;
	--mode) mode=$2 ;;
	--module) module=$2 ;;
	--rig) rig=$2 ;;
	--debs) debs=$2 ;;
	*) die "unknown option $1" ;;
	esac
	shift 2
done
[ -f "$image" ] || die "--image: no such file: $image"
image=$(cd "$(dirname "$image")" && pwd)/$(basename "$image")
[ -n "$checkout" ] || checkout=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$checkout/packaging/install-steps.sh" ] ||
	die "--checkout: not a checkout of msgq: $checkout"
case $rig in
make) [ -z "$debs" ] || die "--debs goes with --rig deb" ;;
deb)
	for p in msgq-dkms libmsgq1 libmsgq-dev msgq-tools; do
		ls "$debs/${p}_"*.deb >/dev/null 2>&1 ||
			die "--debs: no ${p}_*.deb in '$debs' (scripts/test-packaging.sh deb builds them)"
	done
	;;
*) die "--rig: make or deb, not $rig" ;;
esac

work=$(mktemp -d "${TMPDIR:-/var/tmp}/msgq-debian-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The image's lock, shared: scripts/debian-image.sh deletes no image in use.
exec 8<"$(dirname "$image")/.lock"
flock -s 8
qemu-img create -q -f qcow2 -F qcow2 -b "$image" "$work/disk.qcow2"
# The checkout as the user has it: what git tracks and what is new, not
# what it ignores (build products); a tree that is no git checkout whole,
# less build/.
# (safe.directory: root, as in CI, reading a clone of another user's.)
git=(git -c safe.directory="$checkout" -C "$checkout")
if "${git[@]}" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$checkout" && "${git[@]}" ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null --no-recursion -cf "$work/payload.tar" -T -)
else
	tar -C "$checkout" --exclude=./build -cf "$work/payload.tar" .
fi
if [ "$mode" != full ]; then
	printf '%s\n' "$mode" >"$work/.rig-mode"
	tar -C "$work" -rf "$work/payload.tar" .rig-mode
fi
if [ -n "$module" ]; then
	cp "$module" "$work/.rig-module.ko"
	tar -C "$work" -rf "$work/payload.tar" .rig-module.ko
fi

if [ "$rig" = deb ]; then
	mkdir -p "$work/extra/debs"
	for p in msgq-dkms libmsgq1 libmsgq-dev msgq-tools; do
		cp "$debs/${p}_"*.deb "$work/extra/debs/"
	done
	: >"$work/extra/debs/.rig-deb"
	tar -C "$work/extra" -rf "$work/payload.tar" debs
fi

[ -n "$log" ] || log=$work/console.log
mkdir -p "$(dirname "$log")"
: >"$log"
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp "$smp" -m "$mem"
	-nographic -nic none -no-reboot
	-drive "file=$work/disk.qcow2,if=none,id=root,format=qcow2,cache=unsafe"
	-device virtio-blk-pci,drive=root,bootindex=1
	-drive "file=$work/payload.tar,if=none,id=payload,format=raw,readonly=on"
	-device virtio-blk-pci,drive=payload,serial=msgq-payload)
deadline=$(($(date +%s) + timeout))
boot=0
while :; do
	boot=$((boot + 1))
	left=$((deadline - $(date +%s)))
	from=$(($(wc -l <"$log") + 1))
	if [ $left -le 0 ]; then
		st=124
	else
		echo "MSGQ-RIG-HOST: boot $boot, $left s left" | tee -a "$log"
		set +e
		timeout -k 10 "$left" "${qemu[@]}" </dev/null 2>&1 | tee -a "$log"
		st=${PIPESTATUS[0]}
		set -e
	fi
	if [ "$st" = 124 ] || [ "$st" = 137 ]; then
		echo "MSGQ-RIG-HOST: timeout: qemu killed after $timeout s" | tee -a "$log"
		exit 124
	fi
	# What this boot ended with (a boot that died says nothing).
	last=$(tail -n "+$from" "$log" | tr -d '\r' | grep '^MSGQ-RIG: ' | tail -n1)
	[ "$last" = "MSGQ-RIG: reboot" ] && [ $boot -lt 4 ] || break
done
echo "MSGQ-RIG-HOST: $boot boots in $((timeout - (deadline - $(date +%s)))) s" | tee -a "$log"
tr -d '\r' <"$log" | grep -q '^MSGQ-RIG: done rc=0$' && exit 0
exit 1
