#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# make demo, the epilogue (runs in the guest after msgq-demo): the same job
# mailbox from a shell, with the msgq command. Shows each command and its
# output, checks what it shows; exit 0 only if every expectation held.
set -u
fails=0
say() { printf '%s\n' "$*"; }
show() { say "        \$ $*"; "$@" 2>&1 | sed 's/^/          /'; }
# expect DESC: judges the status of the command just before it.
expect() {
	if [ $? = 0 ]; then
		say "        [ok]   $1"
	else
		say "        [FAIL] $1"
		fails=$((fails + 1))
	fi
}

say ""
say "step 8: the same from a shell: the msgq command (tools/msgq, over libmsgq)"
show msgq create jobs --max-msgs 8 --excl
show msgq send jobs bulk#0 bulk#1
show msgq send jobs --prio 9 urgent#0
show msgq ls
[ "$(awk '$1 == "jobs" { print $4 "/" $2 }' /proc/msgq)" = 3/8 ]
expect '"msgq ls" shows 3 of 8 slots taken'
say "        \$ msgq recv jobs --count 3 --show-prio"
got=$(msgq recv jobs --count 3 --show-prio)
say "$got" | sed 's/^/          /'
[ "$got" = "$(printf '9\turgent#0\n0\tbulk#0\n0\tbulk#1')" ]
expect 'urgent first, then bulk in the order sent'
say "        \$ msgq recv jobs --timeout 300"
msgq recv jobs --timeout 300 2>&1 | sed 's/^/          /'
msgq recv jobs --nonblock >/dev/null 2>&1
[ $? = 3 ]
expect 'an empty mailbox: exit status 3 (timed out / would block)'
show msgq rm jobs
show msgq ls
! grep -q '^jobs ' /proc/msgq
expect 'the name is gone'
say ""
if [ $fails = 0 ]; then
	say "PASS: the msgq command did what it showed"
else
	say "FAIL: $fails expectations did not hold"
fi
[ $fails = 0 ]
