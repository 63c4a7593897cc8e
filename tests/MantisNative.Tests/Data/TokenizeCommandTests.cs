using MantisNative.Cli;
using NUnit.Framework;

namespace MantisNative.Tests.Data;

/// <summary>`mantis tokenize` prints the ids as a JSON array.</summary>
[NonParallelizable] // redirects Console.Out
public class TokenizeCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (CliApp.Run(args), o.ToString().Trim(), e.ToString().Trim()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    [Test]
    public void PrintsIdsWithBos() =>
        Assert.That(Run("tokenize", "--tokenizer", Llama3Fixture.Dir, "Hello world"), Is.EqualTo((0, "[128000,9906,1917]", "")));

    [Test]
    public void NoBosAndFilePath() =>
        Assert.That(Run("tokenize", "--tokenizer", Path.Combine(Llama3Fixture.Dir, "tokenizer.json"), "--no-bos", "Hello world").Out,
            Is.EqualTo("[9906,1917]"));

    [Test]
    public void SpecialTokensOnlyWithTheFlag()
    {
        Assert.That(Run("tokenize", "--tokenizer", Llama3Fixture.Dir, "--no-bos", "--special", "Hi<|eot_id|>").Out, Is.EqualTo("[13347,128009]"));
        Assert.That(Run("tokenize", "--tokenizer", Llama3Fixture.Dir, "--no-bos", "Hi<|eot_id|>").Out, Does.Not.Contain("128009"));
    }

    [Test]
    public void BadTokenizerPathIsAOneLineError()
    {
        var (code, _, err) = Run("tokenize", "--tokenizer", "/no/such/dir", "x");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.StartWith("error:").And.Contain("/no/such/dir"));
    }

    [Test]
    public void MissingTextIsAnError() =>
        Assert.That(Run("tokenize", "--tokenizer", Llama3Fixture.Dir).Code, Is.EqualTo(1));
}
