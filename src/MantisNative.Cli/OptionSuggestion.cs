namespace MantisNative.Cli;

/// <summary>
/// The known option an unknown one was most likely meant to be: a typo (`--max-step`), the other case style
/// (`--max_Steps`), or a part of a longer name (`--batch-size` for `--per-device-train-batch-size`).
/// </summary>
public static class OptionSuggestion
{
    /// <summary>The closest of <paramref name="known"/> to <paramref name="typed"/>, or null when none is close enough to be a useful guess.</summary>
    public static string? Closest(string typed, IEnumerable<string> known)
    {
        var names = known.Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (names.Count == 0) return null;
        string t = typed.ToLowerInvariant();
        // at most a third of the typed name edited (1 edit for short names): beyond that a guess misleads more than it helps
        int budget = Math.Max(1, t.Length / 3);
        var best = names.Select(n => (Name: n, Distance: Distance(t, n.ToLowerInvariant()))).MinBy(c => c.Distance);
        if (best.Distance <= budget) return best.Name;
        // a whole word of a longer name, the shortest such name (`--steps` -> `--max-steps`)
        if (t.Length >= 3)
            return names.Where(n => Words(n).Contains(t) || (t.Contains('-') || t.Contains('_')) && Normal(n).Contains(Normal(t)))
                .OrderBy(n => n.Length).FirstOrDefault();
        return null;
    }

    private static string Normal(string s) => s.ToLowerInvariant().Replace('_', '-');

    private static string[] Words(string s) => Normal(s).Split('-');

    /// <summary>Optimal string alignment distance (Levenshtein plus swapping two neighbours: `--mdoel`).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
