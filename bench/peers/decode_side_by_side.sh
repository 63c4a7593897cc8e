#!/usr/bin/env bash
# Prefill and decode tokens/s of our CPU engine beside llama.cpp's llama-bench on the same language model (the
# Mantis-8B-shaped random checkpoint of `mantis make-checkpoint`), per weight format: ours bf16 / int8 / nf4 against
# GGUF bf16 / Q8_0 / Q4_K_M made by llama.cpp's own converter and llama-quantize (Debian sid's llama.cpp-tools, in the
# chroot of make_sid_chroot.sh). Both sides: the same thread count, a text-only prompt of --prompt random token ids
# (llama-bench's pp test; the GGUF holds the language model only) and --decode generated tokens (its tg test);
# peak RSS and CPU seconds by /usr/bin/time -v; the decode bound = weight bytes read per token (every language-model
# matrix but the embedding table; each side its own format's bytes) / the copy bandwidth measured at the start of
# each round. Rounds interleave ours and llama.cpp format by format (ABAB); the load average is in every row.
# GGUF files are kept under /var/tmp/mantis-gguf/<layers>l (never in the repository) and made only once.
#
# usage (root, repository root):
#   bench/peers/decode_side_by_side.sh --layers 4                 4-decoder-layer model (/var/tmp/mantis8b-4l)
#   bench/peers/decode_side_by_side.sh --layers 32 --rounds 1     the full model, on a quiet machine
#   options: [--dir DIR] [--threads 2] [--prompt 512] [--decode 32] [--reps 2] [--rounds 2] [--formats "bf16 int8 nf4"]
#            [--convert-only]  (make the GGUF files and stop)
set -euo pipefail
layers=4; dir=""; threads=2; prompt=512; decode=32; reps=2; rounds=2; formats="bf16 int8 nf4"; convert_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --layers) layers=$2; shift 2;;
    --dir) dir=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --prompt) prompt=$2; shift 2;;
    --decode) decode=$2; shift 2;;
    --reps) reps=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    --formats) formats=$2; shift 2;;
    --convert-only) convert_only=1; shift;;
    *) echo "decode_side_by_side: unknown argument $1" >&2; exit 2;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=$(realpath -m "${dir:-/var/tmp/mantis8b-${layers}l}")
gguf=/var/tmp/mantis-gguf/${layers}l
[ -f "$dir/model.safetensors.index.json" ] || { echo "decode_side_by_side: no checkpoint at $dir (mantis make-checkpoint --output $dir --layers $layers)" >&2; exit 1; }
mkdir -p "$gguf"
export PEERS_BINDS="$dir $gguf" MSBUILDDISABLENODEREUSE=1
chroot_run() { "$here/in_sid_chroot.sh" env OMP_WAIT_POLICY=PASSIVE "$@"; }
peer_of() { case "$1" in bf16) echo bf16;; int8) echo Q8_0;; nf4) echo Q4_K_M;; *) echo "decode_side_by_side: no llama.cpp twin for $1" >&2; exit 2;; esac; }

# 1. GGUF files (once): bf16 straight from the checkpoint, then the two quantizations from it; one conversion at a
#    time per folder (a second run waits on the lock instead of writing the same files)
exec 9>"$gguf/.lock"
flock 9
if [ ! -s "$gguf/bf16.gguf" ]; then
  echo "converting $dir -> $gguf/bf16.gguf ($(date -u +%H:%M:%S))"
  nice -n 10 "$here/in_sid_chroot.sh" python3 /mnt/bench/peers/gguf_convert.py "$dir" --outtype bf16 --outfile "$gguf/bf16.gguf.tmp" >"$gguf/convert.log" 2>&1 \
    || { tail -20 "$gguf/convert.log" >&2; exit 1; }
  mv "$gguf/bf16.gguf.tmp" "$gguf/bf16.gguf"
fi
for f in $formats; do
  q=$(peer_of "$f")
  [ "$q" = bf16 ] || [ -s "$gguf/$q.gguf" ] && continue
  echo "llama-quantize $q ($(date -u +%H:%M:%S))"
  nice -n 10 "$here/in_sid_chroot.sh" llama-quantize "$gguf/bf16.gguf" "$gguf/$q.gguf.tmp" "$q" "$threads" >"$gguf/quantize-$q.log" 2>&1 \
    || { tail -20 "$gguf/quantize-$q.log" >&2; exit 1; }
  mv "$gguf/$q.gguf.tmp" "$gguf/$q.gguf"
done
# GGUF files converted before gguf_convert.py wrote merges: add them (llama.cpp refuses a BPE vocabulary without)
for f in "$gguf"/*.gguf; do
  chroot_run python3 -c "import gguf, sys; sys.exit(0 if gguf.Keys.Tokenizer.MERGES in gguf.GGUFReader('$f').fields else 1)" && continue
  echo "adding merges to $f"
  chroot_run python3 /mnt/bench/peers/gguf_add_merges.py "$dir" "$f" "$f.tmp" >/dev/null 2>&1 && mv "$f.tmp" "$f"
done
ls -l "$gguf"/*.gguf
flock -u 9
[ "$convert_only" = 1 ] && exit 0

# 2. our bench program (Release build of the working tree)
bench_dll=$repo/bench/MantisNative.Bench/bin/Release/net10.0/MantisNative.Bench.dll
[ -f "$bench_dll" ] || dotnet build "$repo/bench/MantisNative.Bench" -c Release >/dev/null
ours() { dotnet "$bench_dll" "$@"; }

# bytes a llama.cpp decode token reads: every tensor of the GGUF but the embedding table (its own mixed formats)
declare -A llama_bytes
for f in $formats; do
  q=$(peer_of "$f")
  llama_bytes[$q]=$(chroot_run python3 -c "
from gguf import GGUFReader
r = GGUFReader('$gguf/$q.gguf')
print(sum(int(t.n_bytes) for t in r.tensors if t.name != 'token_embd.weight'))")
done

out=$(mktemp -d)
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.2f", $2 / 1048576}' "$1"; }
cpu() { awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.0f", u + s}' "$1"; }
rows=()
for round in $(seq 1 "$rounds"); do
  bw=$(ours copy-bandwidth | tail -1)
  echo "round $round: copy bandwidth $bw GB/s, load average $(cut -d' ' -f1-3 /proc/loadavg) ($(date -u +%H:%M:%S))"
  for f in $formats; do
    q=$(peer_of "$f")
    load0=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -v "$here/in_sid_chroot.sh" env OMP_WAIT_POLICY=PASSIVE llama-bench -m "$gguf/$q.gguf" -t "$threads" -p "$prompt" -n "$decode" -r "$reps" -o json \
      >"$out/llama.json" 2>"$out/llama.time" || { echo "llama-bench $q failed:" >&2; tail -20 "$out/llama.time" >&2; exit 1; }
    read -r lpp ltg <<<"$(python3 -c "
import json
rows = json.load(open('$out/llama.json'))
pp = [r['avg_ts'] for r in rows if r['n_prompt'] > 0 and r['n_gen'] == 0]
tg = [r['avg_ts'] for r in rows if r['n_gen'] > 0 and r['n_prompt'] == 0]
print(f'{pp[0]:.2f} {tg[0]:.3f}')")"
    load1=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -v dotnet "$bench_dll" decode-bench --model "$dir" --weights "$f" --prompt "$prompt" --decode "$decode" --reps "$reps" --threads "$threads" --copy-gbs "$bw" \
      >"$out/ours.log" 2>"$out/ours.time" || { echo "decode-bench $f failed:" >&2; tail -20 "$out/ours.log" "$out/ours.time" >&2; exit 1; }
    load2=$(cut -d' ' -f1 /proc/loadavg)
    res=$(grep '^result:' "$out/ours.log" | tail -1)
    get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$res"; }
    opp=$(get pp); otg=$(get tg); obytes=$(get bytes_per_token)
    rows+=("$(python3 -c "
bw, ob, lb = $bw * 1e9, $obytes, ${llama_bytes[$q]}
otg, ltg, opp, lpp = $otg, $ltg, $opp, $lpp
print(f'| $f / $q | $round | {opp:.1f} | {lpp:.1f} | {opp / lpp:.2f} | {otg:.2f} | {ltg:.2f} | {otg / ltg:.2f} | '
      f'{ob / 1e9:.2f} / {lb / 1e9:.2f} | {100 * otg * ob / bw:.0f} % / {100 * ltg * lb / bw:.0f} % | '
      f'$(rss "$out/ours.time") / $(rss "$out/llama.time") | $(cpu "$out/ours.time") / $(cpu "$out/llama.time") | $load1 / $load0 -> $load2 |')")")
    echo "${rows[-1]}"
  done
done
echo
echo "model: $dir ($layers decoder layers), threads $threads, prompt $prompt random token ids (text only, both sides), decode $decode tokens, $reps reps per run, $(nproc) CPUs, $(date -u +%Y-%m-%d)"
echo "| format ours / llama.cpp | round | prefill tok/s ours | prefill tok/s llama.cpp | ratio | decode tok/s ours | decode tok/s llama.cpp | ratio | weight GB per token ours / llama.cpp | % of bandwidth bound ours / llama.cpp | peak RSS GB ours / llama.cpp | CPU s ours / llama.cpp | load average (1 min) ours / llama.cpp -> after |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
rm -rf "$out"
