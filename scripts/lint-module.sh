#!/bin/bash
# The checks the kernel community runs on module code, for module/ and
# uapi/: checkpatch.pl --strict (from Debian's linux-source-6.1 tarball) and
# sparse (make C=2) plus W=1 against the guest kernel's headers. Any finding
# fails. Prints TAP: one line per check.
#   lint-module.sh BUILD_DIR
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build}/lint
rm -rf "$out" && mkdir -p "$out"
tarball=$(ls /usr/src/linux-source-6.1.tar.xz)
src=$(basename "$tarball" .tar.xz)

pass=0 fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok $1"; fail=$((fail + 1)); }

echo "TAP version 13"
echo "1..2"

tar -xJf "$tarball" -C "$out" --strip-components=1 "$src/scripts/checkpatch.pl" \
	"$src/scripts/spelling.txt" "$src/scripts/const_structs.checkpatch"
if (cd "$top" && perl "$out/scripts/checkpatch.pl" --no-tree --strict --terse \
	-f module/*.c module/*.h uapi/msgq.h) >"$out/checkpatch.log" 2>&1 &&
	! grep -qE "ERROR|WARNING|CHECK" "$out/checkpatch.log"; then
	ok "1 lint: checkpatch --strict module/ uapi/"
else
	sed 's/^/# /' "$out/checkpatch.log"
	not_ok "1 lint: checkpatch --strict module/ uapi/"
fi

read -r _image kdir < <("$top/scripts/guest-kernel.sh" 6.1)
mkdir -p "$out/module"
cp -r "$top/Kbuild" "$top/VERSION" "$top/module" "$top/uapi" "$out/module/"
if make -C "$kdir" M="$out/module" W=1 C=2 modules >"$out/sparse.log" 2>&1 &&
	! grep -qE "warning:|error:" "$out/sparse.log"; then
	ok "2 lint: sparse (C=2) and W=1 clean"
else
	sed 's/^/# /' "$out/sparse.log" | grep -E "warning|error" | head -40
	not_ok "2 lint: sparse (C=2) and W=1 clean"
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
