#!/bin/bash
# msgq-bridge's tests, in the Debian guest (scripts/guest/debian-rig.sh
# runs one step per sub-test): two "hosts", each an IPC namespace of its
# own (a holder process made with unshare --ipc; everything of that host
# runs in it through nsenter, so each has its own msgq mailboxes), each
# with its own bridge, and a 3-node nats-server cluster with JetStream on
# loopback (one stream BT, subjects bt.>, R3). Host A's bridge exports
# mailbox T to bt.T, host B's imports bt.T into its own mailbox T.
# Network namespaces are not used: the bridges reach NATS over TCP either
# way, and the hosts' separation that matters to msgq is the IPC one.
#
#   bridge-test.sh build | config | up | nospace | run T COUNT FAULT
#                  | loop RUNS COUNT | bench COUNT | down
# FAULT: none, kill-export, kill-import, kill-node, full-15s, slow-reader,
# sigterm.
# A run sends COUNT messages (bridge-load, 4 senders, mixed sizes and
# priorities) into A's T and checks B's T: none lost, none corrupt, order
# kept per sender and priority (but for kill-node: see run()), no duplicate
# (kill-import: no more than the redeliveries the restarted bridge
# counted; and, but after kill-node and kill-import, no redelivery at all);
# both bridges then stop on SIGTERM with status 0.
set -u
top=/root/msgq
bin=$top/bridge
W=/run/msgq-bridge-test
# The nodes' stores on disk: every sub-test's messages, 3 times over, are
# more than /run (a tmpfs of a fifth of the guest's memory) holds.
S=/var/tmp/msgq-bridge-test
urls=nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224

die() { echo "bridge-test: $*"; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
in_host() {	# HOST CMD...: CMD in HOST's IPC namespace
	local h=$1
	shift
	nsenter --ipc=/proc/$(cat $W/$h.ns)/ns/ipc "$@"
}
# HOST CMD... &: the same in the background, $! being CMD's own pid (the
# subshell of "&" execs nsenter, which execs CMD).
bg_host() {
	local h=$1
	shift
	exec nsenter --ipc=/proc/$(cat $W/$h.ns)/ns/ipc "$@"
}

# ------------------------------------------------------------- NATS
node_conf() {	# N: node N's configuration
	cat <<-EOC
	server_name: n$1
	listen: 127.0.0.1:$((14221 + $1))
	# Under TCG a starved client misses the default 10 s write deadline
	# and is cut off as a slow consumer: give it longer.
	write_deadline: "60s"
	jetstream { store_dir: "$S/n$1", max_memory_store: 64MB, max_file_store: 4GB }
	cluster {
	  name: msgqtest
	  listen: 127.0.0.1:$((16221 + $1))
	  routes: [ nats-route://127.0.0.1:16222, nats-route://127.0.0.1:16223, nats-route://127.0.0.1:16224 ]
	}
	EOC
}
node_start() {
	node_conf $1 >$W/n$1.conf
	nats-server -c $W/n$1.conf >>$W/n$1.log 2>&1 &
	echo $! >$W/n$1.pid
}
node_of() {	# HOST: the node HOST's bridge is connected to (1-3)
	local pid ino hex
	pid=$(cat $W/$1.pid)
	for ino in $(ls -l /proc/$pid/fd 2>/dev/null |
		     sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p'); do
		hex=$(awk -v i=$ino '$10 == i { split($3, a, ":"); print a[2] }' \
			/proc/net/tcp)
		[ -n "$hex" ] && [ $((16#$hex)) -ge 14222 ] &&
			[ $((16#$hex)) -le 14224 ] &&
			{ echo $((16#$hex - 14221)); return 0; }
	done
	return 1
}
node_listening() {	# N: the node's client port is open
	grep -qi ":$(printf '%04X' $((14221 + $1))) 00000000:0000 0A" /proc/net/tcp
}

# ---------------------------------------------------------- bridges
conf() {	# HOST T [OPTIONS]: HOST's configuration for test T
	local h=$1 t=$2
	shift 2
	echo "servers $urls"
	echo "host host$h"
	echo "state $W/$h"
	echo "stream BT bt.> replicas=3 duplicates=300"
	if [ $h = A ]; then
		echo "export $t -> bt.$t $*"
	else
		echo "import bt.$t -> $t durable=$t $*"
	fi
}
bridge_start() {	# HOST T: start HOST's bridge, wait until its route is up
	local h=$1 t=$2 i n
	# The log is appended to: only this bridge's lines count.
	n=$(cat $W/$h-$t.log 2>/dev/null | wc -l)
	bg_host $h $bin/msgq-bridge -c $W/$h-$t.conf >>$W/$h-$t.log 2>&1 &
	echo $! >$W/$h.pid
	for i in $(seq 1 600); do
		tail -n +$((n + 1)) $W/$h-$t.log 2>/dev/null | grep -q "$t.*: up" &&
			return 0
		kill -0 $(cat $W/$h.pid) 2>/dev/null || break
		sleep 0.1
	done
	cat $W/$h-$t.log
	die "bridge $h did not come up"
}
bridge_stop() {	# HOST T: SIGTERM, exit status 0 (finishes what is in flight)
	local h=$1 t=$2 pid rc
	pid=$(cat $W/$h.pid)
	kill -TERM $pid
	wait $pid
	rc=$?
	echo "bridge $h: SIGTERM: exit $rc; $(grep -c . $W/$h-$t.log) log lines"
	[ $rc = 0 ]
}
stat_of() {	# HOST FIELD: FIELD of HOST's route in its stats file
	sed -n "s/.* $2=\([0-9]*\).*/\1/p" $W/$1/stats 2>/dev/null | head -n1
}
wait_forwarded() {	# HOST N: until HOST forwarded N messages
	local i
	for i in $(seq 1 6000); do
		[ "$(stat_of $1 forwarded)" -ge $2 ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# --------------------------------------------------------------- tests
build() {
	make -C $top tools >/dev/null && make -C $bin && ls -l $bin/msgq-bridge &&
		$bin/seen-test &&
		nats-server --version
}
config() {	# bad lines: each named with its line, exit 2
	local rc
	mkdir -p $W
	cat >$W/bad.conf <<-'EOC'
	# a bad configuration
	servers http://127.0.0.1:4222
	export orders bt.orders
	import bt.x -> box max_msgs=0
	frobnicate yes
	export box -> bt.* window=9
	EOC
	$bin/msgq-bridge -c $W/bad.conf >$W/bad.out 2>&1
	rc=$?
	cat $W/bad.out
	echo "exit $rc"
	[ $rc = 2 ] &&
		grep -q 'bad.conf:2: .*nats://' $W/bad.out &&
		grep -q "bad.conf:3: expected 'export MAILBOX -> SUBJECT'" $W/bad.out &&
		grep -q 'bad.conf:4: max_msgs=0' $W/bad.out &&
		grep -q "bad.conf:5: unknown directive 'frobnicate'" $W/bad.out &&
		grep -q 'bad.conf:6: .*not a NATS subject' $W/bad.out &&
		$bin/msgq-bridge -c /nonexistent --check 2>&1 | grep -q 'No such file' &&
		{ conf A ok >$W/ok.conf; $bin/msgq-bridge -c $W/ok.conf --check; }
}
up() {
	local i n
	systemctl stop nats-server.service 2>/dev/null
	rm -rf $W $S
	mkdir -p $W/A $W/B $S
	for n in 1 2 3; do node_start $n; done
	for h in A B; do
		unshare --ipc sleep 1000000 >/dev/null 2>&1 &
		echo $! >$W/$h.ns
	done
	for i in $(seq 1 300); do
		node_listening 1 && node_listening 2 && node_listening 3 && break
		sleep 0.2
	done
	sleep 1
	# The hosts are apart: a mailbox of A is not one of B.
	in_host A $top/tools/msgq create probe &&
		! in_host B $top/tools/msgq send probe x 2>/dev/null &&
		in_host A $top/tools/msgq rm probe &&
		echo "hosts A and B: separate IPC namespaces (a mailbox of A is not in B)" &&
		node_listening 1 && node_listening 2 && node_listening 3 &&
		echo "nats-server cluster: 3 nodes listening on 14222-14224"
}
down() {
	local f
	for f in $W/n?.pid $W/A.ns $W/B.ns; do
		kill $(cat $f) 2>/dev/null
	done
	wait
	grep -h -i -e 'fatal' $W/n?.log | head
	rm -rf $S
	true
}

# nospace: an export whose spool does not fit its state directory (a
# 256 KiB tmpfs) logs ENOSPC and retries; it neither dies (a page of a
# mapping the tmpfs cannot back is SIGBUS) nor exports; SIGTERM: exit 0.
nospace() {
	local d=$W/tiny pid rc=0 i
	mkdir -p $d && mount -t tmpfs -o size=256k tmpfs $d || return 1
	{ conf A nospace; echo "state $d"; } >$W/A-nospace.conf
	bg_host A $bin/msgq-bridge -c $W/A-nospace.conf >$W/A-nospace.log 2>&1 &
	pid=$!
	for i in $(seq 1 600); do
		grep -q 'spool .*No space left on device' $W/A-nospace.log &&
			break
		sleep 0.1
	done
	sleep 3		# its retries
	cat $W/A-nospace.log
	kill -0 $pid 2>/dev/null || { echo "the bridge died"; rc=1; }
	grep -q 'spool .*No space left on device' $W/A-nospace.log || rc=1
	kill -TERM $pid
	wait $pid || { echo "exit status $?"; rc=1; }
	umount $d
	return $rc
}

# run T COUNT FAULT [MAILBOX_OPTS]
run() {
	local t=$1 count=$2 fault=$3 imp_opts=${4:-} exp_opts=${5:-}
	local t0 rc=0 sender checker dup redelivered a10 n pace=
	conf A $t $exp_opts >$W/A-$t.conf
	conf B $t $imp_opts >$W/B-$t.conf
	t0=$(now_ms)
	bridge_start B $t
	bridge_start A $t
	echo "bridges up in $(($(now_ms) - t0)) ms"
	t0=$(now_ms)
	in_host A $bin/bridge-load send $t $count 4 &
	sender=$!
	if [ $fault = full-15s ]; then
		# B's mailbox (max_msgs=64) stays full for 15 s, longer than the
		# import's 10 s ack wait: no reader.
		sleep 15
		a10=$(stat_of A forwarded)
		echo "B full for 15 s: A forwarded $a10 meanwhile, B $(stat_of B forwarded)"
	fi
	# slow-reader: a message each 50 ms, so that messages wait in B's
	# bridge longer than the ack wait.
	[ $fault = slow-reader ] && pace=50
	in_host B env BRIDGE_LOAD_PACE_MS=$pace $bin/bridge-load check $t $count ${BRIDGE_CHECK_TIMEOUT:-900} 1000000 >$W/check-$t.out 2>&1 &
	checker=$!
	case $fault in
	kill-export | kill-import)
		[ $fault = kill-export ] && n=A || n=B
		wait_forwarded $n $((count / 3))
		kill -9 $(cat $W/$n.pid)
		echo "kill -9 of $n's bridge at $(stat_of $n forwarded) forwarded"
		sleep 1
		bridge_start $n $t ;;
	kill-node)
		# The node B's bridge is connected to: the acks in flight
		# to it are lost, and JetStream delivers those messages
		# again, which B must not send twice.
		wait_forwarded B $((count / 3))
		n=$(node_of B) || { echo "B's node not found"; n=1; rc=1; }
		kill -9 $(cat $W/n$n.pid)
		echo "kill -9 of NATS node n$n (B's) at $(stat_of B forwarded) forwarded by B"
		sleep 5
		node_start $n
		echo "n$n restarted" ;;
	sigterm)
		wait_forwarded A $((count / 3))
		bridge_stop A $t || rc=1
		bridge_start A $t ;;
	esac
	wait $sender || { echo "sender failed"; rc=1; }
	echo "sent $count in $(($(now_ms) - t0)) ms"
	# The reader's own status counts misorders: the greps below decide.
	wait $checker
	cat $W/check-$t.out
	echo "received in $(($(now_ms) - t0)) ms"
	bridge_stop A $t || rc=1
	bridge_stop B $t || rc=1
	echo "A: $(grep export $W/A/stats)"
	echo "B: $(grep import $W/B/stats)"
	dup=$(sed -n 's/.* dup=\([0-9]*\).*/\1/p' $W/check-$t.out)
	redelivered=$(stat_of B redelivered)
	if [ $fault = kill-import ]; then
		echo "duplicates $dup, redeliveries counted by B $redelivered"
		[ "$dup" -le "$redelivered" ] || rc=1
	else
		[ "$dup" = 0 ] || rc=1
	fi
	# While the import bridge lives, JetStream delivers nothing twice
	# (a node lost may lose an ack: redelivered, not duplicated).
	case $fault in
	kill-import | kill-node) ;;
	*) [ "$redelivered" = 0 ] || { echo "B saw $redelivered redeliveries"; rc=1; } ;;
	esac
	if [ $fault = full-15s ]; then
		[ "$a10" -gt $((3 * 64 + 256)) ] || { echo "A did not keep going"; rc=1; }
	fi
	# A node lost fails the publishes of one window: those are
	# republished, in order, after messages that had landed (export.c),
	# so only there is the order not required.
	# After a kill -9 of the import bridge, JetStream redelivers what it
	# had not acked once its AckWait has passed, after later messages:
	# the order is not required there either (msgq-bridge(8), BUGS).
	if [ $fault = kill-node ] || [ $fault = kill-import ]; then
		grep -q 'lost=0 .* corrupt=0' $W/check-$t.out || rc=1
	else
		grep -q 'lost=0 .*misorder=0 corrupt=0' $W/check-$t.out || rc=1
	fi
	[ $rc = 0 ] || tail -n 5 $W/A-$t.log $W/B-$t.log
	return $rc
}

# loop RUNS COUNT: each run kills a bridge (export on odd runs, import on
# even ones) with kill -9 at a random moment, restarts it, and checks.
loop() {
	local runs=$1 count=$2 r h t ms pid checker rc=0 dup red
	for r in $(seq 1 $runs); do
		t=loop$r
		[ $((r % 2)) = 1 ] && h=A || h=B
		conf A $t >$W/A-$t.conf
		conf B $t >$W/B-$t.conf
		bridge_start B $t >/dev/null
		bridge_start A $t >/dev/null
		in_host A $bin/bridge-load send $t $count 4 &
		pid=$!
		in_host B $bin/bridge-load check $t $count ${BRIDGE_CHECK_TIMEOUT:-300} 1000000 >$W/check-$t.out 2>&1 &
		checker=$!
		ms=$(shuf -i 50-3000 -n 1)
		sleep $(awk "BEGIN { print $ms / 1000 }")
		kill -9 $(cat $W/$h.pid)
		sleep 0.5
		bridge_start $h $t >/dev/null
		wait $pid || { echo "run $r: the sender failed"; rc=1; }
		wait $checker
		bridge_stop A $t >/dev/null || rc=1
		bridge_stop B $t >/dev/null || rc=1
		dup=$(sed -n 's/.* dup=\([0-9]*\).*/\1/p' $W/check-$t.out)
		red=$(stat_of B redelivered)
		echo "run $r: kill -9 of $h's bridge after $ms ms: $(grep received= $W/check-$t.out) (B redelivered $red)"
		# Export kills keep the order; import kills may not (run()).
		if [ $h = A ]; then
			grep -q 'lost=0 .*misorder=0 corrupt=0' $W/check-$t.out
		else
			grep -q 'lost=0 .* corrupt=0' $W/check-$t.out
		fi && [ "${dup:-1}" -le "${red:-0}" ] || {
			rc=1
			tail -n 5 $W/A-$t.log $W/B-$t.log
		}
	done
	return $rc
}

# bench COUNT: A->B through the bridges (one sender), then the same
# messages through the NATS C client directly (nats-direct).
bench() {
	local count=$1 t=bench tb td
	conf A $t >$W/A-$t.conf
	conf B $t >$W/B-$t.conf
	bridge_start B $t
	bridge_start A $t
	in_host B $bin/bridge-load check $t $count 900 >$W/check-$t.out 2>&1 &
	in_host A $bin/bridge-load send $t $count 1
	wait $! || { cat $W/check-$t.out; return 1; }
	bridge_stop A $t && bridge_stop B $t || return 1
	$bin/nats-direct $urls bt.direct $count >$W/direct.out || return 1
	tb=$(sed -n 's/^throughput=\([0-9]*\).*/\1/p' $W/check-$t.out)
	td=$(sed -n 's/^throughput=\([0-9]*\).*/\1/p' $W/direct.out)
	echo "bench: $count messages (mixed sizes, ~450 B), one sender"
	echo "bridge A->B: $(tail -n1 $W/check-$t.out)"
	echo "NATS direct: $(cat $W/direct.out)"
	echo "ratio bridge/direct: $(awk "BEGIN { printf \"%.2f\", $tb / $td }")"
}

cmd=$1
shift
"$cmd" "$@"
