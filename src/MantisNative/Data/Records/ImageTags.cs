namespace MantisNative.Data.Records;

/// <summary>The `&lt;image&gt;` placeholder of Mantis-Instruct text, and counting it.</summary>
public static class ImageTags
{
    public const string Tag = "<image>";

    public static int Count(string text)
    {
        int n = 0, i = 0;
        while ((i = text.IndexOf(Tag, i, StringComparison.Ordinal)) >= 0) { n++; i += Tag.Length; }
        return n;
    }
}
