#!/usr/bin/env bash
# The GPU machine's one script. Run it from the publish-device folder (mantis, kernels/, fixtures/, llama_peer.py):
#     ./run.sh                 run every check and timing; results under $OUT (default ./gpu-results)
#     ./run.sh --dry-run       print what would run, touch nothing but $OUT/steps.tsv
# Steps: machine info (nvidia-smi, CUDA, driver), `mantis info`, `mantis kernels check --json`,
# `mantis gpu-check --fixtures fixtures --json`, and the PyTorch peer timing (Llama-3-8B shape) when python, torch
# and transformers are present. A missing tool skips its step with a line saying so; a failing step does not stop
# the others. The summary (step status, gpu-check's table, the peer's figures) is printed last and kept in
# $OUT/summary.txt. Exit status: 0 when every step that ran passed.
set -u

DRY=0
for arg in "$@"; do
    case "$arg" in
        --dry-run) DRY=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument '$arg' (use --dry-run)" >&2; exit 2 ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/gpu-results}
MANTIS=${MANTIS:-$HERE/mantis}
PYTHON=${PYTHON:-python3}
FIXTURES=${FIXTURES:-$HERE/fixtures}
PEER=${PEER:-$HERE/llama_peer.py}
mkdir -p "$OUT"
STEPS="$OUT/steps.tsv"
: > "$STEPS"
FAILED=0

have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }

# step NAME CMD...: runs CMD with its output in $OUT/NAME.log (and on the terminal); records NAME, status, seconds.
step() {
    local name=$1; shift
    echo "== $name: $*"
    if [ "$DRY" = 1 ]; then
        printf '%s\t%s\t%s\n' "$name" "dry-run" "0" >> "$STEPS"
        return 0
    fi
    local t0=$SECONDS
    "$@" 2>&1 | tee "$OUT/$name.log"
    local rc=${PIPESTATUS[0]}
    local status=ok
    if [ "$rc" != 0 ]; then status="FAIL($rc)"; FAILED=1; fi
    printf '%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - t0))" >> "$STEPS"
}

skip() {
    echo "== $1: skipped ($2)"
    printf '%s\t%s\t%s\n' "$1" "skipped: $2" "0" >> "$STEPS"
}

machine_info() {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -a)"
    if have nvidia-smi; then
        nvidia-smi
        nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit --format=csv
    else
        echo "nvidia-smi: not found"
    fi
    if have nvcc; then nvcc --version; else echo "nvcc: not found"; fi
    ls -d /usr/local/cuda* 2>/dev/null || echo "no /usr/local/cuda*"
    ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvrtc\.so|libcublasLt\.so' || echo "no CUDA libraries on the loader path"
}

step machine machine_info

if have "$MANTIS"; then
    step info "$MANTIS" info
    step kernels-check "$MANTIS" kernels check --json "$OUT/kernels-check.json"
    if [ -d "$FIXTURES" ]; then
        step gpu-check "$MANTIS" gpu-check --fixtures "$FIXTURES" --json "$OUT/gpu-check.json"
    else
        skip gpu-check "no fixtures folder $FIXTURES"
    fi
else
    skip info "mantis not found at $MANTIS"
    skip kernels-check "mantis not found"
    skip gpu-check "mantis not found"
fi

if ! have "$PYTHON"; then
    skip torch-peer "$PYTHON not found"
elif [ ! -f "$PEER" ]; then
    skip torch-peer "no $PEER"
elif [ "$DRY" = 1 ]; then
    # the peer has its own dry run (no torch import): run it for real to check its arguments
    DRY=0 step torch-peer "$PYTHON" "$PEER" --dry-run --json "$OUT/torch-peer.json"
elif ! "$PYTHON" -c 'import torch, transformers' >/dev/null 2>&1; then
    skip torch-peer "python has no torch or transformers"
else
    step torch-peer "$PYTHON" "$PEER" --json "$OUT/torch-peer.json"
fi

{
    echo
    echo "== summary ($OUT)"
    while IFS=$'\t' read -r name status secs; do printf '  %-14s %-32s %5ss\n' "$name" "$status" "$secs"; done < "$STEPS"
    if [ -f "$OUT/torch-peer.log" ]; then
        echo "-- PyTorch peer (Llama-3-8B shape, bf16, sdpa, batch 1)"
        grep -E '^(device|prefill_|decode_|peak_)' "$OUT/torch-peer.log" | sed 's/^/  /'
    fi
    if [ -f "$OUT/gpu-check.log" ]; then
        # gpu-check prints its table last: from its "== gpu-check" header to the end
        sed -n '/^== gpu-check/,$p' "$OUT/gpu-check.log"
    fi
} | tee "$OUT/summary.txt"
exit "$FAILED"
