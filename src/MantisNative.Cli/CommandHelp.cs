using System.Text;

namespace MantisNative.Cli;

/// <summary>
/// `mantis CMD --help`, written from the command's flag table alone: usage, the one-line summary, notes, each
/// option once (name, placeholder, meaning, default, aliases), examples.
/// </summary>
public static class CommandHelp
{
    /// <summary>Options whose name and placeholder are longer than this get their meaning on the next line.</summary>
    private const int NameColumn = 34;

    /// <summary>Meanings wrap at this width (a terminal's 120 columns, less a margin), continuing under the meaning column.</summary>
    private const int Width = 116;

    public static string Render(CommandFlags f)
    {
        var sb = new StringBuilder();
        var usage = f.Usage.Length > 0 ? f.Usage : new[] { DerivedUsage(f) };
        for (int i = 0; i < usage.Length; i++) sb.Append(i == 0 ? "usage: " : "       ").Append("mantis ").AppendLine(usage[i]);
        sb.AppendLine().AppendLine(Sentence(f.Summary));
        if (f.Notes.Length > 0)
        {
            sb.AppendLine();
            foreach (var n in f.Notes) Wrap(sb, n, 0);
        }
        sb.AppendLine().AppendLine("options:");
        foreach (var o in f.Options) Row(sb, Left(o), Right(f, o));
        Row(sb, "-h, --help", "show this help and exit");
        if (f.Examples.Length > 0)
        {
            sb.AppendLine().AppendLine("examples:");
            foreach (var e in f.Examples) sb.Append("  mantis ").AppendLine(e);
        }
        return sb.ToString();
    }

    /// <summary>`CMD POSITIONAL --required X ... [options]`.</summary>
    public static string DerivedUsage(CommandFlags f)
    {
        var parts = new List<string> { f.Command };
        parts.AddRange(f.Options.Where(o => o.Required).Select(Left));
        if (f.Options.Any(o => !o.Required)) parts.Add("[options]");
        if (f.Positional is not null) parts.Add(f.Positional);
        return string.Join(" ", parts);
    }

    private static string Left(CliOption o) => o.IsSwitch ? $"--{o.Name}" : $"--{o.Name} {o.Placeholder}";

    private static string Right(CommandFlags f, CliOption o)
    {
        var extras = new List<string>();
        if (o.Required) extras.Add("required");
        if (o.Default is not null) extras.Add($"default: {o.Default}");
        var aliases = f.Aliases.Where(a => o.Spellings.Contains(a.Value)).Select(a => "--" + a.Key).ToList();
        if (aliases.Count > 0) extras.Add("also " + string.Join(", ", aliases));
        return extras.Count == 0 ? o.Meaning : $"{o.Meaning} ({string.Join("; ", extras)})";
    }

    private static void Row(StringBuilder sb, string left, string right)
    {
        sb.Append("  ").Append(left);
        if (left.Length + 2 > NameColumn) sb.AppendLine().Append(' ', NameColumn + 2);
        else sb.Append(' ', NameColumn - left.Length);
        Wrap(sb, right, NameColumn + 2);
    }

    /// <summary>Appends <paramref name="text"/> from column <paramref name="indent"/> (already reached), wrapped at <see cref="Width"/>.</summary>
    private static void Wrap(StringBuilder sb, string text, int indent)
    {
        int column = indent;
        foreach (var word in text.Split(' '))
        {
            if (column > indent && column + 1 + word.Length > Width)
            {
                sb.AppendLine().Append(' ', indent);
                column = indent;
            }
            else if (column > indent) { sb.Append(' '); column++; }
            sb.Append(word);
            column += word.Length;
        }
        sb.AppendLine();
    }

    private static string Sentence(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..] + (s.EndsWith('.') ? "" : ".");
}
