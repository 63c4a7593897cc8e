namespace MantisNative.Data.Synthetic;

public enum SplitKind { Train, HeldOut }
