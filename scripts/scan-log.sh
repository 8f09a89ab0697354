#!/bin/sh
# Turn a guest console log (scripts/vm.sh) into a verdict.
#
#   scripts/scan-log.sh [--no-tests] LOG
#
# Counts the test cases the selftests report: run-selftests.sh prints one
# top-level KTAP line per binary ("ok N selftests: msgq: NAME") and nests
# each binary's own KTAP under "# ", where kselftest_harness.h prints one
# "ok N CASE" / "not ok N CASE" / "ok N # SKIP REASON" per test case. Cases
# are counted from the nested lines; a binary's top-level line counts only
# when it nested no case lines (a crash, a timeout, a non-harness binary).
#
# Fails on any failed case or binary, a missing guest "done" marker (panic,
# hang, host timeout), a failed insmod/rmmod, and any kernel report: BUG,
# WARNING, Oops, KASAN, UBSAN, lockdep, kmemleak, and the hang detectors of
# the debug kernel (selftests/debug.config): "INFO: task X:N blocked for more
# than N seconds", "watchdog: BUG: soft lockup", "BUG: workqueue lockup",
# RCU's "detected stalls on CPUs/tasks" / "self-detected stall on CPU", and
# the "Kernel panic" they end in. With
# --no-tests (the demo) no test output is expected.
# Prints the reasons, then the closing line "N passed, N failed[, N skipped]"
# last and alone; exits 1 when anything is wrong.
set -eu

tests=1
if [ "${1:-}" = --no-tests ]; then tests=0; shift; fi
[ $# = 1 ] && [ -r "$1" ] || { echo "usage: $0 [--no-tests] LOG" >&2; exit 2; }

tr -d '\r' <"$1" | awk -v tests=$tests '
function fail(why) { reasons[nr++] = why }
function count(line, nested,    skip, bad) {
	bad = (line ~ /^not ok /)
	skip = (line ~ /# [Ss][Kk][Ii][Pp]/)
	if (bad && failed++ < 20) fail("test failed: " line)
	else if (bad && failed == 21) fail("more tests failed, see the log")
	else if (skip) skipped++
	else passed++
}
{ sub(/^[ \t]+$/, "") }
# Kernel reports (the guest console carries dmesg).
/BUG:|WARNING:|Oops|general protection|kernel BUG at|list_add corruption|list_del corruption|possible circular locking|inconsistent lock state|KASAN|UBSAN|hung task|blocked for more than|soft lockup|workqueue lockup|detected (expedited )?stalls? on|sleeping function called from invalid context|unreferenced object|Kernel panic/ {
	if (nk++ < 5) fail("kernel report: " $0)
}
/^MSGQ-RIG: insmod FAILED/ { fail("insmod failed") }
/^MSGQ-RIG: rmmod FAILED/ { fail("rmmod failed") }
/^MSGQ-RIG: dev FAILED/ { fail("/dev/msgq did not appear after insmod") }
/^MSGQ-RIG: kmemleak FAILED/ { fail("kmemleak: " $0) }
/^MSGQ-RIG: insmod ok/ { insmod = 1 }
/^MSGQ-RIG: done rc=/ { done = 1; rc = substr($0, 19) }
/^MSGQ-RIG-HOST: timeout/ { fail("host timeout: the guest hung") }
# Nested per-case results of one binary.
/^# (not )?ok [0-9]+/ { line = substr($0, 3); count(line); ncases++; next }
/^1\.\.[0-9]+$/ && !haveplan { haveplan = 1; plan = substr($0, 4) + 0; next }
# Top-level per-binary results.
/^(not )?ok [0-9]+ selftests: / {
	nbins++
	if (ncases == 0) count($0)
	else if ($0 ~ /^not ok/ && failed == fbefore) {
		failed++; fail("test binary failed: " $0)
	}
	ncases = 0; fbefore = failed
	next
}
END {
	if (!done) fail("no \"MSGQ-RIG: done\" marker: the guest panicked, hung or timed out")
	else if (rc != "0" && !nr) fail("guest reported done rc=" rc)
	if (!insmod) fail("the module was never loaded")
	if (tests && !haveplan) fail("no KTAP plan line: the selftests did not run")
	else if (tests && plan > nbins) {
		failed += plan - nbins
		fail(plan - nbins " of " plan " test binaries never finished")
	} else if (tests && plan < nbins)
		fail("selftests planned " plan " binaries, reported " nbins)
	for (i = 0; i < nr; i++) print "scan: FAIL: " reasons[i]
	line = (passed + 0) " passed, " (failed + 0) " failed"
	if (skipped) line = line ", " skipped " skipped"
	print line
	exit nr ? 1 : 0
}'
