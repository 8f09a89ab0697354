#!/bin/bash
# scripts/bench-bridge.sh — make bench-bridge: msgq-bridge's throughput and
# latency, A->B through two bridges, next to the same messages published
# and consumed with the NATS C client directly (the floor), in the Debian
# guest (debian-rig.sh's quick mode bench-bridge: a 3-node JetStream
# cluster on loopback, two IPC namespaces; scripts/guest/bridge-test.sh
# bench). MSGQ_BRIDGE_BENCH_COUNT messages (default 20000).
# Results: build/bench-bridge/results.txt; the guest's log beside it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/build/bench-bridge
mkdir -p "$out"
rm -f "$out/results.txt" "$out/guest.log"
image=$(scripts/debian-image.sh | tail -n1)
read -r _ kdir < <(scripts/guest-kernel.sh 6.1)
scripts/build-module.sh "$kdir" "$top/build/target-6.1/module"
echo "bench-bridge: $(nproc) host CPUs, load $(cut -d' ' -f1 /proc/loadavg), $(pgrep -c qemu-system || true) other QEMU process(es)"
env="$top/.rig-bridge.env"
trap 'rm -f "$env"' EXIT
printf 'BRIDGE_BENCH=%s\nexport BRIDGE_BENCH\n' "${MSGQ_BRIDGE_BENCH_COUNT:-20000}" >"$env"
scripts/debian-vm.sh --image "$image" --mode bench-bridge \
	--module "$top/build/target-6.1/module/msgq.ko" \
	--timeout "${MSGQ_BENCH_TIMEOUT:-1200}" --log "$out/guest.log" >/dev/null || true
tr -d '\r' <"$out/guest.log" | sed -n 's/^#   \[[ 0-9.]*\] \(bench: .*\|bridge A->B: .*\|NATS direct: .*\|ratio .*\)$/\1/p' \
	>"$out/results.txt" || true
verdict=$(scripts/scan-log.sh "$out/guest.log") || { echo "$verdict"; exit 1; }
[ -s "$out/results.txt" ] || { echo "bench-bridge: no figures in $out/guest.log" >&2; exit 1; }
cat "$out/results.txt"
