#!/usr/bin/env bash
# scripts/debug-kernel.sh — build (or reuse) the msgq debug kernel.
#
# Usage: scripts/debug-kernel.sh [--config-only]
#
# Builds Debian's linux-source-6.1 as `make tinyconfig` + selftests/debug.config
# (KASAN, lockdep, kmemleak, UBSAN, fault injection...) in a cache directory
# outside the repo:
#
#   ${MSGQ_CACHE:-/var/cache/msgq}/debug-kernel/<source-version>-<sha256(debug.config):12>/linux
#
# A later run with the same source version and the same fragment does nothing
# but print the path.  Progress goes to stderr; the whole build log goes to
# <key dir>/build.log (its tail is printed on failure).  The LAST line on
# stdout is the absolute path of the built tree:
#
#   tree=$(scripts/debug-kernel.sh | tail -n1)
#   qemu-system-x86_64 -kernel "$tree/arch/x86/boot/bzImage" ...
#   make -C "$tree" M="$PWD" modules
#
# --config-only stops after step 2 (extract, tinyconfig + fragment,
# olddefconfig, the check below) and prints the .config's path instead: a
# quick way (a minute or two) to see whether an edited fragment survives
# olddefconfig before paying for the build.  A later full run reuses it.
#
# Safe to interrupt: every stage leaves a stamp only once it has completed; a
# later run wipes a half-extracted tree, redoes an unfinished configuration and
# resumes an unfinished build (kbuild rebuilds any object whose .cmd file is
# missing, so a killed compile is never taken for a finished one).  Concurrent
# runs for the same key serialise on a lock file.
#
# Environment:
#   MSGQ_CACHE            cache root (default /var/cache/msgq)
#   MSGQ_KERNEL_TARBALL   kernel source tarball (default /usr/src/linux-source-6.1.tar.xz,
#                         Debian package linux-source-6.1)
#   MSGQ_DEBUG_CONFIG     config fragment (default <repo>/selftests/debug.config)
#   MSGQ_JOBS             make -j value (default: nproc)
#   MSGQ_KEEP_OLD_KERNELS set to 1 to keep trees built for other keys (by
#                         default they are deleted after a successful build:
#                         each one is ~2 GiB)
#
# Needs: Debian packages linux-source-6.1 bc flex bison libelf-dev libssl-dev
# (plus gcc, make, perl, xz-utils, which any build machine here has).

# The whole script is one compound command, so that bash has parsed all of it
# before running any of it: editing or checking out this file while a build
# is running cannot make the running instance execute shifted text.
{
set -euo pipefail

# Only the final path goes to the real stdout.
exec 3>&1 1>&2

config_only=0
case ${1:-} in
    --config-only) config_only=1 ;;
    '') ;;
    *) printf 'usage: %s [--config-only]\n' "$0" >&2; exit 2 ;;
esac

log() { printf 'debug-kernel: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
frag=${MSGQ_DEBUG_CONFIG:-$repo/selftests/debug.config}
tarball=${MSGQ_KERNEL_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
cache_root=${MSGQ_CACHE:-/var/cache/msgq}
jobs=${MSGQ_JOBS:-$(nproc)}

[ -f "$frag" ] || die "config fragment not found: $frag"
[ -f "$tarball" ] || die "kernel source not found: $tarball (apt-get install linux-source-6.1)"
for tool in make gcc bc flex bison perl tar xz sha256sum flock; do
    command -v "$tool" >/dev/null || die "missing build tool: $tool"
done
[ -e /usr/include/libelf.h ] || die "missing libelf headers (apt-get install libelf-dev)"
[ -e /usr/include/openssl/ssl.h ] || die "missing openssl headers (apt-get install libssl-dev)"

frag=$(cd "$(dirname "$frag")" && pwd)/$(basename "$frag")
frag_hash=$(sha256sum "$frag" | cut -c1-12)

# Source version: the Debian package version of the tarball (e.g. 6.1.192-2);
# for a tarball no package owns, its name and a hash of its contents.
src_version=
if owner=$(dpkg -S "$tarball" 2>/dev/null | head -n1 | cut -d: -f1) && [ -n "$owner" ]; then
    src_version=$(dpkg-query -W -f='${Version}' "$owner" 2>/dev/null || true)
fi
if [ -z "$src_version" ]; then
    base=$(basename "$tarball"); base=${base%%.tar*}
    src_version=$base-$(sha256sum "$tarball" | cut -c1-12)
fi
src_version=${src_version//[^A-Za-z0-9.+_-]/_}
key=$src_version-$frag_hash

base_dir=$cache_root/debug-kernel
key_dir=$base_dir/$key
tree=$key_dir/linux
logf=$key_dir/build.log

mkdir -p "$key_dir" 2>/dev/null || die "cannot create $key_dir (set MSGQ_CACHE to a writable directory)"

# One builder per key at a time; a second caller waits and then reuses.
exec 9>"$key_dir/lock"
if ! flock -n 9; then
    log "another build of $key is running; waiting for it"
    flock 9
fi

if [ -f "$key_dir/built.stamp" ] && [ -f "$tree/arch/x86/boot/bzImage" ] \
        && [ -f "$tree/Module.symvers" ] && [ -f "$tree/scripts/module.lds" ]; then
    log "reusing $tree"
    if [ $config_only = 1 ]; then echo "$tree/.config" >&3; else echo "$tree" >&3; fi
    exit 0
fi

# shellcheck disable=SC2317  # invoked by the ERR trap
on_fail() {
    local rc=$?
    if [ -f "$logf" ]; then
        log "FAILED (exit $rc); last lines of $logf:"
        tail -n 60 "$logf" >&2 || true
    fi
    exit "$rc"
}
trap on_fail ERR

start=$(date +%s)
rm -f "$key_dir/built.stamp"

# --- 1. extract ------------------------------------------------------------
if [ ! -f "$key_dir/extracted.stamp" ] || [ ! -d "$tree" ]; then
    rm -f "$key_dir/extracted.stamp" "$key_dir/configured.stamp"
    rm -rf "$tree" "$key_dir/extract.tmp"
    log "extracting $tarball into $key_dir"
    mkdir -p "$key_dir/extract.tmp"
    tar -C "$key_dir/extract.tmp" -xf "$tarball"
    top=$(find "$key_dir/extract.tmp" -mindepth 1 -maxdepth 1 -type d)
    if [ "$(printf '%s\n' "$top" | wc -l)" != 1 ] || [ ! -f "$top/Makefile" ]; then
        die "unexpected tarball layout in $tarball"
    fi
    mv "$top" "$tree"
    rmdir "$key_dir/extract.tmp"
    touch "$key_dir/extracted.stamp"
fi

# --- 2. configure: tinyconfig + fragment, then check nothing was dropped ----
if [ ! -f "$key_dir/configured.stamp" ]; then
    log "configuring: tinyconfig + $(basename "$frag") (log: $logf)"
    : >"$logf"
    {
        make -C "$tree" tinyconfig
        (cd "$tree" && scripts/kconfig/merge_config.sh -m .config "$frag")
        make -C "$tree" olddefconfig
    } >>"$logf" 2>&1

    # Every line of the fragment must hold in the final .config:
    # CONFIG_X=v must be there verbatim; "# CONFIG_X is not set" must be off
    # (unset or absent).  olddefconfig silently drops options whose
    # dependencies are not met, so this is what catches a broken fragment.
    bad=()
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        case $line in
            CONFIG_*=*)
                opt=${line%%=*}
                want=${line#*=}
                ;;
            "# CONFIG_"*" is not set")
                opt=${line#\# }
                opt=${opt%% *}
                want=n
                ;;
            *) continue ;;
        esac
        got=$(grep -E "^$opt=|^# $opt is not set\$" "$tree/.config" | head -n1 || true)
        case $got in
            "$opt="*) got=${got#*=} ;;
            "") got="(absent: dependencies not met)" ;;
            *) got=n ;;
        esac
        if [ "$got" != "$want" ]; then
            if [ "$want" = n ] && [ "$got" = "(absent: dependencies not met)" ]; then
                continue
            fi
            bad+=("$opt: wanted $want, got $got")
        fi
    done <"$frag"
    if [ ${#bad[@]} -gt 0 ]; then
        log "ERROR: ${#bad[@]} option(s) of $frag did not end up as asked:"
        printf '  %s\n' "${bad[@]}" >&2
        log "(see $tree/.config; fix the fragment: add the missing dependencies" \
            "or drop what something else selects)"
        trap - ERR
        exit 1
    fi
    touch "$key_dir/configured.stamp"
fi
if [ $config_only = 1 ]; then
    log "configured: every line of $(basename "$frag") holds in $tree/.config"
    echo "$tree/.config" >&3
    exit 0
fi

# --- 3. build ----------------------------------------------------------------
log "building bzImage with -j$jobs (~6 min on 2 cores from scratch; log: $logf)"
make -C "$tree" -j"$jobs" bzImage >>"$logf" 2>&1
log "building modules_prepare + modules (scripts/module.lds, Module.symvers)"
make -C "$tree" -j"$jobs" modules_prepare >>"$logf" 2>&1
make -C "$tree" -j"$jobs" modules >>"$logf" 2>&1

for f in arch/x86/boot/bzImage Module.symvers scripts/module.lds; do
    [ -f "$tree/$f" ] || die "build finished but $tree/$f is missing"
done

secs=$(( $(date +%s) - start ))
release=$(cat "$tree/include/config/kernel.release" 2>/dev/null || echo unknown)
{
    echo "key=$key"
    echo "release=$release"
    echo "fragment=$frag"
    echo "tarball=$tarball"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "seconds=$secs"
} >"$key_dir/built.stamp.tmp"
mv "$key_dir/built.stamp.tmp" "$key_dir/built.stamp"
trap - ERR
log "built $release in ${secs}s: $tree"

# --- 4. drop trees of other keys (stale fragments / source versions) --------
if [ "${MSGQ_KEEP_OLD_KERNELS:-0}" != 1 ]; then
    for old in "$base_dir"/*/; do
        old=${old%/}
        [ "$old" = "$key_dir" ] && continue
        [ -e "$old/lock" ] || continue
        # Skip a tree that some other run is building right now; hold its
        # lock while deleting it.
        (
            exec 8>"$old/lock" && flock -n 8 || exit 0
            log "removing stale tree $old"
            rm -rf "$old"
        ) || true
    done
fi

echo "$tree" >&3
exit 0
}
