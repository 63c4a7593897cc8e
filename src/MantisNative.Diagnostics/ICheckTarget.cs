using MantisNative.Backends;
using MantisNative.Models;
using MantisNative.Tensors;

namespace MantisNative.Diagnostics;

/// <summary>
/// The side gpu-check tests against the CPU reference ops. On the GPU machine this is a CUDA device; in tests it
/// is the CPU itself (optionally rounding to bf16 like a GPU would), so the checking logic runs anywhere.
/// </summary>
internal interface ICheckTarget : IDisposable
{
    /// <summary>What runs the ops ("cuda:0 NVIDIA H100 ...", "cpu").</summary>
    string Description { get; }

    Device Device { get; }

    /// <summary>The dtype activations live in on the target (F32, BF16, F16): it picks each <see cref="Tolerance"/>'s column.</summary>
    DType Activations { get; }

    /// <summary>The values the target will really see (bf16-rounded on a GPU): the reference gets the same inputs.</summary>
    float[] EffectiveInputs(float[] values);

    /// <summary>A host F32 tensor copied to the target (dtype: the target's choice when null).</summary>
    Tensor Upload(Tensor host, DType? dtype = null);

    /// <summary>A target tensor read back as floats; <paramref name="fp32Path"/> marks a result computed and kept in fp32.</summary>
    float[] Read(Tensor t, bool fp32Path);

    /// <summary>While the scope lives, new target memory is filled with NaN, so an element a kernel skips shows up.</summary>
    IDisposable PoisonAllocations();

    /// <summary>Median milliseconds of <paramref name="body"/> over <paramref name="runs"/> runs after <paramref name="warmup"/> (device events on a GPU).</summary>
    double TimeMs(Action body, int warmup, int runs);

    /// <summary>Device-to-device copy bandwidth in GB/s (bytes read + written), measured now.</summary>
    double CopyBandwidthGBs();

    /// <summary>The GEMM rate of the target's matrix library (cuBLASLt bf16 on a GPU) in TFLOP/s, measured now.</summary>
    double GemmTflops(int size);

    /// <summary>
    /// Runs AdamW (betas 0.9/0.999, eps 1e-8) for as many steps as <paramref name="gradsPerStep"/> holds over tensors
    /// starting at <paramref name="weights"/> and returns the fp32 (master) weights after the last step, with the
    /// moments kept in <paramref name="states"/>.
    /// </summary>
    float[][] AdamWSteps(float[][] weights, float[][][] gradsPerStep, double lr, double weightDecay, MomentFormat states = MomentFormat.Fp32);

    /// <summary>Moves a loaded model where the target runs it.</summary>
    void Place(MantisModel model);
}
