#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installing msgq on Debian 12 (or similar): the commands, kept in this one
# place. The README's install section shows them; make check's "debian"
# target runs this file, as it is, on a real Debian 12 system (a QEMU guest
# booted with Debian's kernel, systemd and udev: scripts/guest/debian-rig.sh).
# Every step but "app" runs as root from the top of a checkout.
#
#   packaging/install-steps.sh STEP...    run those steps, in order
#   packaging/install-steps.sh --list     the steps, in the order to run them
#   packaging/install-steps.sh --show STEP    print a step's commands
#
# Each step stops at its first failing command.
set -e

STEPS="tools dkms user check group modules-load app uninstall"

# 1. Tools, and the headers of the running kernel (and of every kernel
#    installed later: DKMS builds msgq for each kernel whose headers it sees).
step_tools() {
	apt-get install build-essential dkms pkg-config linux-headers-$(uname -r)
}

# 2. The module through DKMS: /usr/src/msgq-VERSION, dkms add, build,
#    install into /lib/modules/KERNEL/updates/dkms/; rebuilt by DKMS
#    (AUTOINSTALL) for every kernel installed later.
step_dkms() {
	make dkms-install
	modprobe msgq
	dkms status msgq
}

# 3. libmsgq, <msgq.h>, libmsgq.pc, the msgq command, the man pages and the
#    udev rule, under /usr/local.
step_user() {
	make install-user
}

# 4. Check it (one command a line: each failure stops the step).
step_check() {
	modprobe msgq
	msgq create hello
	msgq send hello "it works"
	msgq recv hello
	msgq ls
	msgq rm hello
}

# 5. Optional: only the members of group msgq may use /dev/msgq (the
#    installed rule lets everyone; each mailbox has its own owner and mode).
#    Add users with "usermod -aG msgq USER"; they see it at their next login.
step_group() {
	groupadd -f --system msgq
	echo 'KERNEL=="msgq", SUBSYSTEM=="misc", GROUP="msgq", MODE="0660"' \
		>/etc/udev/rules.d/60-msgq.rules
	udevadm control --reload
	modprobe -r msgq
	modprobe msgq
}

# 6. Optional: load msgq at every boot (systemd-modules-load).
step_modules_load() {
	make install-modules-load
}

# Any user: a program app.c (in the current directory) against the
# installed library, shared and static.
step_app() {
	cc -o app app.c $(pkg-config --cflags --libs libmsgq)
	cc -static -o app-static app.c $(pkg-config --static --cflags --libs libmsgq)
}

# Removing it all: the module and its DKMS sources and builds, the rest of
# "make install", the group variant's rule.
step_uninstall() {
	modprobe -r msgq
	make dkms-uninstall
	make uninstall
	rm -f /etc/udev/rules.d/60-msgq.rules
}

case ${1:-} in
--list) echo $STEPS; exit 0 ;;
--show)
	[ $# = 2 ] || { echo "usage: $0 --show STEP" >&2; exit 2; }
	f=step_$(echo "$2" | tr - _)
	sed -n "/^$f() {\$/,/^}\$/p" "$0" | sed '1d;$d;s/^\t//'
	exit 0
	;;
'' | -*) echo "usage: $0 STEP... | --list | --show STEP (steps: $STEPS)" >&2; exit 2 ;;
esac
for s in "$@"; do
	case " $STEPS " in
	*" $s "*) ;;
	*) echo "install-steps: no step $s (steps: $STEPS)" >&2; exit 2 ;;
	esac
done
for s in "$@"; do
	step_$(echo "$s" | tr - _)
done
