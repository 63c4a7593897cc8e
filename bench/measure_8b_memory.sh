#!/usr/bin/env bash
# Peak resident memory, time to first token, prefill and decode tokens/s of `mantis chat` answering a 2-image question
# on the Mantis-8B-shaped random checkpoint, per weight format, under /usr/bin/time -v; beside the memory-bandwidth
# bound of decode (language-model weight bytes read per token / copy bandwidth measured in the same run).
# The full model (32 layers, 16.9 GB bf16) must run on a quiet machine: the issue's targets there are peak RSS
# <= 20 GB in bf16 and <= 12 GB in int8.
#
# usage: bench/measure_8b_memory.sh [--layers 32] [--dir DIR] [--formats "bf16 int8"] [--max-new-tokens 16] [--threads N]
#   full 8B:    bench/measure_8b_memory.sh                               (makes /var/tmp/mantis8b-32l if missing, ~17 GB)
#   4 layers:   bench/measure_8b_memory.sh --layers 4 --formats "bf16 int8 nf4"
set -euo pipefail
layers=32; dir=""; formats="bf16 int8"; tokens=16; threads=""
while [ $# -gt 0 ]; do
  case "$1" in
    --layers) layers=$2; shift 2;;
    --dir) dir=$2; shift 2;;
    --formats) formats=$2; shift 2;;
    --max-new-tokens) tokens=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    *) echo "measure_8b_memory: unknown argument $1" >&2; exit 2;;
  esac
done
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${dir:-/var/tmp/mantis8b-${layers}l}
export MSBUILDDISABLENODEREUSE=1
[ -n "$threads" ] && export MANTIS_NUM_THREADS=$threads
cli="$repo/src/MantisNative.Cli/bin/Release/net10.0/mantis.dll"
[ -f "$cli" ] || dotnet build "$repo/MantisNative.sln" -c Release >/dev/null
mantis() { dotnet "$cli" "$@"; }

if [ ! -f "$dir/model.safetensors.index.json" ]; then
  need_gb=$(( layers * 440 / 1000 + 3 ))   # ~0.44 GB per decoder layer + embeddings, lm_head, vision tower
  free_gb=$(df -Pk "$(dirname "$dir")" | awk 'NR==2 {print int($4 / 1048576)}')
  [ "$free_gb" -gt "$need_gb" ] || { echo "measure_8b_memory: $need_gb GB needed for $dir, $free_gb GB free" >&2; exit 1; }
  mantis make-checkpoint --output "$dir" --layers "$layers"
fi

img=$repo/tests/MantisNative.Tests/fixtures/tiny-siglip-llama
question="Compare the two images: which one is brighter, and what does each show?"
bw=$(dotnet run -c Release --project "$repo/bench/MantisNative.Bench" -- copy-bandwidth 2>/dev/null | tail -1)
# language-model weight bytes read per decode token: every decoder matrix and lm_head (one embedding row is negligible)
read -r hidden inter layers_cfg vocab kvdim <<<"$(python3 - "$dir/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["text_config"]
h = c.get("hidden_size", 4096); heads = c.get("num_attention_heads", 32)
kv = c.get("num_key_value_heads", 8) * c.get("head_dim", h // heads)
print(h, c.get("intermediate_size", 14336), c.get("num_hidden_layers", 32), c.get("vocab_size", 128256), kv)
PY
)"
echo "model: $dir ($layers_cfg decoder layers)   copy bandwidth (read + write): $bw GB/s   threads: ${MANTIS_NUM_THREADS:-all}"
echo "| format | peak RSS GB | wall s | time to first token s | prefill tokens/s | decode tokens/s | decode bound tokens/s | % of bound | load average before / after |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
for f in $formats; do
  log=$(mktemp)
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  /usr/bin/time -v dotnet "$cli" chat --model "$dir" --image "$img/image0.png" --image "$img/image1.png" --weights "$f" --stats \
    --max-new-tokens "$tokens" "$question" >"$log.out" 2>"$log" || { echo "| $f | failed: $(grep -v '^\s' "$log" | tail -1) |"; continue; }
  after=$(cut -d' ' -f1-3 /proc/loadavg)
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.2f", $2 / 1048576}' "$log")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s}' "$log")
  stats=$(grep '^stats:' "$log" | tail -1)
  ttft=$(sed -n 's/.*time to first token \([0-9.]*\) s.*/\1/p' <<<"$stats")
  prefill=$(sed -n 's/.*prefill \([0-9.]*\) tokens\/s.*/\1/p' <<<"$stats")
  decode=$(sed -n 's/.*tokens at \([0-9.]*\) tokens\/s.*/\1/p' <<<"$stats")
  bound=$(python3 -c "
h, i, L, V, kv = $hidden, $inter, $layers_cfg, $vocab, $kvdim
per = {'bf16': 2.0, 'f16': 2.0, 'f32': 4.0, 'int8': 1.0 + 4.0 / h, 'nf4': 0.5 + 4.0 / 64}['$f']
elems = L * (2 * h * h + 2 * h * kv + 3 * h * i) + V * h
print(f'{float(\"$bw\") * 1e9 / (elems * per):.2f}')")
  pct=$(python3 -c "print(f'{100 * float(\"${decode:-0}\") / float(\"$bound\"):.0f}')")
  echo "| $f | $rss | $wall | ${ttft:-?} | ${prefill:-?} | ${decode:-?} | $bound | $pct % | $before / $after |"
  rm -f "$log" "$log.out"
done
