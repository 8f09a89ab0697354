#!/bin/sh
# Print, in full, the kernel reports of a guest console log (scripts/vm.sh):
# KASAN, lockdep, UBSAN, DEBUG_ATOMIC_SLEEP ("sleeping function called from
# invalid context"), list corruption, kmemleak, BUG/WARNING/Oops, hung
# tasks, panics. scripts/scan-log.sh names the first line of each; this
# prints the whole report, so that make check shows what went wrong without
# opening the log.
#
#   scripts/kernel-reports.sh LOG [MAX_REPORTS]      (default 5)
#
# A report runs from its first line (with the "=====" or "[ cut here ]"
# line just before it) to its end marker ("---[ end trace", the closing
# "=====" of KASAN/UBSAN), the next MSGQ-RIG marker, or 120 lines. Only
# kernel lines ("[  time] ...") and kmemleak's report lines are printed:
# test output interleaved on the console is skipped. Prints nothing, and
# exits 0, when the log holds no report; exits 1 when it printed one.
set -eu

[ $# -ge 1 ] && [ -r "$1" ] || { echo "usage: $0 LOG [MAX_REPORTS]" >&2; exit 2; }
max=${2:-5}

tr -d '\r' <"$1" | awk -v max="$max" '
function start_of(line) {
	return line ~ /BUG:|WARNING:|Oops|general protection|kernel BUG at|list_add corruption|list_del corruption|possible circular locking|inconsistent lock state|KASAN|UBSAN|hung task|blocked for more than|sleeping function called from invalid context|unreferenced object|Kernel panic|soft lockup|workqueue lockup|detected (expedited )?stalls? on/
}
function kernel_line(line) {
	return line ~ /^\[ *[0-9]+\.[0-9]+\]/ || line ~ /^unreferenced object / || line ~ /^  /
}
function body(line) {
	sub(/^\[ *[0-9]+\.[0-9]+\] ?/, "", line)
	return line
}
{ line = $0 }
# The guest rig marks its stages: a report never runs past one.
/^MSGQ-RIG/ { if (inrep) { print "---- end of report " n; inrep = 0 }; prev = ""; next }
!kernel_line(line) { next }
inrep {
	print line
	lines++
	b = body(line)
	if (b ~ /^---\[ end trace/ || (lines > 2 && b ~ /^=+$/) || lines >= 120) {
		print "---- end of report " n
		inrep = 0
	}
	next
}
start_of(line) {
	if (n >= max) { more++; next }
	n++
	print "---- kernel report " n " ----"
	if (prev != "") print prev
	print line
	inrep = 1
	lines = 1
	next
}
{
	b = body(line)
	prev = (b ~ /^=+$/ || b ~ /cut here/) ? line : ""
}
END {
	if (inrep) print "---- end of report " n
	if (more) print "---- and " more " more report lines, see the log"
	exit n ? 1 : 0
}'
