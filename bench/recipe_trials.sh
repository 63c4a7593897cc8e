#!/usr/bin/env bash
# Default-run recipe calibration (issue 15 item 5): trains the built-in tiny model with a few candidate recipes on
# the AVX2 kernels (forced on an AVX-512 machine: MANTIS_CPU_ISA=avx2 DOTNET_EnableAVX512=0), one after another,
# and prints for each the whole command's wall / user+sys CPU time and the held-out table's key families.
# (user+sys) / 2 is what the run would take on an idle 2-core machine of this speed. Held-out accuracy is
# deterministic for a given CPU, kernel family and thread count, so it is valid even on a loaded machine.
# usage (repository root): bench/recipe_trials.sh [DATA_DIR=data/synthetic] [OUT=/tmp/mantis-recipes]
#   RECIPES env: ';'-separated lists of `mantis train` flags; the default below spans ~0.33x-1x of today's compute.
set -euo pipefail
data=${1:-data/synthetic}; out=${2:-/tmp/mantis-recipes}
mkdir -p "$out"
[ -n "${NO_BUILD:-}" ] || dotnet build -c Release src/MantisNative.Cli -v q -nologo > /dev/null  # NO_BUILD=1: reuse the build (parallel trials)
mantis="dotnet src/MantisNative.Cli/bin/Release/net10.0/mantis.dll"
[ -f "$data/train.jsonl" ] || $mantis make-data --output "$data"
RECIPES=${RECIPES:-"--max_steps 1800;--max_steps 900 --learning_rate 2e-3;--max_steps 600 --learning_rate 2e-3;--max_steps 1200 --per_device_train_batch_size 16 --learning_rate 1.5e-3"}
IFS=';' read -ra list <<< "$RECIPES"
echo "date: $(date -u +%FT%TZ)  commit: $(git rev-parse --short HEAD)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!list[@]}"; do
  r=${list[$i]}; dir="$out/recipe$i"
  # shellcheck disable=SC2086
  MANTIS_CPU_ISA=${MANTIS_CPU_ISA-avx2} DOTNET_EnableAVX512=${DOTNET_EnableAVX512-0} MANTIS_NUM_THREADS=${MANTIS_NUM_THREADS:-2} \
    /usr/bin/time -f "TIME wall %e s user %U s sys %S s" -o "$dir.time" \
    $mantis train --train_data "$data/train.jsonl" --eval_data "$data/heldout.jsonl" --output_dir "$dir" --plain $r > "$dir.log" 2>&1
  cpu=$(awk '{print $6 + $9}' "$dir.time")
  echo "--- recipe $i: $r   $(cat "$dir.time")   (user+sys)/2 = $(awk -v c="$cpu" 'BEGIN{printf "%.0f", c/2}') s"
  grep -E "^\| (comparison|coreference|temporal|all) " "$dir/eval_summary.md" | grep -E "compare_more|compare_same_colour|coref_colour|coref_find|temporal_direction|overall" || tail -n 5 "$dir.log"
  echo "    load after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
