using MantisNative.IO;
using MantisNative.Data.Chat;
using MantisNative.Inference;
using NUnit.Framework;

namespace MantisNative.Tests.Inference;

public class ModelBundleTests
{
    [Test]
    public void LoadsAModelFolderWithItsParts()
    {
        var tiny = TinyModelFolder.Shared;
        using var bundle = ModelBundle.Load(tiny.ModelDir);
        int eot = bundle.Tokenizer.TokenToId("<|eot_id|>")!.Value;
        Assert.That(bundle.StopIds, Does.Contain(eot));
        Assert.That(bundle.Config.ImageTokenIndex, Is.EqualTo(bundle.Tokenizer.TokenToId("<image>")));
        Assert.That(bundle.ImageProcessor.Config.Kind, Is.EqualTo(MantisNative.Data.Images.ImageProcessorKind.Siglip));
        Assert.That(bundle.ChatFormat.Options.SystemPrompt, Is.Null);
        var img = bundle.ProcessImageFile(tiny.TwoImages[0]);
        Assert.That((img.Height, img.Width), Is.EqualTo((32, 32)));
    }

    [Test]
    public void ABundleOfAModelInMemoryAnswersAsTheFolderDoes()
    {
        var tiny = TinyModelFolder.Shared;
        using var loaded = ModelBundle.Load(tiny.ModelDir);
        using var model = MantisNative.IO.ModelFiles.Load(tiny.ModelDir);
        var options = new GenerationOptions { MaxNewTokens = 8, Temperature = 1, Seed = 2 };
        var messages = new[] { ChatMessage.User("<image><image> Which image shows the red shape?") };
        var images = tiny.TwoImages.Select(loaded.ProcessImageFile).ToList();
        using (var inMemory = ModelBundle.Create(model.Model, loaded.Tokenizer))
        {
            Assert.That(inMemory.Folder, Is.Null);
            Assert.That(inMemory.Answer("a", messages, images, options).Ids, Is.EqualTo(loaded.Answer("a", messages, images, options).Ids));
        }
        Assert.That(model.Model.Language.EmbedTokens.Span.Length, Is.GreaterThan(0), "the bundle did not own the model, so it is still usable");
    }

    [Test]
    public void ChatConfigGivesTheSystemPromptAndAnArgumentOverridesIt()
    {
        var dir = TinyModelFolder.Shared.CopyModel();
        try
        {
            new ChatConfig("You answer in one word.").Save(dir);
            using (var bundle = ModelBundle.Load(dir))
            {
                Assert.That(bundle.ChatFormat.Options.SystemPrompt, Is.EqualTo("You answer in one word."));
                var text = bundle.ChatFormat.Render("t", new[] { ChatMessage.User("hi") }, 0, forGeneration: true);
                Assert.That(text, Does.StartWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou answer in one word.<|eot_id|>"));
            }
            using (var bundle = ModelBundle.Load(dir, systemPrompt: "")) Assert.That(bundle.ChatFormat.Options.SystemPrompt, Is.Null);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestCase("tokenizer.json", null, "tokenizer.json")]
    [TestCase("config.json", null, "config.json")]
    [TestCase("model.safetensors", null, "model.safetensors")]
    [TestCase(null, "chat_config.json", "chat_config.json")]
    [TestCase(null, "preprocessor_config.json", "preprocessor_config.json")]
    [TestCase(null, "tokenizer.json", "tokenizer.json")]
    public void AMissingOrInvalidFileIsNamed(string? delete, string? corrupt, string named)
    {
        var dir = TinyModelFolder.Shared.CopyModel();
        try
        {
            if (delete is not null) File.Delete(Path.Combine(dir, delete));
            if (corrupt is not null) File.WriteAllText(Path.Combine(dir, corrupt), "{ not json");
            var e = Assert.Throws<MantisException>(() => ModelBundle.Load(dir).Dispose())!;
            Assert.That(e.Message, Does.Contain(named));
            Assert.That(e.Message, Does.Not.Contain("\n"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void ATokenizerWhoseImageIdDisagreesWithTheConfigIsRefused()
    {
        var dir = TinyModelFolder.Shared.CopyModel();
        try
        {
            var tok = MantisNative.Data.Tokenization.ByteLevelBpeTokenizer.Load(dir);
            var config = MantisNative.IO.LlavaConfigFile.Load(dir);
            (config with { ImageTokenIndex = tok.TokenToId("<|pad|>")!.Value }).Save(dir);
            var e = Assert.Throws<MantisException>(() => ModelBundle.Load(dir).Dispose())!;
            Assert.That(e.Message, Does.Contain("image_token_index"));
            Assert.Throws<MantisException>(() => ModelBundle.Load(Path.Combine(dir, "nope")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
