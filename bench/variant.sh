#!/bin/sh
# msgq-bench-variant: what the disabled and enabled tracepoints cost, in the
# guest (busybox sh), one boot: msgq-bench --variant over three states of
# msgq (scripts/bench.sh and bench_smoke_test install this script as
# /opt/msgq/bin/msgq-bench-variant).
#   msgq-bench-variant run [MSGQ-BENCH OPTIONS...]
#       msgq-bench on the 16 B one-way and 64 B ping-pong figures (1 vCPU)
#       of msgq, msgq fast and POSIX mq (the control: no variant touches
#       it), under each variant below, rounds interleaved; then leaves the
#       normal module loaded, tracing off.
#   msgq-bench-variant NAME     puts the guest in variant NAME:
#       notrace    $MODULES/msgq-notrace.ko, built with
#                  MSGQ_NO_TRACEPOINTS=y (Kbuild): no tracepoints at all
#       trace-off  $MODULES/msgq.ko, the normal build, events disabled
#       trace-on   the same, events/msgq enabled in tracefs
# Every variant starts with a fresh rmmod + insmod of its module, so each
# is measured alike. It checks what it claims: the notrace build has no
# events/msgq in tracefs, the normal one has, and a trace-on period that
# ends recorded events.
#   Environment: MSGQ_BENCH_MODULES  the modules' directory
#                                    (default /opt/msgq/modules)
set -eu

mods=${MSGQ_BENCH_MODULES:-/opt/msgq/modules}
tr=/sys/kernel/tracing
me=msgq-bench-variant

fail() {
	echo "$me: FAILED: $*" >&2
	exit 1
}

if [ "${1:-}" = run ]; then
	shift
	rc=0
	msgq-bench --only tput-16-1cpu,pingpong-64-1cpu \
		--mechs msgq,msgq-fast,posix-mq \
		--variant "notrace=$me notrace" \
		--variant "trace-off=$me trace-off" \
		--variant "trace-on=$me trace-on" "$@" || rc=$?
	$me trace-off || rc=1
	exit $rc
fi

case ${1:-} in
notrace) ko=$mods/msgq-notrace.ko ;;
trace-off | trace-on) ko=$mods/msgq.ko ;;
*) fail "usage: $me run [OPTIONS] | notrace | trace-off | trace-on" ;;
esac
[ -f "$ko" ] || fail "$ko missing"
[ -e $tr/trace ] || mount -t tracefs nodev $tr || fail "no tracefs"

# End the variant in force: a trace-on period must have recorded events.
ev=$tr/events/msgq/enable
if [ -e $ev ] && [ "$(cat $ev)" != 0 ]; then
	echo 0 >$ev
	n=$(cat $tr/per_cpu/cpu*/stats |
		awk '/^(entries|overrun):/ { s += $2 } END { print s + 0 }')
	[ "$n" -gt 0 ] || fail "trace-on: no msgq event was recorded"
	echo >$tr/trace
fi

rmmod msgq || fail "rmmod msgq"
insmod "$ko" || fail "insmod $ko"
i=0
while [ ! -c /dev/msgq ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -c /dev/msgq ] || fail "/dev/msgq did not appear after insmod $ko"

case $1 in
notrace)
	[ ! -e $tr/events/msgq ] ||
		fail "$ko has tracepoints (events/msgq): not a MSGQ_NO_TRACEPOINTS=y build"
	;;
trace-off)
	[ -e $ev ] || fail "$ko has no events/msgq in tracefs"
	;;
trace-on)
	[ -e $ev ] || fail "$ko has no events/msgq in tracefs"
	echo >$tr/trace
	echo 1 >$ev
	;;
esac
