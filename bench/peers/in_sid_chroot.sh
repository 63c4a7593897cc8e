#!/usr/bin/env bash
# Runs one command inside the sid peers chroot made by make_sid_chroot.sh, with the repository's bench/ and
# /tmp bind-mounted (read-only and read-write) so the peers read our exported weights and scripts. Mounts are
# undone on exit. Extra environment is passed through with env, e.g.
#   bench/peers/in_sid_chroot.sh env OMP_WAIT_POLICY=PASSIVE python3 /mnt/bench/pytorch/tiny_train_step.py /tmp/x
# PEERS_BINDS="DIR..." binds more host folders at the same path inside (read-write), e.g. a model folder and the
# GGUF folder under /var/tmp (decode_side_by_side.sh).
# usage (as root): [PEERS_DIR=/var/tmp/mantis-sid-peers] [PEERS_BINDS="DIR..."] bench/peers/in_sid_chroot.sh COMMAND...
set -euo pipefail
dir=${PEERS_DIR:-/var/tmp/mantis-sid-peers}
[ -f "$dir/.mantis-peers-ready" ] || { echo "in_sid_chroot: no chroot at $dir; run bench/peers/make_sid_chroot.sh" >&2; exit 1; }
bench=$(cd "$(dirname "$0")/.." && pwd)
mounted=""
cleanup() { for m in $mounted; do umount "$m" 2>/dev/null || true; done; }
trap cleanup EXIT
mnt() { mkdir -p "$2"; mountpoint -q "$2" || { mount "${@:3}" "$1" "$2"; mounted="$2 $mounted"; }; }
mnt proc "$dir/proc" -t proc
mnt "$bench" "$dir/mnt/bench" --bind -o ro
mnt /tmp "$dir/tmp" --bind
for b in ${PEERS_BINDS:-}; do mnt "$b" "$dir$b" --bind; done
chroot "$dir" "$@"
