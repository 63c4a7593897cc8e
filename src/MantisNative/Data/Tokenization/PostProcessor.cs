namespace MantisNative.Data.Tokenization;

/// <summary>
/// What an HF post-processor adds around a single sequence when special tokens are requested
/// (TemplateProcessing "single", RobertaProcessing/BertProcessing cls/sep; ByteLevel adds nothing).
/// </summary>
public sealed record PostProcessor(int[] Prefix, int[] Suffix)
{
    public static readonly PostProcessor None = new(Array.Empty<int>(), Array.Empty<int>());

    public bool AddsTokens => Prefix.Length + Suffix.Length > 0;
}
