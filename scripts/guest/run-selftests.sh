#!/bin/sh
# Runs inside the guest (busybox): every *_test binary in DIR, and every
# NAME_test-SUFFIX (another build of NAME_test: for another ABI, as the
# 32-bit timeout_test-m32, or against another library, as
# posix_test-msgq-t64: scripts/check.sh), one after the other, each under the
# "timeout=" of DIR/settings, then every program in DIR/../examples
# (self-checking examples: exit 0 is a pass). Prints KTAP like the kernel's
# kselftest runner: one "ok N selftests: msgq: NAME" line per binary
# (examples as "example-NAME"), its own output nested under "# ", closed by
# a "# NAME: N s" line with the time it took.
#
# 32-bit programs need a kernel with IA32_EMULATION (the stock ones, and
# the debug kernel through selftests/debug.config); on one without, they
# are SKIPs. Whether this kernel runs them, ia32-probe (a 32-bit program on
# PATH that prints "ia32") says; where it cannot run, the shell takes it
# for a script, which prints anything but that.
#   run-selftests.sh [DIR]      (default /opt/msgq/selftests)
set -u

dir=${1:-/opt/msgq/selftests}
exdir=$(dirname "$dir")/examples
limit=$(sed -n 's/^timeout=//p' "$dir/settings" 2>/dev/null)
: "${limit:=45}"
tests=$(ls "$dir" | grep -E '_test(-[a-z0-9]+)*$')
examples=$(ls "$exdir" 2>/dev/null)
echo "TAP version 13"
echo "1..$(echo $tests $examples | wc -w)"
n=0 bad=0
ia32=0
[ "$(ia32-probe 2>/dev/null)" = ia32 ] && ia32=1
# is_elf32 FILE: FILE is a 32-bit ELF program (magic, then EI_CLASS 1).
is_elf32() {
	[ "$(dd if="$1" bs=5 count=1 2>/dev/null)" = "$(printf '\177ELF\1')" ]
}
# run_one DIR PROGRAM NAME
run_one() {
	n=$((n + 1))
	hdr="selftests: msgq: $3"
	echo "# $hdr"
	if [ $ia32 = 0 ] && is_elf32 "$1/$2"; then
		echo "ok $n $hdr # SKIP 32-bit program, kernel without IA32_EMULATION"
		return
	fi
	start=$(date +%s)
	# In a session of its own, so that whatever the program leaves behind
	# (a child stuck in a wait after a failed assertion) can be killed:
	# it would hold the pipe to sed open and hang the run.
	(cd "$1" &&
		setsid sh -c 'echo $$ >/tmp/pgid; exec timeout -k 10 "$0" "$1"' \
			"$limit" "./$2" 2>&1
		echo $? >/tmp/rc
		kill -9 -- -"$(cat /tmp/pgid)" 2>/dev/null) |
		sed 's/^/# /'
	rc=$(cat /tmp/rc)
	echo "# $3: $(($(date +%s) - start)) s"
	case $rc in
	0) echo "ok $n $hdr" ;;
	4) echo "ok $n $hdr # SKIP" ;;
	124 | 137 | 143) echo "not ok $n $hdr # TIMEOUT $limit seconds"; bad=1 ;;
	*) echo "not ok $n $hdr # exit=$rc"; bad=1 ;;
	esac
}
for t in $tests; do
	run_one "$dir" "$t" "$t"
done
for e in $examples; do
	run_one "$exdir" "$e" "example-$e"
done
exit $bad
