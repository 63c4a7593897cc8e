using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// fp32 error function over spans, vectorised (Vector512 where accelerated, else Vector256, else Vector128),
/// for the exact (erf) GELU and its derivative. <see cref="Erf"/> is the double-precision reference.
/// </summary>
/// <remarks>
/// erf(x) = x P(x^2) / Q(x^2) on x clamped to [-4, 4] (beyond, erf rounds to +-1 in fp32), P of degree 6 and
/// Q of degree 4 in x^2: the minimax rational form Eigen and XLA use for float erf. One clamp, two Horner chains
/// and a division, no branches, so every lane (and the scalar tail, which runs the same operations in the same
/// order) gives the same bits whatever the vector width: AVX-512, AVX2 and NEON results are identical.
/// Separate multiply and add (no FMA) for the same reason. Accuracy against <see cref="Erf"/> is asserted in
/// VectorErfTests.
/// </remarks>
internal static class VectorErf
{
    private const float Clamp = 4f;
    private const float A1 = -1.60960333262415e-02f, A3 = -2.95459980854025e-03f, A5 = -7.34990630326855e-04f,
        A7 = -5.69250639462346e-05f, A9 = -2.10102402082508e-06f, A11 = 2.77068142495902e-08f,
        A13 = -2.72614225801306e-10f;
    private const float B0 = -1.42647390514189e-02f, B2 = -7.37332916720468e-03f, B4 = -1.68282697438203e-03f,
        B6 = -2.13374055278905e-04f, B8 = -1.45660718464996e-05f;

    /// <summary>y[i] = erf(scale * x[i]); x and y may be the same span.</summary>
    public static void Compute(ReadOnlySpan<float> x, Span<float> y, float scale = 1f)
    {
        if (y.Length < x.Length) throw new ArgumentException($"VectorErf.Compute: destination has {y.Length} elements, source {x.Length}", nameof(y));
        int i = 0, n = x.Length;
        ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float yr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
            for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count)
                Vector512.StoreUnsafe(Erf512(Vector512.LoadUnsafe(ref xr, (nuint)i) * scale), ref yr, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
                Vector256.StoreUnsafe(Erf256(Vector256.LoadUnsafe(ref xr, (nuint)i) * scale), ref yr, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + Vector128<float>.Count <= n; i += Vector128<float>.Count)
                Vector128.StoreUnsafe(Erf128(Vector128.LoadUnsafe(ref xr, (nuint)i) * scale), ref yr, (nuint)i);
        for (; i < n; i++) y[i] = Scalar(x[i] * scale);
    }

    /// <summary>The same operations on one float (the tail of <see cref="Compute"/>).</summary>
    public static float Scalar(float x)
    {
        if (float.IsNaN(x)) return x;
        x = Math.Clamp(x, -Clamp, Clamp);
        float x2 = x * x;
        float p = A13;
        p = p * x2 + A11; p = p * x2 + A9; p = p * x2 + A7; p = p * x2 + A5; p = p * x2 + A3; p = p * x2 + A1;
        float q = B8;
        q = q * x2 + B6; q = q * x2 + B4; q = q * x2 + B2; q = q * x2 + B0;
        return x * p / q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Erf512(Vector512<float> x)
    {
        // Min/Max of NaN: ClampNative would drop it; Vector512.Clamp keeps IEEE semantics (NaN in, NaN out)
        x = Vector512.Clamp(x, Vector512.Create(-Clamp), Vector512.Create(Clamp));
        var x2 = x * x;
        var p = Vector512.Create(A13);
        p = p * x2 + Vector512.Create(A11); p = p * x2 + Vector512.Create(A9); p = p * x2 + Vector512.Create(A7);
        p = p * x2 + Vector512.Create(A5); p = p * x2 + Vector512.Create(A3); p = p * x2 + Vector512.Create(A1);
        var q = Vector512.Create(B8);
        q = q * x2 + Vector512.Create(B6); q = q * x2 + Vector512.Create(B4); q = q * x2 + Vector512.Create(B2);
        q = q * x2 + Vector512.Create(B0);
        return x * p / q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Erf256(Vector256<float> x)
    {
        x = Vector256.Clamp(x, Vector256.Create(-Clamp), Vector256.Create(Clamp));
        var x2 = x * x;
        var p = Vector256.Create(A13);
        p = p * x2 + Vector256.Create(A11); p = p * x2 + Vector256.Create(A9); p = p * x2 + Vector256.Create(A7);
        p = p * x2 + Vector256.Create(A5); p = p * x2 + Vector256.Create(A3); p = p * x2 + Vector256.Create(A1);
        var q = Vector256.Create(B8);
        q = q * x2 + Vector256.Create(B6); q = q * x2 + Vector256.Create(B4); q = q * x2 + Vector256.Create(B2);
        q = q * x2 + Vector256.Create(B0);
        return x * p / q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Erf128(Vector128<float> x)
    {
        x = Vector128.Clamp(x, Vector128.Create(-Clamp), Vector128.Create(Clamp));
        var x2 = x * x;
        var p = Vector128.Create(A13);
        p = p * x2 + Vector128.Create(A11); p = p * x2 + Vector128.Create(A9); p = p * x2 + Vector128.Create(A7);
        p = p * x2 + Vector128.Create(A5); p = p * x2 + Vector128.Create(A3); p = p * x2 + Vector128.Create(A1);
        var q = Vector128.Create(B8);
        q = q * x2 + Vector128.Create(B6); q = q * x2 + Vector128.Create(B4); q = q * x2 + Vector128.Create(B2);
        q = q * x2 + Vector128.Create(B0);
        return x * p / q;
    }
}
