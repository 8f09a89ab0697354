#!/bin/sh
# Build msgq.ko against the kernel build tree KDIR, in OUT (a copy of the
# module sources, so that builds for several kernels never share objects).
#   scripts/build-module.sh KDIR OUT   -> OUT/msgq.ko
set -eu

[ $# = 2 ] || { echo "usage: $0 KDIR OUT" >&2; exit 2; }
kdir=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$kdir" ] || { echo "build-module: no kernel tree at $kdir" >&2; exit 1; }
mkdir -p "$out"
# Refresh the sources; keep objects so rebuilds stay incremental.
rm -rf "$out/module" "$out/uapi"
cp "$top/Kbuild" "$top/VERSION" "$out/"
for d in module uapi; do
	mkdir -p "$out/$d"
	find "$top/$d" -maxdepth 1 -type f \( -name '*.[ch]' -o -name Kbuild \) \
		-exec cp -p {} "$out/$d/" \;
done
make -s -C "$kdir" M="$(cd "$out" && pwd)" modules
