namespace MantisNative.Tensors;

/// <summary>Element types a tensor can hold.</summary>
public enum DType { F32, BF16, F16, I32, I64, U8, Bool }
