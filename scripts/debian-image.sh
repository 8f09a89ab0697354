#!/bin/bash
# scripts/debian-image.sh — build (or reuse) the Debian 12 image of make
# check's "debian" target, and print its path on the last stdout line.
#
#   image=$(scripts/debian-image.sh | tail -n1)     # .../image.qcow2
#
# The image is a real Debian 12 (bookworm) system made from Debian's
# packages with mmdebstrap: systemd as PID 1, udev, kmod, dkms,
# build-essential, pkg-config, man-db, sudo, python3 with python3-pytest,
# python3-dev, python3-setuptools and python3-sysv-ipc (python/), nats-server and
# libnats-dev (bridge/), grub-pc, and the guest kernels of the other targets (scripts/guest-kernel.sh,
# the exact releases installed on this machine): 6.1 installed with its
# headers, 6.12's packages (image, headers and what they pull in) only
# downloaded, into /var/cache/apt/archives, so that the guest, which has no
# network, upgrades to it with a plain "apt-get install". One ext4 partition
# on an MBR disk, made with mkfs.ext4 -d (no loop device, no mount); grub is
# installed by one boot of the image itself (init=msgq-image-provision).
# What the guest runs is not in the image: scripts/debian-vm.sh attaches the
# checkout, and the image's msgq-rig.service runs its
# scripts/guest/debian-rig.sh at every boot.
#
# Cached, like the debug kernel, in
#   ${MSGQ_CACHE:-/var/cache/msgq}/debian-image/<6.1 release>_<6.12 release>_<key>/
# where key is the sha256 (12 digits) of this script, less its comment
# lines, and the two releases: the script is the image's whole recipe. image.qcow2 there is read-only
# (mode 0444); a run boots a qcow2 overlay backed by it (scripts/debian-vm.sh)
# and never writes it. A later run with the same key only prints the path.
# Images of other keys are deleted after a successful build (each is about
# 1.5 GiB) unless MSGQ_KEEP_OLD_IMAGES=1. Concurrent runs serialise on a lock.
# The first build takes 2 to 4 minutes on 2 cores (mmdebstrap's download
# and install, the disk, a 40 s provisioning boot under TCG) and leaves a
# 1.4 GiB qcow2 (8 GiB virtual); the log is <key dir>/build.log.
#
# Needs (scripts/deps.sh): mmdebstrap, qemu-utils, fdisk, e2fsprogs,
# qemu-system-x86, and network access to Debian's archive (image build only).
{
set -euo pipefail

# Run by mmdebstrap inside the build: customize ROOT KVER_OLD KVER_NEW.
if [ "${1:-}" = --customize ]; then
	root=$2 kold=$3 knew=$4
	ch() { chroot "$root" "$@"; }
	echo msgq-debian >"$root/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tmsgq-debian\n' >"$root/etc/hosts"
	printf 'LABEL=msgqroot\t/\text4\terrors=remount-ro\t0\t1\n' >"$root/etc/fstab"
	ch systemd-machine-id-setup
	# A non-root user for the tests, and one to be kept out of a group.
	ch useradd --create-home --shell /bin/bash tester
	ch useradd --create-home --shell /bin/bash outsider
	# grub: on the serial console, no menu, the kernel's messages on it.
	# The newest kernel is the first entry, booted by default.
	cat >>"$root/etc/default/grub" <<-'EOF'

	# msgq test image (scripts/debian-image.sh)
	GRUB_TIMEOUT=0
	GRUB_TERMINAL=serial
	GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
	GRUB_CMDLINE_LINUX_DEFAULT=""
	GRUB_CMDLINE_LINUX="console=ttyS0,115200 panic=-1"
	GRUB_DISABLE_OS_PROBER=true
	EOF
	# Every kernel message on the console (scan-log.sh reads it there).
	echo 'kernel.printk = 7 4 1 7' >"$root/etc/sysctl.d/90-msgq-rig.conf"
	# Nothing in the background that would eat the guest's CPU: no
	# timers, no login prompt on the serial console the tests print to.
	for u in apt-daily.timer apt-daily-upgrade.timer man-db.timer \
		dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
		serial-getty@ttyS0.service; do
		ln -sf /dev/null "$root/etc/systemd/system/$u"
	done
	# An initramfs made in the guest holds the modules this machine needs
	# (MODULES=dep), not most of them: update-initramfs for 6.12 with
	# MODULES=most (its modules are compressed) takes over 15 minutes under
	# TCG, with dep well under one. The 6.1 one, made before this, keeps
	# Debian's default (most).
	cat >"$root/etc/initramfs-tools/conf.d/msgq-rig.conf" <<-'EOF'
	# msgq test image (scripts/debian-image.sh): only this machine's modules.
	MODULES=dep
	EOF
	printf 'boot_kernel=%s\nupgrade_kernel=%s\n' "$kold" "$knew" \
		>"$root/etc/msgq-rig.conf"

	# The one provisioning boot: grub into the MBR, grub.cfg, power off.
	cat >"$root/usr/local/sbin/msgq-image-provision" <<-'EOF'
	#!/bin/sh
	# PID 1 of the image's provisioning boot (scripts/debian-image.sh).
	export PATH=/usr/sbin:/usr/bin:/sbin:/bin
	if grub-install --target=i386-pc /dev/vda && update-grub; then
		echo "MSGQ-IMAGE: provisioned"
	else
		echo "MSGQ-IMAGE: provisioning FAILED"
	fi
	sync
	mount -o remount,ro /
	echo b >/proc/sysrq-trigger
	EOF
	# At every boot: the checkout, attached by scripts/debian-vm.sh as a
	# tar "disk" with serial msgq-payload, is unpacked to /root/msgq once;
	# then its scripts/guest/debian-rig.sh runs, printing to the console.
	cat >"$root/usr/local/sbin/msgq-rig-boot" <<-'EOF'
	#!/bin/sh
	# msgq-rig.service (scripts/debian-image.sh): make check's debian target.
	dev=/dev/disk/by-id/virtio-msgq-payload
	i=0
	while [ ! -e $dev ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
	if [ ! -e $dev ]; then
		echo "msgq-rig: no payload disk ($dev), nothing to do"
		exit 0
	fi
	if [ ! -d /root/msgq ]; then
		mkdir /root/msgq.new && tar -xf $dev -C /root/msgq.new &&
			mv /root/msgq.new /root/msgq || exit 1
	fi
	exec /bin/sh /root/msgq/scripts/guest/debian-rig.sh
	EOF
	chmod 755 "$root/usr/local/sbin/msgq-image-provision" \
		"$root/usr/local/sbin/msgq-rig-boot"
	cat >"$root/etc/systemd/system/msgq-rig.service" <<-'EOF'
	[Unit]
	Description=msgq test rig (make check, debian target)
	After=systemd-user-sessions.service systemd-modules-load.service

	[Service]
	Type=exec
	ExecStart=/usr/local/sbin/msgq-rig-boot
	StandardInput=null
	StandardOutput=tty
	StandardError=inherit
	TTYPath=/dev/ttyS0
	TTYReset=no
	TTYVHangup=no
	Environment=HOME=/root LANG=C.UTF-8

	[Install]
	WantedBy=multi-user.target
	EOF
	ch systemctl enable msgq-rig.service
	# The kernel upgrade's packages, downloaded only: apt's cache holds
	# them and nothing else (its lists are kept, as after "apt update").
	# With their Recommends (apparmor), as the guest's apt installs them.
	ch apt-get clean
	ch apt-get install --download-only -y -q -o APT::Install-Recommends=true \
		"linux-image-$knew" "linux-headers-$knew"
	exit 0
fi

# Only the final path goes to the real stdout.
exec 3>&1 1>&2
log() { printf 'debian-image: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
repo=$(dirname "$(dirname "$self")")
cache_root=${MSGQ_CACHE:-/var/cache/msgq}
for tool in mmdebstrap sfdisk mkfs.ext4 qemu-img qemu-system-x86_64 flock sha256sum; do
	command -v "$tool" >/dev/null || die "missing $tool (scripts/deps.sh installs it)"
done
[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap, file ownership in the image)"

release() {
	local image
	image=$("$repo/scripts/guest-kernel.sh" "$1" | cut -d' ' -f1) || return 1
	basename "$image" | sed 's/^vmlinuz-//'
}
kold=$(release 6.1) || die "no 6.1 kernel with headers (scripts/deps.sh)"
knew=$(release 6.12) || die "no 6.12 kernel with headers (scripts/deps.sh)"
key=$( (grep -v '^[[:space:]]*#' "$self"; echo "$kold $knew") | sha256sum | cut -c1-12)
top=$cache_root/debian-image
dir=$top/${kold}_${knew}_$key
image=$dir/image.qcow2
mkdir -p "$dir"

# The lock: shared to use the image (here and in scripts/debian-vm.sh),
# exclusive to build it or to delete it.
exec 9>"$dir/.lock"
reuse() {
	[ -f "$dir/.done" ] && [ -f "$image" ] || return 1
	log "reusing $image"
	echo "$image" >&3
	exit 0
}
flock -s 9
reuse || :
flock 9
reuse || :

start=$(date +%s)
work=$dir/work
rm -rf "$work" "$image"
mkdir -p "$work"
blog=$dir/build.log
: >"$blog"
fail() {
	log "ERROR: $* (log: $blog); its tail:"
	tail -n 40 "$blog" >&2
	exit 1
}

log "building the image for $kold (+ $knew) in $dir (log: $blog)"
log "mmdebstrap: Debian 12 with systemd, udev, dkms, build-essential, kernels..."
pkgs=systemd,systemd-sysv,udev,kmod,dbus,dkms,openssl,build-essential,pkg-config
pkgs=$pkgs,man-db,sudo,python3,python3-pytest,initramfs-tools,zstd,e2fsprogs,grub-pc
# The Python package (python/): its build, and sysv_ipc for make bench-python.
pkgs=$pkgs,python3-dev,python3-setuptools,python3-sysv-ipc
pkgs=$pkgs,nats-server,libnats-dev
pkgs=$pkgs,linux-image-$kold,linux-headers-$kold
mmdebstrap --variant=apt --include="$pkgs" \
	--skip=cleanup/apt/lists,cleanup/apt/cache \
	--customize-hook="\"$self\" --customize \"\$1\" $kold $knew" \
	bookworm "$work/root" >>"$blog" 2>&1 || fail "mmdebstrap failed"

# The provisioning boot uses the image's own kernel and initramfs.
cp "$work/root/boot/vmlinuz-$kold" "$work/root/boot/initrd.img-$kold" "$work/"

log "disk: MBR, one ext4 partition from the tree (mkfs.ext4 -d)"
size_mib=8192
raw=$work/disk.raw
truncate -s ${size_mib}M "$raw"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$raw" >>"$blog" 2>&1 ||
	fail "sfdisk failed"
mkfs.ext4 -q -F -L msgqroot -E offset=$((2048 * 512)) -d "$work/root" "$raw" \
	$(((size_mib - 1) * 1024))k >>"$blog" 2>&1 || fail "mkfs.ext4 -d failed"
rm -rf "$work/root"
qemu-img convert -O qcow2 "$raw" "$work/image.qcow2" >>"$blog" 2>&1 ||
	fail "qemu-img convert failed"
rm -f "$raw"

log "provisioning boot: grub-install, update-grub (TCG)"
timeout -k 10 900 qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 \
	-nographic -nic none -no-reboot \
	-drive "file=$work/image.qcow2,if=virtio,format=qcow2" \
	-kernel "$work/vmlinuz-$kold" -initrd "$work/initrd.img-$kold" \
	-append "root=LABEL=msgqroot rw console=ttyS0 panic=-1 init=/usr/local/sbin/msgq-image-provision" \
	</dev/null >>"$blog" 2>&1 || true
tr -d '\r' <"$blog" | grep -q '^MSGQ-IMAGE: provisioned$' ||
	fail "the provisioning boot did not install grub"

mv "$work/image.qcow2" "$image"
chmod 0444 "$image"
rm -rf "$work"
touch "$dir/.done"
log "built in $(($(date +%s) - start)) s: $image ($(du -h "$image" | cut -f1) on disk, \
$(qemu-img info --output=json "$image" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p' | head -n1) bytes virtual)"

if [ "${MSGQ_KEEP_OLD_IMAGES:-0}" != 1 ]; then
	for old in "$top"/*/; do
		old=${old%/}
		[ "$old" = "$dir" ] && continue
		# Not one being built or booted (they hold its lock).
		if (exec 8>"$old/.lock" && flock -n 8); then
			log "deleting the image of another recipe: $old"
			rm -rf "$old"
		fi
	done
fi
echo "$image" >&3
exit 0
}
