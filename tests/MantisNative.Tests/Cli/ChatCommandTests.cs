using MantisNative.Inference;
using MantisNative.Tests.Inference;
using NUnit.Framework;
using static MantisNative.Tests.Cli.CliRun;

namespace MantisNative.Tests.Cli;

[NonParallelizable] // redirects the console
public class ChatCommandTests
{
    private static readonly string[] Decoding = { "--max-new-tokens", "12", "--temperature", "1.5", "--seed", "5" };
    private static readonly GenerationOptions Same = new() { MaxNewTokens = 12, Temperature = 1.5f, Seed = 5 };

    private static string[] Args(params string[] rest)
    {
        var tiny = TinyModelFolder.Shared;
        return new[] { "chat", "--model", tiny.ModelDir, "--image", tiny.TwoImages[0], "--image", tiny.TwoImages[1] }.Concat(Decoding).Concat(rest).ToArray();
    }

    [Test]
    public void AQuestionPrintsTheStreamedAnswer()
    {
        var (code, output, err) = Run(Args("What colour is the shape in image 2?"));
        Assert.That(code, Is.EqualTo(0), err);
        using var mantis = MantisPipeline.Load(TinyModelFolder.Shared.ModelDir);
        var expected = mantis.Ask("What colour is the shape in image 2?", TinyModelFolder.Shared.TwoImages, Same);
        Assert.That(output, Is.EqualTo(expected + Environment.NewLine));
    }

    [Test]
    public void WithoutAQuestionItChatsOverStdinUntilAnEmptyLine()
    {
        var (code, output, err) = RunWithInput("first question\nsecond one\n/reset\nthird\n\nnot read\n", Args());
        Assert.That(code, Is.EqualTo(0), err);
        var lines = output.Split(Environment.NewLine);
        Assert.That(lines, Has.Length.EqualTo(5), output); // three answers, the reset note, the final empty string
        Assert.That(lines[2], Does.Contain("conversation cleared"));

        // the third answer is that of a fresh conversation, the second that of one that remembers the first
        using var mantis = MantisPipeline.Load(TinyModelFolder.Shared.ModelDir);
        var chat = mantis.StartChat(TinyModelFolder.Shared.TwoImages);
        Assert.That(lines[0], Is.EqualTo(chat.Ask("first question", Same)));
        Assert.That(lines[1], Is.EqualTo(chat.Ask("second one", Same)));
        Assert.That(lines[3], Is.EqualTo(mantis.Ask("third", TinyModelFolder.Shared.TwoImages, Same)));
        Assert.That(RunWithInput("", Args()).Code, Is.EqualTo(0), "end of input exits");
    }

    [Test]
    public void ErrorsAreOneLine()
    {
        var tiny = TinyModelFolder.Shared;
        AssertOneLineError(Run("chat", "--model", "/no/such/model", "q"), "/no/such/model");
        AssertOneLineError(Run("chat", "--model", tiny.ModelDir, "--image", "/no/such.png", "q"), "/no/such.png");
        AssertOneLineError(Run(Args("--temperature", "-1", "q")), "--temperature");
        AssertOneLineError(Run(Args("--top-p", "0", "q")), "--top-p");
        AssertOneLineError(Run(Args("--max-new-tokens", "x", "q")), "--max-new-tokens");
        AssertOneLineError(Run(Args("--seed", "-3", "q")), "--seed");
        AssertUsageError(Run(Args("--wat", "q")), "chat", "--wat");
        AssertOneLineError(Run(Args("only <image> one tag")), "<image>");
    }
}
