#!/usr/bin/env python3
"""PyTorch + transformers training peer for the GPU machine (issue 12 item 6): a Mantis-8B-shaped
LlavaForConditionalGeneration (SigLIP-so400m-384 tower, 2-layer GELU projector, Llama-3-8B decoder, vocabulary
128258) built from its config with random bf16 weights created on the device (no download: the GPU machine has no
network), SigLIP frozen, sdpa attention, gradient checkpointing on the decoder, one micro-batch of 2 images of 384 px
in T tokens (2 x 728 image tokens + text), timed optimizer steps at each T. Prints one line per figure, writes --json.

    python3 torch_train_step.py --json out.json [--variant full|lora] [--seq 2048,4096] [--steps 5] [--warmup 2]
                                [--states auto|bf16|8bit] [--peak-tflops 989] [--tiny --device cpu] [--dry-run]

Variants (say which ran in the output's "variant" line):
  full  projector + LLM trained (8.05 B values). The default optimizer is torch.optim.AdamW(fused=True) on the bf16
        parameters: torch keeps the moments in the parameters' dtype, so this is "pure bf16" AdamW (bf16 weights,
        bf16 gradients, bf16 moments, NO fp32 master): 17 + 16 + 32 GB before activations. fp32 masters with fp32
        moments (torch's mixed-precision recipe, 17 + 32 + 64 + 32 GB) do not fit one 141 GB card, which is the
        point of mantis' memory options. --states 8bit uses bitsandbytes' AdamW8bit (blockwise 8-bit moments) when
        bitsandbytes is installed, else the step says it is skipped.
  lora  PEFT LoRA r 128, alpha 256, dropout 0.05 on every Linear of the language model except lm_head (the Mantis
        reference's recipe), base frozen in bf16, fused AdamW on the adapters; skipped (with a line) without peft.

Throughput: tokens/s = T / (median step seconds), every token of the sequence counted (image tokens included), as
mantis' tokens_per_second counts valid positions. MFU = model FLOPs per step / step seconds / --peak-tflops (H100/H200
SXM dense bf16: 989 TFLOP/s), where model FLOPs (no recompute counted, PaLM's convention):
  6 * N_train * T            trained matmul weights of the LLM (lm_head included, the embedding table excluded)
                              and the projector (on its 2 x 728 rows instead of T)
  + 2 * N_vision * 2 * 729   the frozen SigLIP tower: forward only
  + 6 * L * T^2 * H * d_head  causal attention of L decoder layers, forward + backward (12 L T^2 H d for full
                              attention, halved for causal), plus SigLIP's forward attention 4 * L_v * 729^2 * H_v d_v
                              per image.
For LoRA the same FLOPs are reported (the base's weight gradients are not computed, so LoRA's MFU by this
definition overstates the work: read its tokens/s).

--tiny builds a small config of the same structure (for a CPU check: --tiny --device cpu); --dry-run checks the
arguments and prints the plan without importing torch.
"""
import argparse
import json
import statistics
import sys
import time

IMAGE_TOKEN = 128256
TEXT = dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
            head_dim=128, vocab_size=128258, max_position_embeddings=8192, rope_theta=500000.0, rms_norm_eps=1e-5,
            hidden_act="silu", tie_word_embeddings=False, bos_token_id=128000, eos_token_id=128001, pad_token_id=128257)
VISION = dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27, num_attention_heads=16, image_size=384,
              patch_size=14, num_channels=3, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6)
TINY_TEXT = dict(TEXT, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                 head_dim=16, vocab_size=512, max_position_embeddings=4096, bos_token_id=1, eos_token_id=2, pad_token_id=511)
TINY_VISION = dict(VISION, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=56, patch_size=14)
TINY_IMAGE_TOKEN = 510


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", required=True)
    p.add_argument("--variant", choices=["full", "lora"], default="full")
    p.add_argument("--seq", default="2048,4096", help="comma-separated sequence lengths (tokens, image tokens included)")
    p.add_argument("--images", type=int, default=2)
    p.add_argument("--steps", type=int, default=5, help="timed optimizer steps per length")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--states", choices=["auto", "bf16", "8bit"], default="auto", help="full: AdamW moment format (auto: bf16, torch's in-dtype state)")
    p.add_argument("--lr", type=float, default=1e-5)
    p.add_argument("--peak-tflops", type=float, default=989.0)
    p.add_argument("--device", default="cuda")
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--dry-run", action="store_true")
    a = p.parse_args()
    a.seq = [int(s) for s in a.seq.split(",") if s.strip()]
    return a


def image_tokens(vision):
    # vision_feature_select_strategy "default" drops the first position: 729 - 1 = 728 per SigLIP-384 image
    return (vision["image_size"] // vision["patch_size"]) ** 2 - 1


def flops_per_step(text, vision, n_llm_matmul, n_projector, n_vision, seq, images):
    patches = (vision["image_size"] // vision["patch_size"]) ** 2
    rows = images * image_tokens(vision)
    dense = 6 * n_llm_matmul * seq + 6 * n_projector * rows + 2 * n_vision * images * patches
    attn = 6 * text["num_hidden_layers"] * seq * seq * text["num_attention_heads"] * text["head_dim"]
    attn += 4 * vision["num_hidden_layers"] * patches * patches * vision["hidden_size"] * images
    return dense + attn


def main():
    a = parse()
    text, vision = (TINY_TEXT, TINY_VISION) if a.tiny else (TEXT, VISION)
    image_token = TINY_IMAGE_TOKEN if a.tiny else IMAGE_TOKEN
    need = a.images * image_tokens(vision) + 8
    bad = [s for s in a.seq if s < need]
    if bad:
        print(f"--seq {bad}: must hold {a.images} x {image_tokens(vision)} image tokens plus text (at least {need})", file=sys.stderr)
        return 2
    plan = dict(variant=a.variant, seq=a.seq, images=a.images, steps=a.steps, warmup=a.warmup, states=a.states, device=a.device,
                tiny=a.tiny, text=text, vision=vision, dtype="bfloat16", attn="sdpa", gradient_checkpointing=True, vision_frozen=True)
    if a.dry_run:
        print("dry run:", json.dumps(plan))
        with open(a.json, "w") as f:
            json.dump(dict(plan, dry_run=True), f, indent=2)
        return 0

    import torch
    import transformers
    from transformers import LlamaConfig, LlavaConfig, LlavaForConditionalGeneration, SiglipVisionConfig

    cuda = a.device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        print("no CUDA device visible to PyTorch", file=sys.stderr)
        return 1
    dev = torch.device(a.device)
    torch.manual_seed(0)
    cfg = LlavaConfig(vision_config=SiglipVisionConfig(**vision).to_dict(), text_config=LlamaConfig(**text).to_dict(),
                      image_token_index=image_token, projector_hidden_act="gelu", vision_feature_layer=-2,
                      vision_feature_select_strategy="default", multimodal_projector_bias=True)
    for name in ("image_token_id", "image_token_index"):   # transformers 5 reads image_token_id
        setattr(cfg, name, image_token)
    cfg._attn_implementation = "sdpa"
    torch.set_default_dtype(torch.bfloat16)   # random bf16 weights made on the device: no fp32 copy of 8.5 B values
    t0 = time.time()
    with dev:
        model = LlavaForConditionalGeneration(cfg)
    torch.set_default_dtype(torch.float32)
    model.to(dev)
    build_s = time.time() - t0

    def part(m):
        return sum(p.numel() for p in m.parameters())
    base = model.model if hasattr(model, "model") and hasattr(model.model, "vision_tower") else model
    tower, projector, lm = base.vision_tower, base.multi_modal_projector, base.language_model
    head = model.lm_head if hasattr(model, "lm_head") else lm.lm_head
    n_vision, n_projector = part(tower), part(projector)
    n_lm = part(lm) + (part(head) if head is not None and not any(head.weight is p for p in lm.parameters()) else 0)
    n_embed = text["vocab_size"] * text["hidden_size"]
    tower.requires_grad_(False)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.config.use_cache = False

    lines = [f"device {torch.cuda.get_device_name(dev) if cuda else a.device}",
             f"torch {torch.__version__} transformers {transformers.__version__}",
             f"params vision {n_vision / 1e6:.2f}M (frozen) projector {n_projector / 1e6:.2f}M llm {n_lm / 1e6:.2f}M build {build_s:.1f}s"]
    result = dict(plan, torch=torch.__version__, transformers=transformers.__version__, params=dict(vision=n_vision, projector=n_projector, llm=n_lm), runs=[])

    if a.variant == "lora":
        try:
            from peft import LoraConfig, get_peft_model
        except ImportError:
            print("variant lora: skipped (peft is not installed)")
            result["skipped"] = "peft not installed"
            with open(a.json, "w") as f:
                json.dump(result, f, indent=2)
            return 0
        model.requires_grad_(False)
        lora = LoraConfig(r=128, lora_alpha=256, lora_dropout=0.05, bias="none",
                          target_modules=r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)")
        model = get_peft_model(model, lora)
        model.enable_input_require_grads()   # checkpointed blocks need an input that requires grad when the base is frozen
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, fused=cuda)
        variant = f"lora r128 alpha256 dropout0.05 ({sum(p.numel() for p in params) / 1e6:.1f}M adapter values), fused AdamW"
    else:
        params = [p for p in model.parameters() if p.requires_grad]
        if a.states == "8bit":
            try:
                import bitsandbytes as bnb
            except ImportError:
                print("variant full --states 8bit: skipped (bitsandbytes is not installed)")
                result["skipped"] = "bitsandbytes not installed"
                with open(a.json, "w") as f:
                    json.dump(result, f, indent=2)
                return 0
            opt = bnb.optim.AdamW8bit(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
            variant = "full fine-tune, bf16 weights and gradients, bitsandbytes AdamW8bit (blockwise 8-bit moments), no fp32 master"
        else:
            opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, fused=cuda)
            variant = "full fine-tune, bf16 weights, gradients and moments (torch AdamW fused, state in the param dtype), no fp32 master"
    lines.append(f"variant {variant}")
    result["variant_text"] = variant
    n_trained_matmul = n_lm - n_embed   # the lookup table is not a matmul; lm_head is
    model.train()

    for seq in a.seq:
        g = torch.Generator(device="cpu").manual_seed(seq)
        n_img = a.images * image_tokens(vision)
        ids = torch.randint(3, min(text["vocab_size"], image_token) - 3, (1, seq), generator=g)
        ids[0, 0] = text["bos_token_id"]
        ids[0, 1:1 + n_img] = image_token   # the images' positions right after BOS, as Mantis' "(image 1: <Image><image></Image>)" does
        labels = ids.clone()
        labels[0, :1 + n_img] = -100
        pixels = torch.randn(a.images, 3, vision["image_size"], vision["image_size"], generator=g).to(torch.bfloat16)
        ids, labels, pixels = ids.to(dev), labels.to(dev), pixels.to(dev)
        if cuda:
            torch.cuda.reset_peak_memory_stats(dev)
            torch.cuda.empty_cache()
        times, losses = [], []
        try:
            for i in range(a.warmup + a.steps):
                if cuda:
                    torch.cuda.synchronize(dev)
                t = time.perf_counter()
                out = model(input_ids=ids, pixel_values=pixels, labels=labels)
                out.loss.backward()
                opt.step()
                opt.zero_grad(set_to_none=True)
                if cuda:
                    torch.cuda.synchronize(dev)
                dt = time.perf_counter() - t
                losses.append(float(out.loss.detach()))
                del out
                if i >= a.warmup:
                    times.append(dt)
        except torch.cuda.OutOfMemoryError as e:
            lines.append(f"train_{seq} out of memory: {str(e).splitlines()[0]}")
            result["runs"].append(dict(seq=seq, oom=True))
            opt.zero_grad(set_to_none=True)
            continue
        med = statistics.median(times)
        flops = flops_per_step(text, vision, n_trained_matmul, n_projector, n_vision, seq, a.images)
        peak = torch.cuda.max_memory_allocated(dev) if cuda else 0
        mfu = flops / med / (a.peak_tflops * 1e12)
        lines.append(f"train_{seq} step_s {med:.3f} tokens_per_s {seq / med:.0f} tflops {flops / med / 1e12:.1f} mfu {100 * mfu:.1f}% "
                     f"peak_gb {peak / 1e9:.1f} loss {losses[0]:.3f}->{losses[-1]:.3f}")
        result["runs"].append(dict(seq=seq, step_seconds=times, median_step_seconds=med, tokens_per_second=seq / med,
                                   model_flops_per_step=flops, mfu=mfu, peak_bytes=peak, losses=losses))
    for line in lines:
        print(line)
    result["mfu_formula"] = "6*N_llm_matmul*T + 6*N_projector*rows + 2*N_vision*patches + 6*L*T^2*H*d (causal) + 4*Lv*P^2*Dv*images"
    with open(a.json, "w") as f:
        json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
