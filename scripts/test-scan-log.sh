#!/bin/sh
# Prove scripts/scan-log.sh on sample guest logs: for each testdata/NAME.log
# its output and exit status must equal testdata/NAME.expect. demo-*.log
# are scanned with --no-tests. Regenerate an expectation, after checking
# it by eye, with: scripts/test-scan-log.sh --update
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bad=0 n=0
for log in "$here"/testdata/*.log; do
	[ -e "$log" ] || { echo "test-scan-log: no sample logs in $here/testdata"; exit 1; }
	name=${log%.log}
	opt=
	case $(basename "$log") in demo-*) opt=--no-tests ;; esac
	got=$( ("$here/scan-log.sh" $opt "$log" || echo "exit=$?") 2>&1)
	case $got in *exit=[0-9]*) ;; *) got="$got
exit=0" ;; esac
	if [ "${1:-}" = --update ]; then
		printf '%s\n' "$got" >"$name.expect"
		continue
	fi
	n=$((n + 1))
	if [ "$got" != "$(cat "$name.expect")" ]; then
		echo "test-scan-log: WRONG verdict for $(basename "$log"):"
		printf '%s\n' "$got" | diff -u "$name.expect" - || true
		bad=1
	fi
done
[ "${1:-}" != --update ] || exit 0
[ $bad = 0 ] || exit 1
echo "test-scan-log: $n sample logs, all verdicts right"
