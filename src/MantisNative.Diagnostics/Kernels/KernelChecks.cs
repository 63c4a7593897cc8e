using MantisNative.Interop;
using MantisNative.Tensors;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

/// <summary>One comparison: relative L2 error of a kernel output against its reference, and the bound it must meet.</summary>
internal sealed record KernelCheckResult(string Name, double RelativeL2, double Tolerance, bool Passed, string? Note = null)
{
    public bool Skipped => Note is not null && double.IsNaN(RelativeL2) && Passed;

    public string Line() => Skipped
        ? $"skip  {Name,-44} {Note}"
        : $"{(Passed ? "ok" : "FAIL"),-5} {Name,-44} rel L2 {RelativeL2,9:E2}  (tol {Tolerance:E0}){(Note is null ? "" : $"  {Note}")}";
}

/// <summary>
/// Kernel-level checks on the GPU, runnable from the published `mantis` (`mantis kernels check`: the GPU machine
/// has no .NET SDK) and from NUnit where a GPU is present. Every kernel runs with its outputs poisoned (NaN) first,
/// on exact-size allocations (so the emulator sees a write past the end), with the launch geometry the backend uses.
/// A kernel that implements an op takes its inputs, its reference (the CPU engine's fp32 forward and backward) and
/// its tolerances from the op's case in <see cref="OpCases"/>, the table gpu-check and the CPU gradient checks read;
/// kernel-only results (casts, fp32 intermediates, layout internals) use rows of <see cref="Tolerances"/>.
/// </summary>
internal sealed partial class KernelChecks
{
    private const uint NaN32 = 0x7FC00000u;
    private const uint NaNBf16Pair = 0x7FC07FC0u;

    private readonly CudaContext _ctx;
    private readonly KernelRegistry _kernels;
    private readonly Random _rng;
    private readonly List<KernelCheckResult> _results = new();

    public KernelChecks(CudaContext context, KernelRegistry kernels, int seed = 1234)
    {
        _ctx = context;
        _kernels = kernels;
        _rng = new Random(seed);
    }

    /// <summary>The names of the check groups, in the order <see cref="RunAll"/> runs them.</summary>
    public static readonly IReadOnlyList<string> Groups = new[]
    {
        "buffers", "cast", "elementwise", "rmsnorm", "layernorm", "rope", "swiglu+gelu", "softmax", "embedding", "patch_embed",
        "cross_entropy", "attention", "tensor_cores", "flash_attention", "attention_sm90", "adamw", "grad_norm", "cublaslt", "events", "tensor_ops", "determinism", "staging",
    };

    /// <summary>Runs one group; an exception becomes a failed result naming it, so one broken kernel does not hide the rest.</summary>
    public IReadOnlyList<KernelCheckResult> Run(string group)
    {
        int before = _results.Count;
        try
        {
            switch (group)
            {
                case "buffers": BuffersRoundTrip(); break;
                case "cast": CastMatchesHostRounding(); break;
                case "elementwise": AddBroadcastsOverTrailingDims(); break;
                case "rmsnorm": RmsNormForwardAndBackward(); break;
                case "layernorm": LayerNormForwardAndBackward(); break;
                case "rope": RopeForwardAndBackward(); break;
                case "swiglu+gelu": SwigluAndGeluForwardAndBackward(); break;
                case "softmax": SoftmaxForwardAndBackward(); break;
                case "embedding": EmbeddingGatherAndScatterAdd(); break;
                case "patch_embed": PatchIm2ColMatchesConvLayout(); break;
                case "cross_entropy": CrossEntropyOverTwoVocabularyChunks(); break;
                case "attention":
                    AttentionForwardAndBackward(64, true, 37, 37);
                    AttentionForwardAndBackward(80, false, 5, 37);
                    AttentionForwardAndBackward(128, true, 50, 70);
                    AttentionForwardAndBackward(72, false, 33, 33);
                    // the tiny models' head dims, odd lengths (not multiples of the 16-row / 32-key tiles)
                    AttentionForwardAndBackward(8, true, 19, 19);
                    AttentionForwardAndBackward(16, false, 7, 45);
                    AttentionForwardAndBackward(32, true, 3, 40);
                    break;
                case "tensor_cores": TensorCoreFragments(); break;
                case "flash_attention": FlashAttentionVariants(); break;
                case "attention_bench": AttentionBench(); break;
                case "attention_sm90": AttentionSm90Forwards(); break;
                case "adamw": AdamWMultiTensorStep(); break;
                case "grad_norm": GradNormIsDeterministicAndRight(); break;
                case "cublaslt": CublasLtGemmMatchesCpu(); break;
                case "events": EventsTimeWork(); break;
                case "tensor_ops": TensorOpsMoveAndReduce(); break;
                case "determinism": WeightGradientsAreBitIdentical(); break;
                case "staging": StagingRingReusesBytesOnlyAfterTheirCopies(); break;
                default: throw new MantisException($"unknown kernel check group '{group}' (known: {string.Join(", ", Groups)})");
            }
        }
        catch (Exception e) when (e is CudaException or KernelCompileException or ArgumentException or InvalidOperationException)
        {
            _results.Add(new KernelCheckResult(group, double.NaN, 0, false, $"error: {e.Message.Split('\n')[0]}"));
        }
        return _results.Skip(before).ToList();
    }

    public IReadOnlyList<KernelCheckResult> RunAll() => Groups.SelectMany(Run).ToList();

    // ---- helpers -------------------------------------------------------------------------------------------

    /// <summary>The kernels keep activations in bf16: the column of every tolerance they are held to.</summary>
    private const DType Activations = DType.BF16;

    /// <summary>Fresh inputs for an op case (bf16-rounded, as the kernels see them) and its CPU reference.</summary>
    private (float[][] X, OpReference Ref) Reference(OpCase c)
    {
        var x = c.Inputs.Select(i => RoundBf16(OpReference.Draw(i, _rng))).ToArray();
        return (x, OpReference.Run(c, x, shape => RoundBf16(OpReference.Draw(new OpInput(shape), _rng))));
    }

    private void Record(string what, float[] got, float[] want, Tolerance tol) =>
        Record(what, got, Array.ConvertAll(want, v => (double)v), tol.For(Activations));

    private void Record(string what, float[] got, double[] want, Tolerance tol) => Record(what, got, want, tol.For(Activations));

    private void Record(string what, float[] got, double[] want, double tol)
    {
        var e = RelL2(got, want);
        _results.Add(new KernelCheckResult(what, e, tol, e < tol));
    }

    private void Exact<T>(string what, T[] got, T[] want)
    {
        int bad = 0;
        for (int i = 0; i < want.Length; i++) if (i >= got.Length || !EqualityComparer<T>.Default.Equals(got[i], want[i])) bad++;
        _results.Add(new KernelCheckResult(what, bad == 0 ? 0 : 1, 0, bad == 0, bad == 0 ? null : $"{bad} of {want.Length} differ"));
    }

    private void Require(string what, bool ok, string detail) =>
        _results.Add(new KernelCheckResult(what, ok ? 0 : 1, 0, ok, ok ? null : detail));

    private void Skip(string what, string why) => _results.Add(new KernelCheckResult(what, double.NaN, 0, true, why));

    /// <summary>||got - want|| / ||want|| over finite references; equal elements (infinities included) count as exact,
    /// and a NaN (a poisoned element never written) or a wrong infinity is an infinite error.</summary>
    public static double RelL2(float[] got, double[] want)
    {
        if (got.Length < want.Length) return double.PositiveInfinity;
        double num = 0, den = 0;
        for (int i = 0; i < want.Length; i++)
        {
            if (double.IsNaN(got[i])) return double.PositiveInfinity;
            if (!double.IsInfinity(want[i])) den += want[i] * want[i];
            if (got[i] == want[i]) continue;
            if (double.IsInfinity(want[i]) || float.IsInfinity(got[i])) return double.PositiveInfinity;
            num += (got[i] - want[i]) * (got[i] - want[i]);
        }
        return num == 0 ? 0 : Math.Sqrt(num / Math.Max(den, 1e-30));
    }

    private float[] Rand(int n, float scale = 1f) => Enumerable.Range(0, n).Select(_ => (float)(_rng.NextDouble() * 2 - 1) * scale).ToArray();

    /// <summary>Rounds to bf16 so the CPU reference sees exactly the GPU's inputs.</summary>
    private static float[] RoundBf16(float[] x) => x.Select(v => FloatConversion.FromBFloat16(FloatConversion.ToBFloat16(v))).ToArray();

    private DeviceBuffer Bf16(float[] x)
    {
        var bits = new ushort[x.Length];
        FloatConversion.ToBFloat16(x, bits);
        return DeviceBuffer.FromHost<ushort>(_ctx, bits);
    }

    private DeviceBuffer F32(float[] x) => DeviceBuffer.FromHost<float>(_ctx, x);
    private DeviceBuffer I32(int[] x) => DeviceBuffer.FromHost<int>(_ctx, x);

    private DeviceBuffer PoisonedBf16(long n)
    {
        var b = _ctx.Allocate((n * 2 + 3) / 4 * 4);
        b.Fill32(NaNBf16Pair);
        return b;
    }

    private DeviceBuffer PoisonedF32(long n)
    {
        var b = _ctx.Allocate(n * 4);
        b.Fill32(NaN32);
        return b;
    }

    private DeviceBuffer ZeroF32(long n)
    {
        var b = _ctx.Allocate(n * 4);
        b.Clear();
        return b;
    }

    private float[] ReadBf16(DeviceBuffer b, int n)
    {
        var bits = new ushort[n];
        b.CopyTo(bits.AsSpan());
        var f = new float[n];
        FloatConversion.FromBFloat16(bits, f);
        return f;
    }

    private float[] ReadF32(DeviceBuffer b, int n)
    {
        var f = new float[n];
        b.CopyTo(f.AsSpan());
        return f;
    }

    private void Launch(string source, string fn, Dim3 grid, Dim3 block, uint smem, KernelArgs args)
    {
        KernelLauncher.Launch(_kernels.Get(source, fn), grid, block, smem, _ctx.Stream, args);
        _ctx.Synchronize();
    }

    private uint Blocks(long n) => LaunchGeometry.GridStrideBlocks(n, 256, _ctx.Device.MultiprocessorCount);
}
