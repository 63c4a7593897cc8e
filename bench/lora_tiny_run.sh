#!/usr/bin/env bash
# The documented tiny LoRA run (docs/lora.md): a short run of the built-in default recipe on nine of the fifteen task
# families makes a trained tiny base (NEW_TASKS=0: on all fifteen), then LoRA (r 16, alpha 32, dropout 0.05, the default targets: every Linear of the decoder's layers) trains on six of
# the fifteen task families only, and the held-out table compares the base (before) with base + adapter (after), per
# family, beside chance. Then the adapter is merged and the merged folder evaluated too (it must score the same).
# usage: bench/lora_tiny_run.sh [OUT]   (default runs/lora-tiny; uses data/synthetic, made if missing)
# Environment: MANTIS (default: the Release CLI of this checkout); BASE_STEPS (200), LORA_STEPS (150), BATCH (16),
#              EVAL_LIMIT (600 held-out records: 40 per family), NEW_TASKS (1).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-runs/lora-tiny}
mantis=${MANTIS:-"dotnet $repo/src/MantisNative.Cli/bin/Release/net10.0/mantis.dll"}
[ -f "$repo/src/MantisNative.Cli/bin/Release/net10.0/mantis.dll" ] || dotnet build "$repo/src/MantisNative.Cli/MantisNative.Cli.csproj" -c Release
mkdir -p "$out"
echo "load before: $(cat /proc/loadavg)"
# 1. the data: six families of four skills are LoRA's; the base trains on the other nine only (NEW_TASKS=1, the
#    default), so the table shows LoRA teaching the frozen decoder question types it has never seen, on visual
#    features (colours, counts, motion) the base learned from the other families. NEW_TASKS=0: the base sees all 15.
families='compare_more|compare_same_colour|coref_colour|single_colour|single_count|temporal_direction'
split() { python3 -c "
import json, re, sys
keep = re.compile(r'^($families)\$')
want = sys.argv[1] == 'lora'
for l in open('data/synthetic/train.jsonl'):
    if bool(keep.match(json.loads(l).get('family', ''))) == want: print(l, end='')" "$1"; }
[ -f data/synthetic/train.jsonl ] || $mantis make-data --output data/synthetic >/dev/null
split lora > "$out/lora-train.jsonl"
if [ "${NEW_TASKS:-1}" = 1 ]; then split base > "$out/base-train.jsonl"; else cp data/synthetic/train.jsonl "$out/base-train.jsonl"; fi
echo "LoRA data: $(wc -l < "$out/lora-train.jsonl") records of $families; base data: $(wc -l < "$out/base-train.jsonl") records"
# 2. the base: the default recipe (everything trains), shortened; no evaluation of its own
/usr/bin/time -f "base: %e s wall, %U s user, %S s sys, %M KB peak" $mantis train --output_dir "$out/base" \
  --train_data "$out/base-train.jsonl" --image_root data/synthetic \
  --max_steps "${BASE_STEPS:-200}" --per_device_train_batch_size "${BATCH:-16}" --save_steps 0 --no-eval --plain | grep -E "^step .*(/|0/)|done" | tail -3
# 3. LoRA on the trained base; the held-out table (before = the base, after = base + adapter) is the run's summary
/usr/bin/time -f "lora: %e s wall, %U s user, %S s sys, %M KB peak" $mantis train --model_path "$out/base/model" \
  --train_data "$out/lora-train.jsonl" --image_root data/synthetic --eval_data data/synthetic/heldout.jsonl \
  --eval_limit "${EVAL_LIMIT:-600}" --output_dir "$out/lora" --lora r=16,alpha=32,dropout=0.05,merge \
  --max_steps "${LORA_STEPS:-150}" --per_device_train_batch_size "${BATCH:-16}" --learning_rate 2e-3 --save_steps 0 --plain
# 4. the merged folder scores what base + adapter scored
$mantis eval --model "$out/lora/model" --data data/synthetic/heldout.jsonl --limit "${EVAL_LIMIT:-600}" --output "$out/lora/eval-merged.jsonl" | tail -3
echo "load after: $(cat /proc/loadavg)"
