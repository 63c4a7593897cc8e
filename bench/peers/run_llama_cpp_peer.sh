#!/usr/bin/env bash
# llama.cpp beside MantisNative on the same 8B-shaped weights: extracts the language model (llama_gguf_from_mantis.py),
# converts it with llama.cpp's own convert_hf_to_gguf.py to GGUF bf16, then llama-quantize to Q8_0 and Q4_K_M, and runs
# llama-bench (prefill -p, decode -n) on each, interleaved with bench/measure_8b_memory.sh rows of the matching format,
# load average printed with each. Everything large goes under /tmp/mantis-gguf (bind-mounted into the chroot).
# usage (root, repository root): bench/peers/run_llama_cpp_peer.sh MANTIS_DIR [threads=2] [prompt=512] [decode=16]
# Status: written in the issue-14 session, NOT yet run (no numbers from it are in RESULTS.md).
set -euo pipefail
model=$1; threads=${2:-2}; prompt=${3:-512}; decode=${4:-16}
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/mantis-gguf
mkdir -p "$work"
cp -r "$model" "$work/mantis" 2>/dev/null || true
chroot_run() { "$here/in_sid_chroot.sh" env OMP_WAIT_POLICY=PASSIVE "$@"; }
[ -f "$work/llama/config.json" ] || chroot_run python3 /mnt/bench/peers/llama_gguf_from_mantis.py /tmp/mantis-gguf/mantis /tmp/mantis-gguf/llama
[ -f "$work/bf16.gguf" ] || chroot_run python3 /usr/share/doc/llama.cpp-tools/scripts/convert_hf_to_gguf.py /tmp/mantis-gguf/llama --outtype bf16 --outfile /tmp/mantis-gguf/bf16.gguf
for q in Q8_0 Q4_K_M; do
  [ -f "$work/$q.gguf" ] || chroot_run llama-quantize /tmp/mantis-gguf/bf16.gguf "/tmp/mantis-gguf/$q.gguf" "$q"
done
for pair in "bf16 bf16" "Q8_0 int8" "Q4_K_M nf4"; do
  set -- $pair
  echo "load average: $(cat /proc/loadavg)"
  chroot_run /usr/bin/time -v llama-bench -m "/tmp/mantis-gguf/$1.gguf" -t "$threads" -p "$prompt" -n "$decode" -o md 2>&1 | grep -E '^\||Maximum resident'
  echo "load average: $(cat /proc/loadavg)"
  MANTIS_NUM_THREADS=$threads "$here/../measure_8b_memory.sh" --dir "$model" --formats "$2" --max-new-tokens "$decode" | tail -1
done
