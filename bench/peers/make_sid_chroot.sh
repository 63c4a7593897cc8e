#!/usr/bin/env bash
# Builds a Debian unstable (sid) chroot holding the current CPU peers of the benchmarks - PyTorch 2.x
# (python3-torch) on OpenBLAS (libopenblas0-pthread; without it that PyTorch falls back to a reference BLAS,
# ~3x slower), transformers (python3-transformers) and llama.cpp (llama.cpp-tools) - in a folder OUTSIDE the
# repository, leaving the host system untouched (nothing is installed on the host but `debootstrap` itself,
# which this script asks for rather than installs).
#
# usage (as root): bench/peers/make_sid_chroot.sh [DIR=/var/tmp/mantis-sid-peers]
# then:            bench/peers/in_sid_chroot.sh python3 -c 'import torch; print(torch.__version__)'
#
# Why the odd flags: the Debian mirror configured here serves a dated snapshot whose sid Release file is past
# its Valid-Until date, so apt inside the chroot needs -o Acquire::Check-Valid-Until=false. Takes a few minutes
# and ~1.5 GB. Idempotent: a finished chroot (marker file) is left as it is; a half-made one is completed.
set -euo pipefail
dir=${1:-/var/tmp/mantis-sid-peers}
packages="python3-torch libopenblas0-pthread python3-transformers python3-safetensors llama.cpp-tools python3-gguf python3-sentencepiece"

die() { echo "make_sid_chroot: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap and chroot); run it with sudo or as root"
command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap (Debian 12's package works)"
case "$(realpath -m "$dir")" in "$(git rev-parse --show-toplevel 2>/dev/null || echo /nonexistent)"*)
  die "$dir is inside the repository; pick a folder outside it" ;; esac

# The host's own Debian mirror (deb822 or one-line sources), so the chroot comes from the same place.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
           | grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -1 | xargs || true)
mirror=${mirror:-http://deb.debian.org/debian}

if [ -f "$dir/.mantis-peers-ready" ]; then echo "chroot ready at $dir"; exit 0; fi
mkdir -p "$dir"
if [ ! -x "$dir/usr/bin/apt-get" ]; then
  echo "debootstrap sid from $mirror into $dir"
  debootstrap --variant=minbase sid "$dir" "$mirror"
fi

mounted=""
cleanup() { for m in $mounted; do umount "$m" 2>/dev/null || true; done; }
trap cleanup EXIT
mountpoint -q "$dir/proc" || { mount -t proc proc "$dir/proc"; mounted="$dir/proc"; }
cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true

apt_in() { chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false "$@"; }
apt_in update -q
# shellcheck disable=SC2086
apt_in install -y -q --no-install-recommends $packages
chroot "$dir" python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
chroot "$dir" sh -c 'update-alternatives --display libblas.so.3-x86_64-linux-gnu 2>/dev/null | head -2 || true'
touch "$dir/.mantis-peers-ready"
echo "chroot ready at $dir"
