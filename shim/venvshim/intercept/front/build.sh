#!/bin/sh
# Build venvshim's Windows front end, uv.exe, from uv_windows.c: the one build command, used by
# developers, the tests and CI (which rebuilds it and compares it byte for byte with the
# committed uv.exe).
#
#   sh shim/venvshim/intercept/front/build.sh [OUTPUT]     (default: uv.exe beside this file)
#
# Reproducible: no timestamp (--no-insert-timestamp), no symbols or debug info (-s), no compiler
# ident, no build path (compiled in a scratch directory under a fixed name). The same compiler
# gives the same bytes; the committed uv.exe comes from Debian 12's gcc-mingw-w64-x86-64
# (`x86_64-w64-mingw32-gcc -dumpversion`: 12-win32), other versions give other bytes.
# The DOS stub's message is replaced by the `venvshim-shim` stamp (realuv.is_shim reads the
# first 512 bytes of a file for it), so a copy of uv.exe anywhere is known for a shim.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/uv.exe}
cc=${VENVSHIM_MINGW_CC:-x86_64-w64-mingw32-gcc}
expected_version=12-win32

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "error: $cc not found" >&2
  echo "hint: apt-get install gcc-mingw-w64-x86-64 (or set VENVSHIM_MINGW_CC)" >&2
  exit 1
fi
version=$("$cc" -dumpversion)
if [ "$version" != "$expected_version" ]; then
  echo "warning: $cc is $version; the committed uv.exe was built with $expected_version," \
    "so the bytes will differ" >&2
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$here/uv_windows.c" "$scratch/uv_windows.c"
(
  cd "$scratch"
  "$cc" -std=c11 -O2 -Wall -Wextra -Werror -municode -fno-ident -s \
    -Wl,--no-insert-timestamp -Wl,--subsystem,console \
    -o uv.exe uv_windows.c
)

# The stamp: 39 bytes over the 39 of "This program cannot be run in DOS mode." at 0x4e.
stub=$(dd if="$scratch/uv.exe" bs=1 skip=78 count=39 2>/dev/null)
if [ "$stub" != "This program cannot be run in DOS mode." ]; then
  echo "error: unexpected DOS stub in the linked uv.exe; cannot stamp it" >&2
  exit 1
fi
printf '%s' "venvshim-shim: venvshim's uv front end." |
  dd of="$scratch/uv.exe" bs=1 seek=78 conv=notrunc 2>/dev/null

mv "$scratch/uv.exe" "$out.tmp"
mv "$out.tmp" "$out"
