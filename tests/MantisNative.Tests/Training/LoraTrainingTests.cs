using MantisNative.Autograd;
using MantisNative.Data.Synthetic;
using MantisNative.IO;
using MantisNative.IO.Peft;
using MantisNative.Models;
using MantisNative.Nn.Lora;
using MantisNative.Tensors;
using MantisNative.Tests.Cli;
using MantisNative.Tests.IO;
using MantisNative.Training;
using NUnit.Framework;

namespace MantisNative.Tests.Training;

/// <summary>
/// LoRA / DoRA through the model and the trainer: a fresh adapter leaves the base's logits, an adapter round-trips
/// through PEFT's layout with the same logits, merging equals the unmerged model, a short LoRA run of the tiny
/// built-in model beats its untrained held-out accuracy and checkpoints only the adapter, and bad --lora values are
/// one clear message.
/// </summary>
[NonParallelizable] // CLI cases redirect the console
public class LoraTrainingTests
{
    private static string BaseFolder => Path.GetDirectoryName(TestFiles.Fixture("tiny-siglip-llama", "config.json"))!;

    private static (int[] Ids, Tensor Pixels) FixtureInputs()
    {
        using var expected = SafetensorsFile.Open(TestFiles.Fixture("tiny-siglip-llama", "expected.safetensors"));
        var info = expected.GetInfo("pixel_values");
        var pixels = Tensor.FromSpan(expected.ReadFloat32("pixel_values"), new Shape(info.ShapeSpan.ToArray().Select(d => (int)d).ToArray()));
        return (expected.ReadInt32("input_ids"), pixels);
    }

    private static float[] Logits(MantisModel model, int[] ids, Tensor pixels)
    {
        using var _ = Tape.NoGrad();
        return model.Forward(ids, 1, pixels).Logits.ToArray();
    }

    private static double RelL2(float[] a, float[] b) => MantisNative.Tests.Ops.GradCheck.RelL2(a, b.Select(x => (double)x).ToArray());

    // a trained-looking adapter: B (and m) moved away from their initial values, so the adapter changes the model
    private static void Perturb(LoraAdapterSet set, ulong seed)
    {
        var rng = new Rng(seed);
        foreach (var l in set.Layers)
        {
            var b = l.B.Span;
            for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextNormal() * 0.05);
            if (l.Magnitude is { } m) { var s = m.Span; for (int i = 0; i < s.Length; i++) s[i] *= (float)(1 + 0.1 * rng.NextNormal()); }
        }
    }

    private static LoraSettings Small(bool dora) => new() { Rank = 4, Alpha = 8, Dropout = 0.1, UseDora = dora };

    [TestCase(false)]
    [TestCase(true)]
    public void AFreshAdapterLeavesTheBaseModelsLogits(bool dora)
    {
        var (ids, pixels) = FixtureInputs();
        using (pixels)
        using (var model = ModelFiles.Load(BaseFolder))
        {
            var before = Logits(model.Model, ids, pixels);
            using var set = LoraAdapterFiles.AttachFresh(model.Model, Small(dora), seed: 3);
            Assert.That(set.Count, Is.EqualTo(model.Model.Config.Text.NumHiddenLayers * 7), "q, k, v, o, gate, up, down of every decoder layer");
            Assert.That(model.Model.TrainableParameters, Is.Empty, "the base is frozen");
            Assert.That(set.Layers.All(l => l.B.ToArray().All(v => v == 0)), "B starts at zero (PEFT)");
            var a = set.Layers.First().A.ToArray();
            float bound = (float)(1 / Math.Sqrt(set.Layers.First().InFeatures));
            Assert.That(a.All(v => Math.Abs(v) <= bound) && a.Any(v => Math.Abs(v) > bound / 2), "A is Kaiming-uniform U(-1/sqrt(in), 1/sqrt(in))");
            var after = Logits(model.Model, ids, pixels);
            if (!dora) Assert.That(after, Is.EqualTo(before), "B = 0: x Wᵀ + 0, bit for bit");
            // DoRA: g = ‖W‖ / ‖W‖ is 1 up to one fp32 rounding per row
            else Assert.That(RelL2(after, before), Is.LessThan(1e-5));
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void AnAdapterRoundTripsThroughPeftsLayoutAndMergesToTheSameLogits(bool dora)
    {
        string dir = TestFiles.Scratch();
        try
        {
            var (ids, pixels) = FixtureInputs();
            using var _ = pixels;
            string adapterDir = Path.Combine(dir, "adapter"), merged = Path.Combine(dir, "merged");
            float[] adapted, baseLogits;
            using (var model = ModelFiles.Load(BaseFolder))
            {
                baseLogits = Logits(model.Model, ids, pixels);
                using var set = LoraAdapterFiles.AttachFresh(model.Model, Small(dora) with { Targets = LoraTargets.FromNames(["q_proj", "v_proj", "down_proj"]) }, seed: 5);
                Perturb(set, 9);
                adapted = Logits(model.Model, ids, pixels);
                LoraAdapterFiles.Save(set, adapterDir, BaseFolder);
            }
            Assert.That(RelL2(adapted, baseLogits), Is.GreaterThan(1e-3), "the adapter changes the model");
            using (var st = SafetensorsFile.Open(Path.Combine(adapterDir, PeftAdapter.WeightsFileName)))
            {
                Assert.That(st.Names, Does.Contain("base_model.model.language_model.model.layers.0.self_attn.q_proj.lora_A.weight"));
                // q_proj and v_proj also name the SigLIP tower's attention (PEFT's list semantics): they are adapted too
                Assert.That(st.Names.Any(n => n.StartsWith("base_model.model.vision_tower.", StringComparison.Ordinal)));
                Assert.That(st.Names.Contains("base_model.model.language_model.model.layers.0.mlp.down_proj.lora_magnitude_vector"), Is.EqualTo(dora));
            }
            using (var model = ModelFiles.Load(BaseFolder))
            using (var set = LoraAdapterFiles.Attach(model.Model, PeftAdapter.Load(adapterDir), seed: 0))
                Assert.That(Logits(model.Model, ids, pixels), Is.EqualTo(adapted), "save -> load: the same fp32 tensors, the same logits");

            AdapterMerge.MergeFolder(BaseFolder, adapterDir, merged);
            using var mergedModel = ModelFiles.Load(merged);
            // fp32: the merged weight is W + s·B·A rounded once, the unmerged model sums x Wᵀ and s (x Aᵀ) Bᵀ from two
            // GEMMs; each adapted layer differs by a few ulps, which stays below 1e-5 relative in the logits
            double err = RelL2(Logits(mergedModel.Model, ids, pixels), adapted);
            TestContext.Out.WriteLine($"merged vs unmerged logits: rel L2 {err:E2}");
            Assert.That(err, Is.LessThan(1e-5));
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [TestCase(WeightFormat.Nf4, false)]
    [TestCase(WeightFormat.Int8, true)]
    [TestCase(WeightFormat.BF16, false)]
    public void QloraOnAFrozenQuantizedBaseEqualsLoraOnItsDecodedWeights(WeightFormat format, bool dora)
    {
        var (ids, pixels) = FixtureInputs();
        using var _ = pixels;
        using var frozen = ModelFiles.Load(BaseFolder, new ModelLoadOptions { Weights = format });
        using var dense = ModelFiles.Load(BaseFolder);
        // the adapted Linears and lm_head are frozen in the format (bf16: every matrix; int8 / NF4: the LLM and projector)
        Assert.That(frozen.Model.Parameters.Frozen.Select(f => f.Name), Does.Contain("language_model.lm_head.weight")
            .And.Contain("language_model.model.layers.0.mlp.down_proj.weight").And.Contain("language_model.model.layers.1.self_attn.q_proj.weight"));
        Assert.That(frozen.Model.Parameters.Frozen.All(f => f.Matrix.Format == format));
        // the dense twin holds the very values the frozen format decodes to
        foreach (var f in frozen.Model.Parameters.Frozen)
            using (var decoded = f.Matrix.ToF32()) decoded.Span.CopyTo(dense.Model.Parameters[f.Name].Tensor.Span);
        var settings = Small(dora);
        using var onFrozen = LoraAdapterFiles.AttachFresh(frozen.Model, settings, seed: 2);
        using var onDense = LoraAdapterFiles.AttachFresh(dense.Model, settings, seed: 2);
        Perturb(onFrozen, 6);
        Perturb(onDense, 6);
        if (dora)
            Assert.That(RelL2(onFrozen.Layers.First().Magnitude!.ToArray(), onDense.Layers.First().Magnitude!.ToArray()), Is.LessThan(1e-6), "DoRA's initial ‖W₀‖ from the frozen rows");

        // forward and backward of both: the frozen GEMM decodes the same values the dense one reads
        (float[] Logits, float[][] Grads) Step(MantisModel model, LoraAdapterSet set)
        {
            using var scope = new TensorScope();
            var labels = ids.Select((id, i) => i < ids.Length / 2 ? -100 : id).ToArray();
            var output = model.Forward(ids, 1, pixels, labels);
            Tape.Backward(output.Loss!);
            var grads = set.Parameters.Select(p => p.Tensor.Grad!.ToArray()).ToArray();
            foreach (var p in set.Parameters) p.Tensor.ZeroGrad();
            return (output.Logits.ToArray(), grads);
        }
        var a = Step(frozen.Model, onFrozen);
        var b = Step(dense.Model, onDense);
        // fp32 both ways, the GEMMs block and sum in different orders: a few ulps, well below 1e-5 relative for the
        // logits; a gradient passes back through every layer's dX (the frozen GEMM's), so 1e-4 as for op gradients
        double logitsErr = RelL2(a.Logits, b.Logits);
        double gradErr = a.Grads.Zip(b.Grads, RelL2).Max();
        TestContext.Out.WriteLine($"{format}: frozen vs dense: logits rel L2 {logitsErr:E2}, worst adapter gradient rel L2 {gradErr:E2}");
        Assert.That(logitsErr, Is.LessThan(1e-5));
        Assert.That(gradErr, Is.LessThan(1e-4));
    }

    [Test]
    public void ALoraRunOfTheTinyModelLearnsAndCheckpointsOnlyTheAdapter()
    {
        string root = TestFiles.Scratch();
        try
        {
            string data = Path.Combine(root, "data");
            SyntheticDatasetWriter.Write(data, new SyntheticOptions { Train = 200, HeldOut = 24, Seed = 7 });
            var cfg = new TrainingConfig
            {
                TrainData = Path.Combine(data, "train.jsonl"), EvalData = Path.Combine(data, "heldout.jsonl"),
                OutputDir = Path.Combine(root, "run"), PerDeviceTrainBatchSize = 8, MaxSteps = 36, LearningRate = 1e-2,
                SaveSteps = 20, LoggingSteps = 1, MaxSeqLen = 512, Seed = 11,
                Lora = LoraTrainingOptions.Parse("r=16,alpha=32,dropout=0.05,merge", "test"),
            };
            using (var job = TrainingJob.Create(cfg))
            {
                var before = job.EvaluateHeldOut(null)!;
                var losses = new List<double>();
                job.Trainer.Logged += l => losses.Add(l.Loss);
                Assert.That(job.Run(), Is.EqualTo(TrainingOutcome.Completed));
                var after = job.EvaluateHeldOut(null)!;
                TestContext.Out.WriteLine($"held-out accuracy {before.Overall.Accuracy:P1} -> {after.Overall.Accuracy:P1}; loss {losses[0]:F3} -> {losses[^1]:F3}");
                Assert.That(after.Overall.Accuracy, Is.GreaterThan(before.Overall.Accuracy), "base + adapter beats the untrained base on held-out data");
                Assert.That(losses.Skip(30).Average(), Is.LessThan(losses.Take(5).Average()), "the training loss falls");
            }
            string ckpt = Path.Combine(cfg.OutputDir, "checkpoint-20");
            Assert.That(File.Exists(Path.Combine(ckpt, PeftAdapterConfig.FileName)) && File.Exists(Path.Combine(ckpt, PeftAdapter.WeightsFileName)));
            Assert.That(Directory.GetFiles(ckpt, "model*.safetensors"), Is.Empty, "no base weights in a LoRA checkpoint");
            using (var opt = SafetensorsFile.Open(Path.Combine(ckpt, TrainerState.OptimizerFile)))
            using (var ad = SafetensorsFile.Open(Path.Combine(ckpt, PeftAdapter.WeightsFileName)))
                Assert.That(opt.Names.Where(n => n.StartsWith("exp_avg.")).Select(n => n["exp_avg.".Length..]), Is.EquivalentTo(ad.Names),
                    "moments of exactly the adapter's tensors, under PEFT's names");
            Assert.That(File.Exists(Path.Combine(cfg.OutputDir, LoraTraining.AdapterFolder, PeftAdapter.WeightsFileName)));
            Assert.That(File.Exists(Path.Combine(cfg.OutputDir, "model", "config.json")), "merge=true writes the merged model");
            Assert.That(File.Exists(Path.Combine(cfg.OutputDir, LoraTraining.BuiltInBaseFolder, "config.json")), "the built-in random base is kept for resume and merge");
        }
        finally { TestFiles.Cleanup(root); }
    }

    [Test]
    public void AResumedLoraRunContinuesTheUninterruptedLossSequence()
    {
        string root = TestFiles.Scratch();
        try
        {
            string data = Path.Combine(root, "data");
            SyntheticDatasetWriter.Write(data, new SyntheticOptions { Train = 40, HeldOut = 5, Seed = 7 });
            TrainingConfig Cfg(string name) => new()
            {
                TrainData = Path.Combine(data, "train.jsonl"), OutputDir = Path.Combine(root, name), PerDeviceTrainBatchSize = 4,
                MaxSteps = 6, LearningRate = 3e-3, SaveSteps = 3, LoggingSteps = 1, MaxSeqLen = 512, Seed = 11,
                GradientAccumulationSteps = 2, GradientCheckpointing = true,
                Lora = LoraTrainingOptions.Parse("r=4,alpha=8,dropout=0.2,dora", "test"),
            };
            List<double> Run(TrainingConfig c, string? resume, int stopAt = 0)
            {
                using var job = TrainingJob.Create(c, resume);
                using var cts = new CancellationTokenSource();
                var l = new List<double>();
                job.Trainer.Logged += log => { l.Add(log.Loss); if (log.Step == stopAt) cts.Cancel(); };
                job.Run(cts.Token);
                return l;
            }
            var full = Run(Cfg("full"), null);
            var split = Cfg("split");
            var first = Run(split, null, stopAt: 3);
            var rest = Run(split, Path.Combine(split.OutputDir, "checkpoint-3"));
            Assert.That(first.Concat(rest), Is.EqualTo(full), "dropout masks, data order and moments continue exactly (DoRA, checkpointed blocks)");
        }
        finally { TestFiles.Cleanup(root); }
    }

    [Test]
    public void TargetsThatSelectNoModuleAreAnError()
    {
        using var model = ModelFiles.Load(BaseFolder);
        var e = Assert.Throws<MantisException>(() => LoraAdapterFiles.AttachFresh(model.Model, Small(false) with { Targets = LoraTargets.Parse("nothing_here") }, 1));
        Assert.That(e!.Message, Does.Contain("selects no Linear module"));
        Assert.That(model.Model.Parameters.Linears.All(l => l.Adapter is null), "nothing left attached");
    }

    [TestCase("r=0", "r must be at least 1")]
    [TestCase("r=eight", "r expects an integer")]
    [TestCase("dropout=1.5", "dropout must be in [0, 1)")]
    [TestCase("base=int4", "base expects fp32, bf16, f16, int8 or nf4")]
    [TestCase("rank=8,colour=red", "unknown key 'colour'")]
    [TestCase("targets=(unclosed", "not a valid regular expression")]
    public void BadLoraValuesAreOneClearMessage(string spec, string message)
    {
        string outDir = Path.Combine(Path.GetTempPath(), $"mantis-lora-{Guid.NewGuid():N}");
        try
        {
            var r = CliRun.Run("train", "--lora", spec, "--max_steps", "1", "--output_dir", outDir, "--no-eval", "--plain");
            Assert.That(r.Code, Is.Not.EqualTo(0));
            Assert.That(r.Err, Does.Contain(message));
            Assert.That(r.Err, Does.Contain("lora"), "names the setting");
            Assert.That(r.Err, Does.Not.Contain("   at "), "no stack trace");
        }
        finally { if (Directory.Exists(outDir)) Directory.Delete(outDir, true); }
    }
}
