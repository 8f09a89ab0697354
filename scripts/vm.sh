#!/bin/bash
# Boot a kernel under QEMU (TCG) with a busybox initramfs, load msgq.ko, run
# one command, unload, power off. The console goes to stdout and --log.
#
#   scripts/vm.sh --kernel BZIMAGE --module MSGQ.KO --payload DIR --cmd 'CMD'
#                 [--timeout SECS] [--smp N] [--mem MB] [--log FILE]
#                 [--append 'KERNEL ARGS'] [--accel tcg|kvm]
#
# DIR is copied to /opt/msgq in the guest; /opt/msgq/bin is on PATH and CMD
# runs in /opt/msgq. The guest marks its stages on the console with lines
# "MSGQ-RIG: ..." (insmod ok, dev ok, cmd rc=N, kmemleak ok, rmmod ok and
# finally "done rc=N"); scripts/scan-log.sh turns the log into a verdict.
# Exit status: 0 when the guest printed "done rc=0", 124 on host timeout,
# 1 otherwise.
set -eu

die() { echo "vm.sh: $*" >&2; exit 2; }

kernel= module= payload= cmd= log=
timeout=600 smp=2 mem=512 append= accel=${MSGQ_ACCEL:-tcg}
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "$1 needs an argument"
	case $1 in
	--kernel) kernel=$2 ;;
	--module) module=$2 ;;
	--payload) payload=$2 ;;
	--cmd) cmd=$2 ;;
	--timeout) timeout=$2 ;;
	--smp) smp=$2 ;;
	--mem) mem=$2 ;;
	--log) log=$2 ;;
	--append) append=$2 ;;
	--accel) accel=$2 ;;
	*) die "unknown option $1" ;;
	esac
	shift 2
done
[ -f "$kernel" ] || die "--kernel: no such file: $kernel"
[ -f "$module" ] || die "--module: no such file: $module"
[ -z "$payload" ] || [ -d "$payload" ] || die "--payload: no such dir: $payload"
[ -n "$cmd" ] || die "--cmd is required"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (apt-get install busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && die "$busybox is not static (apt-get install busybox-static)"

work=$(mktemp -d "${TMPDIR:-/tmp}/msgq-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,opt/msgq}
cp "$busybox" "$root/bin/busybox"
cp "$module" "$root/msgq.ko"
[ -z "$payload" ] || cp -a "$payload/." "$root/opt/msgq/"
printf '%s\n' "$cmd" >"$root/rig-cmd"

cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/opt/msgq/bin:/bin:/sbin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mark() { echo "MSGQ-RIG: $*"; }
finish() {
	mark "done rc=$1"
	sync
	# With -no-reboot a reset ends qemu; unlike poweroff it needs no ACPI.
	reboot -f
	sleep 10	# never let init exit
}
kml=/sys/kernel/debug/kmemleak
leakcheck() {
	[ -e $kml ] || return 0
	echo scan >$kml; sleep 5; echo scan >$kml
	if [ -n "$(cat $kml)" ]; then
		cat $kml
		mark "kmemleak FAILED ($1)"
		rc=1
	else
		mark "kmemleak ok ($1)"
	fi
}
rc=0
mark "boot ok $(uname -r)"
# Leaks from boot are not ours.
[ -e $kml ] && { echo scan >$kml; echo clear >$kml; }
if insmod /msgq.ko; then mark "insmod ok"; else mark "insmod FAILED"; finish 1; fi
i=0
while [ ! -c /dev/msgq ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ -c /dev/msgq ]; then
	mark "dev ok"
	mark "cmd start"
	(cd /opt/msgq && sh /rig-cmd)
	cmdrc=$?
	mark "cmd rc=$cmdrc"
	[ $cmdrc = 0 ] || rc=1
else
	mark "dev FAILED: /dev/msgq did not appear"
	rc=1
fi
leakcheck "after cmd"
if rmmod msgq; then mark "rmmod ok"; else mark "rmmod FAILED"; rc=1; fi
leakcheck "after rmmod"
finish $rc
INIT
chmod +x "$root/init" "$root/bin/busybox"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$work/initrd"

[ -n "$log" ] || log=$work/console.log
mkdir -p "$(dirname "$log")"
: >"$log"
qemu=(qemu-system-x86_64 -accel "$accel" -cpu max -smp "$smp" -m "$mem"
	-nographic -nic none -no-reboot -kernel "$kernel" -initrd "$work/initrd"
	-append "console=ttyS0 panic=-1 $append")
set +e
timeout -k 10 "$timeout" "${qemu[@]}" </dev/null 2>&1 | tee -a "$log"
st=${PIPESTATUS[0]}
set -e
if [ "$st" = 124 ] || [ "$st" = 137 ]; then
	echo "MSGQ-RIG-HOST: timeout: qemu killed after $timeout s" | tee -a "$log"
	exit 124
fi
tr -d '\r' <"$log" | grep -q '^MSGQ-RIG: done rc=0$' && exit 0
exit 1
