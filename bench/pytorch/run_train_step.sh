#!/usr/bin/env bash
# Side-by-side training-step benchmark of the tiny default model: MantisNative vs PyTorch, same weights,
# same batches, same thread count, run back to back in rounds so a noisy neighbour hurts both alike.
# PyTorch runs three ways: as installed (no env), OMP_WAIT_POLICY=PASSIVE (libgomp threads sleep instead of
# spinning), and PASSIVE + OPENBLAS_NUM_THREADS=1 (no OpenBLAS pool nested in the OpenMP one).
# usage: bench/pytorch/run_train_step.sh [rounds=3] [steps=20] [threads=2]   (from the repository root)
# needs: /usr/bin/python3 with python3-torch (Debian), the synthetic set in /tmp/synth or data/synthetic
set -euo pipefail
rounds=${1:-3}; steps=${2:-20}; threads=${3:-2}
file=${EXPORT:-/tmp/mantis-train-step.safetensors}
dotnet build -c Release bench/MantisNative.Bench -v q -nologo > /dev/null
echo "date: $(date -u +%FT%TZ)  commit: $(git rev-parse --short HEAD)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
torch() { env "$@" /usr/bin/python3 bench/pytorch/tiny_train_step.py "$file" --steps "$steps" --threads "$threads"; }
for r in $(seq 1 "$rounds"); do
  echo "--- round $r   load: $(cut -d' ' -f1-3 /proc/loadavg)"
  MANTIS_NUM_THREADS=$threads dotnet run -c Release --no-build --project bench/MantisNative.Bench -- \
    train-step --steps "$steps" --export "$file" | grep -E "^(MantisNative|RESULT|batch)"
  torch | grep -E "^(PyTorch|RESULT|max)" | sed 's/^RESULT torch/RESULT torch-default/'
  torch OMP_WAIT_POLICY=PASSIVE | grep RESULT | sed 's/^RESULT torch/RESULT torch-passive/'
  torch OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1 | grep RESULT | sed 's/^RESULT torch/RESULT torch-passive-blas1/'
done
