using MantisNative.IO;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.IO;

public class ShardedCheckpointTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = TestFiles.Scratch();
    [TearDown] public void TearDown() => TestFiles.Cleanup(_dir);

    /// <summary>Re-saves the SigLIP fixture model in shards of at most 100 kB.</summary>
    private IReadOnlyList<string> ShardFixture()
    {
        using var f = SafetensorsFile.Open(TestFiles.Fixture("tiny-siglip-llama", "model.safetensors"));
        var w = new SafetensorsWriter();
        w.Metadata["format"] = "pt";
        foreach (var name in f.Names) w.AddFrom(f, name);
        return w.SaveSharded(_dir, maxShardBytes: 100_000);
    }

    [Test]
    public void ShardedRoundTrip()
    {
        var written = ShardFixture();
        Assert.That(written[^1], Does.EndWith(ShardIndex.FileName));
        Assert.That(written.Count, Is.GreaterThan(3));
        Assert.That(Path.GetFileName(written[0]), Does.Match(@"^model-00001-of-\d{5}\.safetensors$"));

        using var original = SafetensorsFile.Open(TestFiles.Fixture("tiny-siglip-llama", "model.safetensors"));
        using var cp = Checkpoint.Open(_dir);
        Assert.That(cp, Is.TypeOf<ShardedCheckpoint>());
        Assert.That(cp.Names, Is.EquivalentTo(original.Names));
        foreach (var name in original.Names)
        {
            Assert.That(cp.GetInfo(name).Shape, Is.EqualTo(original.GetInfo(name).Shape));
            Assert.That(cp.GetBytes(name).SequenceEqual(original.GetBytes(name)), Is.True, name);
        }
        var index = ((ShardedCheckpoint)cp).Index;
        Assert.That(index.TotalSize, Is.EqualTo(original.Header.DataLength));
        foreach (var shard in index.ShardFiles)
        {
            using var s = SafetensorsFile.Open(Path.Combine(_dir, shard));
            Assert.That(s.Header.DataLength, Is.LessThanOrEqualTo(100_000).Or.EqualTo(s.Tensors.Max(t => t.ByteLength)));
        }
    }

    [Test]
    public void OneShardIsAPlainFile()
    {
        var w = new SafetensorsWriter();
        w.AddFloat32("x", [2], new float[] { 1, 2 });
        var written = w.SaveSharded(_dir, 1 << 20);
        Assert.That(written, Is.EqualTo(new[] { Path.Combine(_dir, "model.safetensors") }));
        using var cp = Checkpoint.Open(_dir);
        Assert.That(cp, Is.TypeOf<SafetensorsFile>());
        Assert.That(cp.ReadFloat32("x"), Is.EqualTo(new float[] { 1, 2 }));
    }

    [Test]
    public void ResavingRemovesTheOldLayout()
    {
        File.WriteAllText(Path.Combine(_dir, "unrelated.txt"), "keep me");
        var sharded = ShardFixture();
        var w = new SafetensorsWriter();
        w.AddFloat32("x", [2], new float[] { 1, 2 });
        w.SaveSharded(_dir, 1 << 20);
        foreach (var old in sharded) Assert.That(File.Exists(old), Is.False, old);
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "model.safetensors", "unrelated.txt" }));
        using (var cp = Checkpoint.Open(_dir)) Assert.That(cp.Names, Is.EqualTo(new[] { "x" }));

        // and back to shards: the single file goes
        var again = ShardFixture();
        Assert.That(File.Exists(Path.Combine(_dir, "model.safetensors")), Is.False);
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(again.Count + 1));
    }

    [Test]
    public void MissingShardIsReportedAtOpen()
    {
        var written = ShardFixture();
        File.Delete(written[1]);
        string shard = Path.GetFileName(written[1]);
        var e = Assert.Throws<MantisException>(() => Checkpoint.Open(_dir))!;
        Assert.That(e.Message, Does.Contain(shard).And.Contain("missing").And.Contain(ShardIndex.FileName));
    }

    [Test]
    public void TensorMissingFromItsShard()
    {
        var w = new SafetensorsWriter();
        w.AddFloat32("a", [1], new float[] { 1 });
        w.Save(Path.Combine(_dir, "s1.safetensors"));
        File.WriteAllText(Path.Combine(_dir, ShardIndex.FileName),
            "{\"metadata\":{\"total_size\":8},\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\"}}");
        using var cp = Checkpoint.Open(_dir);
        Assert.That(cp.ReadFloat32("a"), Is.EqualTo(new float[] { 1 }));
        var e = Assert.Throws<MantisException>(() => cp.GetInfo("b"))!;
        Assert.That(e.Message, Does.Contain("'b'").And.Contain("s1.safetensors"));
        var e2 = Assert.Throws<MantisException>(() => cp.GetInfo("c"))!;
        Assert.That(e2.Message, Does.Contain("'c'"));
    }

    [TestCase("{\"weight_map\":{\"a\":\"../x.safetensors\"}}", "'a'")]
    [TestCase("{\"weight_map\":{\"a\":\"/etc/passwd\"}}", "'a'")]
    [TestCase("{\"weight_map\":{\"a\":5}}", "'a'")]
    [TestCase("{\"metadata\":{}}", "weight_map")]
    [TestCase("{\"weight_map\":", "not valid JSON")]
    public void BadIndex(string json, string expected)
    {
        string path = Path.Combine(_dir, ShardIndex.FileName);
        File.WriteAllText(path, json);
        var e = Assert.Throws<MantisException>(() => Checkpoint.Open(_dir))!;
        Assert.That(e.Message, Does.Contain(expected).And.Contain(path));
    }

    [Test]
    public void EmptyFolderAndMissingPath()
    {
        Assert.That(Assert.Throws<MantisException>(() => Checkpoint.Open(_dir))!.Message, Does.Contain(ShardIndex.FileName));
        Assert.That(Assert.Throws<MantisException>(() => Checkpoint.Open(Path.Combine(_dir, "nope")))!.Message, Does.Contain("not found"));
    }

    [Test]
    public void ShardsOpenLazily()
    {
        ShardFixture();
        using var cp = (ShardedCheckpoint)Checkpoint.Open(_dir);
        // Damage a shard nobody reads: opening the checkpoint and reading elsewhere still works.
        string first = cp.Index.WeightMap["language_model.lm_head.weight"];
        string victim = cp.Index.ShardFiles.First(s => s != first);
        File.WriteAllBytes(Path.Combine(_dir, victim), new byte[3]);
        Assert.That(cp.ReadFloat32("language_model.lm_head.weight"), Has.Length.EqualTo(320 * 64));
        string victimTensor = cp.Index.WeightMap.First(kv => kv.Value == victim).Key;
        var e = Assert.Throws<MantisException>(() => cp.GetInfo(victimTensor))!;
        Assert.That(e.Message, Does.Contain(victim));
    }
}
