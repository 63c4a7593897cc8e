using MantisNative.Autograd;
using MantisNative.Inference;
using MantisNative.IO;
using MantisNative.Tensors;

namespace MantisNative.Diagnostics;

/// <summary>
/// A whole tiny fixture model (made by transformers, fp32) on the target: forward logits and loss, the backward's
/// gradients, and greedy generation against expected.safetensors, within <see cref="Tolerances.ModelLogits"/> and
/// <see cref="Tolerances.ModelGrads"/>; generated ids equal up to a bf16 tie (<see cref="GreedyIdsCheck"/>).
/// </summary>
internal static class FixtureCheck
{
    /// <summary>The fixture folders (tiny-siglip-llama, tiny-clip-llama, ...) under <paramref name="dir"/>: those holding expected.safetensors.</summary>
    public static IReadOnlyList<string> Find(string dir) =>
        Directory.Exists(dir)
            ? Directory.GetDirectories(dir).Where(d => File.Exists(Path.Combine(d, "expected.safetensors")) && File.Exists(Path.Combine(d, "config.json")))
                .OrderBy(d => d, StringComparer.Ordinal).ToList()
            : throw new MantisException($"fixtures folder {dir} does not exist");

    public static IReadOnlyList<CheckRow> Run(ICheckTarget target, string folder)
    {
        string name = Path.GetFileName(folder.TrimEnd('/'));
        try { return RunOrThrow(target, folder, name); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Tape.Current.Clear();
            return new[] { new CheckRow("fixture", name, "load", double.NaN, double.NaN, 0, false, $"error: {e.Message.Split('\n')[0]}") };
        }
    }

    private static Tensor Read(ITensorSource src, string name)
    {
        var info = src.GetInfo(name);
        return Tensor.FromSpan(src.ReadFloat32(name), new Shape(info.ShapeSpan.ToArray().Select(d => (int)d).ToArray()));
    }

    private static IReadOnlyList<CheckRow> RunOrThrow(ICheckTarget target, string folder, string name)
    {
        var rows = new List<CheckRow>();
        double logitsTol = Tolerances.ModelLogits.For(target.Activations), gradTol = Tolerances.ModelGrads.For(target.Activations);
        using var loaded = ModelFiles.Load(folder);
        using var expected = SafetensorsFile.Open(Path.Combine(folder, "expected.safetensors"));
        var model = loaded.Model;
        target.Place(model);
        using var hostPixels = Read(expected, "pixel_values");
        using var pixels = target.Upload(hostPixels);
        var ids = expected.ReadInt32("input_ids");
        var labels = expected.ReadInt32("labels");
        var mask = expected.ReadInt32("attention_mask").Select(m => m != 0).ToArray();

        using (new TensorScope())
        {
            var output = model.Forward(ids, 1, pixels, labels, mask);
            rows.Add(OpCheckRunner.Compare(name, "logits", target.Read(output.Logits, false), expected.ReadFloat32("logits"), logitsTol, "fixture"));
            rows.Add(OpCheckRunner.Compare(name, "loss", target.Read(output.Loss!, true), expected.ReadFloat32("loss"), logitsTol, "fixture"));
            Tape.Backward(output.Loss!);
        }
        var gradRows = new List<CheckRow>();
        foreach (var gname in expected.Names.Where(n => n.StartsWith("grad.", StringComparison.Ordinal)))
        {
            var p = model.Parameters[gname["grad.".Length..]].Tensor;
            gradRows.Add(p.Grad is null
                ? new CheckRow("fixture", name, "grads", double.PositiveInfinity, double.PositiveInfinity, gradTol, false, $"{gname}: no gradient")
                : OpCheckRunner.Compare(name, "grads", target.Read(p.Grad, false), expected.ReadFloat32(gname), gradTol, "fixture") with { Note = $"worst: {gname}" });
        }
        // one row: the worst parameter gradient (every one must pass)
        var worst = gradRows.Count == 0
            ? new CheckRow("fixture", name, "grads", double.NaN, double.NaN, gradTol, false, "expected.safetensors holds no gradients")
            : gradRows.OrderByDescending(r => double.IsNaN(r.RelativeL2) ? double.PositiveInfinity : r.RelativeL2).First() with { Passed = gradRows.All(r => r.Passed) };
        rows.Add(worst);
        foreach (var p in model.Parameters.All) p.Tensor.ZeroGrad();

        var prompt = expected.ReadInt32("generation_input_ids");
        var want = expected.ReadInt32("generated_ids").Skip(prompt.Length).ToArray();
        var got = Generator.Generate(model, prompt, pixels, new GenerationOptions { MaxNewTokens = want.Length, StopIds = new[] { 2 } }).ToArray();
        var stepLogits = expected.Names.Contains("generation_step_logits") ? expected.ReadFloat32("generation_step_logits") : null;
        var (passed, differ, note) = GreedyIdsCheck.Compare(got, want, stepLogits, target.Activations == DType.BF16);
        rows.Add(new CheckRow("fixture", name, "generate", differ, differ, 0, passed, note));
        return rows;
    }
}
