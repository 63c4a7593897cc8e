using MantisNative.Backends.Cpu;
using NUnit.Framework;

namespace MantisNative.Tests.Cpu;

/// <summary>The CPU kernel families this machine runs (scalar and 128-bit everywhere; AVX2, AVX-512 where present).</summary>
public static class CpuIsaCases
{
    public static IEnumerable<CpuIsa> Supported => CpuIsaSelection.Supported;
}

/// <summary>
/// Base of fixtures that run once per supported kernel family (<c>[TestFixtureSource(typeof(CpuIsaCases), nameof(CpuIsaCases.Supported))]</c>):
/// every test of the fixture runs with that family forced, so an AVX-512 machine also checks the AVX2,
/// 128-bit (the ARM64 NEON code) and scalar kernels, which it would otherwise never run.
/// </summary>
public abstract class ForcedIsaFixture(CpuIsa isa)
{
    private IDisposable? _forced;

    protected CpuIsa Isa { get; } = isa;

    [SetUp]
    public void ForceIsa() => _forced = CpuIsaSelection.Force(Isa);

    [TearDown]
    public void RestoreIsa() => _forced?.Dispose();
}
