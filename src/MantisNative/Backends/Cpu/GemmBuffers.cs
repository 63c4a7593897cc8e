using System.Runtime.InteropServices;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// Per-thread, 64-byte aligned scratch for GEMM packing. Each thread keeps its buffers for its lifetime
/// (grown, never shrunk) so a GEMM call allocates nothing; the finalizer frees them when the thread dies.
/// </summary>
internal sealed unsafe class GemmBuffers
{
    [ThreadStatic] private static GemmBuffers? _current;

    private float* _packA, _packB, _scratch;
    private nuint _capA, _capB, _capScratch;

    public static GemmBuffers Current => _current ??= new GemmBuffers();

    /// <summary>Packed A block (MC x KC), private to the thread that packs and reads it.</summary>
    public float* PackA(long floats) => Ensure(ref _packA, ref _capA, floats);

    /// <summary>Packed B panel (KC x NC), owned by the thread that drives the GEMM and read by all workers.</summary>
    public float* PackB(long floats) => Ensure(ref _packB, ref _capB, floats);

    /// <summary>Small-path scratch (a gathered row or column of an operand).</summary>
    public float* Scratch(long floats) => Ensure(ref _scratch, ref _capScratch, floats);

    private static float* Ensure(ref float* p, ref nuint cap, long floats)
    {
        nuint need = (nuint)Math.Max(floats, 16);
        if (need > cap)
        {
            if (p != null) NativeMemory.AlignedFree(p);
            // Round up so a slowly growing sequence of shapes does not reallocate every call.
            nuint size = Math.Max(need, cap + cap / 2);
            p = (float*)NativeMemory.AlignedAlloc(size * sizeof(float), 64);
            cap = size;
        }
        return p;
    }

    ~GemmBuffers()
    {
        if (_packA != null) NativeMemory.AlignedFree(_packA);
        if (_packB != null) NativeMemory.AlignedFree(_packB);
        if (_scratch != null) NativeMemory.AlignedFree(_scratch);
    }
}
