#!/usr/bin/env bash
# A few LoRA / QLoRA training steps on the Mantis-8B-shaped random checkpoint (exact names, shapes, bf16, four
# shards), with speed from the trainer's log and peak resident memory from /usr/bin/time -v.
#
# usage: bench/lora_8b_steps.sh [LAYERS] [BASE] [LORA] [STEPS]
#   LAYERS  decoder layers of the checkpoint (default 32: the full 8B model; 4: the 2.36 B-parameter variant)
#   BASE    frozen base format: fp32, bf16, int8 or nf4 (default nf4: QLoRA)
#   LORA    the --lora value without base= (default: the Mantis reference r=128,alpha=256,dropout=0.05)
#   STEPS   optimizer steps (default 3; one example of one image per step)
# Environment: WORK (default /var/tmp/mantis-lora-8b) holds the checkpoint, the data and the run;
#              MANTIS (default: dotnet run of the CLI in Release) is the command to run.
# The full 8B run is meant for a quiet machine with >= 24 GB; the 4-layer run fits in ~4 GB with base=nf4.
set -euo pipefail
layers=${1:-32}
base=${2:-nf4}
lora=${3:-r=128,alpha=256,dropout=0.05}
steps=${4:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-/var/tmp/mantis-lora-8b}
mantis=${MANTIS:-"dotnet $repo/src/MantisNative.Cli/bin/Release/net10.0/mantis.dll"}
ckpt="$work/mantis-8b-shaped-$layers-layers"
data="$work/data"
run="$work/run-$layers-layers-$base"
mkdir -p "$work"
[ -f "$repo/src/MantisNative.Cli/bin/Release/net10.0/mantis.dll" ] || dotnet build "$repo/src/MantisNative.Cli/MantisNative.Cli.csproj" -c Release
[ -f "$ckpt/config.json" ] || $mantis make-checkpoint --output "$ckpt" --layers "$layers"
[ -f "$data/train.jsonl" ] || $mantis make-data --output "$data" --train-examples 256 --heldout-examples 8
# one image per example (729 SigLIP tokens + ~40 of text): the step's size does not depend on the draw
python3 -c "import json,sys; [print(l, end='') for l in open(sys.argv[1]) if len(json.loads(l)['images']) == 1]" "$data/train.jsonl" > "$data/one-image.jsonl"
rm -rf "$run"
echo "load: $(cat /proc/loadavg)"
/usr/bin/time -v $mantis train --model_path "$ckpt" --train_data "$data/one-image.jsonl" --output_dir "$run" \
  --lora "$lora,base=$base" --max_steps "$steps" --per_device_train_batch_size 1 --learning_rate 1e-4 \
  --warmup_ratio 0 --logging_steps 1 --save_steps 0 --max_seq_len 1024 --gradient_checkpointing true \
  --no-eval --plain 2> "$run.time" | tee "$run.log"
grep -E "Maximum resident|Elapsed \(wall" "$run.time"
echo "load: $(cat /proc/loadavg)"
ls -la "$run/adapter"
