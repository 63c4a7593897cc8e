using MantisNative.Data.Tokenization;
using MantisNative.IO;

namespace MantisNative.Cli;

/// <summary>
/// `mantis tokenize --tokenizer DIR|FILE [--special] [--no-bos] (TEXT | --file FILE | -)`: prints the ids as a JSON array.
/// Special tokens written in TEXT are only matched with --special, so pasted text cannot turn into control tokens
/// by accident. BOS is added whenever the tokenizer names one (Llama-3 models are run with it), unless --no-bos.
/// A file or standard input (`-`, or `--file -`) is read as bytes and must be valid UTF-8; a TEXT argument holding
/// U+FFFD is refused, since that is what the runtime makes of invalid UTF-8 in an argument.
/// </summary>
public static class TokenizeCommand
{
    /// <summary>Standard input as bytes (a seam for tests, which cannot feed the process's own stdin).</summary>
    public static Func<Stream> OpenStandardInput = Console.OpenStandardInput;

    public static readonly CommandFlags Flags = new("tokenize", "tokenize text with a tokenizer.json and print the ids as a JSON array",
        new[]
        {
            CliOption.Needed("tokenizer", "DIR|FILE", "tokenizer.json, or a model folder holding one"),
            CliOption.Value("file", "FILE|-", "read the text from FILE (bytes, must be UTF-8), - for standard input; instead of TEXT"),
            CliOption.Switch("special", "match special tokens written in the text (<|eot_id|>, ...); without it they are plain text"),
            CliOption.Switch("no-bos", "do not add BOS (added whenever the tokenizer names one)"),
        })
    {
        Usage = new[] { "tokenize --tokenizer DIR|FILE [--special] [--no-bos] (TEXT | --file FILE | -)" },
        Notes = new[] { "TEXT is one argument (quote it); - reads standard input. Use -- before a TEXT that starts with a dash." },
        Examples = new[] { "tokenize --tokenizer runs/mantis-tiny/model \"How many images show a circle?\"", "tokenize --tokenizer tokenizer.json --special --file prompt.txt" },
    };

    public static int Run(string[] args)
    {
        var a = Flags.Parse(args);
        var path = a.Require("tokenizer");
        string text = ReadText(a);
        var tokenizer = ByteLevelBpeTokenizer.Load(path);
        bool bos = !a.Flag("no-bos") && (tokenizer.BosId is not null || tokenizer.AddsBosByDefault);
        var ids = tokenizer.Encode(text, parseSpecial: a.Flag("special"), addBos: bos);
        Console.WriteLine("[" + string.Join(",", ids) + "]");
        return 0;
    }

    private static string ReadText(CliArgs a)
    {
        var file = a.Get("file");
        if (file is not null && a.Positional.Count > 0)
            throw new MantisException($"mantis tokenize: give TEXT or --file, not both (got '{a.Positional[0]}' too)");
        if (file is null && a.Positional.Count != 1)
            throw new MantisException($"mantis tokenize: expected one TEXT argument, --file FILE or - for standard input, got {a.Positional.Count} arguments (quote the text)");
        file ??= a.Positional[0] == "-" ? "-" : null;
        if (file is null)
        {
            var arg = a.Positional[0];
            int bad = arg.IndexOf('\uFFFD');
            if (bad >= 0)
                throw new MantisException($"mantis tokenize: the TEXT argument holds U+FFFD at character {bad}, which is what invalid UTF-8 in an argument becomes; pass the text with --file FILE or - (standard input) to tokenize its bytes exactly");
            return arg;
        }
        byte[] bytes;
        string where = file == "-" ? "standard input" : file;
        if (file == "-")
        {
            using var input = OpenStandardInput();
            using var ms = new MemoryStream();
            input.CopyTo(ms);
            bytes = ms.ToArray();
        }
        else bytes = InputFile.ReadAllBytes(file, "text");
        Utf8Input.EnsureValid(bytes, where, "the text");
        return System.Text.Encoding.UTF8.GetString(bytes);
    }
}
