using MantisNative.Cli;
using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Models;

public class ForwardCommandTests
{
    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", name);

    private static double RelL2(float[] a, float[] b) => MantisNative.Tests.Ops.GradCheck.RelL2(a, b.Select(x => (double)x).ToArray());

    [TestCase("tiny-siglip-llama")]
    [TestCase("tiny-clip-llama")]
    public void CliReproducesTheFixtureFromItsOwnFiles(string name)
    {
        string dir = Fixture(name);
        string output = Path.Combine(Path.GetTempPath(), $"mantis-fwd-{Guid.NewGuid():N}.safetensors");
        try
        {
            int rc = CliApp.Run(new[] { "forward", "--model", dir, "--inputs", Path.Combine(dir, "expected.safetensors"), "--output", output, "--grads" });
            Assert.That(rc, Is.EqualTo(0));
            using var got = SafetensorsFile.Open(output);
            using var want = SafetensorsFile.Open(Path.Combine(dir, "expected.safetensors"));
            Assert.That(RelL2(got.ReadFloat32("logits"), want.ReadFloat32("logits")), Is.LessThanOrEqualTo(1e-5));
            Assert.That(RelL2(got.ReadFloat32("image_features"), want.ReadFloat32("image_features")), Is.LessThanOrEqualTo(1e-5));
            Assert.That(got.ReadFloat32("loss")[0], Is.EqualTo(want.ReadFloat32("loss")[0]).Within(1e-5));
            var grads = want.Names.Where(n => n.StartsWith("grad.")).ToList();
            Assert.That(got.Names.Where(n => n.StartsWith("grad.")), Is.EquivalentTo(grads));
            foreach (var g in grads) Assert.That(RelL2(got.ReadFloat32(g), want.ReadFloat32(g)), Is.LessThanOrEqualTo(1e-4), g);
        }
        finally { File.Delete(output); }
    }

    [Test]
    public void CliErrorsAreOneLineWithNonZeroExit()
    {
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try
        {
            Assert.That(CliApp.Run(new[] { "forward", "--model", "/nonexistent/model", "--inputs", "x", "--output", Path.Combine(Path.GetTempPath(), "o.safetensors") }), Is.EqualTo(1));
            Assert.That(CliApp.Run(new[] { "forward", "--bogus", "1" }), Is.EqualTo(2), "an option forward does not take: a usage error");
            Assert.That(CliApp.Run(new[] { "no-such-command" }), Is.EqualTo(2));
        }
        finally { Console.SetError(saved); }
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines[0], Does.Contain("/nonexistent/model"));
        Assert.That(lines[1], Does.Contain("--bogus"));
        Assert.That(err.ToString(), Does.Not.Contain("   at "), "no stack trace");
    }

    /// <summary>A checkpoint of other sizes (head counts, GQA ratio, tied embeddings, CLIP strategy "full", 3 images) loads and runs.</summary>
    [Test]
    public void AnotherShapeLoadsAndRunsWithoutCodeChanges()
    {
        var config = new LlavaConfig
        {
            Vision = VisionTowerConfig.ClipDefaults() with { HiddenSize = 24, IntermediateSize = 40, NumHiddenLayers = 3, NumAttentionHeads = 3, ImageSize = 12, PatchSize = 4 },
            Text = new LlamaConfig
            {
                VocabSize = 50, HiddenSize = 48, IntermediateSize = 80, NumHiddenLayers = 3, NumAttentionHeads = 6, NumKeyValueHeads = 2,
                HeadDim = 8, RopeTheta = 10000, RmsNormEps = 1e-6, TieWordEmbeddings = true,
                RopeScaling = new RopeScaling(RopeScalingType.Llama3, 8, 1, 4, 32),
            },
            ImageTokenIndex = 49,
            VisionFeatureLayer = -1,
            VisionFeatureSelectStrategy = VisionFeatureSelectStrategy.Full,
        };
        string dir = Path.Combine(Path.GetTempPath(), $"mantis-shape-{Guid.NewGuid():N}");
        try
        {
            using (var fresh = new MantisModel(config, new RandomWeights(5), _ => DType.BF16)) ModelFiles.Save(fresh, dir);
            using var loaded = ModelFiles.Load(dir);
            var m = loaded.Model;
            Assert.That(m.Config.ImageTokensPerImage, Is.EqualTo(10), "9 patches + CLS kept by strategy full");
            using var pixels = Tensor.Randn(new Shape(3, 3, 12, 12), new Rng(1));
            var ids = new[] { 1, 49, 7, 49, 8, 49, 9, 10, 11, 12 };
            var labels = new[] { -100, -100, -100, -100, -100, -100, -100, 10, 11, 12 };
            var result = m.Forward(ids, 1, pixels, labels);
            Assert.That(result.Logits.Shape, Is.EqualTo(new Shape(1, 37, 50)));
            Assert.That(float.IsFinite(result.Loss!.Item()), Is.True);
            Autograd.Tape.Backward(result.Loss);
            Assert.That(m.TrainableParameters.All(p => p.Tensor.Grad is not null), Is.True);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }
}
