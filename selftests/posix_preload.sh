#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unchanged binaries on msgq: posix_prog (posix_prog.c), a POSIX mq program
# built dynamically against glibc, runs once as it is, on Linux's mqueue,
# then with LD_PRELOAD=libmsgq-posix.so.1, on msgq: its queues show in
# /proc/msgq and none in /dev/mqueue. Run as root with msgq.ko loaded.
# make check copies it as selftests/posix_test-preload beside posix_prog,
# and into lib/ what a busybox guest lacks: the dynamic loader, libc.so.6
# (ldd's list), libmsgq.so.1, libmsgq-posix.so.1, and in lib/interp the
# loader's path, which this script links there; lib32/ the same for
# posix_prog-m32 and posix_prog-t64, 32-bit programs of both time_t sizes.
# Elsewhere (a machine with the libraries installed) neither need exist.
# Prints TAP, one line per case; exits 1 if any case failed.

# "COND && ok ... || not_ok ..." is safe here: ok never fails.
# shellcheck disable=SC2015
set -u

here=$(cd "$(dirname "$0")" && pwd)
lib=$here/../lib
prog=$here/posix_prog
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out err=$tmp/err
n=0 bad=0

ok() { n=$((n + 1)); echo "ok $n posix_preload: $1"; }
not_ok() {
	n=$((n + 1)) bad=1
	echo "not ok $n posix_preload: $1"
	shift
	for l in "$@"; do echo "# $l"; done
	[ -s "$out" ] && sed 's/^/#   stdout: /' "$out" | head -20
	[ -s "$err" ] && sed 's/^/#   stderr: /' "$err" | head -20
	return 0
}

# The payload's libraries: each loader where the programs look for it.
path=
for d in "$lib" "$lib/../lib32"; do
	[ -f "$d/interp" ] || continue
	interp=$(cat "$d/interp")
	if [ ! -e "$interp" ]; then
		mkdir -p "$(dirname "$interp")"
		ln -s "$(cd "$d" && pwd)/$(basename "$interp")" "$interp"
	fi
	path=$path${path:+:}$(cd "$d" && pwd)
done
# The loader skips a library of the other ABI.
[ -z "$path" ] || export LD_LIBRARY_PATH="$path"
if ! grep -q ' /dev/mqueue mqueue ' /proc/mounts; then
	mkdir -p /dev/mqueue
	mount -t mqueue none /dev/mqueue
fi

# plain CMD...: posix_prog as it is; msgq CMD...: with libmsgq-posix
plain() { "$prog" "$@" >"$out" 2>"$err"; rc=$?; }
msgq() { LD_PRELOAD=libmsgq-posix.so.1 "$prog" "$@" >"$out" 2>"$err"; rc=$?; }
# in_proc NAME: a mailbox NAME is listed in /proc/msgq
in_proc() { grep -q "^$1 " /proc/msgq; }
# expect DESC TEXT: the last run exited 0 and printed exactly TEXT
expect() {
	if [ "$rc" = 0 ] && [ "$(cat "$out")" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "exit $rc, wanted 0 and output: $2"
	fi
}

# suite: every case, for the program $prog, "$abi: " before each (sets
# name and p)
suite() {
	name=posix-preload-$$$abi
	p="${abi:+$abi: }"

	# The control: the same binary, as built, uses Linux's mqueue.
	plain create "/$name" 4 64
	[ "$rc" = 0 ] && [ -e "/dev/mqueue/$name" ] && ! in_proc "$name" &&
		ok "${p}without LD_PRELOAD: the queue is in /dev/mqueue" ||
		not_ok "${p}without LD_PRELOAD: the queue is in /dev/mqueue" "exit $rc"
	plain unlink "/$name"

	msgq create "/$name" 4 64
	[ "$rc" = 0 ] && in_proc "$name" && [ ! -e "/dev/mqueue/$name" ] &&
		ok "${p}with LD_PRELOAD: the queue is in /proc/msgq, not /dev/mqueue" ||
		not_ok "${p}with LD_PRELOAD: the queue is in /proc/msgq, not /dev/mqueue" \
			"exit $rc" "$(cat /proc/msgq)"
	msgq attr "/$name"
	expect "${p}mq_getattr: the queue's limits" "4 64 0"
	msgq send "/$name" 3 routine
	expect "${p}mq_timedsend, through a fortified mq_open (__mq_open_2)" ""
	msgq send "/$name" 9 urgent
	expect "${p}mq_timedsend at priority 9" ""
	msgq attr "/$name"
	expect "${p}mq_getattr: two messages" "4 64 2"
	msgq recv "/$name"
	expect "${p}mq_timedreceive: the higher priority first" "9 urgent"
	msgq recv "/$name"
	expect "${p}mq_timedreceive: then the other" "3 routine"
	msgq recv "/$name" 100
	[ "$rc" = 1 ] && grep -q "timed out" "$err" &&
		ok "${p}mq_timedreceive: ETIMEDOUT on the empty queue" ||
		not_ok "${p}mq_timedreceive: ETIMEDOUT on the empty queue" "exit $rc"
	msgq notify "/$name"
	expect "${p}mq_notify: SIGEV_THREAD (needs the module of issue 16)" \
		"notified"
	msgq unlink "/$name"
	[ "$rc" = 0 ] && ! in_proc "$name" &&
		ok "${p}mq_unlink: gone from /proc/msgq" ||
		not_ok "${p}mq_unlink: gone from /proc/msgq" "exit $rc"
	msgq unlink "/$name"
	[ "$rc" = 1 ] && grep -q "No such file" "$err" &&
		ok "${p}mq_unlink: ENOENT once gone" ||
		not_ok "${p}mq_unlink: ENOENT once gone" "exit $rc"
	[ ! -e "/dev/mqueue/$name" ] &&
		ok "${p}nothing of this test in /dev/mqueue" ||
		not_ok "${p}nothing of this test in /dev/mqueue"
}

abi='' prog=$here/posix_prog
suite
# 32-bit programs, of both time_t sizes: glibc's mq_timedsend and
# __mq_timedsend_time64 (and receive), libmsgq-posix's in their stead.
for abi in m32 t64; do
	prog=$here/posix_prog-$abi
	if [ "$(ia32-probe 2>/dev/null)" != ia32 ]; then
		ok "$abi: # SKIP 32-bit program, kernel without IA32_EMULATION"
	elif [ ! -x "$prog" ]; then
		ok "$abi: # SKIP no $prog"
	else
		suite
	fi
done

echo "1..$n"
exit $bad
