using System.Globalization;

namespace MantisNative.Data.Tokenization;

/// <summary>
/// For each Unicode category, one BMP character of that category outside ASCII and Latin-1, so that a regex
/// that tests categories (\p{L}, \p{N}, \s ...) treats it like any character of the category.
/// Used to stand in for characters outside the BMP, which .NET regexes see as two surrogates.
/// </summary>
internal static class CategoryStandIns
{
    private static readonly char[] Table = Build();

    public static char For(UnicodeCategory category) => Table[(int)category];

    private static char[] Build()
    {
        var table = new char[32];
        Array.Fill(table, '\uFFFF');
        for (int c = 0xFFFD; c >= 0x100; c--)
        {
            // Walking down keeps the lowest (most common) character of each category; surrogates never qualify.
            var ch = (char)c;
            if (char.IsSurrogate(ch)) continue;
            table[(int)char.GetUnicodeCategory(ch)] = ch;
        }
        return table;
    }
}
