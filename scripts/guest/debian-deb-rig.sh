#!/bin/sh
# make check's "debian" target, second pass: msgq installed from its Debian
# packages (debian/, built on the host by scripts/test-packaging.sh deb)
# instead of make targets, on a fresh overlay of the same Debian 12 image.
# scripts/debian-vm.sh --rig deb hands the four .debs in with the checkout,
# in /root/msgq/debs/ with the marker debs/.rig-deb, which makes
# scripts/guest/debian-rig.sh (run at every boot by msgq-rig.service) exec
# this file instead. As root:
#   boot 1 (6.1)  apt-get install ./*.deb (no network: the image has dkms,
#                 build-essential and the headers, apt-get -s says it
#                 installs the four packages and nothing else);
#                 msgq-dkms's postinst has DKMS build msgq for the running
#                 kernel, signed; modprobe; /dev/msgq by the packaged udev
#                 rule; a non-root user builds a program with pkg-config
#                 (libmsgq-dev), shared and static, and runs it and the
#                 msgq CLI; the man pages; tools/cli_test.sh; reboot
#   boot 2 (6.1)  msgq loaded by systemd-modules-load from msgq-tools'
#                 modules-load.d snippet; apt-get purge of the four
#                 packages leaves no file behind; power off
# No kernel upgrade here: the make pass (debian-rig.sh) does that.
# Prints KTAP like debian-rig.sh ("ok N selftests: debian-deb: STEP", each
# step's output nested under "#   ") and the same MSGQ-RIG markers.
set -u

top=/root/msgq
debs=$top/debs
state=/var/lib/msgq-rig
PLAN=17
PKGS="msgq-tools libmsgq-dev libmsgq1 msgq-dkms"
# boot_kernel (6.1): scripts/debian-image.sh.
. /etc/msgq-rig.conf
version=$(cat $top/VERSION)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
export DEBIAN_FRONTEND=noninteractive
cd $top || exit 1
mkdir -p $state
n=$(cat $state/n 2>/dev/null || echo 0)
bad=$(cat $state/bad 2>/dev/null || echo 0)
boot=$(($(cat $state/boot 2>/dev/null || echo 0) + 1))
echo $boot >$state/boot

mark() { echo "MSGQ-RIG: $*"; }
save() { echo $n >$state/n; echo $bad >$state/bad; sync; }
finish() {
	[ "$1" = 0 ] && [ $bad = 0 ] || bad=1
	save
	mark "done rc=$bad"
	systemctl poweroff --no-block
	exit 0
}
reboot_guest() {
	save
	mark "reboot"
	systemctl reboot --no-block
	exit 0
}
# step DESC CMD...: one TAP line for CMD, its output nested under "#   "
# with the guest's uptime (as debian-rig.sh). step_must: no going on
# without it.
step() {
	local desc=$1 start rc
	shift
	n=$((n + 1))
	echo "# selftests: debian-deb: $desc"
	start=$(date +%s)
	{ (eval "$*") </dev/null; echo $? >$state/rc; } 2>&1 | stamp
	rc=$(cat $state/rc)
	echo "# $desc: $(($(date +%s) - start)) s"
	if [ "$rc" = 0 ]; then
		echo "ok $n selftests: debian-deb: $desc"
	else
		bad=1
		echo "not ok $n selftests: debian-deb: $desc # exit=$rc"
	fi
	save
	[ "$rc" = 0 ]
}
stamp() {
	local l up
	while IFS= read -r l; do
		read -r up _ </proc/uptime
		printf '#   [%8s] %s\n' "$up" "$l"
	done
}
step_must() { step "$@" || finish 1; }
as_user() { runuser -l "$1" -c "$2"; }
show() { echo "\$ $*"; "$@" 2>&1; }

# The system's files but logs, caches, apt's and dpkg's state, homes,
# /boot and the rig's own (as debian-rig.sh).
files() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run \
		-o -path /tmp -o -path /var/tmp -o -path /var/log -o -path /var/cache \
		-o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /var/lib/systemd \
		-o -path /var/lib/initramfs-tools -o -path $state -o -path /root \
		-o -path /home -o -path /boot -o -path /lost+found \) -prune \
		-o \( -type f -o -type l \) -print | sort
}

# ---------------------------------------------------------------- checks
check_boot() {	# KERNEL
	local st
	st=$(systemctl is-system-running --wait)
	show systemctl --failed --no-legend
	echo "system: $st; kernel $(uname -r); PID 1 $(cat /proc/1/comm)"
	[ "$(uname -r)" = "$1" ] && [ "$(cat /proc/1/comm)" = systemd ] &&
		systemctl -q is-active systemd-udevd &&
		case $st in running | degraded) true ;; *) false ;; esac
}
dkms_log() { show cat /var/lib/dkms/msgq/"$version"/build/make.log; }
check_install() {	# apt-get install of the four .debs, offline
	local d
	show ls -l $debs
	d=$(for p in $PKGS; do ls ./debs/"${p}"_*.deb; done)
	# Nothing but the four to install: the image has every dependency,
	# and the guest no network. (Not --no-download: apt 2.6 then fails on
	# local files, "Internal Error, Pathname to install is not absolute".)
	# shellcheck disable=SC2086
	apt-get install -s -q $d >$state/sim 2>&1
	cat $state/sim
	[ "$(grep -c '^Inst ' $state/sim)" = 4 ] || return 1
	for p in $PKGS; do grep -q "^Inst $p " $state/sim || return 1; done
	# shellcheck disable=SC2086
	apt-get install -y -q $d || { dkms_log; return 1; }
	show dpkg-query -W $PKGS
	for p in $PKGS; do
		[ "$(dpkg-query -W -f='${Status}' $p)" = "install ok installed" ] ||
			return 1
	done
}
check_built() {	# KERNEL: DKMS built and installed msgq/VERSION, signed
	local ko signer
	show dkms status msgq
	ko=$(modinfo -k "$1" -n msgq 2>&1)
	signer=$(modinfo -k "$1" -F signer msgq 2>&1)
	echo "module: $ko; version $(modinfo -k "$1" -F version msgq); signer: $signer"
	case $ko in /lib/modules/$1/updates/dkms/msgq.ko*) ;; *) dkms_log; return 1 ;; esac
	[ "$(modinfo -k "$1" -F version msgq)" = "$version" ] && [ -n "$signer" ] &&
		dkms status msgq -k "$1" | grep -q ": installed"
}
check_dev() {	# /dev/msgq 0666 root:root, set by the packaged rule
	local got
	udevadm settle
	got=$(stat -c '%a %U %G' /dev/msgq)
	echo "/dev/msgq: $got (want 666 root root)"
	udevadm test /sys/class/misc/msgq 2>&1 | grep '60-msgq.rules' >$state/udev
	cat $state/udev
	[ "$got" = "666 root root" ] &&
		grep -q '/lib/udev/rules.d/60-msgq.rules' $state/udev && return 0
	show ls -l /dev/msgq
	show udevadm info /dev/msgq
	show dpkg -L msgq-tools
	return 1
}
check_app() {	# tester builds examples/demo.c with pkg-config, runs it
	as_user tester 'cd app &&
		cc -o app app.c $(pkg-config --cflags --libs libmsgq) &&
		cc -static -o app-static app.c $(pkg-config --static --cflags --libs libmsgq) &&
		ldd ./app && ./app && ./app-static' || return 1
	# libmsgq1's, by either name of merged /usr (ld.so.cache says /lib).
	as_user tester 'ldd app/app' |
		grep -Eq "libmsgq.so.1 => (/usr)?/lib/$ma/libmsgq.so.1 " && return 0
	echo "app/app: not linked with libmsgq1's /usr/lib/$ma/libmsgq.so.1"
	return 1
}
check_cli() {	# tester: msgq from PATH
	local got
	got=$(as_user tester 'command -v msgq && msgq create t-deb &&
		msgq send t-deb "from the package" && msgq recv t-deb &&
		msgq rm t-deb' 2>&1)
	echo "$got"
	[ "$got" = "/usr/bin/msgq
from the package" ]
}
check_modules_load() {	# msgq loaded by systemd-modules-load, no modprobe
	journalctl -b -o short-monotonic |
		grep -e 'Inserted module' -e 'systemd-modules-load' >$state/ml
	echo "msgq in /sys/module: $([ -d /sys/module/msgq ] && echo yes || echo no)"
	cat $state/ml
	[ -d /sys/module/msgq ] && grep -q "Inserted module 'msgq'" $state/ml && return 0
	show systemctl status systemd-modules-load.service
	show ls -l /usr/lib/modules-load.d /etc/modules-load.d
	return 1
}
check_nothing_left() {	# the system's files before the install, and none more
	local p st
	files >$state/files.after
	# DKMS's signing key is DKMS's (made at its first signing; a user
	# enrolls it once, for every module).
	comm -13 $state/files.before $state/files.after |
		grep -v '^/var/lib/dkms/mok\.' >$state/left || true
	show dpkg-query -W $PKGS
	show dkms status
	if [ -s $state/left ]; then
		echo "left behind:"
		cat $state/left
		return 1
	fi
	for p in $PKGS; do
		st=$(dpkg-query -W -f='${Status}' $p 2>/dev/null)
		case $st in
		'' | *' not-installed') ;;
		*) echo "$p: dpkg says: $st"; return 1 ;;
		esac
	done
}

# ------------------------------------------------------------------ boots
case $boot in
1)
	echo "TAP version 13"
	echo "1..$PLAN"
	step_must "boot 1: $boot_kernel by grub, systemd, udev (fresh overlay)" \
		check_boot "$boot_kernel"
	files >$state/files.before
	install -d -o tester -g tester /home/tester/app
	install -m 644 -o tester -g tester examples/demo.c /home/tester/app/app.c
	step_must "apt-get install ./debs/{$(echo $PKGS | tr ' ' ,)}_*.deb (no network: -s installs the four, nothing else)" \
		check_install
	step_must "msgq-dkms: DKMS built msgq $version for $boot_kernel, installed, signed" \
		check_built "$boot_kernel"
	step_must "modprobe msgq (the DKMS build)" \
		"modprobe msgq && [ -d /sys/module/msgq ]"
	mark "insmod ok (modprobe msgq)"
	step "msgq-tools: /lib/udev/rules.d/60-msgq.rules read, /dev/msgq 0666 root:root" \
		check_dev
	step "libmsgq-dev (as tester): cc with pkg-config --cflags --libs libmsgq, and --static; both run" \
		check_app
	step "msgq-tools (as tester): msgq from PATH creates, sends, receives" check_cli
	step "tester: man msgq, man msgq_send, man 4 msgq (packaged) render" \
		"runuser -l tester -c 'man msgq | grep -q \"^NAME\" && man msgq_send | grep -q \"^NAME\" && man 4 msgq | grep -q \"^NAME\"'"
	step "tools/cli_test.sh /usr/bin/msgq (root)" "sh tools/cli_test.sh /usr/bin/msgq"
	step_must "msgq-tools: /usr/lib/modules-load.d/msgq.conf says msgq" \
		"grep -qx msgq /usr/lib/modules-load.d/msgq.conf"
	reboot_guest
	;;
2)
	step_must "boot 2 (reboot): $boot_kernel" check_boot "$boot_kernel"
	step "reboot: systemd-modules-load loaded msgq (the packaged snippet), no modprobe" \
		check_modules_load
	step "reboot: /dev/msgq by the packaged rule" check_dev
	step "reboot: tester's program and msgq work" "check_app && check_cli"
	step "apt-get purge $PKGS" \
		"apt-get purge -y -q $PKGS && ! dkms status msgq | grep -q ."
	step "modprobe -r msgq (the module stays loaded through the purge)" \
		"modprobe -r msgq; rmmod msgq 2>/dev/null; [ ! -d /sys/module/msgq ]"
	step "purge: no file of msgq left (the system's files before the install)" \
		check_nothing_left
	finish 0
	;;
*)
	echo "debian-deb-rig: boot $boot: nothing left to do"
	finish 1
	;;
esac
