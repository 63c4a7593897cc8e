#!/usr/bin/env python3
"""Checks a LoRA / DoRA adapter written by `mantis train --lora` (or PeftAdapter.Save) with Hugging Face PEFT itself.

usage: check_peft_adapter.py BASE_DIR ADAPTER_DIR MERGED_DIR
  BASE_DIR    the adapter's base model (a Hugging Face Llava folder)
  ADAPTER_DIR adapter_config.json + adapter_model.safetensors (ours)
  MERGED_DIR  `mantis merge --model BASE_DIR --adapter ADAPTER_DIR --output MERGED_DIR` (ours)

What it checks, each with its tolerance (fp32 throughout):
  1. PeftModel.from_pretrained loads the adapter: every lora_A / lora_B (/ lora_magnitude_vector) tensor of our file
     lands in a module of the model, bit for bit, and no module of the model is left with its initial adapter.
  2. PEFT's merge_and_unload() equals our merged folder, weight by weight (max |diff| / max |w| <= 1e-6: both are
     fp32 W + s*B*A, summed in different orders).
  3. The unmerged PeftModel's logits equal the logits of our merged folder run by transformers (relative L2 <= 1e-5).
Exit status 0 when all hold. Needs torch, transformers, accelerate and peft (PYTHONPATH may point at PEFT's src/).
"""
import sys

import torch
from safetensors.torch import load_file


def main(base_dir, adapter_dir, merged_dir):
    import glob
    import os

    from peft import PeftModel
    from transformers import AutoModelForImageTextToText

    torch.manual_seed(0)
    load = lambda d: AutoModelForImageTextToText.from_pretrained(d, torch_dtype=torch.float32).eval()
    ours = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    model = PeftModel.from_pretrained(load(base_dir), adapter_dir).eval()

    # 1. every tensor of our file is in the model, bit for bit (PEFT renames legacy Llava paths on load)
    state = {k: v for k, v in model.state_dict().items() if "lora_" in k}
    def short(k):  # "...layers.0.self_attn.q_proj.lora_A.weight" ignoring the model-path prefix and ".default"
        k = k.replace(".default", "").replace("lora_magnitude_vector.weight", "lora_magnitude_vector")  # PEFT saves m without ".weight"
        i = k.find("layers.")
        return k[i:] if i >= 0 else k
    by_short = {}
    for k, v in state.items():
        by_short.setdefault(short(k), []).append((k, v))
    bad = 0
    for k, v in ours.items():
        # the vision tower and the LLM both have "layers.N..."; pick the one whose path agrees on the tower
        cands = [(mk, mv) for mk, mv in by_short.get(short(k), []) if ("vision" in mk) == ("vision" in k)]
        if len(cands) != 1 or not torch.equal(cands[0][1].float().reshape(v.shape), v.float()):
            print(f"NOT LOADED as written: {k} ({len(cands)} candidate modules)")
            bad += 1
    lora_modules = {short(k) for k in state}
    print(f"1. {len(ours)} adapter tensors, {len(ours) - bad} loaded bit for bit; the model has {len(lora_modules)} adapter tensors")
    ok = bad == 0 and len(lora_modules) == len(ours)

    # 3 first (merge_and_unload changes the model): unmerged PEFT logits vs our merged folder in transformers
    ids = torch.randint(3, 200, (1, 24))
    cfg = model.base_model.model.config
    with torch.no_grad():
        peft_logits = model(input_ids=ids).logits
        merged_ours = load(merged_dir)
        our_logits = merged_ours(input_ids=ids).logits
    rel = ((peft_logits - our_logits).norm() / peft_logits.norm()).item()
    print(f"3. unmerged PEFT logits vs our merged folder: relative L2 {rel:.2e} (<= 1e-5)")
    ok &= rel <= 1e-5

    # 2. PEFT's merge vs ours, weight by weight
    merged_peft = model.merge_and_unload().state_dict()
    ours_merged = {}
    for f in glob.glob(os.path.join(merged_dir, "*.safetensors")):
        ours_merged.update(load_file(f))
    ours_by_short = {short(k): v for k, v in merged_ours.state_dict().items()}
    worst = 0.0
    compared = 0
    for k, v in merged_peft.items():
        o = merged_ours.state_dict().get(k)
        # SigLIP's pooling head is not in a Llava checkpoint: transformers initialises it at random in each load
        if o is None or o.shape != v.shape or ".head." in k:
            continue
        compared += 1
        worst = max(worst, ((v.float() - o.float()).abs().max() / v.float().abs().max().clamp_min(1e-30)).item())
    print(f"2. {compared} weights of PEFT's merge_and_unload vs our merge: worst max|diff|/max|w| {worst:.2e} (<= 1e-6)")
    ok &= compared > 0 and worst <= 1e-6
    print("PEFT check:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
