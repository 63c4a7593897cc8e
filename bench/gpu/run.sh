#!/usr/bin/env bash
# The GPU machine's one script. Run it from the publish-device folder (mantis, kernels/, fixtures/, llama_peer.py):
#     bash run.sh              run every check and timing; results under $OUT (default ./gpu-results)
#     bash run.sh --dry-run    print what would run (and the CUDA libraries found), touch nothing but $OUT/steps.tsv
# Steps: machine info (nvidia-smi, CUDA, driver, the libraries chosen), `mantis info`, `mantis kernels check --json`,
# the sm_90a attention's check group and `kernels compile --arch sm_90a --table` (registers, spills),
# `mantis gpu-check --fixtures fixtures --json`, `mantis kernels check --group attention_bench` with PyTorch SDPA on the same
# shapes (kernels/dev/attention/sdpa_peer.py), and the PyTorch peer timing (Llama-3-8B shape) when a python with
# torch and transformers is found. Each step runs under its own `timeout` (STEP_TIMEOUT overrides every limit); a
# missing tool skips its step with a line saying so; a failing or hung step does not stop the others.
# CUDA libraries need no hand-set variables: libnvrtc/libcublasLt (13, else 12) are looked for in the nvidia/*/lib
# folders of every site-packages on the machine (a venv need not be active), libcuda.so.1 in the loader path and the
# driver folders; MANTIS_NVRTC_PATH, MANTIS_CUBLASLT, MANTIS_CUDA_DRIVER, PYTHON still win when set.
# Results: at most 8 files come back from the GPU machine, so $OUT ends up holding summary.txt (step status,
# gpu-check's table, the peer's figures), steps.tsv and results.tar.gz (every log and JSON). Extra arguments for the
# checks: KERNELS_CHECK_ARGS, GPU_CHECK_ARGS. Exit status: 0 when every step that ran passed.
set -u

DRY=0
for arg in "$@"; do
    case "$arg" in
        --dry-run) DRY=1 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument '$arg' (use --dry-run)" >&2; exit 2 ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/gpu-results}
MANTIS=${MANTIS:-$HERE/mantis}
FIXTURES=${FIXTURES:-$HERE/fixtures}
PEER=${PEER:-$HERE/llama_peer.py}
LOGS="$OUT/logs"
mkdir -p "$LOGS"
rm -f "$OUT/results.tar.gz" "$OUT/summary.txt"
STEPS="$OUT/steps.tsv"
: > "$STEPS"
FAILED=0

have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }

# copies (scp, zip, a CI artifact) drop the executable bit: restore it on what this script runs
for f in "$MANTIS" "$HERE/run.sh"; do
    if [ -f "$f" ] && [ ! -x "$f" ]; then chmod +x "$f" 2>/dev/null && echo "run.sh: set the executable bit on $f"; fi
done

# ---- CUDA libraries and python, without hand-set variables ----
site_lib_dirs() {
    # nvidia/<pkg>/lib folders of any site-packages (pip wheels: nvidia-cuda-nvrtc-cu13, nvidia-cublas-cu13, ...)
    # shellcheck disable=SC2086 # SITE_ROOTS is a list of folders (default: the whole root file system)
    timeout 60 find ${SITE_ROOTS:-/} -xdev -maxdepth 10 \( -path /proc -o -path /sys -o -path /dev \) -prune -o \
        -type d -path '*-packages/nvidia/*/lib' -print 2>/dev/null | sort -r
}

pick_lib() {   # pick_lib NAME...: first existing file NAME in the site folders, newest major first
    local name dir
    for name in "$@"; do
        for dir in $SITE_DIRS; do
            if [ -e "$dir/$name" ]; then echo "$dir/$name"; return 0; fi
        done
    done
    return 1
}

find_driver() {
    if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then return 0; fi   # the loader finds it
    local d
    for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/wsl/lib \
             /run/nvidia/driver/usr/lib/x86_64-linux-gnu /usr/local/cuda/compat; do
        if [ -e "$d/libcuda.so.1" ]; then echo "$d/libcuda.so.1"; return 0; fi
    done
    return 1
}

SITE_DIRS=""
if [ "${MANTIS_DEVICE:-}" != "emulated" ]; then
    SITE_DIRS=$(site_lib_dirs)
    if [ -z "${MANTIS_NVRTC_PATH:-}" ] && lib=$(pick_lib libnvrtc.so.13 libnvrtc.so.12); then export MANTIS_NVRTC_PATH=$lib; fi
    if [ -z "${MANTIS_CUBLASLT:-}" ] && lib=$(pick_lib libcublasLt.so.13 libcublasLt.so.12); then export MANTIS_CUBLASLT=$lib; fi
    if [ -z "${MANTIS_CUDA_DRIVER:-}" ] && lib=$(find_driver) && [ -n "$lib" ]; then export MANTIS_CUDA_DRIVER=$lib; fi
fi
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python3
    if ! python3 -c 'import torch' >/dev/null 2>&1; then
        for dir in $SITE_DIRS; do   # <venv>/lib/python3.X/site-packages/nvidia/<pkg>/lib -> <venv>/bin/python
            py="${dir%%/lib/python3*}/bin/python"
            if [ -x "$py" ] && "$py" -c 'import torch' >/dev/null 2>&1; then PYTHON=$py; break; fi
        done
    fi
fi
echo "libraries: MANTIS_CUDA_DRIVER=${MANTIS_CUDA_DRIVER:-(loader path)} MANTIS_NVRTC_PATH=${MANTIS_NVRTC_PATH:-(search)} MANTIS_CUBLASLT=${MANTIS_CUBLASLT:-(search)} PYTHON=$PYTHON${MANTIS_DEVICE:+ MANTIS_DEVICE=$MANTIS_DEVICE}"

# step NAME SECONDS CMD...: runs CMD under `timeout SECONDS` with its output in $LOGS/NAME.log (and on the terminal).
step() {
    local name=$1 limit=${STEP_TIMEOUT:-$2}; shift 2
    echo "== $name: $*"
    if [ "$DRY" = 1 ]; then
        printf '%s\t%s\t%s\n' "$name" "dry-run" "0" >> "$STEPS"
        return 0
    fi
    local t0=$SECONDS
    # `timeout` runs programs, not shell functions: a function (machine_info) runs in a child bash that has it
    if declare -F "$1" >/dev/null; then set -- bash -c "$(declare -f); $*"; fi
    timeout --kill-after=30 "$limit" "$@" 2>&1 | tee "$LOGS/$name.log"
    local rc=${PIPESTATUS[0]}
    local status=ok
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then status="TIMEOUT(${limit}s)"; FAILED=1
    elif [ "$rc" != 0 ]; then status="FAIL($rc)"; FAILED=1; fi
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
        nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit,compute_cap --format=csv
    else
        echo "nvidia-smi: not found"
    fi
    if have nvcc; then nvcc --version; else echo "nvcc: not found"; fi
    ls -d /usr/local/cuda* 2>/dev/null || echo "no /usr/local/cuda*"
    ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvrtc\.so|libcublasLt\.so' || echo "no CUDA libraries on the loader path"
    echo "site-packages nvidia folders:"; for d in $SITE_DIRS; do echo "  $d"; done
    echo "chosen: MANTIS_CUDA_DRIVER=${MANTIS_CUDA_DRIVER:-} MANTIS_NVRTC_PATH=${MANTIS_NVRTC_PATH:-} MANTIS_CUBLASLT=${MANTIS_CUBLASLT:-} PYTHON=$PYTHON"
}

export SITE_DIRS PYTHON
step machine 120 machine_info

if have "$MANTIS"; then
    step info 120 "$MANTIS" info
    # shellcheck disable=SC2086 # word splitting of the extra arguments is intended
    step kernels-check 900 "$MANTIS" kernels check --json "$LOGS/kernels-check.json" ${KERNELS_CHECK_ARGS:-}
    # the sm_90a attention (docs/attention-sm90.md): its checks alone, and its registers/spills on this NVRTC
    step attention-sm90 600 "$MANTIS" kernels check --group attention_sm90 --json "$LOGS/attention-sm90.json"
    step kernels-sm90a 600 "$MANTIS" kernels compile --arch sm_90a --table
    if [ -d "$FIXTURES" ]; then
        # shellcheck disable=SC2086
        step gpu-check 2400 "$MANTIS" gpu-check --fixtures "$FIXTURES" --json "$LOGS/gpu-check.json" ${GPU_CHECK_ARGS:-}
    else
        skip gpu-check "no fixtures folder $FIXTURES"
    fi
    # the sm_80 attention kernels' timings (kernels/dev/attention/README.md): TFLOP/s fwd/bwd, hd 64/72/128, 512..16k
    step attention-bench 1200 "$MANTIS" kernels check --group attention_bench --json "$LOGS/attention-bench.json"
else
    skip info "mantis not found at $MANTIS"
    skip kernels-check "mantis not found"
    skip gpu-check "mantis not found"
    skip attention-bench "mantis not found"
fi

# PyTorch SDPA (flash backend) on the same shapes, in the same run
SDPA_PEER=${SDPA_PEER:-$HERE/kernels/dev/attention/sdpa_peer.py}
if ! have "$PYTHON"; then
    skip sdpa-peer "$PYTHON not found"
elif [ ! -f "$SDPA_PEER" ]; then
    skip sdpa-peer "no $SDPA_PEER"
elif [ "$DRY" = 1 ]; then
    DRY=0 step sdpa-peer 60 "$PYTHON" "$SDPA_PEER" --dry-run
elif ! "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
    skip sdpa-peer "$PYTHON has no torch"
else
    step sdpa-peer 1200 "$PYTHON" "$SDPA_PEER" --json "$LOGS/sdpa-peer.json"
fi

# ---- training on the GPU (issue 12): prepared, not yet run on a real card ----
# train-cuda / train-cpu: the same 200 steps of the built-in run on each device (losses side by side in the summary);
# the tiny default's vision head dim 24 has no CUDA attention kernel yet, so train-cuda is refused up front until
# kernels/attention.cu instantiates d=24 (the refusal is the expected result then). train-8b-*: a Mantis-8B-shaped
# random bf16 checkpoint (make-checkpoint), SigLIP frozen, 2 images of 384 px, micro-batch 1, gradient checkpointing:
# the memory plan of a full fine-tune (projector + llm; fp32 masters + moments do not fit 141 GB: the plan refuses,
# naming what to change), the full fine-tune with the memory options (--optimizer_states 8bit --grad_dtype bf16) and a
# projector-only step that fits (tokens/s, peak memory) at 2k and 4k tokens.
# TRAIN_STEPS=0 skips them; they are skipped on the emulated device (the test suite trains there).
# WORK holds the data, the 8B checkpoint (17 GB) and the runs' folders: outside $OUT (only three files come back), removed at the end
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/mantis-train-XXXXXX")}
if [ "${TRAIN_STEPS:-1}" = 0 ] || [ "${MANTIS_DEVICE:-}" = "emulated" ]; then
    skip train-cuda "${MANTIS_DEVICE:-TRAIN_STEPS=0}"
elif have "$MANTIS"; then
    mkdir -p "$WORK"
    step make-data 600 "$MANTIS" make-data --output "$WORK/data" --train-examples 4000 --heldout-examples 100
    for dev in cuda cpu; do
        step "train-$dev" 1800 "$MANTIS" train --device "$dev" --train_data "$WORK/data/train.jsonl" --max_steps 200 \
            --logging_steps 10 --save_steps 0 --no-eval --plain --output_dir "$WORK/train-$dev"
    done
    step make-8b 1800 "$MANTIS" make-checkpoint --output "$WORK/mantis-8b" --dtype bf16 --force
    step train-8b-full-plan 900 "$MANTIS" train --device cuda --model_path "$WORK/mantis-8b" --train_data "$WORK/data/train.jsonl" \
        --train projector,llm --gradient_checkpointing true --per_device_train_batch_size 1 --max_seq_len 2048 --max_steps 3 \
        --logging_steps 1 --save_steps 0 --no-eval --plain --output_dir "$WORK/train-8b-full"
    # full fine-tune with the memory options (8-bit AdamW moments, bf16 gradients, fp32 masters): ~90 GB planned at 4k
    for len in 2048 4096; do
        step "train-8b-full-$len" 1800 "$MANTIS" train --device cuda --model_path "$WORK/mantis-8b" --train_data "$WORK/data/train.jsonl" \
            --train projector,llm --gradient_checkpointing true --per_device_train_batch_size 1 --max_seq_len "$len" --max_steps 5 \
            --optimizer_states 8bit --grad_dtype bf16 --logging_steps 1 --save_steps 0 --no-eval --plain --output_dir "$WORK/train-8b-full-$len"
    done
    for len in 2048 4096; do
        step "train-8b-proj-$len" 1800 "$MANTIS" train --device cuda --model_path "$WORK/mantis-8b" --train_data "$WORK/data/train.jsonl" \
            --train projector --gradient_checkpointing true --per_device_train_batch_size 1 --max_seq_len "$len" --max_steps 5 \
            --logging_steps 1 --save_steps 0 --no-eval --plain --output_dir "$WORK/train-8b-proj-$len"
    done
fi

if ! have "$PYTHON"; then
    skip torch-peer "$PYTHON not found"
elif [ ! -f "$PEER" ]; then
    skip torch-peer "no $PEER"
elif [ "$DRY" = 1 ]; then
    # the peer has its own dry run (no torch import): run it for real to check its arguments
    DRY=0 step torch-peer 120 "$PYTHON" "$PEER" --dry-run --json "$LOGS/torch-peer.json"
elif ! "$PYTHON" -c 'import torch, transformers' >/dev/null 2>&1; then
    skip torch-peer "$PYTHON has no torch or transformers"
else
    step torch-peer 2400 "$PYTHON" "$PEER" --json "$LOGS/torch-peer.json"
fi

# PyTorch + transformers doing the same 8B-shaped step on the same card (bench/gpu/torch_train_step.py): full fine-tune
# (bf16 weights, gradients and moments: torch's fused AdamW keeps state in the param dtype) and LoRA r 128 (if peft
# is installed), 2k and 4k tokens, each variant in its own process under its own timeout
TORCH_TRAIN=${TORCH_TRAIN:-$HERE/torch_train_step.py}
for variant in full lora; do
    if ! have "$PYTHON"; then
        skip "torch-train-$variant" "$PYTHON not found"
    elif [ ! -f "$TORCH_TRAIN" ]; then
        skip "torch-train-$variant" "no $TORCH_TRAIN"
    elif [ "$DRY" = 1 ]; then
        DRY=0 step "torch-train-$variant" 60 "$PYTHON" "$TORCH_TRAIN" --variant "$variant" --dry-run --json "$LOGS/torch-train-$variant.json"
    elif [ "${TRAIN_STEPS:-1}" = 0 ] || [ "${MANTIS_DEVICE:-}" = "emulated" ]; then
        skip "torch-train-$variant" "${MANTIS_DEVICE:-TRAIN_STEPS=0}"
    elif ! "$PYTHON" -c 'import torch, transformers' >/dev/null 2>&1; then
        skip "torch-train-$variant" "$PYTHON has no torch or transformers"
    else
        step "torch-train-$variant" 1800 "$PYTHON" "$TORCH_TRAIN" --variant "$variant" --seq 2048,4096 --steps 5 --warmup 2 \
            --json "$LOGS/torch-train-$variant.json"
    fi
done

{
    echo
    echo "== summary ($OUT)"
    while IFS=$'\t' read -r name status secs; do printf '  %-14s %-32s %5ss\n' "$name" "$status" "$secs"; done < "$STEPS"
    if [ -f "$LOGS/torch-peer.log" ]; then
        echo "-- PyTorch peer (Llama-3-8B shape, bf16, sdpa, batch 1)"
        grep -E '^(device|prefill_|decode_|peak_|gemm_)' "$LOGS/torch-peer.log" | sed 's/^/  /'
    fi
    for dev in cuda cpu; do
        if [ -f "$WORK/train-$dev/metrics.jsonl" ]; then
            echo "-- train-$dev: step loss tokens/s peak_device_bytes (every 50th step)"
            sed -n '5~5p' "$WORK/train-$dev/metrics.jsonl" | sed -E 's/.*"step":([0-9]+),"loss":([^,]+),.*"tokens_per_second":([^,]+),.*/  \1 \2 \3/'
        fi
    done
    for variant in full lora; do
        [ -f "$LOGS/torch-train-$variant.log" ] || continue
        echo "-- PyTorch training peer ($variant): Mantis-8B shape, sdpa, bf16, gradient checkpointing"
        grep -E '^(device|variant|train_|params)' "$LOGS/torch-train-$variant.log" | sed 's/^/  /'
    done
    for f in "$LOGS"/train-8b-*.log; do
        [ -f "$f" ] || continue
        echo "-- $(basename "$f" .log)"
        grep -E '^(error|    total|    activations|step )' "$f" | tail -4 | sed 's/^/  /'
    done
    if [ -f "$LOGS/attention-bench.log" ] || [ -f "$LOGS/sdpa-peer.log" ]; then
        echo "-- attention: mantis sm_80 kernels, then PyTorch SDPA flash (same shapes)"
        cat "$LOGS/attention-bench.log" "$LOGS/sdpa-peer.log" 2>/dev/null | grep -E '(bench |^sdpa )' | sed 's/^/  /'
    fi
    if [ -f "$LOGS/gpu-check.log" ]; then
        # gpu-check prints its table last: from its "== gpu-check" header to the end
        sed -n '/^== gpu-check/,$p' "$LOGS/gpu-check.log"
    fi
} | tee "$OUT/summary.txt"

# everything else goes into one tarball, so the results are three files
cp "$STEPS" "$LOGS/steps.tsv"
if tar czf "$OUT/results.tar.gz" -C "$OUT" logs 2>/dev/null; then rm -rf "$LOGS"; else echo "run.sh: tar failed; logs left in $LOGS" >&2; fi
case "$WORK" in "${TMPDIR:-/tmp}"/mantis-train-*) rm -rf "$WORK" ;; esac
exit "$FAILED"
