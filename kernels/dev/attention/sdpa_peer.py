#!/usr/bin/env python3
"""PyTorch's scaled_dot_product_attention (flash backend) on the shapes of `mantis kernels check --group
attention_bench`, same FLOP convention (forward 4 B H T S D, half when causal; backward 2.5x), CUDA events,
3 warm-up runs, median of 10. Prints one line per shape: `sdpa d128 causal b2 h16 T8192 fwd 1.234 ms 456.7 TFLOP/s,
bwd ...`. --dry-run lists the shapes without importing torch."""
import argparse
import json
import statistics
import sys

LENGTHS = [512, 1024, 2048, 4096, 8192, 16384]
TOTAL_TOKENS = 16384


def shapes():
    for d in (64, 72, 128):
        for causal in (False, True):
            for t in LENGTHS:
                yield d, causal, max(1, TOTAL_TOKENS // t), 2048 // d, t
    yield 72, False, 32, 16, 729   # SigLIP-so400m


def median_ms(torch, fn):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(10):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.dry_run:
        for s in shapes():
            print("shape d%d %s b%d h%d T%d" % (s[0], "causal" if s[1] else "bidir", s[2], s[3], s[4]))
        return 0
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    rows = []
    for d, causal, b, h, t in shapes():
        q, k, v = (torch.randn(b, h, t, d, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
        flops = 4.0 * b * h * t * t * d * (0.5 if causal else 1.0)
        tag = "sdpa d%d %s b%d h%d T%d" % (d, "causal" if causal else "bidir", b, h, t)
        try:
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                o = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
                g = torch.randn_like(o)
                fwd = median_ms(torch, lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal))
                bwd = median_ms(torch, lambda: torch.autograd.grad(o, (q, k, v), g, retain_graph=True))
        except RuntimeError as e:   # the flash backend refuses some head dims (72 on older builds): say so
            print("%s unsupported: %s" % (tag, str(e).splitlines()[0]))
            rows.append({"shape": tag, "error": str(e).splitlines()[0]})
            continue
        print("%s fwd %.3f ms %.1f TFLOP/s, bwd %.3f ms %.1f TFLOP/s" % (tag, fwd, flops / fwd / 1e9, bwd, 2.5 * flops / bwd / 1e9))
        rows.append({"shape": tag, "fwd_ms": fwd, "bwd_ms": bwd, "fwd_tflops": flops / fwd / 1e9, "bwd_tflops": 2.5 * flops / bwd / 1e9})
        del q, k, v, o, g
        torch.cuda.empty_cache()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
