#!/usr/bin/env bash
# Installs what Montu needs on a fresh clone: npm dependencies (from the lock file) and the
# Debian tools it drives (ffmpeg; for tests and benchmarks also exiftool, vipsthumbnail, oiiotool and chromium).
# Safe to run again: it does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'montu bootstrap: %s\n' "$*" >&2; }

# npm dependencies: reinstall when node_modules is missing or older than the lock file.
stamp=node_modules/.montu-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

# Debian packages. MONTU_BOOTSTRAP_APT lists extra ones (e.g. chromium for browser tests).
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
if [ "${MONTU_BOOTSTRAP_TOOLS:-test}" = test ]; then
  command -v exiftool >/dev/null 2>&1 || need+=(libimage-exiftool-perl)
  command -v vipsthumbnail >/dev/null 2>&1 || need+=(libvips-tools)
  # The OCIO tests render through a real oiiotool (OpenImageIO 2.4 linked with OpenColorIO 2.1).
  command -v oiiotool >/dev/null 2>&1 || need+=(openimageio-tools)
  # Browser tests (e2e/) drive Debian's chromium through playwright-core.
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # The bad-input suite proves under strace that tools open only what they were given.
  command -v strace >/dev/null 2>&1 || need+=(strace)
fi
# The stay-open prober (decision 245) is built against the system's ffmpeg libraries: installed
# where this script can install packages, else Montu runs ffprobe per file (tests need it).
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || [ "${MONTU_BOOTSTRAP_TOOLS:-test}" = test ]; then
  command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
  command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
  pkg-config --exists libavformat libavcodec libavutil 2>/dev/null ||
    need+=(libavformat-dev libavcodec-dev libavutil-dev)
fi
for p in ${MONTU_BOOTSTRAP_APT:-}; do need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  # shellcheck disable=SC2207
  need=($(printf '%s\n' "${need[@]}" | sort -u))
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    say "missing tools; please install the Debian/Ubuntu packages: ${need[*]}"
    say "(for example: sudo apt-get install ${need[*]})"
    exit 1
  fi
fi

# A missing prober only costs speed when serving; the tests check it against ffprobe, so they need it.
if ! bash scripts/build-avprobe.sh && [ "${MONTU_BOOTSTRAP_TOOLS:-test}" = test ]; then exit 1; fi
