#!/usr/bin/env bash
# Builds the stay-open prober (packages/core/native/avprobe.c, decision 245) against the system's
# libavformat/libavcodec, the libraries Debian's ffprobe uses. Rebuilds when the source or the
# libraries' version changed. Without a compiler or the -dev headers Montu runs ffprobe per file.
set -euo pipefail
cd "$(dirname "$0")/.."
src=packages/core/native/avprobe.c
dir=packages/core/native/build
out=$dir/montu-avprobe
libs="libavformat libavcodec libavutil"
if ! command -v cc >/dev/null 2>&1 || ! pkg-config --exists $libs 2>/dev/null; then
  echo "montu bootstrap: montu-avprobe not built (needs cc, pkg-config and the libavformat/libavcodec/libavutil -dev packages); ffprobe runs per file" >&2
  exit 1
fi
version=$(pkg-config --modversion $libs | tr '\n' ' ')
if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$(cat "$out.libs" 2>/dev/null)" = "$version" ]; then exit 0; fi
mkdir -p "$dir"
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -o "$out.tmp" "$src" $(pkg-config --cflags --libs $libs)
mv "$out.tmp" "$out"
printf '%s' "$version" >"$out.libs"
echo "montu bootstrap: built $out (libav $version)" >&2
