using MantisNative.Autograd;
using MantisNative.IO;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Models;

/// <summary>
/// The training forward (MantisModel.ForwardLoss) with the fused LM head + loss equals the unfused one on the CPU
/// fixture models: loss and every trainable gradient within fp32 rounding (1e-5 relative L2; the fused op sums the
/// lm_head gradient chunk by chunk). Unset, the CPU takes the unfused path bit for bit.
/// </summary>
public class FusedLossModelTests
{
    private static (float Loss, float[][] Grads) Train(string name, bool? fused, int chunkRows)
    {
        string dir = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", name);
        using var expected = SafetensorsFile.Open(Path.Combine(dir, "expected.safetensors"));
        var info = expected.GetInfo("pixel_values");
        using var pixels = Tensor.FromSpan(expected.ReadFloat32("pixel_values"), new Shape(info.ShapeSpan.ToArray().Select(d => (int)d).ToArray()));
        var ids = expected.ReadInt32("input_ids");
        var labels = expected.ReadInt32("labels");
        using var loaded = ModelFiles.Load(dir);
        loaded.Model.FusedLoss = fused;
        loaded.Model.FusedLossChunkRows = chunkRows;
        using var scope = new TensorScope();
        var o = loaded.Model.ForwardLoss(ids, 1, pixels, labels);
        float loss = o.Loss.Item();
        Tape.Backward(o.Loss);
        return (loss, loaded.Model.TrainableParameters.Select(p => p.Tensor.Grad!.ToArray()).ToArray());
    }

    private static double RelL2(float[] got, float[] want)
    {
        double num = 0, den = 0;
        for (int i = 0; i < want.Length; i++) { num += (double)(got[i] - want[i]) * (got[i] - want[i]); den += (double)want[i] * want[i]; }
        return Math.Sqrt(num / Math.Max(den, 1e-30));
    }

    [TestCase("tiny-siglip-llama")]
    [TestCase("tiny-clip-llama")]
    public void FusedTrainingLossEqualsTheUnfusedOne(string name)
    {
        var plain = Train(name, fused: false, 0);
        var fused = Train(name, fused: true, 5);
        Assert.That(Math.Abs(fused.Loss - plain.Loss) / plain.Loss, Is.LessThan(1e-5), $"loss {fused.Loss} vs {plain.Loss}");
        Assert.That(fused.Grads.Length, Is.EqualTo(plain.Grads.Length));
        for (int i = 0; i < plain.Grads.Length; i++)
            Assert.That(RelL2(fused.Grads[i], plain.Grads[i]), Is.LessThan(1e-5), $"parameter {i}");
    }

    [Test]
    public void OnTheCpuTheDefaultIsTheUnfusedLossBitForBit()
    {
        var byDefault = Train("tiny-siglip-llama", fused: null, 0);
        var plain = Train("tiny-siglip-llama", fused: false, 0);
        Assert.That(byDefault.Loss, Is.EqualTo(plain.Loss));
        for (int i = 0; i < plain.Grads.Length; i++) Assert.That(byDefault.Grads[i], Is.EqualTo(plain.Grads[i]), $"parameter {i}");
    }
}
