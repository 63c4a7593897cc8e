using System.Text.Json;
using MantisNative.Cli;
using MantisNative.Diagnostics;
using MantisNative.Tensors;
using NUnit.Framework;
using AOps = MantisNative.Autograd.Ops;

namespace MantisNative.Tests.Cuda;

/// <summary>gpu-check's logic with the CPU on both sides: what the GPU run will report, and that it catches a wrong op.</summary>
public class GpuCheckLogicTests
{
    private static string Fixtures => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures");

    private static readonly OpCase WrongScale =
        new("planted wrong scale", new[] { new OpInput(new[] { 8, 16 }) }, x => AOps.Scale(x[0], 0.5f))
        {
            TargetRun = x => AOps.Scale(x[0], 0.52f),   // 4% off: far above the bf16 tolerance
        };

    private static readonly OpCase WrongGradient =
        new("planted wrong gradient", new[] { new OpInput(new[] { 8, 16 }) }, x => AOps.Mul(x[0], x[0]))
        {
            // same forward value, but the gradient flows through one factor only (half the true gradient)
            TargetRun = x =>
            {
                var frozen = x[0].Clone();   // no grad; the check's tensor scope frees it
                return AOps.Mul(x[0], frozen);
            },
        };

    private static GpuCheckReport Run(ICheckTarget target, bool fixtures = false, params OpCase[] extra) =>
        GpuCheck.Run(target, new GpuCheckOptions
        {
            Seed = 42,
            LargeShapes = false,
            Runs = 2,
            Warmup = 1,
            GemmSize = 128,
            FixturesDir = fixtures ? Fixtures : null,
            ExtraCases = extra,
        }, TextWriter.Null);

    [Test]
    public void Fp32CpuAgainstItselfIsExact()
    {
        using var target = new CpuCheckTarget(roundToBf16: false);
        var report = Run(target);
        Assert.That(report.Passed, Is.True, GpuCheckTable.Render(report));
        Assert.That(report.Checks.Where(c => c.Section == "op").Select(c => c.RelativeL2), Is.All.EqualTo(0.0));
        var fp32Column = Tolerances.All.Select(t => t.Fp32).ToHashSet();
        Assert.That(report.Checks.Select(c => c.Tolerance), Is.All.Matches<double>(fp32Column.Contains).And.All.LessThanOrEqualTo(Tolerances.Rounded.Fp32),
            "an fp32 target is held to the fp32 column of the tolerance table (1e-5 or tighter)");
    }

    [Test]
    public void EveryModelOpIsCheckedForwardAndBackward()
    {
        var names = OpCases.Create(new Random(1), large: false).Select(c => c.Name).ToList();
        foreach (var op in new[] { "linear", "matmul", "add", "mul", "scale", "sum", "mean", "rmsnorm", "layernorm", "gelu erf", "gelu tanh",
                     "gelu quick", "silu", "swiglu", "softmax", "rope", "attention", "embedding", "patch_embed", "cross_entropy", "reshape",
                     "permute", "transpose", "slice", "concat", "index_select" })
            Assert.That(names.Any(n => n.StartsWith(op, StringComparison.Ordinal)), Is.True, op);
        using var target = new CpuCheckTarget(roundToBf16: false);
        var report = Run(target);
        foreach (var n in names)
        {
            Assert.That(report.Checks.Any(c => c.Name == n && c.Phase == "fwd"), Is.True, n + " fwd");
            Assert.That(report.Checks.Any(c => c.Name == n && c.Phase.StartsWith("bwd")), Is.True, n + " bwd");
        }
    }

    [Test]
    public void Bf16RoundingIsWithinTheBf16ToleranceAndFp32PathsStayExact()
    {
        using var target = new CpuCheckTarget(roundToBf16: true);
        var report = Run(target);
        Assert.That(report.Passed, Is.True, GpuCheckTable.Render(report));
        var linear = report.Checks.Single(c => c.Name == "linear" && c.Phase == "fwd");
        Assert.That(linear.RelativeL2, Is.GreaterThan(1e-4).And.LessThan(Tolerances.Rounded.Bf16), "bf16 rounding shows as a small error");
        Assert.That(linear.Tolerance, Is.EqualTo(Tolerances.Rounded.Bf16).And.EqualTo(1e-2));
        var loss = report.Checks.Single(c => c.Name == "cross_entropy" && c.Phase == "fwd");
        Assert.That(loss.Tolerance, Is.EqualTo(Tolerances.Fp32Result.Bf16).And.EqualTo(1e-5), "a loss is an fp32 path");
        Assert.That(report.Checks.Single(c => c.Name == "attention causal gqa d64" && c.Phase == "bwd d0").Tolerance, Is.EqualTo(2e-2));
    }

    [Test]
    public void AWrongOpIsReportedAsFailing()
    {
        using var target = new CpuCheckTarget(roundToBf16: true);
        var report = Run(target, false, WrongScale, WrongGradient);
        Assert.That(report.Passed, Is.False);
        var fwd = report.Checks.Single(c => c.Name == WrongScale.Name && c.Phase == "fwd");
        Assert.That(fwd.Passed, Is.False);
        Assert.That(fwd.RelativeL2, Is.EqualTo(0.04).Within(0.005));
        Assert.That(fwd.MaxAbs, Is.GreaterThan(0));
        var grad = report.Checks.Where(c => c.Name == WrongGradient.Name).ToList();
        Assert.That(grad.Single(c => c.Phase == "fwd").Passed, Is.True, "the planted gradient bug keeps the forward right");
        Assert.That(grad.Single(c => c.Phase == "bwd d0").Passed, Is.False);
        Assert.That(report.Failed, Is.EqualTo(3), "wrong scale fwd and bwd, wrong gradient bwd");
        var table = GpuCheckTable.Render(report);
        Assert.That(table.TrimEnd().Split('\n')[^1], Does.StartWith("3 of ").And.Contain("FAILED").And.Contain("planted wrong scale fwd"));
        // the printed error is the 0.04 +- 0.005 above at two digits (the random inputs depend on how many op cases run before)
        Assert.That(table, Does.Match(@"planted wrong scale\s+(3\.[5-9]|4\.[0-5])E-2.*FAIL"));
    }

    [Test]
    public void AnOpThatThrowsIsOneFailedRowAndTheRestStillRun()
    {
        var throwing = new OpCase("throws", new[] { new OpInput(new[] { 4 }) }, x => AOps.Scale(x[0], 1f))
        {
            TargetRun = _ => throw new InvalidOperationException("kernel launch failed\nsecond line"),
        };
        using var target = new CpuCheckTarget(roundToBf16: false);
        var report = Run(target, false, throwing);
        var row = report.Checks.Single(c => c.Name == "throws");
        Assert.That(row.Passed, Is.False);
        Assert.That(row.Note, Is.EqualTo("error: kernel launch failed"));
        Assert.That(report.Checks.Count(c => !c.Passed), Is.EqualTo(1));
        Assert.That(report.Timings.Any(t => t.Name == "throws"), Is.False, "a broken op is not timed");
    }

    [Test]
    public void PoisonedOutputsThatAreNeverWrittenFail()
    {
        var row = OpCheckRunner.Compare("x", "fwd", new[] { 1f, float.NaN }, new[] { 1f, 2f }, 1e-2);
        Assert.That(row.Passed, Is.False);
        Assert.That(row.RelativeL2, Is.EqualTo(double.PositiveInfinity));
        Assert.That(OpCheckRunner.Compare("x", "fwd", new[] { 1f }, new[] { 1f, 2f }, 1e-2).Passed, Is.False, "a short output fails");
    }

    [Test]
    public void FixturesTimingsTableAndJson()
    {
        using var target = new CpuCheckTarget(roundToBf16: true);
        var report = Run(target, true);
        Assert.That(report.Passed, Is.True, GpuCheckTable.Render(report));
        foreach (var f in new[] { "tiny-siglip-llama", "tiny-clip-llama" })
            foreach (var phase in new[] { "logits", "loss", "grads", "generate" })
                Assert.That(report.Checks.Any(c => c.Section == "fixture" && c.Name == f && c.Phase == phase && c.Passed), Is.True, $"{f} {phase}");
        Assert.That(report.Checks.Single(c => c.Name == "tiny-clip-llama" && c.Phase == "logits").Tolerance, Is.EqualTo(Tolerances.ModelLogits.Bf16).And.EqualTo(2e-2));
        var optim = report.Checks.Where(c => c.Section == "optim").ToList();
        Assert.That(optim, Has.Count.EqualTo(13), "AdamW master weights of four tensors with fp32, bf16 and 8-bit moments, and the gradient norm");
        Assert.That(optim.Single(c => c.Name == "grad_norm").Tolerance, Is.EqualTo(Tolerances.Fp32Result.Bf16));
        Assert.That(optim.Where(c => c.Name == "adamw").Select(c => c.Tolerance), Is.All.EqualTo(Tolerances.Fp32MasterSteps.Bf16).And.All.EqualTo(1e-5));
        Assert.That(report.CopyGBs, Is.GreaterThan(0));
        Assert.That(report.GemmTflops, Is.GreaterThan(0));
        Assert.That(report.Timings.Select(t => t.Name), Is.EquivalentTo(OpCases.Create(new Random(1), false).Select(c => c.Name)));
        Assert.That(report.Timings.Where(t => t.Name.StartsWith("linear")).Select(t => t.Tflops), Is.All.GreaterThan(0));
        Assert.That(report.Timings.Where(t => t.Name != "patch_embed").Select(t => t.FwdBwdMs), Is.All.GreaterThan(0), "forward + backward timed");

        var table = GpuCheckTable.Render(report);
        var lines = table.TrimEnd().Split('\n');
        Assert.That(lines[0], Does.StartWith("== gpu-check: cpu"));
        Assert.That(lines[1], Does.Contain("GB/s").And.Contain("TFLOP/s"));
        Assert.That(lines[^1], Is.EqualTo($"all {report.Checks.Count} checks passed"));

        using var ms = new MemoryStream();
        GpuCheckJson.Write(report, ms);
        using var doc = JsonDocument.Parse(ms.ToArray());
        var root = doc.RootElement;
        Assert.That(root.GetProperty("passed").GetBoolean(), Is.True);
        Assert.That(root.GetProperty("seed").GetInt32(), Is.EqualTo(42));
        Assert.That(root.GetProperty("checks").GetArrayLength(), Is.EqualTo(report.Checks.Count));
        Assert.That(root.GetProperty("timings").GetArrayLength(), Is.EqualTo(report.Timings.Count));
        Assert.That(root.GetProperty("baselines").GetProperty("copy_gbs").GetDouble(), Is.GreaterThan(0));
        var first = root.GetProperty("timings")[0];
        foreach (var key in new[] { "name", "ms", "fwd_bwd_ms", "bytes", "flops", "gbs", "tflops", "fraction_of_copy", "fraction_of_gemm" })
            Assert.That(first.TryGetProperty(key, out _), Is.True, key);
    }

    [Test]
    public void EachRunDrawsFreshInputsUnlessSeeded()
    {
        using var target = new CpuCheckTarget(roundToBf16: true);
        var a = Run(target).Checks.Single(c => c.Name == "linear" && c.Phase == "fwd").RelativeL2;
        var b = Run(target).Checks.Single(c => c.Name == "linear" && c.Phase == "fwd").RelativeL2;
        Assert.That(a, Is.EqualTo(b), "same seed, same inputs");
        var c = GpuCheck.Run(target, new GpuCheckOptions { Seed = 7, LargeShapes = false, Timings = false }, TextWriter.Null)
            .Checks.Single(r => r.Name == "linear" && r.Phase == "fwd").RelativeL2;
        Assert.That(c, Is.Not.EqualTo(a));
        Assert.That(new GpuCheckOptions().Seed, Is.Not.EqualTo(-1), "the default seed comes from the clock");
    }

    [Test]
    public void CliRunsOnTheCpuTargetAndWritesJson()
    {
        string json = Path.Combine(Path.GetTempPath(), $"mantis-gpucheck-{Guid.NewGuid():N}.json");
        var saved = Console.Out;
        var sw = new StringWriter();
        Console.SetOut(sw);
        try
        {
            int rc = CliApp.Run(new[] { "gpu-check", "--target", "cpu-bf16", "--small", "--runs", "1", "--no-timings", "--seed", "3",
                "--fixtures", Fixtures, "--json", json });
            Assert.That(rc, Is.EqualTo(0), sw.ToString());
            Assert.That(sw.ToString().TrimEnd().Split('\n')[^1], Does.StartWith("all ").And.EndWith("checks passed"));
            using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
            Assert.That(doc.RootElement.GetProperty("target").GetString(), Does.StartWith("cpu"));
        }
        finally
        {
            Console.SetOut(saved);
            File.Delete(json);
        }
    }

    [Test]
    public void CliOnACudaTargetWithoutADriverIsOneLineError()
    {
        if (new MantisNative.Backends.Cuda.DriverGpuProbe().UnavailableReason is null) Assert.Ignore("a usable GPU is present here");
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try { Assert.That(CliApp.Run(new[] { "gpu-check", "--small" }), Is.EqualTo(1)); }
        finally { Console.SetError(saved); }
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.StartWith("error: --device cuda:0: "));
    }
}
