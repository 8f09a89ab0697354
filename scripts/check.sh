#!/bin/bash
# make check: every test of msgq, in QEMU guests. Run as root on Debian 12.
#  1. installs what is missing (scripts/deps.sh), extracts the kselftest harness
#  2. proves the log scanner on sample logs (scripts/test-scan-log.sh)
#  3. packaging, on the host (scripts/test-packaging.sh): man page lint,
#     make install into a DESTDIR + a pkg-config build, DKMS builds against
#     the 6.1 and 6.12 headers (never installed or loaded here), the .debs
#     (dpkg-buildpackage -b, lintian; kept in build/packaging/deb/)
#  4. builds libmsgq, the selftests and the msgq CLI, statically; some
#     selftests also as 32-bit programs of both time_t sizes
#  5. for each target kernel: builds msgq.ko against it, boots it with the
#     module, the selftests and the CLI tests (tools/cli_test.sh) under
#     scripts/vm.sh, scans the log (scan-log.sh) and prints any kernel report
#     in it in full (kernel-reports.sh)
# Targets: "6.1" (Debian's linux-image-amd64, always), "6.12" (Debian 12's
# linux-image-6.12.*+deb12-amd64, installed by deps.sh), then "debug" when
# scripts/debug-kernel.sh is executable (it prints the built tree's path on
# its last stdout line). Add a target by calling run_target. Last "debian":
# no busybox guest but a real Debian 12 system (scripts/debian-image.sh,
# cached), where scripts/debian-vm.sh has the README's install steps
# (packaging/install-steps.sh) run as a user would, a reboot and a kernel
# upgrade from 6.1 to 6.12 (scripts/guest/debian-rig.sh), then, on a fresh
# overlay, the same install checks with the .debs built by the packaging
# step (apt-get install, a reboot, apt-get purge: debian-deb-rig.sh); both
# logs are read by the same verdict (targets "debian" and "debian-deb").
# Closes with "N passed, N failed[, N skipped]" summed over all targets; exits
# non-zero when anything failed.
#   Environment: MSGQ_TARGETS="6.1 6.12 debug debian" to choose targets,
#                MSGQ_VM_TIMEOUT (seconds, whole guest run; the debug
#                target's default is shorter, see debug_timeout),
#                MSGQ_STRESS_SEED, MSGQ_STRESS_SECONDS, MSGQ_FI_VERBOSE
#                (numbers, passed to the selftests in the guest),
#                MSGQ_TESTS="iov_test stall_test" to run only those test
#                programs (a development aid: the packaging and lint steps
#                and the examples still run; CI never sets it); NAME_test
#                brings its 32-bit flavours along, NAME_test-m32 or
#                NAME_test-t64 names one alone.
#                MSGQ_DEBIAN_MODE=python: the debian target runs only the
#                Python package's steps, on one boot (a development aid
#                like MSGQ_TESTS: scripts/guest/debian-rig.sh);
#                MSGQ_DEBIAN_MODE=bridge the same for msgq-bridge's steps
#                (scripts/guest/bridge-test.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=$top/build
targets=${MSGQ_TARGETS:-6.1 6.12 debug debian}
start=$(date +%s)

step() { echo "== check: $*"; }

step deps
scripts/deps.sh
scripts/kselftest.sh "$build/kselftest"

step "scanner self-test"
scripts/test-scan-log.sh

total_pass=0 total_fail=0 total_skip=0 bad=
step "packaging: man pages, make install + pkg-config, DKMS builds, .debs"
pk_rc=0
scripts/test-packaging.sh | tee "$build/packaging.tap" || pk_rc=$?
read -r p f < <(tail -n1 "$build/packaging.tap" |
	sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p')
total_pass=$((total_pass + ${p:-0})) total_fail=$((total_fail + ${f:-0}))
[ $pk_rc = 0 ] && [ -n "${p:-}" ] || bad="$bad packaging"

step "lint: checkpatch --strict and sparse on module/"
lint_rc=0
scripts/lint-module.sh "$build" | tee "$build/lint.tap" || lint_rc=$?
read -r p f < <(tail -n1 "$build/lint.tap" |
	sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p')
total_pass=$((total_pass + ${p:-0})) total_fail=$((total_fail + ${f:-0}))
[ $lint_rc = 0 ] && [ -n "${p:-}" ] || bad="$bad lint"

step "build libmsgq and selftests (static)"
make -s lib
make -s -C selftests STATIC=1 OUTPUT="$build/selftests"
make -s -C tools STATIC=1 OUTPUT="$build/cli"
make -s examples

# The payload: every selftest binary, settings, the guest runner, examples.
payload=$build/payload
rm -rf "$payload"
mkdir -p "$payload/bin" "$payload/selftests"
cp scripts/guest/run-selftests.sh "$payload/bin/"
# The CLI and its tests: cli_test runs as one more test program.
cp "$build/cli/msgq" "$payload/bin/"
want() { case " ${MSGQ_TESTS:-$1} " in *" $1 "*) return 0 ;; esac; return 1; }
if want cli_test; then cp tools/cli_test.sh "$payload/selftests/cli_test"; fi
cp selftests/settings "$payload/selftests/"
for c in selftests/*_test.c; do
	[ -e "$c" ] || continue
	t=$(basename "$c" .c)
	[ "$t" != msgq_test ] || continue	# the helpers, not a test
	want "$t" || continue
	cp "$build/selftests/$t" "$payload/selftests/"
done
# The 32-bit flavours (selftests/Makefile, FLAVOUR): m32 (32-bit time_t)
# and t64 (_TIME_BITS=64), both against the one 32-bit libmsgq, of the
# tests that see what differs in a 32-bit program: struct timespec in the
# library (time64, timeout), the UAPI structs' layout and pointers as
# __u64 (uapi, messages, batch, sendrecv, writeback, names), readv and
# writev with the 32-bit struct iovec (iov), and the module's
# compat_ioctl path, restarts after a signal included (signal), the
# descriptor arrays of a send and a receive as __u64 (fds), and the
# <mqueue.h> conformance suite in both columns (posix_test, with
# posix_test-msgq-m32/-t64 against the 32-bit libmsgq-posix).
# About 14 s per flavour in a stock guest. Not the whole suite: that would
# run it three times in each guest, for the module's logic, which a 32-bit
# caller does not change.
# As NAME_test-m32 and NAME_test-t64, so that a failure names its flavour;
# MSGQ_TESTS selects them by either name. ia32-probe tells the guest
# runner whether its kernel runs them (IA32_EMULATION; SKIPs without).
flavour_tests="time64_test timeout_test uapi_test messages_test batch_test
sendrecv_test writeback_test names_test iov_test signal_test stall_test
trace_test fdinfo_test posix_test fds_test fanout_test"
make -s -C lib M32=1
for f in m32 t64; do
	only=
	for t in $flavour_tests; do
		if want "$t" || want "$t-$f"; then only="$only $t"; fi
	done
	[ -n "$only" ] || continue
	make -s -C selftests STATIC=1 FLAVOUR=$f ONLY="$only" \
		OUTPUT="$build/selftests-$f"
	for t in $only; do
		cp "$build/selftests-$f/$t" "$payload/selftests/$t-$f"
	done
	# posix_test brings its column against libmsgq-posix along.
	case " $only " in
	*" posix_test "*) cp "$build/selftests-$f/posix_test-msgq" \
		"$payload/selftests/posix_test-msgq-$f" ;;
	esac
done
${CC:-cc} -m32 -static -O2 -Wall -Wextra -o "$payload/bin/ia32-probe" \
	scripts/guest/ia32-probe.c
# posix_test's other builds (selftests/Makefile): posix_test-msgq, the
# conformance suite against libmsgq-posix, and posix_test-preload
# (selftests/posix_preload.sh), a dynamic glibc program (posix_prog, and
# as 32-bit programs posix_prog-m32 and -t64) run unchanged with
# LD_PRELOAD=libmsgq-posix.so.1. The busybox guest has no shared library:
# lib/ and lib32/ get the loader and libc (ldd's list), libmsgq.so.1 and
# libmsgq-posix.so.1 of that ABI, and DIR/interp the loader's path.
payload_libs() {	# PROG DIR SO...
	local prog=$1 dir=$payload/$2 so
	shift 2
	mkdir -p "$dir"
	for so in $(ldd "$prog" |
		sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p;s/^\t\(\/[^ ]*\) .*/\1/p') "$@"; do
		cp -L "$so" "$dir/"
	done
	readelf -l "$prog" |
		sed -n 's/.*interpreter: \(.*\)]$/\1/p' >"$dir/interp"
}
if want posix_test || want posix_test-msgq; then
	cp "$build/selftests/posix_test-msgq" "$payload/selftests/"
fi
if want posix_test || want posix_test-preload; then
	prog=$build/selftests/posix_prog
	cp selftests/posix_preload.sh "$payload/selftests/posix_test-preload"
	cp "$prog" "$prog-m32" "$prog-t64" "$payload/selftests/"
	payload_libs "$prog" lib lib/libmsgq.so.1 lib/posix/libmsgq-posix.so.1
	payload_libs "$prog-t64" lib32 lib/m32/libmsgq.so.1 \
		lib/posix/m32/libmsgq-posix.so.1
fi
# The event-loop workers (examples/*_worker.c, static) are driven by
# evloop_test, which finds them beside itself.
if want evloop_test; then
	cp "$build/examples/libuv_worker" "$build/examples/libevent_worker" \
		"$build/examples/glib_worker" "$payload/selftests/"
fi
# Examples that check themselves: run after the selftests, one TAP line each.
mkdir -p "$payload/examples"
cp "$build/examples/epoll_loop" "$build/examples/uring_echo" \
	"$build/examples/memfd_handoff" "$payload/examples/"
# The benchmark's smoke run (seconds, every path): one more test program.
# Its tracepoint variants (bench/variant.sh) reload msgq.ko, and a build of
# it without tracepoints: run_target puts both in payload/modules.
make -s bench-bin
cp "$build/bench/payload/bin/msgq-bench" "$payload/bin/"
install -m 755 bench/variant.sh "$payload/bin/msgq-bench-variant"
if want bench_smoke_test; then cp bench/bench_smoke_test "$payload/selftests/"; fi
nbins=$(find "$payload/selftests" "$payload/examples" -type f -perm -u+x | wc -l)
per=$(sed -n 's/^timeout=//p' selftests/settings)
# Test knobs handed to the guest's selftests when set here (README, Testing):
# the chaos stress run's seed and length, fault injection's verbosity.
guest_cmd=run-selftests.sh
for v in MSGQ_STRESS_SEED MSGQ_STRESS_SECONDS MSGQ_FI_VERBOSE; do
	val=$(printenv "$v" || true)
	case $val in
	'') ;;
	*[!0-9]*) echo "check: $v must be a number"; exit 2 ;;
	*) guest_cmd="$v=$val $guest_cmd" ;;
	esac
done
# What one target adds in front of guest_cmd ("VAR=value "), for its guest.
guest_env=
vm_timeout=${MSGQ_VM_TIMEOUT:-$((120 + nbins * (per + 15)))}
# The debug guest's limit is shorter: its kernel panics, report printed, on a
# hung task, a soft lockup or an RCU stall within about a minute
# (selftests/debug.config), and a clean run takes about 5 minutes (README,
# Testing), so 25 minutes is left for what those cannot see. A longer stress
# run adds its extra seconds; MSGQ_FI_VERBOSE (a console line, or a stack,
# per injected fault) and MSGQ_VM_TIMEOUT keep vm_timeout.
debug_timeout=$vm_timeout
if [ -z "${MSGQ_VM_TIMEOUT:-}" ] && [ "${MSGQ_FI_VERBOSE:-0}" = 0 ]; then
	extra=$((${MSGQ_STRESS_SECONDS:-60} - 60))
	[ $extra -gt 0 ] || extra=0
	[ $((1500 + extra)) -ge "$vm_timeout" ] ||
		debug_timeout=$((1500 + extra))
fi

# The debian guest builds msgq twice under TCG (DKMS, for each kernel) and
# boots three times, the third running msgq-bridge's tests too: about 12
# minutes alone before the bridge, which adds 13 to 19 (1153 s on a host
# at load 4); MSGQ_VM_TIMEOUT overrides.
debian_timeout=${MSGQ_VM_TIMEOUT:-4200}

# run_target NAME BZIMAGE KDIR [VM.SH OPTIONS...]: the guest runs
# $guest_env$guest_cmd.
run_target() {
	local name=$1 image=$2 kdir=$3 out=$build/target-$1
	shift 3
	step "target $name: build msgq.ko against $kdir"
	if ! scripts/build-module.sh "$kdir" "$out/module"; then
		echo "check: target $name: module build failed"
		bad="$bad $name"
		return
	fi
	if want bench_smoke_test; then
		step "target $name: msgq.ko without tracepoints (bench_smoke_test)"
		mkdir -p "$payload/modules"
		cp "$out/module/msgq.ko" "$payload/modules/msgq.ko"
		rm -f "$payload/modules/msgq-notrace.ko"
		if MSGQ_NO_TRACEPOINTS=y scripts/build-module.sh "$kdir" \
			"$out/module-notrace"; then
			cp "$out/module-notrace/msgq.ko" \
				"$payload/modules/msgq-notrace.ko"
		else
			echo "check: target $name: MSGQ_NO_TRACEPOINTS=y build failed"
			bad="$bad $name"
		fi
	fi
	step "target $name: boot $image ($nbins selftest binaries)"
	scripts/vm.sh --kernel "$image" --module "$out/module/msgq.ko" \
		--payload "$payload" --cmd "$guest_env$guest_cmd" \
		--timeout "$vm_timeout" --log "$out/guest.log" "$@" || true
	verdict "$name" "$out/guest.log"
}

# verdict NAME LOG: the target's verdict (scan-log.sh), its kernel reports
# in full, its counts added to the totals.
verdict() {
	local name=$1 log=$2 verdict rc=0 p f s
	step "target $name: verdict (log: $log)"
	verdict=$(scripts/scan-log.sh "$log") || rc=$?
	echo "$verdict" | sed "s/^/[$name] /"
	# Kernel reports (KASAN, lockdep, UBSAN, kmemleak...) in full.
	scripts/kernel-reports.sh "$log" | sed "s/^/[$name] /" || true
	read -r p f s < <(echo "$verdict" | tail -n1 |
		sed -E 's/([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?/\1 \2 \4/')
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	total_skip=$((total_skip + ${s:-0}))
	[ $rc = 0 ] || bad="$bad $name"
}

for t in $targets; do
	case $t in
	6.1 | 6.12)
		if ! read -r image kdir < <(scripts/guest-kernel.sh "$t"); then
			echo "check: target $t: no kernel (scripts/deps.sh installs it)"
			bad="$bad $t"
			continue
		fi
		# A task stuck in D state for 120 s panics the guest with its
		# report, rather than hanging it until the time limit.
		run_target "$t" "$image" "$kdir" --append "hung_task_panic=1"
		;;
	debug)
		[ -x scripts/debug-kernel.sh ] || continue
		step "target debug: scripts/debug-kernel.sh"
		mkdir -p "$build"
		if ! scripts/debug-kernel.sh | tee "$build/debug-kernel.out"; then
			echo "check: scripts/debug-kernel.sh failed"
			bad="$bad debug"
			continue
		fi
		tree=$(tail -n1 "$build/debug-kernel.out")
		step "target debug: time limit $debug_timeout s"
		# Its checks find more in a longer chaos stress run: 60 s
		# (stress_test.c's own default is 12), unless set above.
		[ -n "${MSGQ_STRESS_SECONDS:-}" ] ||
			guest_env="MSGQ_STRESS_SECONDS=60 "
		run_target debug "$tree/arch/x86/boot/bzImage" "$tree" \
			--timeout "$debug_timeout"
		guest_env=
		;;
	debian)
		step "target debian: scripts/debian-image.sh (Debian 12 image, cached)"
		mkdir -p "$build/target-debian"
		if ! scripts/debian-image.sh | tee "$build/debian-image.out"; then
			echo "check: scripts/debian-image.sh failed"
			bad="$bad debian"
			continue
		fi
		step "target debian: install msgq as the README says, reboot, upgrade the kernel (time limit $debian_timeout s)"
		quick=()
		if [ -n "${MSGQ_DEBIAN_MODE:-}" ]; then
			read -r _ kdir < <(scripts/guest-kernel.sh 6.1)
			scripts/build-module.sh "$kdir" "$build/target-6.1/module"
			quick=(--mode "$MSGQ_DEBIAN_MODE" --module "$build/target-6.1/module/msgq.ko")
		fi
		scripts/debian-vm.sh --image "$(tail -n1 "$build/debian-image.out")" \
			--timeout "$debian_timeout" "${quick[@]}" \
			--log "$build/target-debian/guest.log" || true
		verdict debian "$build/target-debian/guest.log"
		# A quick mode (a development aid) is the one boot it asks for.
		[ -z "${MSGQ_DEBIAN_MODE:-}" ] || continue
		# The second pass, on a fresh overlay: the .debs that
		# test-packaging.sh deb built above, apt-get install, reboot,
		# apt-get purge (scripts/guest/debian-deb-rig.sh).
		step "target debian-deb: apt-get install the .debs (build/packaging/deb), reboot, apt-get purge (time limit $debian_timeout s)"
		if ! ls "$build"/packaging/deb/msgq-dkms_*.deb >/dev/null 2>&1; then
			echo "check: target debian-deb: no .debs in $build/packaging/deb (the packaging step's deb group failed)"
			bad="$bad debian-deb"
			continue
		fi
		scripts/debian-vm.sh --image "$(tail -n1 "$build/debian-image.out")" \
			--rig deb --debs "$build/packaging/deb" \
			--timeout "$debian_timeout" \
			--log "$build/target-debian/guest-deb.log" || true
		verdict debian-deb "$build/target-debian/guest-deb.log"
		;;
	*) echo "check: unknown target $t"; exit 2 ;;
	esac
done

step "done in $(($(date +%s) - start)) s"
[ -z "$bad" ] || echo "check: FAILED targets:$bad"
line="$total_pass passed, $total_fail failed"
[ "$total_skip" = 0 ] || line="$line, $total_skip skipped"
echo "$line"
[ -z "$bad" ]
