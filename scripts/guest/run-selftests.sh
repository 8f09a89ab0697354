#!/bin/sh
# Runs inside the guest (busybox): every *_test binary in DIR, one after the
# other, each under the "timeout=" of DIR/settings, then every program in
# DIR/../examples (self-checking examples: exit 0 is a pass). Prints KTAP
# like the kernel's kselftest runner: one "ok N selftests: msgq: NAME" line
# per binary (examples as "example-NAME"), its own output nested under "# ",
# closed by a "# NAME: N s" line with the time it took.
#   run-selftests.sh [DIR]      (default /opt/msgq/selftests)
set -u

dir=${1:-/opt/msgq/selftests}
exdir=$(dirname "$dir")/examples
limit=$(sed -n 's/^timeout=//p' "$dir/settings" 2>/dev/null)
: "${limit:=45}"
tests=$(ls "$dir" | grep '_test$')
examples=$(ls "$exdir" 2>/dev/null)
echo "TAP version 13"
echo "1..$(echo $tests $examples | wc -w)"
n=0 bad=0
# run_one DIR PROGRAM NAME
run_one() {
	n=$((n + 1))
	hdr="selftests: msgq: $3"
	echo "# $hdr"
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
