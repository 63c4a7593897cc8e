using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MantisNative.Backends.Cpu;

/// <summary>The instruction-set families the CPU engine has micro-kernels for.</summary>
public enum CpuIsa
{
    /// <summary>Plain scalar C#: runs anywhere, the reference for the others.</summary>
    Scalar,
    /// <summary>128-bit vectors (<see cref="Vector128"/>): ARM64 NEON/AdvSimd; on x86 the same code runs on SSE/AVX, which is how the tests cover it there.</summary>
    Neon,
    /// <summary>x86 AVX2 + FMA, 256-bit.</summary>
    Avx2,
    /// <summary>x86 AVX-512F, 512-bit.</summary>
    Avx512,
}

/// <summary>
/// Which micro-kernel family the CPU engine runs. By default the widest the CPU supports; the environment
/// variable MANTIS_CPU_ISA (scalar | neon | avx2 | avx512) forces a narrower one, so an AVX-512 machine can
/// run and measure the AVX2 code (benchmarks) and the tests can cover every family the CPU supports.
/// </summary>
/// <remarks>
/// Each GEMM call reads <see cref="Active"/> once and passes the family down, so a change mid-run (tests
/// switching families) never mixes one family's packed layout with another's kernel. Forcing affects the
/// engine's own kernels (GEMM, and attention through its GEMMs); the element-wise code built on
/// System.Numerics.Tensors follows the JIT's ISA instead, which DOTNET_EnableAVX512F=0 (or
/// DOTNET_EnableHWIntrinsic=0) lowers for a whole process.
/// </remarks>
public static class CpuIsaSelection
{
    private const int Unset = -1;
    private static volatile int _active = Unset;

    /// <summary>The family every new CPU GEMM call uses (read from MANTIS_CPU_ISA on first use; a bad value throws a MantisException, not a type-initialiser error).</summary>
    public static CpuIsa Active
    {
        get
        {
            int a = _active;
            if (a == Unset) _active = a = (int)FromEnvironment();
            return (CpuIsa)a;
        }
    }

    /// <summary>The widest family this CPU and runtime accelerate.</summary>
    public static CpuIsa Best => Supports(CpuIsa.Avx512) ? CpuIsa.Avx512 : Supports(CpuIsa.Avx2) ? CpuIsa.Avx2
        : Supports(CpuIsa.Neon) ? CpuIsa.Neon : CpuIsa.Scalar;

    /// <summary>Every family this machine can run, narrowest first.</summary>
    public static IReadOnlyList<CpuIsa> Supported { get; } =
        Enum.GetValues<CpuIsa>().Where(Supports).ToArray();

    public static bool Supports(CpuIsa isa) => isa switch
    {
        CpuIsa.Scalar => true,
        CpuIsa.Neon => Vector128.IsHardwareAccelerated,
        CpuIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        CpuIsa.Avx512 => Avx512F.IsSupported,
        _ => false,
    };

    /// <summary>Parses a MANTIS_CPU_ISA value; null when it names no family.</summary>
    public static CpuIsa? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "scalar" or "portable" => CpuIsa.Scalar,
        "neon" or "advsimd" or "vector128" => CpuIsa.Neon,
        "avx2" => CpuIsa.Avx2,
        "avx512" or "avx-512" => CpuIsa.Avx512,
        _ => null,
    };

    /// <summary>Switches every later CPU GEMM to <paramref name="isa"/> until the returned scope is disposed (tests, benchmarks).</summary>
    internal static IDisposable Force(CpuIsa isa)
    {
        if (!Supports(isa))
            throw new MantisException($"CPU kernel family {isa} is not supported on this machine (supported: {string.Join(", ", Supported)})");
        var previous = Active;
        _active = (int)isa;
        return new Restore(previous);
    }

    private static CpuIsa FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("MANTIS_CPU_ISA");
        if (string.IsNullOrWhiteSpace(text)) return Best;
        var isa = Parse(text) ?? throw new MantisException(
            $"MANTIS_CPU_ISA='{text}' names no CPU kernel family; use one of scalar, neon, avx2, avx512");
        if (!Supports(isa))
            throw new MantisException($"MANTIS_CPU_ISA={text}: this CPU does not support it (supported: {string.Join(", ", Supported).ToLowerInvariant()})");
        return isa;
    }

    private sealed class Restore(CpuIsa previous) : IDisposable
    {
        private bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _active = (int)previous;
        }
    }
}
