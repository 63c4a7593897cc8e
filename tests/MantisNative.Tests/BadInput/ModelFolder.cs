using System.Text.Json.Nodes;
using MantisNative.Tests.IO;

namespace MantisNative.Tests.BadInput;

/// <summary>A scratch copy of a tiny fixture model folder that a test may break (config edits, swapped files).</summary>
internal sealed class ModelFolder : IDisposable
{
    public string Dir { get; }
    public string Fixture { get; }

    public ModelFolder(string fixture = "tiny-siglip-llama")
    {
        Fixture = Path.GetDirectoryName(TestFiles.Fixture(fixture, "config.json"))!;
        Dir = TestFiles.Scratch();
        foreach (var f in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(Fixture, f), Path.Combine(Dir, f));
    }

    public string ConfigPath => Path.Combine(Dir, "config.json");
    public string WeightsPath => Path.Combine(Dir, "model.safetensors");
    public string Inputs => Path.Combine(Fixture, "expected.safetensors");

    /// <summary>Changes config.json through its JSON tree.</summary>
    public ModelFolder EditConfig(Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        edit(root);
        File.WriteAllText(ConfigPath, root.ToJsonString());
        return this;
    }

    public void Dispose() => TestFiles.Cleanup(Dir);
}
