#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#
# Tests of the msgq CLI (tools/msgq), run as root with msgq.ko loaded: in
# the QEMU guest, make check copies it as selftests/cli_test next to the
# selftests and msgq into bin/. Plain POSIX sh (busybox): every subcommand's
# output and exit status, help and usage errors, waiting, timeouts,
# namespaces and permissions. Prints TAP, one line per case; exits 1 if any
# case failed.
#   cli_test [PATH-TO-MSGQ]      (default: msgq from PATH)

# "COND && ok ... || not_ok ..." is safe here: ok never fails.
# shellcheck disable=SC2015
set -u

MSGQ=${1:-msgq}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0
out=$tmp/out err=$tmp/err

ok() { n=$((n + 1)); echo "ok $n cli: $1"; }
not_ok() {
	n=$((n + 1)) bad=1
	echo "not ok $n cli: $1"
	shift
	for l in "$@"; do echo "# $l"; done
	[ -s "$out" ] && sed 's/^/#   stdout: /' "$out" | head -20
	[ -s "$err" ] && sed 's/^/#   stderr: /' "$err" | head -20
	return 0
}

# run CMD...: run msgq with its stdout/stderr in $out/$err, status in $rc.
run() {
	"$MSGQ" "$@" >"$out" 2>"$err"
	rc=$?
}
# expect DESC STATUS: the last run exited with STATUS.
expect() {
	if [ "$rc" = "$2" ]; then ok "$1"; else not_ok "$1" "exit $rc, wanted $2"; fi
}
# expect_out DESC STATUS TEXT: ... and printed exactly TEXT (printf %b).
expect_out() {
	printf '%b' "$3" >"$tmp/want"
	if [ "$rc" = "$2" ] && cmp -s "$out" "$tmp/want"; then
		ok "$1"
	else
		not_ok "$1" "exit $rc (wanted $2), output differs from:" \
			"$(sed 's/^/  /' "$tmp/want")"
	fi
}
# expect_err DESC STATUS PATTERN: ... and stderr matches the grep PATTERN.
expect_err() {
	if [ "$rc" = "$2" ] && grep -q -- "$3" "$err"; then
		ok "$1"
	else
		not_ok "$1" "exit $rc (wanted $2), stderr should match: $3"
	fi
}
# used LIMIT [FILE]: the USED cell of LIMIT in "msgq limits" output (default: run it).
used() {
	if [ $# = 2 ]; then cat "$2"; else "$MSGQ" limits 2>/dev/null; fi |
		awk -v l="$1" '$1 == l { print $3 }'
}
# stat_field NAME KEY: one value of "msgq stat NAME".
stat_field() {
	"$MSGQ" stat "$1" 2>/dev/null | sed -n "s/^$2: *//p"
}

for q in cli-a cli-b cli-w cli-r cli-p cli-full cli-l cli-l0 cli-u; do
	"$MSGQ" rm -f "$q" 2>/dev/null
done

echo "TAP version 13"

# ---- help, version, usage errors (exit 2) ----
run --version
if [ $rc = 0 ] && grep -q '^msgq [0-9][0-9.]*' "$out"; then ok "--version"
else not_ok "--version" "exit $rc"; fi
run --help
if [ $rc = 0 ] && grep -q '^Commands:' "$out" && grep -q 'Exit status' "$out"
then ok "--help"; else not_ok "--help" "exit $rc"; fi
for c in create send recv stat ls limits who rm; do
	run "$c" --help
	if [ $rc = 0 ] && grep -q "^Usage: msgq $c" "$out" && [ ! -s "$err" ]
	then ok "$c --help"; else not_ok "$c --help" "exit $rc"; fi
done
run help recv
if [ $rc = 0 ] && grep -q '^Usage: msgq recv' "$out"; then ok "help recv"
else not_ok "help recv" "exit $rc"; fi
run; expect_err "no command: usage error" 2 "missing COMMAND"
run frobnicate; expect_err "unknown command: usage error" 2 "no such command"
run send; expect_err "send without NAME: usage error" 2 "missing NAME"
run recv cli-a --bogus; expect_err "unknown option: usage error" 2 "Try 'msgq recv --help'"
run create cli-a --max-msgs many; expect_err "create --max-msgs many: usage error" 2 "max-msgs"
run create cli-a --max-size 2M; expect_err "create --max-size 2M: usage error" 2 "max-size"
run create cli-a --mode 0999; expect_err "create --mode 0999: usage error" 2 "mode"
run send cli-a --prio 32768 x; expect_err "send --prio 32768: usage error" 2 "prio"
run recv cli-a --count 0; expect_err "recv --count 0: usage error" 2 "count"
run recv cli-a --peek --count 2; expect_err "recv --peek --count 2: usage error" 2 "peek"
run stat; expect_err "stat without NAME: usage error" 2 "missing NAME"
run ls extra; expect_err "ls with an argument: usage error" 2 "too many"
run limits extra; expect_err "limits with an argument: usage error" 2 "too many"
run who; expect_err "who without NAME: usage error" 2 "missing NAME"
run who a b; expect_err "who with two names: usage error" 2 "too many"

# ---- create, stat ----
run create cli-a --max-msgs 4 --max-size 1k --mode 0640
expect_out "create: silent, exit 0" 0 ""
run stat cli-a
expect_out "stat: every field" 0 "name:           cli-a
max_msgs:       4
max_msgsize:    1024
cur_msgs:       0
cur_bytes:      0
total_sent:     0
total_received: 0
mode:           0640
uid:            0
gid:            0
flags:          -\n"
run create cli-a --max-msgs 9
expect "create of an existing mailbox: exit 0" 0
[ "$(stat_field cli-a max_msgs)" = 4 ] && ok "create of an existing mailbox leaves its limits" ||
	not_ok "create of an existing mailbox leaves its limits"
run create cli-a --excl; expect_err "create --excl of an existing mailbox: exit 1" 1 "exists"
(umask 077 && "$MSGQ" create cli-b) && [ "$(stat_field cli-b mode)" = 0600 ] &&
	[ "$(stat_field cli-b max_msgs)" = 10 ] && [ "$(stat_field cli-b max_msgsize)" = 8192 ] &&
	ok "create: defaults 10 x 8192, mode 0666 less the umask" ||
	not_ok "create: defaults 10 x 8192, mode 0666 less the umask"
(umask 077 && "$MSGQ" create cli-p --mode 0666 --excl) && [ "$(stat_field cli-p mode)" = 0666 ] &&
	ok "create --mode is exact, whatever the umask" ||
	not_ok "create --mode is exact, whatever the umask"
run stat cli-none; expect_err "stat of a missing mailbox: exit 1" 1 "no such mailbox"

# ---- send, recv ----
run send cli-a one two
expect_out "send two messages from the arguments" 0 ""
[ "$(stat_field cli-a cur_msgs)" = 2 ] && [ "$(stat_field cli-a cur_bytes)" = 6 ] &&
	ok "stat: depth and bytes after send" || not_ok "stat: depth and bytes after send"
run send cli-a --prio 7 urgent; expect "send --prio 7" 0
run recv cli-a --show-prio
expect_out "recv: the highest priority first, --show-prio" 0 "7\turgent\n"
run recv cli-a --count 2
expect_out "recv --count 2: in send order" 0 "one\ntwo\n"
run recv cli-a --nonblock
expect_err "recv --nonblock on an empty mailbox: exit 3" 3 "no message"
run recv cli-a --timeout 200
expect_err "recv --timeout 200 on an empty mailbox: exit 3" 3 "timed out"
printf 'l1\nl2\n\nlast without newline' | "$MSGQ" send cli-b >"$out" 2>"$err"; rc=$?
expect "send from standard input" 0
[ "$(stat_field cli-b cur_msgs)" = 4 ] && ok "stdin: one message per line, the empty one too" ||
	not_ok "stdin: one message per line, the empty one too"
run recv cli-b --count 4
expect_out "recv the stdin lines back" 0 "l1\nl2\n\nlast without newline\n"
run send cli-a -- -dash; run recv cli-a
expect_out "-- lets a message start with a dash" 0 "-dash\n"
run send cli-a "$(printf '%1025s' x)"
expect_err "send of a message over max-size: exit 1" 1 "at most 1024"
run send cli-none x; expect_err "send to a missing mailbox: exit 1" 1 "no such mailbox"
run recv cli-none --nonblock; expect_err "recv from a missing mailbox: exit 1" 1 "no such mailbox"

# ---- send --fd ----
run send cli-a --fd 3 carried 3</dev/null; expect "send --fd 3" 0
run recv cli-a; expect_out "recv: the payload of a message that carried a descriptor" 0 "carried\n"
# The message holds the pipe's write end: its reader sees EOF only once
# the message is received (msgq recv closes what it does not ask for).
rm -f "$tmp/eof"
{ "$MSGQ" send cli-a --fd 3 held 3>&1 >/dev/null | { cat >/dev/null; echo eof >"$tmp/eof"; }; } &
sleep 0.5
[ ! -e "$tmp/eof" ] && ok "send --fd: the queued message holds the file" ||
	not_ok "send --fd: the queued message holds the file"
run recv cli-a; expect_out "recv the message holding the pipe" 0 "held\n"
wait
[ -e "$tmp/eof" ] && ok "send --fd: received, the file is let go" ||
	not_ok "send --fd: received, the file is let go"
run send cli-a --fd 97 x; expect_err "send --fd of a closed descriptor: exit 1" 1 "cannot be carried"
run send cli-a --fd 3 x 3</dev/msgq; expect_err "send --fd of /dev/msgq: refused" 1 "cannot be carried"
run send cli-a --fd x x; expect_err "send --fd x: usage error" 2 "descriptor number"
[ "$(stat_field cli-a cur_msgs)" = 0 ] && ok "send --fd: refusals queue nothing" ||
	not_ok "send --fd: refusals queue nothing"

# ---- peek ----
"$MSGQ" send cli-a --prio 3 peeked
run recv cli-a --peek --show-prio; expect_out "recv --peek shows the next message" 0 "3\tpeeked\n"
run recv cli-a --peek; expect_out "recv --peek leaves it there" 0 "peeked\n"
[ "$(stat_field cli-a cur_msgs)" = 1 ] && ok "peek: depth unchanged" || not_ok "peek: depth unchanged"
"$MSGQ" recv cli-a >/dev/null

# ---- full mailbox ----
"$MSGQ" create cli-full --max-msgs 2 --excl
run send cli-full a b c --nonblock
expect_err "send --nonblock to a full mailbox: exit 3, says how many went" 3 "full (2 sent)"
run send cli-full d --timeout 200
expect_err "send --timeout 200 to a full mailbox: exit 3" 3 "timed out (0 sent)"
rm -f "$tmp/bg.rc" "$tmp/bg.out"
("$MSGQ" send cli-full waited >"$tmp/bg.out" 2>&1; echo $? >"$tmp/bg.rc") &
bg=$!
sleep 0.3
if [ ! -s "$tmp/bg.rc" ]; then
	run recv cli-full --count 1
	wait $bg
	[ "$(cat "$tmp/bg.rc")" = 0 ] && [ "$(stat_field cli-full cur_msgs)" = 2 ] &&
		ok "send waits for room by default" ||
		not_ok "send waits for room by default" "background send: $(cat "$tmp/bg.out")"
else
	wait $bg
	not_ok "send waits for room by default" "it did not wait: $(cat "$tmp/bg.out")"
fi

# ---- waiting receive, rendezvous ----
"$MSGQ" create cli-w --excl
rm -f "$tmp/bg.rc" "$tmp/bg.out"
("$MSGQ" recv cli-w --show-prio >"$tmp/bg.out" 2>&1; echo $? >"$tmp/bg.rc") &
bg=$!
sleep 0.3
rm -f "$tmp/late"
[ -s "$tmp/bg.rc" ] && touch "$tmp/late"
"$MSGQ" send cli-w --prio 2 hello
wait $bg
[ ! -e "$tmp/late" ] && [ "$(cat "$tmp/bg.rc")" = 0 ] &&
	[ "$(cat "$tmp/bg.out")" = "$(printf '2\thello')" ] &&
	ok "recv waits for a message by default" ||
	not_ok "recv waits for a message by default" "got: $(cat "$tmp/bg.out")"
"$MSGQ" create cli-r --max-msgs 0 --excl
run send cli-r --nonblock x
expect_err "rendezvous: send --nonblock without a receiver: exit 3" 3 "full"
rm -f "$tmp/bg.rc" "$tmp/bg.out"
("$MSGQ" recv cli-r >"$tmp/bg.out" 2>&1; echo $? >"$tmp/bg.rc") &
bg=$!
sleep 0.3
run send cli-r --timeout 5000 handed
wait $bg
[ $rc = 0 ] && [ "$(cat "$tmp/bg.out")" = handed ] &&
	ok "rendezvous: send meets a waiting receiver" ||
	not_ok "rendezvous: send meets a waiting receiver" "send exit $rc, got: $(cat "$tmp/bg.out")"

# ---- ls ----
run ls
if [ $rc = 0 ] && head -n1 "$out" | grep -q '^NAME  *MSGS  *MAX  *BYTES  *MSGSIZE  *SENT  *RECEIVED  *MODE  *UID  *GID  *FLAGS  *SUBS$'
then ok "ls: header"; else not_ok "ls: header" "exit $rc"; fi
row=$(awk '$1 == "cli-full"' "$out" | tr -s ' ')
[ "$row" = "cli-full 2 2 $(stat_field cli-full cur_bytes) 8192 3 1 $(stat_field cli-full mode) 0 0 - 0" ] &&
	ok "ls: a mailbox's row" || not_ok "ls: a mailbox's row" "row: $row"
names=$(awk 'NR > 1 { print $1 }' "$out" | sort | tr '\n' ' ')
proc=$(awk 'NR > 1 { print $1 }' /proc/msgq | sort | tr '\n' ' ')
[ -n "$proc" ] && [ "$names" = "$proc" ] && ok "ls: the names of /proc/msgq" ||
	not_ok "ls: the names of /proc/msgq" "ls: $names" "proc: $proc"
w=$(awk '{ print index($0, "MSGSIZE") }' "$out" | head -n1)
cols=$(awk -v w="$w" 'NR > 1 && substr($0, w, 7) !~ /^ *[0-9]+ *$/' "$out" | wc -l)
[ "$cols" = 0 ] && ok "ls: columns aligned" || not_ok "ls: columns aligned"
unshare -i "$MSGQ" ls >"$out" 2>"$err"; rc=$?
expect_out "ls in a new IPC namespace: the header only" 0 \
	"NAME MSGS MAX BYTES MSGSIZE SENT RECEIVED MODE UID GID FLAGS SUBS\n"
unshare -i "$MSGQ" stat cli-a >"$out" 2>"$err"; rc=$?
expect_err "stat in a new IPC namespace: not there" 1 "no such mailbox"

# ---- limits ----
run limits
if [ $rc = 0 ] && head -n1 "$out" | grep -q '^LIMIT  *VALUE  *USED$'
then ok "limits: header"; else not_ok "limits: header" "exit $rc"; fi
rows=$(awk 'NR > 1 { print $1 }' "$out" | tr '\n' ' ')
[ "$rows" = "max_mailboxes user_mailboxes user_bytes max_msgs max_msgsize " ] &&
	ok "limits: a row per limit" || not_ok "limits: a row per limit" "rows: $rows"
bad_param=
for p in max_mailboxes user_mailboxes user_bytes max_msgs max_msgsize; do
	[ "$(awk -v l=$p '$1 == l { print $2 }' "$out")" = \
		"$(cat /sys/module/msgq/parameters/$p)" ] || bad_param="$bad_param $p"
done
[ -z "$bad_param" ] && ok "limits: VALUE is the module parameter" ||
	not_ok "limits: VALUE is the module parameter" "differ:$bad_param"
[ "$(awk '$1 ~ /^max_msg/ { print $3 }' "$out" | tr '\n' ' ')" = "- - " ] &&
	ok "limits: max_msgs and max_msgsize bound no usage: USED -" ||
	not_ok "limits: max_msgs and max_msgsize bound no usage: USED -"
# root's names (uid 0, column 9 of /proc/msgq) of all the names here
[ "$(used max_mailboxes)" = "$(awk 'NR > 1' /proc/msgq | wc -l)" ] &&
	[ "$(used user_mailboxes)" = "$(awk 'NR > 1 && $9 == 0' /proc/msgq | wc -l)" ] &&
	ok "limits: USED counts the names here, and the caller's" ||
	not_ok "limits: USED counts the names here, and the caller's" "$(cat /proc/msgq_limits)"
names0=$(used user_mailboxes) bytes0=$(used user_bytes)
"$MSGQ" create cli-l --excl && "$MSGQ" create cli-l0 --max-msgs 0 --max-size 1k --excl
# 2048 + 10 x (8192 + 64), and a rendezvous mailbox as one message: 2048 + 1024 + 64
[ "$(used user_mailboxes)" = $((names0 + 2)) ] &&
	[ "$(used user_bytes)" = $((bytes0 + 84608 + 3136)) ] &&
	ok "limits: a create counts a name and reserves its mailbox and messages" ||
	not_ok "limits: a create counts a name and reserves its mailbox and messages" \
		"before: $names0 names, $bytes0 bytes" "$(cat /proc/msgq_limits)"
unshare -i "$MSGQ" limits >"$out" 2>"$err"
[ "$(used max_mailboxes "$out")" = 0 ] && [ "$(used user_mailboxes "$out")" = 0 ] &&
	[ "$(used user_bytes "$out")" = $((bytes0 + 84608 + 3136)) ] &&
	ok "limits in a new IPC namespace: no names; the bytes count everywhere" ||
	not_ok "limits in a new IPC namespace: no names; the bytes count everywhere"
"$MSGQ" rm cli-l cli-l0
[ "$(used user_mailboxes)" = "$names0" ] && [ "$(used user_bytes)" = "$bytes0" ] &&
	ok "limits: rm gives the name and the bytes back" ||
	not_ok "limits: rm gives the name and the bytes back" "$(cat /proc/msgq_limits)"

# ---- permissions (as an unprivileged user) ----
if mkdir -p /etc 2>/dev/null && { grep -q '^cliuser:' /etc/passwd 2>/dev/null ||
	echo 'cliuser:x:4242:4242::/tmp:/bin/sh' >>/etc/passwd; } &&
	su -s /bin/sh cliuser -c 'exit 0' 2>/dev/null; then
	as_user() { su -s /bin/sh cliuser -c "$*" >"$out" 2>"$err"; rc=$?; }
	"$MSGQ" create cli-p2 --mode 0600 --excl
	as_user "'$MSGQ' send cli-p2 x"
	expect_err "send without write permission: exit 1" 1 "Permission denied"
	as_user "'$MSGQ' rm cli-p"
	expect_err "rm of another user's mailbox: exit 1" 1 "Permission denied"
	as_user "'$MSGQ' send cli-p from-user && '$MSGQ' stat cli-p"
	if [ $rc = 0 ] && grep -q '^cur_msgs: *1$' "$out"; then
		ok "a 0666 mailbox: another user sends and stats"
	else
		not_ok "a 0666 mailbox: another user sends and stats" "exit $rc"
	fi
	"$MSGQ" rm cli-p2
	as_user "'$MSGQ' limits"
	u0=$(used user_mailboxes "$out")
	as_user "'$MSGQ' create cli-u --excl && '$MSGQ' limits"
	u1=$(used user_mailboxes "$out") b1=$(used user_bytes "$out")
	as_user "'$MSGQ' rm cli-u && '$MSGQ' limits"
	u2=$(used user_mailboxes "$out")
	[ "$u0" = 0 ] && [ "$u1" = 1 ] && [ "$b1" = 84608 ] && [ "$u2" = 0 ] &&
		ok "limits as another user: its own names and bytes" ||
		not_ok "limits as another user: its own names and bytes" \
			"names $u0 -> $u1 -> $u2, bytes $b1"
else
	for c in "send without write permission" "rm of another user's mailbox" \
		"a 0666 mailbox: another user sends and stats" \
		"limits as another user: its own names and bytes"; do
		n=$((n + 1)); echo "ok $n cli: $c # SKIP no su"
	done
fi

# ---- who ----
"$MSGQ" create cli-who --max-msgs 2
"$MSGQ" recv cli-who --timeout 20000 >/dev/null 2>&1 &
holder=$!
i=0
while [ $i -lt 100 ] && ! grep -q recv "/proc/$holder/cmdline" 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.5
run who cli-who
if [ $rc = 0 ] && head -n1 "$out" | grep -q '^PID  *COMMAND  *FD  *RIGHTS  *OWNER$' &&
	awk -v p="$holder" '$1 == p && $2 == "msgq" && $4 == "recv" && $5 == "-"' "$out" | grep -q .
then ok "who: the waiting receiver, its command and rights"
else not_ok "who: the waiting receiver, its command and rights" "holder $holder, exit $rc"; fi
[ "$(awk 'NR > 1' "$out" | wc -l)" = 1 ] && ok "who: one handle, not its own" ||
	not_ok "who: one handle, not its own"
"$MSGQ" send cli-who done
wait $holder
run who cli-who
[ $rc = 0 ] && [ "$(awk 'NR > 1' "$out" | wc -l)" = 0 ] && ok "who: nobody once it exits" ||
	not_ok "who: nobody once it exits" "exit $rc"
run who cli-nonesuch; expect_err "who of a missing name: exit 1" 1 "no such mailbox"
"$MSGQ" rm cli-who

# ---- fan-out ----
run create cli-fan --fanout=sideways
expect_err "create --fanout=sideways: usage error" 2 "block' or 'drop"
run create cli-fan --fanout --max-msgs 4
expect "create --fanout" 0
[ "$(stat_field cli-fan flags)" = fanout ] && [ "$(stat_field cli-fan subscribers)" = 0 ] &&
	ok "stat: fanout, no subscribers" || not_ok "stat: fanout, no subscribers"
"$MSGQ" recv cli-fan --count 2 >"$out.1" 2>&1 & r1=$!
"$MSGQ" recv cli-fan --count 2 >"$out.2" 2>&1 & r2=$!
i=0
while [ "$(stat_field cli-fan subscribers)" != 2 ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
[ "$(stat_field cli-fan subscribers)" = 2 ] && ok "stat: two receivers, two subscribers" ||
	not_ok "stat: two receivers, two subscribers"
"$MSGQ" send cli-fan first second
wait $r1; rc1=$?; wait $r2; rc2=$?
[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ "$(cat "$out.1")" = "$(printf 'first\nsecond')" ] &&
	[ "$(cat "$out.2")" = "$(printf 'first\nsecond')" ] &&
	ok "fan-out: both receivers get both messages" ||
	not_ok "fan-out: both receivers get both messages" "exit $rc1 $rc2"
rm -f "$out.1" "$out.2"
run create cli-fand --fanout=drop
[ "$(stat_field cli-fand flags)" = fanout,drop ] && ok "create --fanout=drop" ||
	not_ok "create --fanout=drop"
"$MSGQ" rm cli-fan cli-fand

# ---- rm ----
run rm cli-a cli-b; expect_out "rm two names" 0 ""
run stat cli-a; expect_err "stat after rm: exit 1" 1 "no such mailbox"
run rm cli-a; expect_err "rm of a missing name: exit 1" 1 "no such mailbox"
run rm -f cli-a; expect "rm -f of a missing name: exit 0" 0
run rm cli-w cli-r cli-p cli-full; expect "rm the rest" 0
run ls
[ "$(awk 'NR > 1 && $1 ~ /^cli-/' "$out" | wc -l)" = 0 ] && ok "ls: all gone" ||
	not_ok "ls: all gone"

echo "1..$n"
exit $bad
