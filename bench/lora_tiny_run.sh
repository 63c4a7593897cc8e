#!/usr/bin/env bash
# The documented tiny LoRA run (docs/lora.md): a short run of the built-in default recipe makes a trained tiny base,
# then LoRA (r 16, alpha 32, dropout 0.05, the default targets: every Linear of the decoder's layers) trains on six of
# the fifteen task families only, and the held-out table compares the base (before) with base + adapter (after), per
# family, beside chance. Then the adapter is merged and the merged folder evaluated too (it must score the same).
# usage: bench/lora_tiny_run.sh [OUT]   (default runs/lora-tiny; uses data/synthetic, made if missing)
# Environment: MANTIS (default: the Release CLI of this checkout); BASE_STEPS (200), LORA_STEPS (150), BATCH (16),
#              EVAL_LIMIT (600 held-out records: 40 per family).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-runs/lora-tiny}
mantis=${MANTIS:-"dotnet $repo/src/MantisNative.Cli/bin/Release/net10.0/mantis.dll"}
[ -f "$repo/src/MantisNative.Cli/bin/Release/net10.0/mantis.dll" ] || dotnet build "$repo/src/MantisNative.Cli/MantisNative.Cli.csproj" -c Release
mkdir -p "$out"
echo "load before: $(cat /proc/loadavg)"
# 1. the base: the default recipe (all families, everything trains), shortened; no evaluation of its own
/usr/bin/time -f "base: %e s wall, %U s user, %S s sys, %M KB peak" $mantis train --output_dir "$out/base" \
  --max_steps "${BASE_STEPS:-200}" --per_device_train_batch_size "${BATCH:-16}" --save_steps 0 --no-eval --plain | grep -E "^step .*(/|0/)|done" | tail -3
# 2. the LoRA data: six families of four skills, from the same training split
families='compare_more|compare_same_colour|coref_colour|single_colour|single_count|temporal_direction'
python3 -c "
import json, re, sys
keep = re.compile(r'^($families)\$')
for l in open('data/synthetic/train.jsonl'):
    if keep.match(json.loads(l).get('family', '')): print(l, end='')" > "$out/lora-train.jsonl"
echo "LoRA data: $(wc -l < "$out/lora-train.jsonl") records of $families"
# 3. LoRA on the trained base; the held-out table (before = the base, after = base + adapter) is the run's summary
/usr/bin/time -f "lora: %e s wall, %U s user, %S s sys, %M KB peak" $mantis train --model_path "$out/base/model" \
  --train_data "$out/lora-train.jsonl" --image_root data/synthetic --eval_data data/synthetic/heldout.jsonl \
  --eval_limit "${EVAL_LIMIT:-600}" --output_dir "$out/lora" --lora r=16,alpha=32,dropout=0.05,merge \
  --max_steps "${LORA_STEPS:-150}" --per_device_train_batch_size "${BATCH:-16}" --learning_rate 2e-3 --save_steps 0 --plain
# 4. the merged folder scores what base + adapter scored
$mantis eval --model "$out/lora/model" --data data/synthetic/heldout.jsonl --limit "${EVAL_LIMIT:-600}" --output "$out/lora/eval-merged.jsonl" | tail -3
echo "load after: $(cat /proc/loadavg)"
