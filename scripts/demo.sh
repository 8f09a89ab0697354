#!/bin/sh
# make demo: run build/demo/bin/msgq-demo (built by the Makefile), then its
# epilogue with the msgq CLI (tools/demo-cli.sh as msgq-demo-cli), in a QEMU
# guest running Debian's 6.1 kernel with msgq.ko loaded. Exits non-zero when
# the demo fails or the guest reports any problem.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=$top/build
guest=$(scripts/guest-kernel.sh 6.1)
image=${guest% *} kdir=${guest#* }
scripts/build-module.sh "$kdir" "$build/target-6.1/module"
set +e
scripts/vm.sh --kernel "$image" --module "$build/target-6.1/module/msgq.ko" \
	--payload "$build/demo" --cmd 'msgq-demo && msgq-demo-cli' --timeout 300 \
	--log "$build/demo.log"
set -e
scripts/scan-log.sh --no-tests "$build/demo.log" >"$build/demo.verdict" || {
	grep '^scan:' "$build/demo.verdict"
	echo "demo: FAILED (log: $build/demo.log)"
	exit 1
}
echo "demo: ok"
