#!/usr/bin/env bash
# Side-by-side training step of the tiny default model: MantisNative (its native kernels and, forced, its AVX2
# kernels) against PyTorch 2.x from the Debian sid chroot (make_sid_chroot.sh), same weights, same batches,
# same thread count, interleaved in rounds so a noisy neighbour hurts all alike. PyTorch runs three ways and
# the best is its figure: OMP_WAIT_POLICY=PASSIVE; PASSIVE + OPENBLAS_NUM_THREADS=1; and, with INSTALLED=1,
# as installed (spinning libgomp workers; 4-10x slower on 2 shared cores, minutes per round under load). The
# "AVX2" rows force both sides onto their AVX2 code on an AVX-512 machine: ours with MANTIS_CPU_ISA=avx2 and
# DOTNET_EnableAVX512=0 (the JIT then compiles System.Numerics.Tensors' 256-bit paths too), PyTorch with
# ATEN_CPU_CAPABILITY=avx2 and OpenBLAS with OPENBLAS_CORETYPE=Haswell. Ours runs twice per kind: the trainer's
# step (length groups, LM head only on rows with a target) and --padded (every padded position and the LM head on
# every row, the work the PyTorch script does), so the second pair compares kernels like for like.
# usage (root, repository root): bench/peers/run_train_step_sid.sh [rounds=3] [steps=20] [threads=2]
set -euo pipefail
rounds=${1:-3}; steps=${2:-20}; threads=${3:-2}
file=/tmp/mantis-train-step.safetensors
here=$(cd "$(dirname "$0")" && pwd)
dotnet build -c Release bench/MantisNative.Bench -v q -nologo > /dev/null
bench="dotnet bench/MantisNative.Bench/bin/Release/net10.0/MantisNative.Bench.dll"
avx2="MANTIS_CPU_ISA=avx2 DOTNET_EnableAVX512=0"
torch_avx2="ATEN_CPU_CAPABILITY=avx2 OPENBLAS_CORETYPE=Haswell"
echo "date: $(date -u +%FT%TZ)  commit: $(git rev-parse --short HEAD)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
ours() { env MANTIS_NUM_THREADS="$threads" "$@" $bench train-step --steps "$steps" --export "$file" ${PADDED_FLAG:-} | grep -E "^(RESULT|batch)"; }
torch() {
  local tag=$1; shift
  "$here/in_sid_chroot.sh" env "$@" python3 /mnt/bench/pytorch/tiny_train_step.py "$file" --steps "$steps" --threads "$threads" \
    | grep -E "^(PyTorch|RESULT|max)" | sed "s/^RESULT torch/RESULT torch-$tag/"
}
for r in $(seq 1 "$rounds"); do
  echo "--- round $r   load: $(cut -d' ' -f1-3 /proc/loadavg)"
  ours | sed 's/^RESULT ours/RESULT ours-native/'
  PADDED_FLAG=--padded ours | sed 's/^RESULT ours/RESULT ours-native-padded/'
  torch passive OMP_WAIT_POLICY=PASSIVE
  torch passive-blas1 OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1
  if [ "${INSTALLED:-0}" = 1 ]; then torch installed PATH=/usr/bin:/bin; fi
  # shellcheck disable=SC2086
  ours env $avx2 | sed 's/^RESULT ours/RESULT ours-avx2/'
  # shellcheck disable=SC2086
  PADDED_FLAG=--padded ours env $avx2 | sed 's/^RESULT ours/RESULT ours-avx2-padded/'
  # shellcheck disable=SC2086
  torch avx2-passive OMP_WAIT_POLICY=PASSIVE $torch_avx2
  # shellcheck disable=SC2086
  torch avx2-passive-blas1 OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 $torch_avx2
  echo "    load after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
