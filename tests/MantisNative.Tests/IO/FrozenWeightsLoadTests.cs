using MantisNative.Autograd;
using MantisNative.Backends.Cpu.Frozen;
using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Inference;
using MantisNative.IO;
using MantisNative.IO.Quantization;
using MantisNative.Tensors;
using MantisNative.Tests.Cli;
using NUnit.Framework;

namespace MantisNative.Tests.IO;

/// <summary>
/// Loading with weight matrices frozen in their own format (`--weights`, <see cref="ModelLoadOptions.Weights"/>):
/// 16-bit weights used in place, quantization at load, `mantis quantize` folders kept quantized, and the quality of
/// each format against the fp32 fixture model (transformers' logits).
/// </summary>
[NonParallelizable] // the CLI cases redirect the console
public class FrozenWeightsLoadTests
{
    private static double RelL2(float[] a, float[] b) => MantisNative.Tests.Ops.GradCheck.RelL2(a, b.Select(x => (double)x).ToArray());

    private static string Folder(string fixture) => Path.GetDirectoryName(TestFiles.Fixture(fixture, "config.json"))!;

    private static (int[] Ids, Tensor Pixels, float[] Logits) Inputs(string fixture)
    {
        using var expected = SafetensorsFile.Open(Path.Combine(Folder(fixture), "expected.safetensors"));
        var info = expected.GetInfo("pixel_values");
        var pixels = Tensor.FromSpan(expected.ReadFloat32("pixel_values"), new Shape(info.ShapeSpan.ToArray().Select(d => (int)d).ToArray()));
        return (expected.ReadInt32("input_ids"), pixels, expected.ReadFloat32("logits"));
    }

    private static float[] Logits(LoadedModel m, int[] ids, Tensor pixels)
    {
        using (Tape.NoGrad()) return m.Model.Forward(ids, 1, pixels).Logits.ToArray();
    }

    private static int[] ArgMaxes(float[] logits, int vocab) =>
        Enumerable.Range(0, logits.Length / vocab).Select(t => TokenSampler.ArgMax(logits.AsSpan(t * vocab, vocab))).ToArray();

    /// <summary>
    /// Quality per format against transformers' fp32 logits on the fixture's 70-token, 2-image input. bf16 / f16 here
    /// are one rounded copy of the fp32 weights (relative rounding 2^-9 / 2^-12 per weight); int8 / NF4 as in
    /// QuantizedModelTests (bounds ~2x the measured errors; measured values in docs/quantization.md). Greedy
    /// agreement (argmax per position vs the fp32 model's) is printed; the fixtures' flat random logits make it loose.
    /// </summary>
    [TestCase("tiny-siglip-llama", WeightFormat.BF16, 0.02)]
    [TestCase("tiny-siglip-llama", WeightFormat.F16, 0.003)]
    [TestCase("tiny-siglip-llama", WeightFormat.Int8, 0.05)]
    [TestCase("tiny-siglip-llama", WeightFormat.Nf4, 0.8)]
    [TestCase("tiny-clip-llama", WeightFormat.BF16, 0.02)]
    [TestCase("tiny-clip-llama", WeightFormat.Int8, 0.05)]
    [TestCase("tiny-clip-llama", WeightFormat.Nf4, 0.8)]
    public void EachFormatStaysCloseToTheFp32Logits(string fixture, WeightFormat format, double bound)
    {
        var (ids, pixels, reference) = Inputs(fixture);
        using var _ = pixels;
        using var m = ModelFiles.Load(Folder(fixture), new ModelLoadOptions { Weights = format });
        Assert.That(m.Model.Parameters.Frozen, Is.Not.Empty);
        Assert.That(m.Model.Parameters.Frozen.Select(f => f.Matrix.Format).Distinct(),
            format.IsQuantized() ? Does.Contain(format) : Is.EquivalentTo(new[] { format }));
        var got = Logits(m, ids, pixels);
        double err = RelL2(got, reference);
        int vocab = m.Model.Config.Text.VocabSize;
        var want = ArgMaxes(reference, vocab);
        var ours = ArgMaxes(got, vocab);
        double agree = want.Zip(ours).Count(p => p.First == p.Second) / (double)want.Length;
        TestContext.Out.WriteLine($"{fixture} {format.Name()}: logits rel L2 {err:E2}, argmax agreement {agree:P1} over {want.Length} positions");
        Assert.That(err, Is.LessThanOrEqualTo(bound));
    }

    [Test]
    public void A16BitCheckpointIsUsedInPlaceAndGivesTheWidenedModelsLogits()
    {
        string dir = TestFiles.Scratch();
        try
        {
            string bf = Path.Combine(dir, "bf16");
            using (var f32 = ModelFiles.Load(Folder("tiny-siglip-llama"))) ModelFiles.Save(f32.Model, bf, f32.Extras, saveAllAs: DType.BF16);
            var (ids, pixels, _) = Inputs("tiny-siglip-llama");
            using var __ = pixels;
            using var widened = ModelFiles.Load(bf);                                            // every weight an fp32 parameter
            using var inPlace = ModelFiles.Load(bf, new ModelLoadOptions { AutoWeights = true }); // chat's default
            Assert.That(widened.Model.Parameters.Frozen, Is.Empty);
            // every Linear weight, embed_tokens and lm_head: 2 x 7 + 2 x 6 (vision) + 2 (projector) + 2
            Assert.That(inPlace.Model.Parameters.Frozen, Has.Count.EqualTo(30));
            Assert.That(inPlace.Model.Parameters.Frozen.Select(f => f.Matrix), Is.All.InstanceOf<HalfMatrix>());
            // the same fp32 values through another GEMM path (GEMV / frozen packing vs the small-matrix GEMM): fp32 rounding only
            Assert.That(RelL2(Logits(inPlace, ids, pixels), Logits(widened, ids, pixels)), Is.LessThanOrEqualTo(1e-5));
            // a save of the frozen model writes the same bf16 weights back
            string again = Path.Combine(dir, "again");
            inPlace.Save(again);
            using var a = SafetensorsFile.Open(Path.Combine(bf, "model.safetensors"));
            using var b = SafetensorsFile.Open(Path.Combine(again, "model.safetensors"));
            foreach (var name in a.Names) Assert.That(b.GetBytes(name).SequenceEqual(a.GetBytes(name)), name);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void AQuantizedFolderStaysQuantizedAndMatchesQuantizationAtLoad()
    {
        string dir = TestFiles.Scratch();
        try
        {
            string q = Path.Combine(dir, "q");
            ModelQuantizer.QuantizeFolder(Folder("tiny-siglip-llama"), q, QuantizedFormat.Int8);
            var (ids, pixels, _) = Inputs("tiny-siglip-llama");
            using var __ = pixels;
            using var folder = ModelFiles.Load(q, new ModelLoadOptions { AutoWeights = true });
            using var atLoad = ModelFiles.Load(Folder("tiny-siglip-llama"), new ModelLoadOptions { Weights = WeightFormat.Int8 });
            using var dequantized = ModelFiles.Load(q);
            Assert.That(folder.Model.Parameters.Frozen.Count(f => f.Matrix is QuantizedFrozenMatrix), Is.EqualTo(17));
            var inFolder = Logits(folder, ids, pixels);
            // same encoder, same codes: the two quantized models are the same model
            Assert.That(Logits(atLoad, ids, pixels), Is.EqualTo(inFolder));
            Assert.That(RelL2(inFolder, Logits(dequantized, ids, pixels)), Is.LessThanOrEqualTo(1e-5));
            var e = Assert.Throws<MantisException>(() => ModelFiles.Load(q, new ModelLoadOptions { Weights = WeightFormat.Nf4 }))!;
            Assert.That(e.Message, Does.Contain("quantized as int8").And.Contain("--weights nf4"));
            e = Assert.Throws<MantisException>(() => ModelFiles.Load(q, new ModelLoadOptions { Weights = WeightFormat.BF16 }))!;
            Assert.That(e.Message, Does.Contain("quantized as int8"));
            // frozen weights stay on the CPU, said plainly
            e = Assert.Throws<MantisException>(() => folder.Model.To(new Device(DeviceKind.Cuda, 0)))!;
            Assert.That(e.Message, Does.Contain("--weights f32"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void ChatTakesWeightsAndRefusesAnUnknownValue()
    {
        var fixture = Folder("tiny-siglip-llama");
        string img = Path.Combine(fixture, "image0.png");
        var bad = CliRun.Run("chat", "--model", fixture, "--image", img, "--weights", "int3", "what is it?");
        CliRun.AssertOneLineError(bad, "--weights");
        Assert.That(bad.Err, Does.Contain("int3").And.Contain("nf4"));
    }
}
