#!/bin/bash
# make bench-python: python/bench.py (msgq from Python against
# multiprocessing.Queue and sysv_ipc) in the Debian 12 guest of make
# check's debian target, one boot: scripts/debian-image.sh (cached), then
# scripts/debian-vm.sh --mode bench-python, whose rig installs the tools,
# libmsgq, msgq.ko (built here against the 6.1 headers, insmod-ed there)
# and the Python package and runs
# the benchmark as root. The table comes out of the console log, between
# MSGQ-BENCH-PY-BEGIN/END lines, into build/bench-python/results.md;
# the log is build/bench-python/guest.log. Exits non-zero when the run
# failed or the log has a kernel report (scripts/scan-log.sh).
#   Environment: MSGQ_BENCH_TIMEOUT  seconds for the guest run (1200)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/build/bench-python
mkdir -p "$out"
rm -f "$out/results.md" "$out/guest.log"
image=$(scripts/debian-image.sh | tail -n1)
read -r _ kdir < <(scripts/guest-kernel.sh 6.1)
scripts/build-module.sh "$kdir" "$top/build/target-6.1/module"
echo "bench-python: $(nproc) host CPUs, load $(cut -d' ' -f1 /proc/loadavg), $(pgrep -c qemu-system || true) other QEMU process(es)"
scripts/debian-vm.sh --image "$image" --mode bench-python \
	--module "$top/build/target-6.1/module/msgq.ko" \
	--timeout "${MSGQ_BENCH_TIMEOUT:-1200}" --log "$out/guest.log" >/dev/null || true
tr -d '\r' <"$out/guest.log" |
	sed -n '/MSGQ-BENCH-PY-BEGIN/,/MSGQ-BENCH-PY-END/p' |
	sed -e 's/^#   \[[ 0-9.]*\] //' | grep -v 'MSGQ-BENCH-PY-' >"$out/results.md" || true
verdict=$(scripts/scan-log.sh "$out/guest.log") || { echo "$verdict"; exit 1; }
[ -s "$out/results.md" ] || { echo "bench-python: no table in $out/guest.log" >&2; exit 1; }
cat "$out/results.md"
