#!/bin/sh
# Runs inside the guest (busybox): every *_test binary in DIR, one after the
# other, each under the "timeout=" of DIR/settings. Prints KTAP like the
# kernel's kselftest runner: one "ok N selftests: msgq: NAME" line per
# binary, the binary's own output nested under "# ".
#   run-selftests.sh [DIR]      (default /opt/msgq/selftests)
set -u

dir=${1:-/opt/msgq/selftests}
limit=$(sed -n 's/^timeout=//p' "$dir/settings" 2>/dev/null)
: "${limit:=45}"
tests=$(ls "$dir" | grep '_test$')
echo "TAP version 13"
echo "1..$(echo $tests | wc -w)"
n=0 bad=0
for t in $tests; do
	n=$((n + 1))
	hdr="selftests: msgq: $t"
	echo "# $hdr"
	(cd "$dir" && timeout -k 10 "$limit" "./$t" 2>&1; echo $? >/tmp/rc) |
		sed 's/^/# /'
	rc=$(cat /tmp/rc)
	case $rc in
	0) echo "ok $n $hdr" ;;
	4) echo "ok $n $hdr # SKIP" ;;
	124 | 137 | 143) echo "not ok $n $hdr # TIMEOUT $limit seconds"; bad=1 ;;
	*) echo "not ok $n $hdr # exit=$rc"; bad=1 ;;
	esac
done
exit $bad
