"""PyTorch twin of `MantisNative.Bench train-step`: the built-in tiny Mantis model's training step
(forward + backward + clip_grad_norm_ 1.0 + AdamW lr 1e-3), fp32, eager, plain torch.nn.functional code.

Reads the file written by `train-step --export FILE`: the initial weights (w.<hf name>), the batches
(b<i>.ids / feature_row / valid / targets, image tokens already expanded to 16 per image, b<i>.pixels) and
our per-step losses, so both sides run the same math on the same weights and batches, and the losses can be
compared step by step. Vision tower frozen, as in the default run (train = projector + llm).

usage: /usr/bin/python3 bench/pytorch/tiny_train_step.py FILE [--steps N] [--warmup W] [--threads T]
"""
import argparse, json, math, struct, time

import torch
import torch.nn.functional as F


def read_safetensors(path):
    """8-byte little-endian header length, JSON header, raw little-endian data."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    base, out = 8 + n, {}
    dtypes = {"F32": torch.float32, "I64": torch.int64, "I32": torch.int32}
    for name, info in header.items():
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(raw[base + a:base + b]), dtype=dtypes[info["dtype"]])
        out[name] = t.reshape(info["shape"]).clone()
    return out, meta


V = "vision_tower.vision_model."
L = "language_model.model."


def linear(W, p, x, bias=True):
    return F.linear(x, W[p + ".weight"], W[p + ".bias"] if bias else None)


def vision_layer(W, p, x, heads=4, eps=1e-6):
    n, t, d = x.shape
    h = F.layer_norm(x, (d,), W[p + ".layer_norm1.weight"], W[p + ".layer_norm1.bias"], eps)
    split = lambda y: y.view(n, t, heads, d // heads).transpose(1, 2)
    q, k, v = (split(linear(W, p + ".self_attn." + s, h)) for s in ("q_proj", "k_proj", "v_proj"))
    a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads), dim=-1) @ v
    x = x + linear(W, p + ".self_attn.out_proj", a.transpose(1, 2).reshape(n, t, d))
    h = F.layer_norm(x, (d,), W[p + ".layer_norm2.weight"], W[p + ".layer_norm2.bias"], eps)
    return x + linear(W, p + ".mlp.fc2", F.gelu(linear(W, p + ".mlp.fc1", h), approximate="tanh"))


def image_features(W, pixels):
    x = F.conv2d(pixels, W[V + "embeddings.patch_embedding.weight"], W[V + "embeddings.patch_embedding.bias"], stride=8)
    x = x.flatten(2).transpose(1, 2) + W[V + "embeddings.position_embedding.weight"]
    for i in range(2):
        x = vision_layer(W, f"{V}encoder.layers.{i}", x)
    # last layer, strategy "full" (all 16 patches), no post_layernorm; projector linear, GELU (erf), linear
    return linear(W, "multi_modal_projector.linear_2", F.gelu(linear(W, "multi_modal_projector.linear_1", x)))


def rms_norm(x, w, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def llama_layer(W, p, x, cos, sin, mask, heads=4, kv_heads=2, hd=32):
    b, t, d = x.shape
    h = rms_norm(x, W[p + ".input_layernorm.weight"])
    q = linear(W, p + ".self_attn.q_proj", h, False).view(b, t, heads, hd).transpose(1, 2)
    k = linear(W, p + ".self_attn.k_proj", h, False).view(b, t, kv_heads, hd).transpose(1, 2)
    v = linear(W, p + ".self_attn.v_proj", h, False).view(b, t, kv_heads, hd).transpose(1, 2)
    q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
    k, v = k.repeat_interleave(heads // kv_heads, dim=1), v.repeat_interleave(heads // kv_heads, dim=1)
    s = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
    a = torch.softmax(s, dim=-1) @ v
    x = x + linear(W, p + ".self_attn.o_proj", a.transpose(1, 2).reshape(b, t, heads * hd), False)
    h = rms_norm(x, W[p + ".post_attention_layernorm.weight"])
    m = F.silu(linear(W, p + ".mlp.gate_proj", h, False)) * linear(W, p + ".mlp.up_proj", h, False)
    return x + linear(W, p + ".mlp.down_proj", m, False)


def loss_of(W, batch, layers=4, hidden=128, hd=32, theta=10000.0):
    ids, feat_row, valid, targets, pixels = batch
    b, t = ids.shape
    n = b * t
    feats = image_features(W, pixels).reshape(-1, hidden)
    # image positions look up id 0 and are then replaced by their feature rows (as MantisModel.Embed does)
    text = F.embedding(torch.where(feat_row >= 0, torch.zeros_like(ids), ids).view(-1), W[L + "embed_tokens.weight"])
    pick = torch.where(feat_row.view(-1) >= 0, n + feat_row.view(-1), torch.arange(n))
    x = torch.cat([text, feats], 0)[pick].view(b, t, hidden)
    inv = 1.0 / theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd)
    ang = torch.arange(t, dtype=torch.float32)[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    allowed = causal[None, None] & valid.bool()[:, None, None, :] if not bool(valid.all()) else causal[None, None]
    mask = torch.zeros(allowed.shape).masked_fill(~allowed, float("-inf"))
    for i in range(layers):
        x = llama_layer(W, f"{L}layers.{i}", x, cos, sin, mask)
    logits = F.linear(rms_norm(x, W[L + "norm.weight"]), W["language_model.lm_head.weight"])
    return F.cross_entropy(logits.view(n, -1), targets.view(-1), ignore_index=-100)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    data, meta = read_safetensors(a.file)
    W = {k[2:]: v for k, v in data.items() if k.startswith("w.")}
    for k, v in W.items():
        v.requires_grad_(not k.startswith("vision_tower."))
    trainable = [v for v in W.values() if v.requires_grad]
    batches = [tuple(data[f"b{i}.{s}"] for s in ("ids", "feature_row", "valid", "targets", "pixels")) for i in range(int(meta["batches"]))]
    opt = torch.optim.AdamW(trainable, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    losses, times, tokens, cpu = [], [], 0, 0.0
    for s in range(a.warmup + a.steps):
        batch = batches[s % len(batches)]
        t0, c0 = time.perf_counter(), time.process_time()
        loss = loss_of(W, batch)
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if s >= a.warmup:
            times.append(time.perf_counter() - t0)
            cpu += time.process_time() - c0  # all threads of the process, spin-waits included
            tokens += int(batch[2].sum())
    total, median, bsz = sum(times), sorted(times)[len(times) // 2], batches[0][0].shape[0]
    ours = [float(x) for x in meta.get("losses", "").split()]
    k = min(len(ours), len(losses))
    print(f"PyTorch {torch.__version__} train-step: {sum(v.numel() for v in W.values()):,} parameters, {sum(v.numel() for v in trainable):,} trainable, "
          f"batch {bsz}, threads {torch.get_num_threads()}")
    print("losses: " + " ".join(f"{x:.5f}" for x in losses))
    if k:
        print(f"max |loss - MantisNative loss| over the first {k} steps: {max(abs(x - y) for x, y in zip(losses, ours)):.2e}")
    print(f"RESULT torch steps={a.steps} mean_step_ms={1000 * total / a.steps:.1f} median_step_ms={1000 * median:.1f} "
          f"cpu_ms_per_step={1000 * cpu / a.steps:.1f} steps_per_s={a.steps / total:.3f} examples_per_s={a.steps * bsz / total:.1f} tokens_per_s={tokens / total:.0f}")


if __name__ == "__main__":
    main()
