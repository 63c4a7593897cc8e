#!/usr/bin/env bash
# Checks one of our adapters with Hugging Face PEFT inside the sid peers chroot (bench/peers/make_sid_chroot.sh:
# torch + transformers from Debian; python3-accelerate via apt-get; PEFT itself is not packaged in Debian, so
# PEFT_SRC points at a checkout's src/ folder, e.g. `git clone https://github.com/huggingface/peft` then PEFT_SRC=peft/src).
# All three folders must be under /tmp (the chroot sees the host's /tmp).
# usage (as root): PEFT_SRC=/tmp/peft/src bench/peft/check_peft_in_sid.sh BASE_DIR ADAPTER_DIR MERGED_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${PEFT_SRC:?set PEFT_SRC to the src folder of a PEFT checkout (under /tmp)}"
exec "$here/../peers/in_sid_chroot.sh" env PYTHONPATH="$PEFT_SRC" OMP_NUM_THREADS=2 python3 /mnt/bench/peft/check_peft_adapter.py "$@"
