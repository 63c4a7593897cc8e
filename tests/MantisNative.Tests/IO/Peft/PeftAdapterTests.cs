using System.Text.Json.Nodes;
using MantisNative.Autograd;
using AOps = MantisNative.Autograd.Ops;
using MantisNative.IO;
using MantisNative.IO.Peft;
using MantisNative.IO.Quantization;
using MantisNative.Nn.Lora;
using MantisNative.Tensors;
using MantisNative.Tests.Cli;
using NUnit.Framework;

namespace MantisNative.Tests.IO.Peft;

[NonParallelizable] // the CLI cases redirect the console
public class PeftAdapterTests
{
    private static string BaseFolder => Path.GetDirectoryName(TestFiles.Fixture("tiny-siglip-llama", "config.json"))!;

    private static readonly (string Module, int Out, int In)[] Adapted =
    [
        ("language_model.model.layers.0.self_attn.q_proj", 64, 64),
        ("language_model.model.layers.1.self_attn.k_proj", 32, 64),
        ("language_model.model.layers.1.mlp.down_proj", 64, 176),
    ];

    /// <summary>A hand-built adapter on the siglip fixture: rank 4, alpha 8 (scale 2), random A and B (B nonzero).</summary>
    private static PeftAdapter HandBuilt(bool dora = false, ulong seed = 1)
    {
        var rng = new Rng(seed);
        float[] Rand(int n, double std) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextNormal() * std)).ToArray();
        var settings = new LoraSettings { Rank = 4, Alpha = 8, Dropout = 0.05, UseDora = dora };
        var modules = Adapted.Select(a => new LoraModuleWeights(a.Module, 4, a.In, a.Out, Rand(4 * a.In, 0.1), Rand(a.Out * 4, 0.1),
            dora ? Rand(a.Out, 0.2).Select(v => 1 + v).ToArray() : null));
        return new PeftAdapter(new PeftAdapterConfig(settings, "TIGER-Lab/Mantis-8B-siglip-llama3"), modules);
    }

    [Test]
    public void MantisDefaultTargetsEveryLlmLinearButNotLmHeadVisionOrProjector()
    {
        var t = LoraTargets.MantisDefault;
        foreach (var p in new[] { "q_proj", "k_proj", "v_proj", "o_proj" })
        {
            Assert.That(t.Matches($"language_model.model.layers.0.self_attn.{p}"), p);
            Assert.That(t.Matches($"model.language_model.layers.31.self_attn.{p}"), p + " (new-style name)");
        }
        foreach (var p in new[] { "gate_proj", "up_proj", "down_proj" }) Assert.That(t.Matches($"language_model.model.layers.12.mlp.{p}"), p);
        foreach (var n in new[] { "language_model.lm_head", "lm_head", "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj",
                     "multi_modal_projector.linear_1", "language_model.model.embed_tokens", "language_model.model.layers.0.self_attn.q_proj.x" })
            Assert.That(t.Matches(n), Is.False, n);

        // PEFT's list semantics: a name matches the whole path or its last dotted parts; exclusions win
        var names = LoraTargets.FromNames(["q_proj", "mlp.fc1"], excludeNames: ["vision_tower.vision_model.encoder.layers.1.self_attn.q_proj"]);
        Assert.That(names.Matches("vision_tower.vision_model.encoder.layers.0.self_attn.q_proj"));
        Assert.That(names.Matches("vision_tower.vision_model.encoder.layers.1.self_attn.q_proj"), Is.False);
        Assert.That(names.Matches("vision_tower.vision_model.encoder.layers.0.mlp.fc1"));
        Assert.That(names.Matches("language_model.model.layers.0.self_attn.xq_proj"), Is.False);
        Assert.Throws<MantisException>(() => LoraTargets.FromPattern("(unclosed"));
    }

    [Test]
    public void SettingsParseTheCommandLineFormAndScaleLikePeft()
    {
        var s = LoraSettings.Parse("r=16,alpha=32,dropout=0.1,dora=true,targets=q_proj|v_proj");
        Assert.That((s.Rank, s.Alpha, s.Dropout, s.UseDora), Is.EqualTo((16, 32.0, 0.1, true)));
        Assert.That(s.Targets.Names, Is.EqualTo(new[] { "q_proj", "v_proj" }));
        Assert.That(s.ScaleFor("x.q_proj"), Is.EqualTo(2.0));
        Assert.That((s with { UseRslora = true }).ScaleFor("x.q_proj"), Is.EqualTo(32 / 4.0));
        var d = LoraSettings.Parse("");
        Assert.That((d.Rank, d.Alpha, d.Dropout), Is.EqualTo((128, 256.0, 0.05)), "the Mantis reference's defaults");
        var p = d with { RankPattern = new Dictionary<string, int> { ["down_proj"] = 8 }, AlphaPattern = new Dictionary<string, double> { ["layers\\.1\\.mlp\\.down_proj"] = 4 } };
        Assert.That(p.RankFor("language_model.model.layers.1.mlp.down_proj"), Is.EqualTo(8));
        Assert.That(p.ScaleFor("language_model.model.layers.1.mlp.down_proj"), Is.EqualTo(0.5));
        Assert.That(p.ScaleFor("language_model.model.layers.0.mlp.down_proj"), Is.EqualTo(256 / 8.0));
        Assert.That(p.RankFor("language_model.model.layers.0.mlp.xdown_proj"), Is.EqualTo(128), "patterns match at a dot boundary");
        foreach (var bad in new[] { "r=0", "r=x", "dropout=1", "alpha=", "colour=red", "r" })
            Assert.Throws<MantisException>(() => LoraSettings.Parse(bad), bad);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void HandBuiltAdapterRoundTripsThroughPeftsLayout(bool dora)
    {
        string dir = TestFiles.Scratch();
        try
        {
            var adapter = HandBuilt(dora);
            adapter.Save(dir);
            using (var st = SafetensorsFile.Open(Path.Combine(dir, PeftAdapter.WeightsFileName)))
            {
                var names = st.Names.ToHashSet();
                Assert.That(names, Does.Contain("base_model.model.language_model.model.layers.0.self_attn.q_proj.lora_A.weight"));
                Assert.That(names, Does.Contain("base_model.model.language_model.model.layers.1.mlp.down_proj.lora_B.weight"));
                Assert.That(names.Contains("base_model.model.language_model.model.layers.1.mlp.down_proj.lora_magnitude_vector"), Is.EqualTo(dora));
                Assert.That(names, Has.Count.EqualTo(Adapted.Length * (dora ? 3 : 2)));
                Assert.That(st.GetInfo("base_model.model.language_model.model.layers.1.mlp.down_proj.lora_A.weight").Shape, Is.EqualTo(new long[] { 4, 176 }));
                Assert.That(st.GetInfo("base_model.model.language_model.model.layers.1.mlp.down_proj.lora_B.weight").Shape, Is.EqualTo(new long[] { 64, 4 }));
            }
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, PeftAdapterConfig.FileName)))!;
            Assert.That((string?)json["peft_type"], Is.EqualTo("LORA"));
            Assert.That((int?)json["r"], Is.EqualTo(4));
            Assert.That((int?)json["lora_alpha"], Is.EqualTo(8));
            Assert.That((double?)json["lora_dropout"], Is.EqualTo(0.05));
            Assert.That((bool?)json["use_dora"], Is.EqualTo(dora));
            Assert.That((string?)json["target_modules"], Is.EqualTo(LoraTargets.MantisDefaultPattern));
            Assert.That((string?)json["base_model_name_or_path"], Is.EqualTo("TIGER-Lab/Mantis-8B-siglip-llama3"));

            var back = PeftAdapter.Load(dir);
            Assert.That(back.Settings.Rank, Is.EqualTo(4));
            Assert.That(back.Settings.ScaleFor(Adapted[0].Module), Is.EqualTo(2.0));
            Assert.That(back.Modules.Keys, Is.EquivalentTo(Adapted.Select(a => a.Module)));
            foreach (var m in adapter.Modules.Values)
            {
                var b = back.Modules[m.ModulePath];
                Assert.That((b.A, b.B, b.Magnitude), Is.EqualTo((m.A, m.B, m.Magnitude)), m.ModulePath);
            }
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void AnAdapterSavedForTransformers452NamesLoadsUnderLegacyNames()
    {
        string dir = TestFiles.Scratch();
        try
        {
            var w = new SafetensorsWriter();
            w.AddFloat32("base_model.model.model.language_model.layers.0.self_attn.v_proj.lora_A.weight", [2, 64], new float[128], DType.BF16);
            w.AddFloat32("base_model.model.model.language_model.layers.0.self_attn.v_proj.lora_B.weight", [32, 2], new float[64], DType.BF16);
            w.Save(Path.Combine(dir, PeftAdapter.WeightsFileName));
            File.WriteAllText(Path.Combine(dir, PeftAdapterConfig.FileName),
                """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["v_proj"], "bias": "none", "fan_in_fan_out": false, "modules_to_save": null, "some_future_field": 1}""");
            var a = PeftAdapter.Load(dir);
            Assert.That(a.Modules.Keys, Is.EqualTo(new[] { "language_model.model.layers.0.self_attn.v_proj" }));
            Assert.That(a.Modules.Values.Single().OutFeatures, Is.EqualTo(32));
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void MergeEqualsWPlusScaleBAExactlyInFp32AndCopiesTheRest()
    {
        string dir = TestFiles.Scratch();
        try
        {
            string adapterDir = Path.Combine(dir, "adapter"), merged = Path.Combine(dir, "merged");
            var adapter = HandBuilt();
            adapter.Save(adapterDir);
            var r = CliRun.Run("merge", "--model", BaseFolder, "--adapter", adapterDir, "--output", merged);
            Assert.That(r.Code, Is.EqualTo(0), r.Err);
            Assert.That(r.Out, Does.Contain("merged 3 adapted weights"));
            Assert.That(File.ReadAllText(Path.Combine(merged, "config.json")), Is.EqualTo(File.ReadAllText(Path.Combine(BaseFolder, "config.json"))));
            Assert.That(File.Exists(Path.Combine(merged, "preprocessor_config.json")));

            using var src = SafetensorsFile.Open(Path.Combine(BaseFolder, "model.safetensors"));
            using var dst = SafetensorsFile.Open(Path.Combine(merged, "model.safetensors"));
            Assert.That(dst.Names, Is.EquivalentTo(src.Names), "a plain HF folder: same tensors, no adapter tensors");
            foreach (var name in src.Names)
            {
                string module = name.EndsWith(".weight") ? name[..^".weight".Length] : name;
                if (!adapter.Modules.TryGetValue(module, out var m))
                {
                    Assert.That(dst.GetBytes(name).ToArray(), Is.EqualTo(src.GetBytes(name).ToArray()), name);
                    continue;
                }
                var w = src.ReadFloat32(name);
                var got = dst.ReadFloat32(name);
                Assert.That(dst.GetInfo(name).DType, Is.EqualTo(DType.F32));
                // reference written out here: W + (alpha/r) * sum_k B[o,k] A[k,i], summed in double in k order, rounded once
                for (int o = 0; o < m.OutFeatures; o++)
                    for (int i = 0; i < m.InFeatures; i++)
                    {
                        double sum = 0;
                        for (int k = 0; k < m.Rank; k++) sum += (double)m.B[o * m.Rank + k] * m.A[k * m.InFeatures + i];
                        float want = (float)(w[o * m.InFeatures + i] + 2.0 * sum);
                        Assert.That(got[o * m.InFeatures + i], Is.EqualTo(want), $"{name} [{o}, {i}]");
                    }
            }
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void MergedModelLogitsEqualTheBaseModelWithTheAdapterAddedExplicitly()
    {
        string dir = TestFiles.Scratch();
        try
        {
            string adapterDir = Path.Combine(dir, "adapter"), merged = Path.Combine(dir, "merged");
            var adapter = HandBuilt(seed: 4);
            adapter.Save(adapterDir);
            AdapterMerge.MergeFolder(BaseFolder, adapterDir, merged);

            using var expected = SafetensorsFile.Open(TestFiles.Fixture("tiny-siglip-llama", "expected.safetensors"));
            var info = expected.GetInfo("pixel_values");
            using var pixels = Tensor.FromSpan(expected.ReadFloat32("pixel_values"), new Shape(info.ShapeSpan.ToArray().Select(d => (int)d).ToArray()));
            var ids = expected.ReadInt32("input_ids");

            using var mergedModel = ModelFiles.Load(merged);
            using var explicitModel = ModelFiles.Load(BaseFolder);
            using (Tape.NoGrad())
            {
                foreach (var m in adapter.Modules.Values)
                {
                    // unmerged LoRA on one Linear, as PEFT runs it: x Wᵀ + s (x Aᵀ) Bᵀ, against x W'ᵀ with the merged W'
                    var w = explicitModel.Model.Parameters[m.ModulePath + ".weight"].Tensor;
                    using var a = Tensor.FromArray(m.A, m.Rank, m.InFeatures);
                    using var b = Tensor.FromArray(m.B, m.OutFeatures, m.Rank);
                    var x = Tensor.Randn(new Shape(5, m.InFeatures), new Rng(2));
                    var unmerged = AOps.Add(AOps.Linear(x, w), AOps.Scale(AOps.Linear(AOps.Linear(x, a), b), 2f)).ToArray();
                    var viaMerged = AOps.Linear(x, mergedModel.Model.Parameters[m.ModulePath + ".weight"].Tensor).ToArray();
                    Assert.That(RelL2(viaMerged, unmerged), Is.LessThan(1e-6), $"{m.ModulePath}: unmerged forward");

                    // the explicit adapter-added weight: W + s·(B A) with the engine's own fp32 GEMM
                    var added = AOps.Add(w, AOps.Scale(AOps.MatMul(b, a), 2f)).ToArray();
                    added.CopyTo(w.Span);
                }
                var logitsMerged = mergedModel.Model.Forward(ids, 1, pixels).Logits.ToArray();
                var logitsExplicit = explicitModel.Model.Forward(ids, 1, pixels).Logits.ToArray();
                // fp32: the two weights differ by one rounding (double vs float sum of 4 products), ~1e-7 relative
                Assert.That(RelL2(logitsMerged, logitsExplicit), Is.LessThan(1e-5));
                using var baseModel = ModelFiles.Load(BaseFolder);
                Assert.That(RelL2(baseModel.Model.Forward(ids, 1, pixels).Logits.ToArray(), logitsMerged), Is.GreaterThan(1e-3), "the adapter changes the model");
            }
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void MergeAndQuantizeKeepTheShardsAndDtypeOfABf16ShardedCheckpoint()
    {
        string dir = TestFiles.Scratch();
        try
        {
            string baseDir = Path.Combine(dir, "base"), adapterDir = Path.Combine(dir, "adapter"), merged = Path.Combine(dir, "merged");
            var config = MantisNative.Tests.IO.Synthetic.RandomCheckpointTests.TinyMantisShapes() with { ImageTokenIndex = 300, PadTokenId = 301 };
            config = config with { Text = config.Text with { VocabSize = 320, BosTokenId = 302, EosTokenIds = [303], PadTokenId = 301 } };
            MantisNative.IO.Synthetic.RandomCheckpointWriter.Write(baseDir, config, new MantisNative.IO.Synthetic.RandomCheckpointOptions { Seed = 8, Shards = 4 });
            const string module = "language_model.model.layers.1.mlp.gate_proj"; // [40, 16]
            var rng = new Rng(3);
            var lora = new LoraModuleWeights(module, 2, 16, 40, Enumerable.Range(0, 32).Select(_ => (float)rng.NextNormal()).ToArray(),
                Enumerable.Range(0, 80).Select(_ => (float)rng.NextNormal() * 0.1f).ToArray(), null);
            new PeftAdapter(new PeftAdapterConfig(new LoraSettings { Rank = 2, Alpha = 1 }, baseDir), [lora]).Save(adapterDir, DType.BF16);
            var adapter = PeftAdapter.Load(adapterDir); // bf16-stored A and B, as read back
            var summary = AdapterMerge.MergeFolder(baseDir, adapterDir, merged);
            Assert.That(summary.Shards, Is.EqualTo(4));
            using (var src = Checkpoint.Open(baseDir))
            using (var dst = Checkpoint.Open(merged))
            {
                Assert.That(dst.GetInfo(module + ".weight").DType, Is.EqualTo(DType.BF16));
                var m = adapter.Modules[module];
                var want = LoraMath.Merge(src.ReadFloat32(module + ".weight"), m.A, m.B, 40, 16, 2, 0.5);
                var bits = new ushort[want.Length];
                FloatConversion.ToBFloat16(want, bits);
                Assert.That(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(dst.GetBytes(module + ".weight")).ToArray(), Is.EqualTo(bits),
                    "fp32 merge rounded once to bf16 (nearest even)");
            }
            using (var loaded = ModelFiles.Load(merged)) Assert.That(loaded.Model.Parameters.All, Is.Not.Empty);

            string q = Path.Combine(dir, "q");
            var qs = ModelQuantizer.QuantizeFolder(merged, q, MantisNative.Backends.Cpu.Quantized.QuantizedFormat.Nf4);
            Assert.That(qs.BytesAfter, Is.LessThan(qs.BytesBefore));
            Assert.That(File.Exists(Path.Combine(q, ShardIndex.FileName)), "a sharded input gives a sharded output");
            using (var loaded = ModelFiles.Load(q))
                Assert.That(loaded.Model.Parameters[module + ".weight"].SaveAs, Is.EqualTo(DType.BF16), "a save writes the original dtype back");
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void DoraMergeGivesRowsOfTheMagnitudesLengthInTheDirectionOfWPlusScaleBA()
    {
        string dir = TestFiles.Scratch();
        try
        {
            string adapterDir = Path.Combine(dir, "adapter"), merged = Path.Combine(dir, "merged");
            var adapter = HandBuilt(dora: true);
            adapter.Save(adapterDir);
            AdapterMerge.MergeFolder(BaseFolder, adapterDir, merged);
            using var src = SafetensorsFile.Open(Path.Combine(BaseFolder, "model.safetensors"));
            using var dst = SafetensorsFile.Open(Path.Combine(merged, "model.safetensors"));
            foreach (var m in adapter.Modules.Values)
            {
                var w = src.ReadFloat32(m.ModulePath + ".weight");
                var got = dst.ReadFloat32(m.ModulePath + ".weight");
                var lora = LoraMath.Merge(w, m.A, m.B, m.OutFeatures, m.InFeatures, m.Rank, 2.0);
                for (int o = 0; o < m.OutFeatures; o++)
                {
                    var row = got.AsSpan(o * m.InFeatures, m.InFeatures).ToArray();
                    var dir0 = lora.AsSpan(o * m.InFeatures, m.InFeatures).ToArray();
                    double norm = Math.Sqrt(row.Sum(v => (double)v * v)), normV = Math.Sqrt(dir0.Sum(v => (double)v * v));
                    Assert.That(norm, Is.EqualTo(m.Magnitude![o]).Within(2e-6 * m.Magnitude[o]), $"{m.ModulePath} row {o} length");
                    for (int i = 0; i < m.InFeatures; i++)
                        Assert.That(row[i] / norm, Is.EqualTo(dir0[i] / normV).Within(1e-6), $"{m.ModulePath} row {o} direction");
                }
            }
            // DoRA's initial magnitude is ||W|| row-wise: merging a fresh adapter (B = 0) changes nothing but rounding
            var q = adapter.Modules.Values.First();
            var wq = src.ReadFloat32(q.ModulePath + ".weight");
            var zeroB = new float[q.B.Length];
            var mag = LoraMath.DoraMagnitude(wq, q.A, zeroB, q.OutFeatures, q.InFeatures, q.Rank, 2.0);
            var fresh = LoraMath.Merge(wq, q.A, zeroB, q.OutFeatures, q.InFeatures, q.Rank, 2.0, mag);
            Assert.That(RelL2(fresh, wq), Is.LessThan(1e-6));
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void BadAdaptersAndBadMergesGetOneClearLine()
    {
        string dir = TestFiles.Scratch();
        try
        {
            string a = Path.Combine(dir, "a");
            HandBuilt().Save(a);
            string cfg = Path.Combine(a, PeftAdapterConfig.FileName), good = File.ReadAllText(cfg);
            string Merge(string outName) => Path.Combine(dir, outName);

            void WithConfig(Action<JsonNode> edit, string named)
            {
                var j = JsonNode.Parse(good)!;
                edit(j);
                File.WriteAllText(cfg, j.ToJsonString());
                CliRun.AssertOneLineError(CliRun.Run("merge", "--model", BaseFolder, "--adapter", a, "--output", Merge("m")), named);
                File.WriteAllText(cfg, good);
            }
            WithConfig(j => j["peft_type"] = "IA3", "only LORA");
            WithConfig(j => j["fan_in_fan_out"] = true, "fan_in_fan_out");
            WithConfig(j => j["bias"] = "all", "bias");
            WithConfig(j => j["modules_to_save"] = new JsonArray("lm_head"), "modules_to_save");
            WithConfig(j => j["r"] = 8, "rank 4");
            WithConfig(j => j["use_dora"] = true, "no lora_magnitude_vector");
            WithConfig(j => j["target_modules"] = new JsonArray("v_proj"), "does not select");
            WithConfig(j => j["target_modules"] = "all-linear", "does not select");
            WithConfig(j => j["target_modules"] = new JsonArray("all-linear"), "all-linear");
            Assert.That(Directory.Exists(Merge("m")), Is.False, "nothing written on bad input");

            // an adapter for another model: a module the base lacks / a shape the base does not have
            string other = Path.Combine(dir, "other");
            new PeftAdapter(new PeftAdapterConfig(new LoraSettings { Rank = 2, Alpha = 2 }, null),
                [new LoraModuleWeights("language_model.model.layers.7.mlp.up_proj", 2, 64, 176, new float[128], new float[352], null)]).Save(other);
            CliRun.AssertOneLineError(CliRun.Run("merge", "--model", BaseFolder, "--adapter", other, "--output", Merge("m")), "layers.7.mlp.up_proj");
            new PeftAdapter(new PeftAdapterConfig(new LoraSettings { Rank = 2, Alpha = 2 }, null),
                [new LoraModuleWeights("language_model.model.layers.0.mlp.up_proj", 2, 32, 176, new float[64], new float[352], null)]).Save(other);
            CliRun.AssertOneLineError(CliRun.Run("merge", "--model", BaseFolder, "--adapter", other, "--output", Merge("m")), "[176, 32]");

            // merging into a quantized model is refused; the output must be a new folder
            string q = Path.Combine(dir, "q");
            ModelQuantizer.QuantizeFolder(BaseFolder, q, MantisNative.Backends.Cpu.Quantized.QuantizedFormat.Int8);
            CliRun.AssertOneLineError(CliRun.Run("merge", "--model", q, "--adapter", a, "--output", Merge("m")), "quantized");
            CliRun.AssertOneLineError(CliRun.Run("merge", "--model", BaseFolder, "--adapter", a, "--output", a), "must differ");
            CliRun.AssertOneLineError(CliRun.Run("merge", "--model", BaseFolder, "--adapter", Path.Combine(dir, "none"), "--output", Merge("m")), "not found");
        }
        finally { TestFiles.Cleanup(dir); }
    }

    private static double RelL2(float[] a, float[] b) => MantisNative.Tests.Ops.GradCheck.RelL2(a, b.Select(x => (double)x).ToArray());
}
