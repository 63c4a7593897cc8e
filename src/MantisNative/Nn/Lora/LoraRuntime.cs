using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Nn.Lora;

/// <summary>
/// What every adapter of one model shares while it runs: whether it is training (dropout on) and which micro-step
/// it is in. Dropout masks are a pure function of (seed, module index, micro-step, element), not of a generator's
/// position, so the recomputed forward of a checkpointed block draws the same mask as the first one, and a resumed
/// run draws the masks the uninterrupted run would have drawn.
/// </summary>
public sealed class LoraRuntime
{
    public LoraRuntime(ulong seed) => Seed = seed;

    public ulong Seed { get; }

    /// <summary>Dropout is applied only while true (the trainer sets it around its forward passes; evaluation leaves it off).</summary>
    public bool Training { get; set; }

    /// <summary>The trainer's micro-step count (optimizer step × accumulation + micro index): part of every mask's key.</summary>
    public long MicroStep { get; set; }

    /// <summary>
    /// PyTorch's inverted dropout of x: elements kept with probability 1 - p and scaled by 1 / (1 - p). Returns x
    /// itself when not training or p is 0 (PEFT's nn.Identity), so callers can tell no dropout happened.
    /// </summary>
    public Tensor Dropout(Tensor x, double p, int moduleIndex)
    {
        if (!Training || p <= 0) return x;
        // on the host the mask holds 0 or 1/(1-p) (one fp32 product per element); elsewhere (BF16 activations) it
        // holds 0 or 1, exact in any dtype, and the product is scaled by 1/(1-p) in fp32 with one rounding, so the
        // kept values are not scaled by 1/(1-p) rounded to bf16 (1.0547 for p = 0.05 instead of 1.0526)
        bool host = !x.IsOnDevice && x.DType == DType.F32;
        var mask = Tensor.Zeros(x.Shape);
        var m = mask.Span;
        float keep = (float)(1 / (1 - p));
        float kept = host ? keep : 1f;
        // a 53-bit uniform per element from a counter-based hash (SplitMix64 of the key, then of the index): the same
        // stream on every device, drawn here on the host (a GPU run uploads the mask: [tokens, in] per module and micro-step)
        ulong key = Seed ^ 0x4C6F52412D64726FUL;
        key = Rng.SplitMix(ref key) ^ (ulong)moduleIndex * 0x9E3779B97F4A7C15UL;
        key = Rng.SplitMix(ref key) ^ (ulong)MicroStep * 0xD1B54A32D192ED03UL;
        for (int i = 0; i < m.Length; i++)
        {
            ulong s = key + (ulong)i * 0x9E3779B97F4A7C15UL;
            double u = (Rng.SplitMix(ref s) >> 11) * (1.0 / (1UL << 53));
            m[i] = u >= p ? kept : 0f;
        }
        if (host) return Ops.Mul(x, mask);
        var placed = mask.To(x.Device, x.DType);
        mask.Dispose();
        return Ops.Scale(Ops.Mul(x, placed), keep);
    }
}
