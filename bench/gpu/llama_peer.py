#!/usr/bin/env python3
"""PyTorch peer timing for the GPU machine: a Llama-3-8B-shaped decoder (random bf16 weights on the device,
transformers' LlamaForCausalLM with sdpa attention), prefill of N tokens and greedy decode of M tokens at
batch 1, timed with CUDA events (warm-up, median). Prints one line per figure and writes them to --json.

    python3 llama_peer.py --json peer.json [--layers 32] [--prefill 2048] [--decode 128] [--dry-run]

--dry-run checks the arguments and prints the plan without importing torch (so it runs anywhere).
"""
import argparse
import json
import statistics
import sys

SHAPE = dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
             num_key_value_heads=8, vocab_size=128258, max_position_embeddings=8192, rope_theta=500000.0)


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", required=True)
    p.add_argument("--layers", type=int, default=SHAPE["num_hidden_layers"])
    p.add_argument("--prefill", type=int, default=2048)
    p.add_argument("--decode", type=int, default=128)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--dry-run", action="store_true")
    return p.parse_args()


def main():
    a = parse()
    shape = dict(SHAPE, num_hidden_layers=a.layers)
    plan = dict(shape=shape, prefill_tokens=a.prefill, decode_tokens=a.decode, runs=a.runs, batch=1, dtype="bfloat16", attn="sdpa")
    if a.dry_run:
        print("dry run:", json.dumps(plan))
        with open(a.json, "w") as f:
            json.dump(dict(plan, dry_run=True), f, indent=2)
        return 0

    import torch
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM

    if not torch.cuda.is_available():
        print("no CUDA device visible to PyTorch", file=sys.stderr)
        return 1
    torch.manual_seed(0)
    config = LlamaConfig(**shape, attn_implementation="sdpa", torch_dtype=torch.bfloat16)
    torch.set_default_dtype(torch.bfloat16)   # build in bf16 directly: fp32 weights of 8B would need 32 GB first
    with torch.device("cuda"):
        model = LlamaForCausalLM(config)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    dev = torch.cuda.get_device_name(0)

    def timed(fn, warmup, runs):
        for _ in range(warmup):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(runs):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            fn()
            e.record()
            e.synchronize()
            times.append(s.elapsed_time(e))
        return statistics.median(times)

    ids = torch.randint(0, shape["vocab_size"], (1, a.prefill), device="cuda")
    with torch.inference_mode():
        # the decoder over the prompt plus the LM head on the last position (what generation needs), on every
        # transformers version (no reliance on logits_to_keep / num_logits_to_keep)
        def prefill():
            h = model.model(ids, use_cache=False).last_hidden_state
            return model.lm_head(h[:, -1:])

        prefill_ms = timed(prefill, 1, a.runs)

        def decode():
            out = model(ids, use_cache=True)
            cache = out.past_key_values
            tok = out.logits[:, -1:].argmax(-1)
            for _ in range(a.decode):
                out = model(tok, past_key_values=cache, use_cache=True)
                cache = out.past_key_values
                tok = out.logits[:, -1:].argmax(-1)

        total_ms = timed(decode, 1, max(1, a.runs // 2))
        decode_ms = (total_ms - prefill_ms) / a.decode

    flops_prefill = 2.0 * params * a.prefill   # matmul FLOPs of the weights; attention adds ~4*L*T^2*d
    result = dict(plan, device=dev, torch=torch.__version__, transformers=transformers.__version__, params=params,
                  prefill_ms=prefill_ms, prefill_tokens_per_s=a.prefill / (prefill_ms / 1e3),
                  prefill_tflops=flops_prefill / (prefill_ms * 1e9),
                  decode_ms_per_token=decode_ms, decode_tokens_per_s=1e3 / decode_ms,
                  peak_memory_gib=torch.cuda.max_memory_allocated() / 2**30)
    for k in ("device", "params", "prefill_ms", "prefill_tokens_per_s", "prefill_tflops", "decode_ms_per_token", "decode_tokens_per_s", "peak_memory_gib"):
        print(f"{k:22} {result[k]}")
    with open(a.json, "w") as f:
        json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
