using MantisNative.Data.Records;
using MantisNative.Data.Synthetic;
using MantisNative.Data.Tokenization;
using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Models.Config;
using MantisNative.Nn;

namespace MantisNative.Tests.Inference;

/// <summary>
/// A model folder as the trainer writes it (config.json, model.safetensors, tokenizer.json), with random weights and a
/// small tokenizer trained on a small synthetic skills set that sits beside it. Built once per test run (a second or so).
/// </summary>
internal sealed class TinyModelFolder
{
    private static readonly Lazy<TinyModelFolder> SharedInstance = new(() => Create(Path.Combine(Path.GetTempPath(), $"mantis-tiny-{Guid.NewGuid():N}")));

    /// <summary>Shared by every test that only reads it (deleted at process exit).</summary>
    public static TinyModelFolder Shared => SharedInstance.Value;

    public required string Root { get; init; }
    public required string ModelDir { get; init; }
    public required string DataDir { get; init; }
    public required LlavaConfig Config { get; init; }
    public const int HeldOut = 30;

    public string HeldOutFile => Path.Combine(DataDir, "heldout.jsonl");

    /// <summary>Two held-out images of the data set (32x32 PNG).</summary>
    public string[] TwoImages => new[] { Path.Combine(DataDir, "images", "heldout", "000003_0.png"), Path.Combine(DataDir, "images", "heldout", "000003_1.png") };

    public static TinyModelFolder Create(string root, bool deleteAtExit = true)
    {
        var data = Path.Combine(root, "data");
        var modelDir = Path.Combine(root, "model");
        SyntheticDatasetWriter.Write(data, new SyntheticOptions { Train = 30, HeldOut = HeldOut, Seed = 7, ImageSize = 32 });
        var corpus = RecordReader.ReadAll(Path.Combine(data, "train.jsonl"), out _, new RecordReaderOptions { ImageCheck = ImageCheckMode.None })
            .SelectMany(r => r.Turns.Select(t => t.Content.Replace("<image>", ""))).ToList();
        var specials = BpeTrainer.DefaultSpecialTokens.Where(t => t is not "<image>" and not "<|pad|>").ToList();
        var tokenizer = BpeTrainer.Train(corpus, 120, specials);
        int image = tokenizer.AddSpecialToken("<image>");
        int pad = tokenizer.AddSpecialToken("<|pad|>");
        int eot = tokenizer.TokenToId("<|eot_id|>")!.Value;
        var config = new LlavaConfig
        {
            Vision = VisionTowerConfig.SiglipDefaults() with { HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, ImageSize = 32, PatchSize = 8 },
            Text = new LlamaConfig
            {
                VocabSize = tokenizer.VocabSize, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2,
                NumKeyValueHeads = 1, HeadDim = 16, RmsNormEps = 1e-5, MaxPositionEmbeddings = 1024, BosTokenId = tokenizer.BosId, EosTokenIds = [eot],
            },
            ImageTokenIndex = image,
            PadTokenId = pad,
        };
        using (var model = new MantisModel(config, new RandomWeights(11))) ModelFiles.Save(model, modelDir);
        tokenizer.Save(Path.Combine(modelDir, "tokenizer.json"));
        if (deleteAtExit) AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(root, true); } catch (IOException) { } };
        return new TinyModelFolder { Root = root, ModelDir = modelDir, DataDir = data, Config = config };
    }

    /// <summary>A copy of the model folder that a test may change.</summary>
    public string CopyModel()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mantis-model-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(ModelDir)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }
}
