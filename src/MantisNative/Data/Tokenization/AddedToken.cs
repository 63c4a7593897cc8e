namespace MantisNative.Data.Tokenization;

/// <summary>
/// A token matched verbatim in raw text before pre-tokenization (HF "added_tokens").
/// Special ones are matched only when special-token parsing is on, and can be skipped when decoding.
/// LStrip/RStrip: the match also swallows the whitespace before/after it (HF lstrip/rstrip).
/// </summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false);
