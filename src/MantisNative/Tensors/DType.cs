namespace MantisNative.Tensors;

/// <summary>Element types a tensor can hold.</summary>
public enum DType { F32, BF16, F16, I32, I64, U8, Bool }

public static class DTypeInfo
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType t) => t switch
    {
        DType.F32 or DType.I32 => 4,
        DType.BF16 or DType.F16 => 2,
        DType.I64 => 8,
        DType.U8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>True for the float types a weight may be stored in.</summary>
    public static bool IsFloatingPoint(this DType t) => t is DType.F32 or DType.BF16 or DType.F16;

    /// <summary>The safetensors spelling of the type.</summary>
    public static string SafetensorsName(this DType t) => t switch
    {
        DType.F32 => "F32", DType.BF16 => "BF16", DType.F16 => "F16", DType.I32 => "I32",
        DType.I64 => "I64", DType.U8 => "U8", DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool TryParseSafetensors(string s, out DType t)
    {
        switch (s)
        {
            case "F32": t = DType.F32; return true;
            case "BF16": t = DType.BF16; return true;
            case "F16": t = DType.F16; return true;
            case "I32": t = DType.I32; return true;
            case "I64": t = DType.I64; return true;
            case "U8": t = DType.U8; return true;
            case "BOOL": t = DType.Bool; return true;
            default: t = default; return false;
        }
    }
}
