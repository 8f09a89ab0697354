#!/bin/bash
# Packaging tests of make check, on the host (no module is ever loaded here):
#   man      every page lints clean (mandoc -T lint, man --warnings), .so
#            links resolve, every exported libmsgq function has a page
#   install  make install into a DESTDIR from a clean copy of the tree:
#            module, libmsgq (soname, version script, -z defs), headers,
#            libmsgq.pc, CLI, man pages, udev rule, modules-load.d; a small
#            program built with pkg-config against it; make install-python
#            (Debian's python3); make uninstall
#   dkms     make dkms-source, then dkms add + dkms build for each kernel
#            in KVERS (warning-free, right version), dkms remove; all in
#            scratch trees, never /var/lib/dkms, /usr/src or /lib/modules
# Prints TAP and closes with "N passed, N failed"; exits 1 on any failure.
#   readme   the README's install commands are packaging/install-steps.sh's
#   deb      the Debian packages (debian/): dpkg-buildpackage -us -uc -b in a
#            clean copy of the tree, lintian, each package's files, the
#            symbols file is the version scripts'; the .debs stay in
#            build/packaging/deb/ for the debian target's second pass
#   scripts/test-packaging.sh [man] [readme] [install] [dkms] [deb]
#                                                         (default: all)
#   Environment: KVERS="6.1.0-56-amd64 6.12.57+deb12-amd64" (default: the
#                releases of the guest kernels, scripts/guest-kernel.sh)
# "COND && ok ... || not_ok ..." is safe here: ok never fails.
# shellcheck disable=SC2015,SC2012,SC2013
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
version=$(cat VERSION)
work=$top/build/packaging
groups=${*:-man readme install dkms deb}
n=0 pass=0 fail=0

ok() { n=$((n + 1)) pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)) fail=$((fail + 1))
	echo "not ok $n $1"
	shift
	local l
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}
# check DESC CMD...: ok when CMD succeeds; its output is shown on failure.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}
# same DESC GOT WANT
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}

# exported SO: the symbols the shared object SO defines, NAME@@VERSION.
exported() {
	nm -D --defined-only "$1" |
		awk '$2 ~ /^[TDBRVWi]$/ && $3 !~ /^LIBMSGQ_/ { print $3 }' | sort
}

# The guest kernels' releases: the DKMS builds use their headers.
kvers() {
	local s image
	if [ -n "${KVERS:-}" ]; then echo "$KVERS"; return; fi
	for s in 6.1 6.12; do
		image=$(scripts/guest-kernel.sh "$s" | cut -d' ' -f1) || return 1
		basename "$image" | sed 's/^vmlinuz-//'
	done | xargs
}

# ---- man pages ----
test_man() {
	local f out bad='' fn missing='' so_bad=''
	cd "$top/man" || return
	for f in man*/*.[1-8]; do
		if grep -q '^\.so ' "$f"; then
			# A link: one .so line naming an existing page that
			# documents this name.
			local target name
			target=$(sed -n 's/^\.so //p' "$f")
			name=$(basename "$f" | sed 's/\.[1-8]$//')
			if [ "$(wc -l <"$f")" != 1 ] || [ ! -f "$target" ] ||
				! sed -n '/^\.SH NAME/,/^\.SH/p' "$target" | grep -qw -- "$name"; then
				so_bad="$so_bad $f"
			fi
			continue
		fi
		out=$(mandoc -T lint -W warning "$f" 2>&1) || bad="$bad$out"$'\n'
		[ -z "$out" ] || bad="$bad$out"$'\n'
	done
	[ -z "$bad" ] && ok "man: mandoc -T lint -W warning, every page" ||
		not_ok "man: mandoc -T lint -W warning, every page" "$bad"
	bad=
	for f in man*/*.[1-8]; do
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$f" 2>&1 >/dev/null)
		[ -z "$out" ] || bad="$bad$f: $out"$'\n'
	done
	[ -z "$bad" ] && ok "man: man --warnings renders every page silently" ||
		not_ok "man: man --warnings renders every page silently" "$bad"
	[ -z "$so_bad" ] && ok "man: .so links name pages that document them" ||
		not_ok "man: .so links name pages that document them" "bad:$so_bad"
	# The __msgq_*_time64 symbols are ABI, not API: <msgq.h> calls them
	# (msgq_timedsend(3) says so), no program names them.
	for fn in $(sed -n 's/^[[:space:]]*\(msgq_[a-z_]*\);/\1/p' "$top/lib/libmsgq.map"); do
		[ -f "man3/$fn.3" ] || missing="$missing $fn"
	done
	[ -z "$missing" ] && ok "man: a page for every function of libmsgq.map" ||
		not_ok "man: a page for every function of libmsgq.map" "missing:$missing"
	# libmsgq-posix's functions are glibc's, with glibc's pages: its
	# one page, msgq-posix(7), names each.
	missing=
	for fn in $(sed -n 's/^[[:space:]]*\(mq_[a-z_]*\);/\1/p' "$top/lib/posix/libmsgq-posix.map"); do
		grep -q "^\.BR $fn (3)" man7/msgq-posix.7 || missing="$missing $fn"
	done
	[ -z "$missing" ] && ok "man: msgq-posix(7) names every function of libmsgq-posix.map" ||
		not_ok "man: msgq-posix(7) names every function of libmsgq-posix.map" "missing:$missing"
	for f in man1/msgq.1 man4/msgq.4 man3/libmsgq.3 man7/msgq-posix.7; do
		[ -f "$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] && ok "man: msgq(1), msgq(4), libmsgq(3), msgq-posix(7)" ||
		not_ok "man: msgq(1), msgq(4), libmsgq(3), msgq-posix(7)" "missing:$missing"
	cd "$top" || return
}

# ---- make install into a DESTDIR ----
test_install() {
	local src=$work/src root=$work/root kver kdir lib out want log abi
	local so
	kver=$(kvers | cut -d' ' -f1)
	abi=$(sed -n 's/^ABI_VERSION := //p' lib/Makefile)
	so=libmsgq.so.$abi
	kdir=/usr/src/linux-headers-$kver
	rm -rf "$work/src" "$work/root" "$work/prog"
	mkdir -p "$src" "$work/prog"
	# A clean copy of the tree (tracked and new files, nothing ignored):
	# install must work from sources alone, and never touches the tree.
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard |
			xargs -0 cp --parents -P -t "$src" 2>/dev/null
	else
		tar -cf - --exclude=./build . | tar -xf - -C "$src"
	fi
	log=$work/install.log
	if make -C "$src" install install-modules-load DESTDIR="$root" \
		PREFIX=/usr KDIR="$kdir" >"$log" 2>&1; then
		ok "install: make install install-modules-load DESTDIR= PREFIX=/usr"
	else
		not_ok "install: make install install-modules-load DESTDIR= PREFIX=/usr" \
			"$(tail -n 30 "$log")"
		return
	fi
	if grep -q 'warning:' "$log"; then
		not_ok "install: the build is warning-free" "$(grep 'warning:' "$log")"
	else
		ok "install: the build is warning-free"
	fi

	# The module, where modules_install puts it; never the host's tree.
	local ko
	ko=$(ls "$root/lib/modules/$kver/extra/msgq.ko"* 2>/dev/null | head -n1)
	if [ -n "$ko" ]; then
		ok "install: module in \$DESTDIR/lib/modules/$kver/extra"
		same "install: module version is VERSION" \
			"$(/sbin/modinfo -F version "$ko")" "$version"
	else
		not_ok "install: module in \$DESTDIR/lib/modules/$kver/extra" \
			"$(find "$root/lib" -name 'msgq.ko*')"
	fi

	lib=$root/usr/lib
	check "install: $so, .so.1 -> it, .so -> .so.1, libmsgq.a" \
		test -f "$lib/$so" -a -f "$lib/libmsgq.a" \
		-a "$(readlink "$lib/libmsgq.so.1")" = "$so" \
		-a "$(readlink "$lib/libmsgq.so")" = libmsgq.so.1
	same "install: soname libmsgq.so.1" \
		"$(readelf -d "$lib/$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" \
		libmsgq.so.1
	# Exported: exactly the version script's list, each at its node; the
	# 32-bit library (M32=1) the same list, as every target.
	want=$(awk '/^LIBMSGQ_[0-9.]+ *\{/ { node = $1 }
		/^[[:space:]]*(__)?msgq_[a-z0-9_]*;/ {
			sub(/^[[:space:]]*/, ""); sub(/;.*/, "")
			print $0 "@@" node }' lib/libmsgq.map | sort)
	same "install: exported symbols are libmsgq.map's, versioned" \
		"$(exported "$lib/$so")" "$want"
	if make -C "$src/lib" M32=1 >"$work/m32.log" 2>&1; then
		same "install: the 32-bit libmsgq (M32=1) exports the same" \
			"$(exported "$src/lib/m32/$so")" "$want"
	else
		not_ok "install: the 32-bit libmsgq (M32=1) exports the same" \
			"$(tail -n 20 "$work/m32.log")"
	fi
	# -z defs: nothing undefined but what libc provides.
	out=$(nm -D --undefined-only "$lib/$so" | grep -v '@GLIBC_' |
		grep -v ' w ')
	same "install: libmsgq.so needs nothing but libc (-z defs)" "$out" ""
	check "install: <msgq.h> is lib/include/msgq.h" \
		cmp lib/include/msgq.h "$root/usr/include/msgq.h"
	check "install: <linux/msgq.h> is uapi/msgq.h" \
		cmp uapi/msgq.h "$root/usr/include/linux/msgq.h"

	# pkg-config, pointed at the DESTDIR's prefix.
	local pc=(env PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_LIBDIR=
		pkg-config --define-variable=prefix="$root/usr")
	same "install: pkg-config --modversion libmsgq is VERSION" \
		"$("${pc[@]}" --modversion libmsgq 2>&1)" "$version"
	same "install: pkg-config --cflags --libs libmsgq" \
		"$("${pc[@]}" --cflags --libs libmsgq 2>&1 | sed 's/ *$//')" \
		"-I$root/usr/include -L$lib -lmsgq"
	cat >"$work/prog/prog.c" <<-'EOF'
	/* Built only from what make install put in the DESTDIR. */
	#include <errno.h>
	#include <stdio.h>
	#include <string.h>
	#include <msgq.h>

	int main(void)
	{
		struct msgq_attr attr;

		/* No module is needed: a bad fd fails in the library call. */
		if (msgq_getattr(-1, &attr) != -1 || errno != EBADF) {
			fprintf(stderr, "msgq_getattr(-1): %s\n", strerror(errno));
			return 1;
		}
		printf("prio max %d, name max %d\n", MSGQ_PRIO_MAX, MSGQ_NAME_MAX);
		return 0;
	}
	EOF
	# shellcheck disable=SC2046
	check "install: a program builds with \$(pkg-config --cflags --libs libmsgq)" \
		cc -std=c11 -Wall -Wextra -Werror -o "$work/prog/prog" "$work/prog/prog.c" \
		$("${pc[@]}" --cflags --libs libmsgq)
	same "install: it runs against the installed libmsgq.so.1" \
		"$(LD_LIBRARY_PATH=$lib "$work/prog/prog" 2>&1; echo "rc=$?")" \
		"prio max 32768, name max 255
rc=0"
	same "install: it needs libmsgq.so.1" \
		"$(readelf -d "$work/prog/prog" | sed -n 's/.*(NEEDED).*\[\(libmsgq.*\)\]/\1/p')" \
		libmsgq.so.1
	# shellcheck disable=SC2046
	check "install: a static program builds with pkg-config --static" \
		cc -static -o "$work/prog/prog-static" "$work/prog/prog.c" \
		$("${pc[@]}" --static --cflags --libs libmsgq)

	test_install_posix

	same "install: msgq --version" "$("$root/usr/bin/msgq" --version 2>&1)" \
		"msgq $version"
	local pages missing=
	pages=$(cd man && ls man*/*.[1-8])
	for f in $pages; do
		cmp -s "man/$f" "$root/usr/share/man/$f" || missing="$missing $f"
	done
	[ -z "$missing" ] && ok "install: man pages in \$mandir/manN" ||
		not_ok "install: man pages in \$mandir/manN" "missing:$missing"
	check "install: udev rule 60-msgq.rules" \
		grep -q '^KERNEL=="msgq", SUBSYSTEM=="misc", MODE="0666"$' \
		"$root/usr/lib/udev/rules.d/60-msgq.rules"
	check "install: modules-load.d/msgq.conf" \
		grep -qx msgq "$root/usr/lib/modules-load.d/msgq.conf"

	test_install_python

	# uninstall removes every file install put there.
	if make -C "$src" uninstall DESTDIR="$root" PREFIX=/usr KDIR="$kdir" \
		PYTHON=/usr/bin/python3 \
		>"$work/uninstall.log" 2>&1; then
		same "install: make uninstall leaves no file" \
			"$(find "$root" -type f -o -type l)" ""
	else
		not_ok "install: make uninstall leaves no file" \
			"$(tail -n 20 "$work/uninstall.log")"
	fi
}

# ---- the Python package, in the DESTDIR of test_install ----
# make install-python with Debian's python3 and PREFIX=/usr: the package
# in /usr/lib/python3/dist-packages, its extension linked with libmsgq.a
# (no libmsgq.so needed), importable, typed; make uninstall (the caller's)
# must remove it. No module here: msgq.open() fails with ENOENT.
test_install_python() {
	local py=/usr/bin/python3 d=$root/usr/lib/python3/dist-packages so
	if make -C "$src" install-python DESTDIR="$root" PREFIX=/usr PYTHON=$py \
		>"$work/install-python.log" 2>&1; then
		ok "install: make install-python DESTDIR= PREFIX=/usr"
	else
		not_ok "install: make install-python DESTDIR= PREFIX=/usr" \
			"$(tail -n 30 "$work/install-python.log")"
		return
	fi
	so=$(ls "$d"/msgq/_msgq.*.so 2>/dev/null)
	check "install: msgq/{__init__.py,__init__.pyi,py.typed,_msgq*.so} in /usr/lib/python3/dist-packages" \
		test -f "$d/msgq/__init__.py" -a -f "$d/msgq/__init__.pyi" -a \
		-f "$d/msgq/py.typed" -a -n "$so" -a -d "$(ls -d "$d"/msgq-*.egg-info)"
	check "install: _msgq needs no libmsgq.so (libmsgq.a linked in)" \
		sh -c "! ldd '$so' | grep -q libmsgq"
	check "install: import msgq from it; open() without the module is FileNotFoundError" \
		env PYTHONPATH="$d" $py -c 'import msgq, sys
assert msgq.__file__.startswith(sys.argv[1]), msgq.__file__
try:
    msgq.open("x")
except FileNotFoundError:
    pass
else:
    raise SystemExit("open() did not fail")' "$d/msgq/"
}

# ---- libmsgq-posix, in the DESTDIR of test_install ----
# Its own checks, called from test_install: the files, soname and exports
# as for libmsgq, pkg-config, and a glibc program on it, relinked and
# preloaded. No module here: /dev/msgq is missing, so the library's
# mq_open() fails with ENOSYS where glibc's would create a queue, which
# tells whose mq_open() ran.
test_install_posix() {
	local so=libmsgq-posix.so.1.0.0 want out prog=$work/prog
	local pc=(env PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_LIBDIR=
		pkg-config --define-variable=prefix="$root/usr")
	check "install: $so, .so.1 -> it, .so -> .so.1, libmsgq-posix.a" \
		test -f "$lib/$so" -a -f "$lib/libmsgq-posix.a" \
		-a "$(readlink "$lib/libmsgq-posix.so.1")" = "$so" \
		-a "$(readlink "$lib/libmsgq-posix.so")" = libmsgq-posix.so.1
	same "install: soname libmsgq-posix.so.1" \
		"$(readelf -d "$lib/$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" \
		libmsgq-posix.so.1
	# Exactly the map's names, unversioned (the map says why).
	want=$(sed -n 's/^[[:space:]]*\(_*mq_[a-z0-9_]*\);/\1/p' \
		lib/posix/libmsgq-posix.map | sort)
	same "install: libmsgq-posix exports libmsgq-posix.map's names, unversioned" \
		"$(exported "$lib/$so")" "$want"
	same "install: the 32-bit libmsgq-posix (M32=1) exports the same" \
		"$(exported "$src/lib/posix/m32/$so" 2>&1)" "$want"
	out=$(nm -D --undefined-only "$lib/$so" | grep -v -e '@GLIBC_' \
		-e '@LIBMSGQ_' | grep -v ' w ')
	same "install: libmsgq-posix.so needs nothing but libc and libmsgq (-z defs)" \
		"$out" ""
	same "install: pkg-config --libs libmsgq-posix" \
		"$("${pc[@]}" --libs libmsgq-posix 2>&1 | sed 's/ *$//')" \
		"-L$lib -lmsgq-posix"
	same "install: pkg-config --static --libs libmsgq-posix" \
		"$("${pc[@]}" --static --libs libmsgq-posix 2>&1 | sed 's/ *$//')" \
		"-L$lib -lmsgq-posix -pthread -L$lib -lmsgq"
	cat >"$prog/mq.c" <<-'EOF'
	/* A POSIX mq program: whose mq_open() runs? */
	#include <errno.h>
	#include <fcntl.h>
	#include <mqueue.h>
	#include <stdio.h>
	#include <string.h>

	int main(void)
	{
		mqd_t q = mq_open("/msgq-packaging-test", O_RDWR | O_CREAT | O_EXCL,
				  0600, NULL);

		if (q != (mqd_t)-1) {
			mq_unlink("/msgq-packaging-test");
			puts("created");
			return 0;
		}
		printf("%s\n", strerror(errno));
		return 0;
	}
	EOF
	if [ -e /dev/msgq ]; then
		not_ok "install: a glibc mq program, relinked and preloaded" \
			"/dev/msgq exists on this host: no module belongs here"
		return
	fi
	# -rpath-link: the linker looks for libmsgq.so.1, which
	# libmsgq-posix.so needs, where a DESTDIR is not.
	# shellcheck disable=SC2046
	check "install: a program builds with \$(pkg-config --libs libmsgq-posix)" \
		cc -std=c11 -Wall -Wextra -Werror -o "$prog/mq-msgq" "$prog/mq.c" \
		$("${pc[@]}" --libs libmsgq-posix) -Wl,-rpath-link,"$lib"
	same "install: relinked, its mq_open() is libmsgq-posix's (ENOSYS without msgq)" \
		"$(LD_LIBRARY_PATH=$lib "$prog/mq-msgq" 2>&1)" \
		"Function not implemented"
	# shellcheck disable=SC2046
	check "install: a static program builds with pkg-config --static" \
		cc -static -o "$prog/mq-static" "$prog/mq.c" \
		$("${pc[@]}" --static --libs libmsgq-posix)
	same "install: static, its mq_open() is libmsgq-posix's" \
		"$("$prog/mq-static" 2>&1)" "Function not implemented"
	check "install: the same program built against glibc alone" \
		cc -std=c11 -o "$prog/mq-glibc" "$prog/mq.c" -lrt
	same "install: LD_PRELOAD=libmsgq-posix.so.1 moves it onto libmsgq-posix" \
		"$(LD_LIBRARY_PATH=$lib LD_PRELOAD=libmsgq-posix.so.1 "$prog/mq-glibc" 2>&1)" \
		"Function not implemented"
}

# ---- DKMS, in scratch trees ----
test_dkms() {
	local d=$work/dkms kv m log ko before after
	local -a tree
	if ! command -v dkms >/dev/null; then
		not_ok "dkms: installed" "apt-get install dkms (scripts/deps.sh)"
		return
	fi
	rm -rf "$d"
	mkdir -p "$d/source" "$d/tree" "$d/install"
	tree=(--sourcetree "$d/source" --dkmstree "$d/tree" --installtree "$d/install")
	# DKMS signs what it builds; keep its key out of /var/lib/dkms.
	export mok_signing_key=$d/mok.key mok_certificate=$d/mok.pub
	before=$(ls -d /var/lib/dkms/msgq /usr/src/msgq-* /lib/modules/*/updates/dkms/msgq.ko* 2>/dev/null)

	# The Makefile's own targets, pointed at the scratch trees.
	local -a mk=(make -s DKMS_SRC="$d/source/msgq-$version"
		DKMS_FLAGS="${tree[*]}")
	log=$d/build.log
	if "${mk[@]}" dkms-build DKMS_KERNEL="$(kvers)" >"$log" 2>&1; then
		ok "dkms: make dkms-build (dkms-source, dkms add, dkms build) for: $(kvers)"
	else
		not_ok "dkms: make dkms-build (dkms-source, dkms add, dkms build) for: $(kvers)" \
			"$(tail -n 30 "$log")"
	fi
	same "dkms: dkms.conf's PACKAGE_VERSION is VERSION" \
		"$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$d/source/msgq-$version/dkms.conf")" \
		"$version"
	local line missing=''
	for line in 'PACKAGE_NAME="msgq"' 'BUILT_MODULE_NAME[0]="msgq"' \
		'DEST_MODULE_LOCATION[0]="/updates/dkms"' 'AUTOINSTALL="yes"'; do
		grep -qxF "$line" "$d/source/msgq-$version/dkms.conf" ||
			missing="$missing $line"
	done
	same "dkms: dkms.conf: msgq, into /updates/dkms, AUTOINSTALL" "$missing" ""
	for kv in $(kvers); do
		m=$d/tree/msgq/$version/$kv/x86_64
		if grep -i 'warning:' "$m/log/make.log" >"$d/warnings" 2>/dev/null ||
			[ ! -f "$m/log/make.log" ]; then
			not_ok "dkms: $kv build log has no warning" "$(head -n 20 "$d/warnings")"
		else
			ok "dkms: $kv build log has no warning"
		fi
		ko=$(ls "$m"/module/msgq.ko* 2>/dev/null | head -n1)
		if [ -z "$ko" ]; then
			not_ok "dkms: $kv module built" "$(ls -R "$m" 2>&1)"
			continue
		fi
		ok "dkms: $kv module built"
		# modinfo reads compressed modules too.
		same "dkms: $kv module version is VERSION" \
			"$(/sbin/modinfo -F version "$ko")" "$version"
		same "dkms: $kv module vermagic" \
			"$(/sbin/modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$kv"
	done
	same "dkms: dkms status says built, for each kernel" \
		"$(dkms status -m msgq -v "$version" "${tree[@]}" 2>/dev/null | grep -c ': built$')" \
		"$(kvers | wc -w)"
	check "dkms: make dkms-uninstall (dkms remove --all)" "${mk[@]}" dkms-uninstall
	check "dkms: nothing left in the scratch DKMS and source trees" \
		test ! -e "$d/tree/msgq/$version" -a ! -e "$d/source/msgq-$version"
	after=$(ls -d /var/lib/dkms/msgq /usr/src/msgq-* /lib/modules/*/updates/dkms/msgq.ko* 2>/dev/null)
	same "dkms: the system's DKMS and module trees untouched" "$after" "$before"
	unset mok_signing_key mok_certificate
	rm -rf "$d"
}

# ---- the Debian packages ----
# dpkg-buildpackage -us -uc -b in a clean copy of the tree (userspace only:
# msgq-dkms ships sources), lintian, then what each package holds. The
# .debs stay in $work/deb for make check's debian target (debian-deb pass).
DEB_PKGS="msgq-dkms libmsgq1 libmsgq-dev msgq-tools"
test_deb() {
	local d=$work/deb src log arch ma p f got missing deb root pc
	src=$d/msgq-$version
	rm -rf "$d"
	mkdir -p "$src"
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -P -t "$src" 2>/dev/null
	same "deb: debian/changelog's version is VERSION-N" \
		"$(cd "$src" && dpkg-parsechangelog -S Version | sed 's/-[^-]*$//')" "$version"
	check "deb: debian/libmsgq1.symbols is debian/symbols-from-maps' output" \
		sh -c 'debian/symbols-from-maps | diff -u debian/libmsgq1.symbols -'
	log=$d/build.log
	if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
		ok "deb: dpkg-buildpackage -us -uc -b (dh-dkms, dh_makeshlibs -c4: no symbols diff)"
	else
		# dpkg-gensymbols' diff, if that is what failed, and the end.
		not_ok "deb: dpkg-buildpackage -us -uc -b (dh-dkms, dh_makeshlibs -c4: no symbols diff)" \
			"$(sed -n '/^dpkg-gensymbols: warning/,/^dh_makeshlibs: error/p' "$log")" \
			"$(tail -n 15 "$log")"
		return
	fi
	if grep -E 'warning:|dpkg-gensymbols: warning' "$log" >"$d/warnings"; then
		not_ok "deb: the build is warning-free" "$(cat "$d/warnings")"
	else
		ok "deb: the build is warning-free"
	fi
	# Lintian's "running with root privileges" notice is no finding.
	check "deb: lintian --fail-on warning,error (overrides in debian/*.lintian-overrides)" \
		lintian --fail-on warning,error "$d/msgq_${version}-"*"_$(dpkg --print-architecture).changes"
	arch=$(dpkg --print-architecture)
	ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
	for p in $DEB_PKGS; do
		deb=$(ls "$d/${p}_"*.deb 2>/dev/null | head -n1)
		[ -n "$deb" ] || { not_ok "deb: $p built" "$(ls "$d")"; continue; }
		dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$d/$p.files"
	done
	# What each package must hold (each file in exactly one package).
	want_files() {
		case $1 in
		msgq-dkms) printf '%s\n' /usr/src/msgq-$version/dkms.conf \
			/usr/src/msgq-$version/Kbuild /usr/src/msgq-$version/VERSION \
			/usr/src/msgq-$version/uapi/msgq.h \
			$(cd "$top" && ls module/*.[ch] | sed "s|^|/usr/src/msgq-$version/|") ;;
		libmsgq1) printf '%s\n' /usr/lib/$ma/libmsgq.so.1 /usr/lib/$ma/libmsgq-posix.so.1 ;;
		libmsgq-dev) printf '%s\n' /usr/include/msgq.h /usr/include/msgq_uring.h \
			/usr/include/linux/msgq.h /usr/lib/$ma/libmsgq.so /usr/lib/$ma/libmsgq.a \
			/usr/lib/$ma/libmsgq-posix.so /usr/lib/$ma/libmsgq-posix.a \
			/usr/lib/$ma/pkgconfig/libmsgq.pc /usr/lib/$ma/pkgconfig/libmsgq-posix.pc \
			$(cd "$top/man" && ls man3/*.3 man7/*.7 | sed 's|^|/usr/share/man/|;s|$|.gz|') ;;
		msgq-tools) printf '%s\n' /usr/bin/msgq /lib/udev/rules.d/60-msgq.rules \
			/usr/lib/modules-load.d/msgq.conf /usr/share/man/man1/msgq.1.gz \
			/usr/share/man/man4/msgq.4.gz ;;
		esac
	}
	for p in $DEB_PKGS; do
		[ -f "$d/$p.files" ] || continue
		missing=$(want_files "$p" | sort | comm -23 - <(sort "$d/$p.files"))
		same "deb: $p holds its files" "$missing" ""
	done
	# No file in two packages, no package but msgq-dkms with /usr/src.
	same "deb: no file is in two packages" \
		"$(cat "$d"/*.files | grep -v '/$' | sort | uniq -d)" ""
	same "deb: only msgq-dkms ships /usr/src" \
		"$(for p in libmsgq1 libmsgq-dev msgq-tools; do grep "^/usr/src" "$d/$p.files" | sed "s|^|$p: |"; done)" ""
	same "deb: msgq-dkms: dkms.conf's PACKAGE_VERSION is VERSION, AUTOINSTALL" \
		"$(dpkg-deb --fsys-tarfile "$d"/msgq-dkms_*.deb |
			tar -xOf - ./usr/src/msgq-$version/dkms.conf |
			grep -E '^(PACKAGE_VERSION|AUTOINSTALL)=')" \
		"PACKAGE_VERSION=\"$version\"
AUTOINSTALL=\"yes\""
	deb=$(ls "$d"/msgq-dkms_*.deb)
	same "deb: msgq-dkms: postinst builds msgq/VERSION through DKMS, prerm removes it" \
		"$(dpkg-deb -I "$deb" postinst | grep -c -e '^DKMS_NAME=msgq$' \
			-e "^DKMS_VERSION=$version\$" -e '/usr/lib/dkms/common.postinst')/$(
			dpkg-deb -I "$deb" prerm | grep -c 'dkms remove -m $DKMS_NAME -v $DKMS_VERSION --all')" \
		"3/1"
	same "deb: msgq-dkms: Architecture all, Depends dkms" \
		"$(dpkg-deb -f "$d"/msgq-dkms_*.deb Architecture Depends)" \
		"Architecture: all
Depends: dkms (>= 2.1.0.0)"
	got=$(dpkg-deb -I "$d"/libmsgq1_*_"$arch".deb symbols 2>&1 | grep -c '^ ')
	same "deb: libmsgq1's symbols: every name of both maps and libmsgq's nodes" \
		"$got" "$(grep -c '^ ' debian/libmsgq1.symbols)"
	same "deb: libmsgq1's shlibs" \
		"$(dpkg-deb -I "$d"/libmsgq1_*_"$arch".deb shlibs 2>&1 | LC_ALL=C sort)" \
		"libmsgq 1 libmsgq1 (>= $version)
libmsgq-posix 1 libmsgq1 (>= $version)"
	# A program built with pkg-config against libmsgq-dev and libmsgq1
	# unpacked (dpkg-deb -x) into a scratch root, as in test_install.
	root=$d/root
	for p in libmsgq1 libmsgq-dev; do dpkg-deb -x "$d/${p}_"*"_$arch.deb" "$root"; done
	pc=(env PKG_CONFIG_PATH="$root/usr/lib/$ma/pkgconfig" PKG_CONFIG_LIBDIR=
		pkg-config --define-variable=prefix="$root/usr")
	same "deb: libmsgq-dev: pkg-config --cflags --libs libmsgq (prefix /usr, multiarch libdir)" \
		"$("${pc[@]}" --cflags --libs libmsgq 2>&1 | sed 's/ *$//')" \
		"-I$root/usr/include -L$root/usr/lib/$ma -lmsgq"
	# shellcheck disable=SC2046
	check "deb: a program builds with it, runs against libmsgq.so.1" \
		sh -c "cc -std=c11 -Wall -Werror -o '$d/prog' '$top/examples/demo.c' -D_GNU_SOURCE \
			$("${pc[@]}" --cflags --libs libmsgq) -lpthread &&
			LD_LIBRARY_PATH='$root/usr/lib/$ma' ldd '$d/prog' | grep -q '$root/usr/lib/$ma/libmsgq.so.1'"
	same "deb: msgq-tools: msgq --version" \
		"$(dpkg-deb -x "$d"/msgq-tools_*_"$arch".deb "$d/tools" && "$d/tools/usr/bin/msgq" --version 2>&1)" \
		"msgq $version"
	rm -rf "$src" "$root" "$d/tools"
}

# ---- the README's install commands ----
# They are packaging/install-steps.sh's, which the debian target runs: the
# indented block of the README's "Installing on a real machine" must be
# the commands of the steps it names, in order, word for word.
test_readme() {
	local got want
	got=$(sed -n '/^## Installing on a real machine$/,/^## /p' README.md |
		sed -n 's/^    //p')
	want=$(for s in tools dkms user check; do
		packaging/install-steps.sh --show $s; done)
	same "readme: the install commands are install-steps.sh's tools dkms user check" \
		"$got" "$want"
}

echo "TAP version 13"
mkdir -p "$work"
for g in $groups; do
	case $g in
	man) test_man ;;
	readme) test_readme ;;
	install) test_install ;;
	dkms) test_dkms ;;
	deb) test_deb ;;
	*) echo "test-packaging: unknown group $g" >&2; exit 2 ;;
	esac
done
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
