using MantisNative.Data.Tokenization;

namespace MantisNative.Cli;

/// <summary>
/// `mantis tokenize --tokenizer DIR|FILE [--special] [--no-bos] TEXT`: prints the ids as a JSON array.
/// Special tokens written in TEXT are only matched with --special, so pasted text cannot turn into control tokens
/// by accident. BOS is added whenever the tokenizer names one (Llama-3 models are run with it), unless --no-bos.
/// </summary>
public static class TokenizeCommand
{
    public const string Help = "tokenize TEXT with a tokenizer.json: --tokenizer DIR|FILE [--special] [--no-bos] TEXT";

    public static int Run(string[] args)
    {
        var a = new CliArgs("tokenize", args, new[] { "tokenizer" }, new[] { "special", "no-bos" });
        var path = a.Require("tokenizer");
        if (a.Positional.Count != 1)
            throw new MantisException($"mantis tokenize: expected one TEXT argument, got {a.Positional.Count} (quote the text)");
        var tokenizer = ByteLevelBpeTokenizer.Load(path);
        bool bos = !a.Flag("no-bos") && (tokenizer.BosId is not null || tokenizer.AddsBosByDefault);
        var ids = tokenizer.Encode(a.Positional[0], parseSpecial: a.Flag("special"), addBos: bos);
        Console.WriteLine("[" + string.Join(",", ids) + "]");
        return 0;
    }
}
