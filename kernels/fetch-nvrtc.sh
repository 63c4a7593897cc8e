#!/usr/bin/env bash
# Fetches CUDA 12.4's NVRTC (Debian trixie, non-free: libnvrtc12 + libnvrtc-builtins12.4) and unpacks it
# with `dpkg -x` into a cache folder, installing nothing system-wide. NVRTC needs only glibc >= 2.34 and
# no GPU, so CI can compile every kernel to PTX and sm_90a CUBIN with it.
# Prints the folder holding libnvrtc.so.12 on its last line; exits non-zero on failure.
# Idempotent: a second run finds the unpacked library and returns at once.
# Usage: kernels/fetch-nvrtc.sh [DEST]   (default: $HOME/.cache/mantis/nvrtc12)
set -euo pipefail
dest=${1:-${HOME:-/tmp}/.cache/mantis/nvrtc12}
lib=$dest/usr/lib/x86_64-linux-gnu
have() { compgen -G "$lib/libnvrtc.so.12*" >/dev/null && compgen -G "$lib/libnvrtc-builtins.so.12*" >/dev/null; }
if have; then echo "$lib"; exit 0; fi
command -v apt-get >/dev/null || { echo "fetch-nvrtc: apt-get not found (Debian/Ubuntu needed)" >&2; exit 1; }
command -v dpkg >/dev/null || { echo "fetch-nvrtc: dpkg not found" >&2; exit 1; }

# The machine's own Debian mirror (deb822 or one-line format); fall back to deb.debian.org.
uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
[ -n "$uri" ] || uri=http://deb.debian.org/debian

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$dest"
# A private sources list and state folders: the system's apt configuration and lists stay untouched.
echo "deb $uri trixie non-free" > "$work/sources.list"
o=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
   -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root"
   -o "Debug::NoLocking=1")
apt-get "${o[@]}" update -qq >/dev/null 2>"$work/err" || { cat "$work/err" >&2; echo "fetch-nvrtc: apt-get update failed" >&2; exit 1; }
(cd "$work" && apt-get "${o[@]}" download -qq libnvrtc12 libnvrtc-builtins12.4 >/dev/null 2>"$work/err") \
  || { cat "$work/err" >&2; echo "fetch-nvrtc: apt-get download failed" >&2; exit 1; }
for f in "$work"/*.deb; do dpkg -x "$f" "$dest"; done
have || { echo "fetch-nvrtc: libnvrtc.so.12 not found under $lib after unpacking" >&2; exit 1; }
echo "$lib"
