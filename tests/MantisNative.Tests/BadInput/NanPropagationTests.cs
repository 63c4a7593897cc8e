using MantisNative.Autograd;
using MantisNative.Backends.Cpu;
using MantisNative.IO;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.BadInput;

/// <summary>
/// Issue 16 item 7: a NaN anywhere upstream must reach the logits and the loss, as in PyTorch, so the trainer's
/// non-finite guard sees it. Before, the attention kernel took a NaN row sum for "every key masked" and wrote zeros.
/// </summary>
public class NanPropagationTests
{
    private static string Fixture => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "tiny-siglip-llama");

    private static (float[] Logits, float[] Features, float Loss) Run(string? poisonParam, bool poisonPixel)
    {
        using var loaded = ModelFiles.Load(Fixture);
        var m = loaded.Model;
        if (poisonParam is not null) m.Parameters[poisonParam].Tensor.Span[5] = float.NaN;
        using var src = SafetensorsFile.Open(Path.Combine(Fixture, "expected.safetensors"));
        var info = src.GetInfo("pixel_values");
        var px = src.ReadFloat32("pixel_values");
        // image 0, channel 0, row 0, column 7: the first patch, which the "default" strategy drops, so the NaN can only
        // reach the kept features through the tower's attention
        if (poisonPixel) px[7] = float.NaN;
        using var pixels = Tensor.FromSpan(px, new Shape(info.ShapeSpan.ToArray().Select(d => (int)d).ToArray()));
        using (Tape.NoGrad())
        {
            var r = m.Forward(src.ReadInt32("input_ids"), 1, pixels, src.ReadInt32("labels"));
            return (r.Logits.ToArray(), r.ImageFeatures!.ToArray(), r.Loss!.Item());
        }
    }

    [Test]
    public void CleanWeightsGiveFiniteOutputs()
    {
        var (logits, features, loss) = Run(null, false);
        Assert.That(logits.All(float.IsFinite) && features.All(float.IsFinite) && float.IsFinite(loss), Is.True);
    }

    [TestCase("language_model.model.layers.0.self_attn.q_proj.weight")]   // was: no NaN anywhere
    [TestCase("language_model.model.layers.0.input_layernorm.weight")]     // was: no NaN anywhere
    [TestCase("multi_modal_projector.linear_1.weight")]                    // was: NaN features, finite loss
    [TestCase("vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight")]
    public void ANanWeightMakesTheLossNaN(string param)
    {
        var (logits, _, loss) = Run(param, false);
        Assert.That(float.IsNaN(loss), Is.True, "loss");
        Assert.That(logits.All(float.IsNaN), Is.True, "every position attends to a NaN key or is one");
    }

    [Test]
    public void ANanPixelMakesThatImagesFeaturesNaN()
    {
        // was: finite features
        var (_, features, loss) = Run(null, true);
        int half = features.Length / 2;
        Assert.That(features.Take(half).All(float.IsNaN), Is.True, "image 0: every patch attends to the NaN patch");
        Assert.That(features.Skip(half).All(float.IsFinite), Is.True, "image 1 is untouched");
        Assert.That(float.IsNaN(loss), Is.True);
    }

    [Test]
    public unsafe void AttentionKernelKeepsANanKeyNaNAndAFullyMaskedRowZero()
    {
        // [B=1, H=1, T=3, D=2]: key 1 is NaN; causal, so query 0 never sees it; a fully masked row stays 0 with lse -inf
        float[] q = { 1, 0, 1, 0, 1, 0 }, k = { 1, 1, float.NaN, 1, 1, 1 }, v = { 1, 2, 3, 4, 5, 6 };
        var o = new float[6];
        var lse = new float[3];
        var shape = new AttentionShape(1, 1, 1, 3, 3, 2, Causal: true, KeyValid: null, Scale: 1f);
        fixed (float* pq = q, pk = k, pv = v, po = o, pl = lse) Attention.Forward(shape, pq, pk, pv, po, pl);
        Assert.That(o[0], Is.EqualTo(1f).Within(1e-6f), "query 0 sees only key 0");
        Assert.That(o.Skip(2).All(float.IsNaN), Is.True, "queries 1 and 2 see the NaN key");
        Assert.That(float.IsNaN(lse[1]) && float.IsNaN(lse[2]), Is.True);

        var masked = shape with { KeyValid = new[] { false, false, false } };
        fixed (float* pq = q, pk = k, pv = v, po = o, pl = lse) Attention.Forward(masked, pq, pk, pv, po, pl);
        Assert.That(o, Is.All.EqualTo(0f), "no visible key: zeros, not NaN");
        Assert.That(lse, Is.All.EqualTo(float.NegativeInfinity));
    }
}
