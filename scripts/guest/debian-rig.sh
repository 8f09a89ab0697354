#!/bin/sh
# make check's "debian" target, inside the guest: a Debian 12 system booted
# by grub with Debian's kernel and initramfs, systemd as PID 1
# (scripts/debian-image.sh). msgq-rig.service runs this at every boot, as
# root, from the checkout in /root/msgq (scripts/debian-vm.sh hands it in).
# It installs msgq the way the README says, by running the README's
# commands from packaging/install-steps.sh as they are, and checks each
# step as a user would see it:
#   boot 1 (6.1)  tools, DKMS install, udev, make install-user, a non-root
#                 user's CLI, program (pkg-config, shared and static) and
#                 man pages, the group-only udev rule, modules-load.d;
#                 reboot
#   boot 2 (6.1)  msgq loaded at boot by systemd-modules-load, /dev/msgq
#                 with the rule's owner and mode; the kernel upgrade: apt-get
#                 install of the 6.12 packages (no network: they are in
#                 apt's cache), DKMS builds msgq for it (AUTOINSTALL), grub
#                 boots it by default; reboot
#   boot 3 (6.12) msgq loaded at boot and working on the new kernel; the
#                 Python package: make install-python, import msgq and
#                 its tests (pytest) as tester; msgq-bridge's tests
#                 (scripts/guest/bridge-test.sh); the uninstall leaves no
#                 file of msgq behind; power off
# Quick modes, one boot each, for working on one part (scripts/debian-vm.sh
# --mode MODE puts MODE in the checkout's .rig-mode): "python" installs
# the tools, libmsgq and a module built with make module (no DKMS, no
# reboot; or the .rig-module.ko debian-vm.sh --module put in) and runs the
# Python steps; "bench-python" the same, then (no tests) reboots with the
# kernel's clock on the TSC, as make bench's guest, and runs
# python/bench.py (make bench-python; it needs --module); "bridge" the
# same install, then msgq-bridge's steps (counts from .rig-bridge.env if
# the checkout has one), "bench-bridge" only its benchmark (make
# bench-bridge). No mode file:
# the whole run above.
# Prints KTAP on the console like scripts/guest/run-selftests.sh, one
# "ok N selftests: debian: STEP" line per step (scripts/scan-log.sh counts
# them), each step's output nested under "#   " as it runs, "# STEP: N s"
# with its time, and the rig's markers: "MSGQ-RIG: insmod ok" once msgq is loaded,
# "MSGQ-RIG: reboot" before each reboot (scripts/debian-vm.sh boots the
# guest again), "MSGQ-RIG: done rc=N" at the end. A step that runs tests
# of its own (pytest) nests one "# ok N NAME" line per test before its
# own line, which scan-log.sh counts as that step's cases.
set -u

top=/root/msgq
# The packages' pass (scripts/debian-vm.sh --rig deb): its own rig.
[ -f $top/debs/.rig-deb ] && exec /bin/sh $top/scripts/guest/debian-deb-rig.sh
steps=$top/packaging/install-steps.sh
state=/var/lib/msgq-rig
PLAN=$((28 + 13))	# 13: BRIDGE_STEPS
mode=$(cat $top/.rig-mode 2>/dev/null || echo full)
# boot_kernel (6.1) and upgrade_kernel (6.12): scripts/debian-image.sh.
. /etc/msgq-rig.conf
version=$(cat $top/VERSION)
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
# step DESC CMD...: one TAP line for CMD (a command line, run in a
# subshell: it may call the check_* functions). Its output is shown as it
# comes, nested under "#   " and stamped with the guest's uptime, so that a
# failure, or a step the host's time limit (scripts/debian-vm.sh) ends,
# shows what it did. step_must: the run cannot go on without it.
step() {
	local desc=$1 start rc
	shift
	n=$((n + 1))
	echo "# selftests: debian: $desc"
	start=$(date +%s)
	{ (eval "$*") </dev/null; echo $? >$state/rc; } 2>&1 | stamp
	rc=$(cat $state/rc)
	echo "# $desc: $(($(date +%s) - start)) s"
	# The step's own tests, as cases of it (step_cases).
	if [ -n "$step_cases" ]; then
		grep -E '^(not )?ok [0-9]+ ' "$step_cases" | sed 's/^/# /'
		rm -f "$step_cases"
		step_cases=
	fi
	if [ "$rc" = 0 ]; then
		echo "ok $n selftests: debian: $desc"
	else
		bad=1
		echo "not ok $n selftests: debian: $desc # exit=$rc"
	fi
	save
	[ "$rc" = 0 ]
}
step_cases=
stamp() {
	local l up
	while IFS= read -r l; do
		read -r up _ </proc/uptime
		printf '#   [%8s] %s\n' "$up" "$l"
	done
}
step_must() { step "$@" || finish 1; }
as_user() { runuser -l "$1" -c "$2"; }
# The device node as "MODE OWNER GROUP", e.g. "666 root root".
devmode() { stat -c '%a %U %G' /dev/msgq; }
# show CMD...: CMD, with its command line before its output.
show() { echo "\$ $*"; "$@" 2>&1; }

# The files of the system, but for what is not msgq's business: logs,
# caches, apt's and dpkg's state, homes, /boot, the rig's own files.
files() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run \
		-o -path /tmp -o -path /var/tmp -o -path /var/log -o -path /var/cache \
		-o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /var/lib/systemd \
		-o -path /var/lib/initramfs-tools -o -path $state -o -path /root \
		-o -path /home -o -path /boot -o -path /lost+found \) -prune \
		-o \( -type f -o -type l \) -print | sort
}

# ---------------------------------------------------------------- checks
check_boot() {	# KERNEL: the running system is what we asked for
	local st
	st=$(systemctl is-system-running --wait)
	show systemctl --failed --no-legend
	echo "system: $st; kernel $(uname -r); PID 1 $(cat /proc/1/comm)"
	echo "cmdline: $(cat /proc/cmdline)"
	[ "$(uname -r)" = "$1" ] && [ "$(cat /proc/1/comm)" = systemd ] &&
		systemctl -q is-active systemd-udevd &&
		grep -q '^12\.' /etc/debian_version &&
		grep -q "BOOT_IMAGE=/boot/vmlinuz-$1 " /proc/cmdline &&
		dmesg | grep -q 'Freeing initrd memory' &&
		case $st in running | degraded) true ;; *) false ;; esac
}
check_loaded() {	# KERNEL: msgq from DKMS, VERSION, signed, loaded
	local ko signer
	ko=$(modinfo -k "$1" -n msgq)
	signer=$(modinfo -k "$1" -F signer msgq)
	echo "module: $ko; version $(modinfo -k "$1" -F version msgq); signer: $signer"
	show dkms status msgq -k "$1"
	show lsmod
	case $ko in /lib/modules/$1/updates/dkms/msgq.ko*) ;; *) return 1 ;; esac
	[ "$(modinfo -k "$1" -F version msgq)" = "$version" ] && [ -n "$signer" ] &&
		dkms status msgq -k "$1" | grep -q ": installed" &&
		[ -d /sys/module/msgq ]
}
check_dev() {	# "MODE OWNER GROUP" of /dev/msgq, with udev's view on failure
	local got
	udevadm settle
	got=$(devmode)
	echo "/dev/msgq: $got (want $1)"
	[ "$got" = "$1" ] && return 0
	show ls -l /dev/msgq
	show udevadm info /dev/msgq
	show cat /usr/local/lib/udev/rules.d/60-msgq.rules /etc/udev/rules.d/60-msgq.rules
	return 1
}
check_user() {	# USER: the CLI from PATH, then the program built with pkg-config
	local u=$1 got
	got=$(as_user "$u" 'command -v msgq && msgq create t-'"$u"' &&
		msgq send t-'"$u"' "from '"$u"'" && msgq recv t-'"$u"' &&
		msgq rm t-'"$u" 2>&1)
	echo "$got"
	[ "$got" = "/usr/local/bin/msgq
from $u" ] || return 1
	as_user "$u" 'cd app && ldd ./app && ./app && ./app-static'
}
check_group() {	# the group-only rule: tester (in msgq) may, outsider may not
	check_dev "660 root msgq" && check_user tester || return 1
	as_user outsider 'msgq create t-outsider' >$state/err 2>&1
	echo "outsider: exit $?: $(cat $state/err)"
	grep -q 'Permission denied' $state/err
}
check_modules_load() {	# msgq loaded by systemd-modules-load, no modprobe
	# Only systemd-modules-load says "Inserted module" (modprobe is silent).
	journalctl -b -o short-monotonic |
		grep -e 'Inserted module' -e 'systemd-modules-load' >$state/ml
	echo "msgq in /sys/module: $([ -d /sys/module/msgq ] && echo yes || echo no)"
	cat $state/ml
	[ -d /sys/module/msgq ] && grep -q "Inserted module 'msgq'" $state/ml && return 0
	show systemctl status systemd-modules-load.service
	show ls -l /usr/local/lib/modules-load.d /etc/modules-load.d
	return 1
}
check_upgrade() {	# KERNEL: DKMS built msgq for the new kernel by itself
	show dkms status msgq
	show ls -l /lib/modules/"$1"/updates/dkms
	dkms status msgq -k "$1" | grep -q ": installed" && return 0
	show cat /var/lib/dkms/msgq/"$version"/build/make.log
	return 1
}
check_grub_default() {	# KERNEL: grub's first entry boots it
	local first
	first=$(sed -n 's/^[[:space:]]*linux[[:space:]]\+\([^ ]*\).*/\1/p' \
		/boot/grub/grub.cfg | head -n1)
	echo "grub's first entry: $first"
	[ "$first" = "/boot/vmlinuz-$1" ]
}
check_nothing_left() {
	files >$state/files.after
	# New since the first boot, less what the kernel upgrade brought (its
	# packages' files and what their scripts made), but for msgq's own
	# files among them (DKMS's build for the new kernel). DKMS's signing
	# key is DKMS's (a user enrolls it once, for every module).
	comm -13 $state/files.upgrade-before $state/files.upgrade-after |
		grep -v msgq >$state/upgrade || true
	comm -13 $state/files.before $state/files.after |
		comm -23 - $state/upgrade | grep -v '^/var/lib/dkms/mok\.' \
		>$state/left || true
	if [ -s $state/left ]; then
		echo "left behind:"
		cat $state/left
		return 1
	fi
}

# The program: examples/demo.c, outside the tree, in tester's home.
setup_users() {
	local u
	for u in tester outsider; do
		install -d -o $u -g $u /home/$u/app
		install -m 644 -o $u -g $u examples/demo.c /home/$u/app/app.c
		install -m 755 -o $u -g $u $steps /home/$u/install-steps.sh
	done
}

# The Python package (python/): installed as root by make install-python
# into Debian's local layout, then used by tester, who runs its tests
# from a copy in the home (pytest's --tap, python/tests/conftest.py,
# writes one TAP line per test; step_cases nests them).
pydir=$(python3 $top/python/install-dir.py /usr/local)
python_install() {
	step_must "python: make install-python (into $pydir)" \
		"make install-python && ls -l $pydir/msgq"
	step "python (as tester): python3 -c 'import msgq', a message there and back" \
		check_python_user
}
check_python_user() {	# tester imports the installed package, uses it
	as_user tester "python3 -c 'import msgq
with msgq.create(\"py-tester\", owned=True) as mb:
    mb.send(b\"from python\", 3)
    m = mb.recv()
print(msgq.__file__, m)
assert msgq.__file__.startswith(\"$pydir/msgq/\")
assert (m.data, m.prio) == (b\"from python\", 3)'"
}
python_tests() {
	rm -rf /home/tester/pytests
	install -d -o tester -g tester /home/tester/pytests
	install -m 644 -o tester -g tester python/tests/*.py /home/tester/pytests/
	step_cases=/home/tester/pytest.tap
	rm -f $step_cases
	step "python (as tester): pytest python/tests" \
		"as_user tester 'cd pytests && python3 -m pytest -v -p no:cacheprovider --tap $step_cases .'"
}
# One boot, no DKMS: the module built from the tree and insmod-ed.
quick_install() {
	step_must "$S tools: apt-get install build-essential dkms pkg-config linux-headers-\$(uname -r)" \
		sh $steps tools
	step_must "$S user: make install-user" sh $steps user
	if [ -f .rig-module.ko ]; then
		step_must "module: insmod msgq.ko built on the host (quick mode: no DKMS)" \
			"insmod .rig-module.ko && udevadm settle && ls -l /dev/msgq"
	else
		step_must "module: make module, insmod msgq.ko (quick mode: no DKMS)" \
			"make module && insmod msgq.ko && udevadm settle && ls -l /dev/msgq"
	fi
	[ -d /sys/module/msgq ] && mark "insmod ok (quick mode)"
}

# msgq-bridge (bridge/): scripts/guest/bridge-test.sh, one step per
# sub-test. Counts: BRIDGE_MAIN messages for the main run, BRIDGE_FAULT for
# each fault, BRIDGE_LOOP runs of BRIDGE_LOOP_COUNT for the kill loop,
# BRIDGE_BENCH for the benchmark. Under TCG the bridges carry 250 to 600
# messages a second: the main run's 100000 take 5 to 7 minutes, the
# whole about 18.
BRIDGE_STEPS=13
bridge_steps() {
	local bt="bash scripts/guest/bridge-test.sh" main=${BRIDGE_MAIN:-100000}
	local f=${BRIDGE_FAULT:-4000} lc=${BRIDGE_LOOP_COUNT:-2000}
	step_must "bridge: make -C bridge (msgq-bridge, bridge-load, nats-direct)" \
		"$bt build"
	step "bridge: bad configuration lines: errors with their line, exit 2" \
		"$bt config"
	step_must "bridge: 3 nats-server nodes (JetStream, R3 stream), hosts A and B (IPC namespaces)" \
		"$bt up"
	step "bridge: an export spool that does not fit its state directory: ENOSPC logged, no crash" \
		"$bt nospace"
	step "bridge: $main messages A->B: none lost, duplicated, corrupt or out of order" \
		"$bt run main $main none"
	step "bridge: kill -9 of the export bridge mid-stream, restart: no loss, no duplicate" \
		"$bt run kexp $f kill-export"
	step "bridge: kill -9 of the import bridge mid-stream, restart: no loss, duplicates only as counted" \
		"$bt run kimp $f kill-import"
	step "bridge: kill -9 of a NATS node mid-stream, restart: no loss, no duplicate" \
		"$bt run knode $f kill-node"
	step "bridge: B's mailbox full for 15 s (> the ack wait), A sending: nothing dropped or delivered twice" \
		"$bt run full $f full-15s max_msgs=64"
	step "bridge: a slow reader in B (a message each 50 ms): nothing delivered twice" \
		"$bt run slow 600 slow-reader max_msgs=16"
	step "bridge: SIGTERM mid-stream: exit 0, restart, no loss, no duplicate" \
		"$bt run term $f sigterm"
	step "bridge: ${BRIDGE_LOOP:-20} runs of $lc messages, a bridge killed at a random moment: no loss" \
		"$bt loop ${BRIDGE_LOOP:-20} $lc"
	step "bridge: bench: A->B through the bridges, and NATS's C client directly" \
		"$bt bench ${BRIDGE_BENCH:-10000}; rc=\$?; $bt down; [ \$rc = 0 ]"
}

# ------------------------------------------------------------------ boots
S="packaging/install-steps.sh"
case $mode in
python | bench-python)
	case $mode.$boot in
	python.1 | bench-python.1) ;;
	bench-python.2)
		step_must "boot 2: clocksource tsc (clocksource=tsc tsc=reliable)" \
			"check_boot $(uname -r) && cat /proc/cmdline &&
			grep -qx tsc /sys/devices/system/clocksource/clocksource0/current_clocksource"
		step_must "module: insmod msgq.ko again" \
			"insmod .rig-module.ko && udevadm settle && ls -l /dev/msgq"
		step "python: python/bench.py (msgq, multiprocessing.Queue, sysv_ipc)" \
			"python3 python/bench.py"
		finish 0
		;;
	*) finish 1 ;;
	esac
	echo "TAP version 13"
	if [ $mode = python ]; then echo "1..7"; else echo "1..10"; fi
	step_must "boot: $(uname -r) by grub, systemd, udev (quick mode $mode)" \
		check_boot "$(uname -r)"
	quick_install
	python_install
	[ $mode = python ] && { python_tests; finish 0; }
	# As make bench's guest: the kernel's clock on the TSC, not the
	# emulated HPET that every timestamp of a message would read.
	step_must "bench: boot with clocksource=tsc tsc=reliable (grub)" \
		"sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT=\"clocksource=tsc tsc=reliable\"/' /etc/default/grub &&
		update-grub"
	reboot_guest
	;;
bridge | bench-bridge)
	[ $boot = 1 ] || finish 1
	echo "TAP version 13"
	if [ $mode = bridge ]; then echo "1..$((4 + BRIDGE_STEPS))"; else echo "1..7"; fi
	step_must "boot: $(uname -r) by grub, systemd, udev (quick mode $mode)" \
		check_boot "$(uname -r)"
	quick_install
	[ -f .rig-bridge.env ] && . ./.rig-bridge.env
	[ $mode = bridge ] && { bridge_steps; finish 0; }
	bt="bash scripts/guest/bridge-test.sh"
	step_must "bridge: make -C bridge" "$bt build"
	step_must "bridge: 3 nats-server nodes, hosts A and B" "$bt up"
	step "bridge: bench: A->B through the bridges, and NATS's C client directly" \
		"$bt bench ${BRIDGE_BENCH:-20000}; rc=\$?; $bt down; [ \$rc = 0 ]"
	finish 0
	;;
full) ;;
*) echo "debian-rig: unknown mode $mode"; finish 1 ;;
esac
case $boot in
1)
	echo "TAP version 13"
	echo "1..$PLAN"
	step_must "boot 1: $boot_kernel by grub, its initramfs, systemd, udev" \
		check_boot "$boot_kernel"
	files >$state/files.before
	setup_users
	step_must "$S tools: apt-get install build-essential dkms pkg-config linux-headers-\$(uname -r)" \
		sh $steps tools
	step_must "$S dkms: make dkms-install, modprobe msgq, dkms status" \
		"sh $steps dkms || { show cat /var/lib/dkms/msgq/$version/build/make.log; false; }"
	[ -d /sys/module/msgq ] && mark "insmod ok (modprobe msgq)"
	step "dkms: msgq $version installed for $boot_kernel, signed, loaded" \
		check_loaded "$boot_kernel"
	step_must "$S user: make install-user" sh $steps user
	step "udev: 60-msgq.rules (make install-user) read, /dev/msgq 0666 root:root" \
		"modprobe -r msgq && modprobe msgq && check_dev '666 root root' &&
		udevadm test /sys/class/misc/msgq 2>&1 | grep 'rules.d/60-msgq.rules'"
	step "$S check: msgq create, send, recv, ls, rm as root" \
		"sh $steps check >$state/check.out; rc=\$?; cat $state/check.out;
		[ \$rc = 0 ] && grep -qx 'it works' $state/check.out"
	step "$S app (as tester): cc with pkg-config --cflags --libs libmsgq, and --static" \
		"runuser -l tester -c 'cd app && sh ~/install-steps.sh app'"
	step "tester: msgq from PATH, the program (shared, static) runs" \
		check_user tester
	step "tester: man msgq, man msgq_send render" \
		"runuser -l tester -c 'man msgq | grep -q \"^NAME\" && man msgq_send | grep -q \"^NAME\"'"
	step_must "$S group: GROUP=\"msgq\", MODE=\"0660\" in /etc/udev/rules.d" \
		"sh $steps group && usermod -aG msgq tester"
	step "udev: /dev/msgq root:msgq 0660; tester (in msgq) uses it, outsider gets EACCES" \
		check_group
	step_must "$S modules-load: make install-modules-load" \
		"sh $steps modules-load && grep -qx msgq /usr/local/lib/modules-load.d/msgq.conf"
	reboot_guest
	;;
2)
	step_must "boot 2 (reboot): $boot_kernel" check_boot "$boot_kernel"
	step "reboot: systemd-modules-load loaded msgq (modules-load.d), no modprobe" \
		check_modules_load
	step "reboot: /dev/msgq root:msgq 0660 by the /etc rule, tester uses it" \
		check_group
	files >$state/files.upgrade-before
	step_must "kernel upgrade: apt-get install linux-image-$upgrade_kernel linux-headers-$upgrade_kernel (no network)" \
		apt-get install -y -q linux-image-$upgrade_kernel linux-headers-$upgrade_kernel
	files >$state/files.upgrade-after
	step_must "kernel upgrade: DKMS built and installed msgq for $upgrade_kernel (AUTOINSTALL)" \
		check_upgrade "$upgrade_kernel"
	step_must "kernel upgrade: grub boots $upgrade_kernel by default" \
		check_grub_default "$upgrade_kernel"
	reboot_guest
	;;
3)
	step_must "boot 3 (upgraded): $upgrade_kernel by grub, its initramfs (update-initramfs)" \
		check_boot "$upgrade_kernel"
	step "$upgrade_kernel: systemd-modules-load loaded msgq, from DKMS, $version, signed" \
		"check_modules_load && check_loaded $upgrade_kernel"
	step "$upgrade_kernel: /dev/msgq root:msgq 0660, tester uses it, outsider gets EACCES" \
		check_group
	step "$upgrade_kernel: the demo (examples/demo.c, built with pkg-config) as tester" \
		"runuser -l tester -c 'cd app && ./app'"
	python_install
	python_tests
	bridge_steps
	step_must "$S uninstall: modprobe -r msgq, make dkms-uninstall, make uninstall" \
		sh $steps uninstall
	step "uninstall: no file of msgq left (the system's files before the install)" \
		check_nothing_left
	finish 0
	;;
*)
	echo "debian-rig: boot $boot: nothing left to do"
	finish 1
	;;
esac
