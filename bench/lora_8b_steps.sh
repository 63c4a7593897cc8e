#!/usr/bin/env bash
# A few LoRA / QLoRA training steps on a Mantis-8B-shaped checkpoint (exact names, shapes, bf16, four shards; made by
# `mantis make-checkpoint --output DIR [--layers N]`), reporting seconds per step and tokens/s (from the trainer's
# metrics.jsonl) and peak resident memory (/usr/bin/time -v). Each example holds 2 images of 384 px (2 x 728 SigLIP
# tokens) and ~60 text tokens, so one step reads ~1,520 tokens; LoRA is the Mantis reference's (r 128, alpha 256,
# dropout 0.05 on every Linear of the LLM's layers, not lm_head, the tower or the projector).
#
# usage: bench/lora_8b_steps.sh MODEL_DIR [BASE] [STEPS] [LORA]
#   MODEL_DIR  the checkpoint (e.g. /var/tmp/mantis8b-32l, the full 8B shape; /var/tmp/mantis8b-4l, 4 decoder layers)
#   BASE       frozen base format: bf16 (default; in place in the mapped file), int8 or nf4 (QLoRA: quantized at load)
#   STEPS      optimizer steps (default 3; one example per step; the first includes the first-touch page faults)
#   LORA       the --lora value without base= (default r=128,alpha=256,dropout=0.05)
# Environment: WORK (default /var/tmp/mantis-lora-8b) holds the data and the runs; MANTIS (default: the Release CLI
# built from this checkout) is the command; NICE (default 10) the niceness of the training process.
# Memory (CPU, measured in docs/lora.md): about the touched part of the file (bf16) or the quantized matrices
# (int8 / nf4) + adapters with fp32 grads and two moments (16 bytes per value) + one layer's activations
# (gradient checkpointing) + the loss's [tokens, vocab] logits and their gradient.
set -euo pipefail
model=${1:?usage: bench/lora_8b_steps.sh MODEL_DIR [bf16|int8|nf4] [STEPS] [LORA]}
base=${2:-bf16}
steps=${3:-3}
lora=${4:-r=128,alpha=256,dropout=0.05}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-/var/tmp/mantis-lora-8b}
mantis=${MANTIS:-"dotnet $repo/src/MantisNative.Cli/bin/Release/net10.0/mantis.dll"}
[ -f "$model/config.json" ] || { echo "$model: no config.json (make it with: mantis make-checkpoint --output $model [--layers N])" >&2; exit 1; }
data="$work/data-384"
run="$work/run-$(basename "$model")-$base-$steps"
mkdir -p "$work"
[ -f "$repo/src/MantisNative.Cli/bin/Release/net10.0/mantis.dll" ] || dotnet build "$repo/src/MantisNative.Cli/MantisNative.Cli.csproj" -c Release
[ -f "$data/train.jsonl" ] || $mantis make-data --output "$data" --train-examples 64 --heldout-examples 0 --image-size 384
# two images per example: every step has the same size whatever the draw
python3 -c "import json,sys; [print(l, end='') for l in open(sys.argv[1]) if len(json.loads(l)['images']) == 2]" "$data/train.jsonl" > "$data/two-images.jsonl"
[ -s "$data/two-images.jsonl" ] || { echo "$data/train.jsonl has no two-image example" >&2; exit 1; }
rm -rf "$run"
echo "load before: $(cat /proc/loadavg); $(free -g | awk '/^Mem:/ {print "available " $7 " GB of " $2}')"
set +e
MANTIS_HOST_POOL_MB=${MANTIS_HOST_POOL_MB:-256} nice -n "${NICE:-10}" /usr/bin/time -v $mantis train --model_path "$model" --train_data "$data/two-images.jsonl" --image_root "$data" \
  --output_dir "$run" --lora "$lora,base=$base" --max_steps "$steps" --per_device_train_batch_size 1 --learning_rate 1e-4 \
  --warmup_ratio 0 --logging_steps 1 --save_steps 0 --max_seq_len 2048 --gradient_checkpointing true \
  --device cpu --no-eval --plain 2> "$run.time" | tee "$run.log"
rc=${PIPESTATUS[0]}
set -e
echo "load after: $(cat /proc/loadavg)"
if [ "$rc" -ne 0 ]; then tail -20 "$run.time" >&2; echo "training failed (rc $rc)" >&2; exit "$rc"; fi
# s/step and tokens/s of each step from the metrics (elapsed is cumulative), peak RSS and CPU time from time -v
python3 - "$run/metrics.jsonl" "$run.time" <<'EOF'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = open(sys.argv[2]).read()
def field(name):
    m = re.search(re.escape(name) + r":\s*(.+)", t)
    return m.group(1).strip() if m else "?"
prev = 0.0
print("step  loss      s/step   tokens/s")
for r in rows:
    el = r.get("elapsed_seconds", r.get("elapsed_s", 0.0))
    dt = el - prev; prev = el
    print(f"{r['step']:>4}  {r['loss']:<8.4f}  {dt:7.1f}  {r.get('tokens_per_second', float('nan')):9.1f}")
print(f"peak RSS {int(field('Maximum resident set size (kbytes)')) / 1e6:.2f} GB; wall {field('Elapsed (wall clock) time (h:mm:ss or m:ss)')}; "
      f"user {field('User time (seconds)')} s, sys {field('System time (seconds)')} s")
EOF
ls -la "$run/adapter"
