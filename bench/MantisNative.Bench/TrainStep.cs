using System.Diagnostics;
using System.Globalization;
using MantisNative.Autograd;
using MantisNative.Backends.Cpu;
using MantisNative.Data.Chat;
using MantisNative.Data.Loading;
using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Tensors;
using MantisNative.Training;

namespace MantisNative.Bench;

/// <summary>
/// `train-step [--data DIR] [--steps N] [--warmup W] [--batches K] [--padded] [--export FILE]`: Stopwatch timing of the
/// built-in tiny model's training step (forward + backward + clip 1.0 + AdamW lr 1e-3, batch 32, vision tower
/// frozen as in the default run), on K real batches of the synthetic set collated up front and cycled, so data
/// loading is not timed. The model comes from the library's TrainingJob path (same tokenizer, config and init
/// as `mantis train`). --export writes the initial weights, the K batches (image tokens already expanded) and
/// the per-step losses to one safetensors file for bench/pytorch/tiny_train_step.py. The step is the trainer's
/// (MantisModel.ForwardLoss: length groups, LM head on the rows with a target); --padded computes every padded
/// position and the LM head on every row, as the PyTorch peer does, for a like-for-like kernel comparison.
/// </summary>
internal static class TrainStep
{
    public static int Run(string[] args)
    {
        string data = Directory.Exists("/tmp/synth") ? "/tmp/synth" : "data/synthetic";
        int steps = 20, warmup = 3, nBatches = 4;
        string? export = null;
        bool padded = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--data": data = args[++i]; break;
                case "--steps": steps = int.Parse(args[++i]); break;
                case "--warmup": warmup = int.Parse(args[++i]); break;
                case "--batches": nBatches = int.Parse(args[++i]); break;
                case "--export": export = args[++i]; break;
                case "--padded": padded = true; break;
                default: Console.Error.WriteLine($"train-step: unknown argument {args[i]}"); return 2;
            }
        }

        var cfg = new TrainingConfig { TrainData = Path.Combine(data, "train.jsonl"), OutputDir = Path.Combine(Path.GetTempPath(), "mantis-train-step") };
        using var job = TrainingJob.Create(cfg);
        var model = job.Model;
        model.LengthGrouping = !padded;
        model.SetTrainable(vision: cfg.Train.Contains("vision"), projector: cfg.Train.Contains("projector"), language: cfg.Train.Contains("llm"));
        var mc = model.Config;

        // Batches exactly as TrainingJob's loader makes them (same chat format, encoder, collator, seed).
        var chat = new Llama3ChatFormat(job.Tokenizer, new ChatFormatOptions { SystemPrompt = cfg.SystemPrompt, ImageTokenLength = mc.ImageTokensPerImage, MaxLength = cfg.MaxSeqLen });
        int padId = job.Tokenizer.TokenToId("<|pad|>") ?? mc.PadTokenId ?? 0;
        var batches = new List<Batch>();
        using (var loader = new DataLoader(job.TrainRecords, new ExampleEncoder(chat, job.Images), new Collator(padId, mc.Vision.ImageSize, mc.Vision.NumChannels), cfg.PerDeviceTrainBatchSize, cfg.Seed))
            for (int i = 0; i < nBatches; i++) batches.Add(loader.Next());
        var layouts = batches.Select(b => ImageTokenLayout.Build(b.InputIds, b.Size, b.Labels, b.AttentionMask, mc.ImageTokenIndex, b.ImageCount,
            mc.ImageTokensPerImage, mc.Text.PadTokenId ?? mc.PadTokenId ?? 0)).ToList();
        var initial = model.Parameters.All.Select(p => (p.Name, Shape: p.Tensor.Shape.ToArray(), Data: p.Tensor.Span.ToArray())).ToList();

        var trainable = model.TrainableParameters.ToList();
        var tensors = trainable.Select(p => p.Tensor).ToList();
        var opt = new AdamW { Beta1 = cfg.AdamBeta1, Beta2 = cfg.AdamBeta2, Eps = cfg.AdamEpsilon };
        var losses = new List<float>();
        var times = new List<double>();
        double cpuSeconds = 0; // process CPU time of the timed steps: all threads, spin-waits included
        long tokens = 0;
        bool perStep = Environment.GetEnvironmentVariable("MANTIS_STEP_TRACE") == "1";
        for (int s = 0; s < warmup + steps; s++)
        {
            var batch = batches[s % batches.Count];
            var sw = Stopwatch.StartNew();
            double cpu0 = CpuClock.Process();
            var probe0 = StepProbe.Read();
            // the body of Trainer.Run for one step without accumulation
            using (var activations = new TensorScope())
            {
                var output = model.ForwardLoss(batch.InputIds, batch.Size, batch.Pixels, batch.Labels, batch.AttentionMask);
                losses.Add(output.Loss.Item());
                Tape.Backward(output.Loss);
            }
            GradientClipping.Clip(tensors, cfg.MaxGradNorm);
            opt.Update(trainable.Select(p => (p.Name, p.Tensor, p.Tensor.Rank >= 2 ? cfg.WeightDecay : 0.0)), cfg.LearningRate);
            foreach (var t in tensors) t.ZeroGrad();
            if (perStep) Console.WriteLine(FormattableString.Invariant($"step {s}: wall {1000 * sw.Elapsed.TotalSeconds:F1} ms cpu {1000 * (CpuClock.Process() - cpu0):F1} ms {StepProbe.Read() - probe0}"));
            if (s >= warmup) { times.Add(sw.Elapsed.TotalSeconds); cpuSeconds += CpuClock.Process() - cpu0; tokens += layouts[s % batches.Count].Valid.Count(v => v); }
        }

        double total = times.Sum(), median = times.Order().ElementAt(times.Count / 2);
        int bsz = cfg.PerDeviceTrainBatchSize;
        Console.WriteLine($"kernels: {GemmFamily.Active}; step: {(padded ? "padded (every position, LM head on every row)" : "length groups, LM head on rows with a target")}");
        Console.WriteLine($"MantisNative train-step: tiny model ({model.Parameters.All.Sum(p => p.Tensor.Numel):N0} parameters, {tensors.Sum(t => t.Numel):N0} trainable), vocab {mc.Text.VocabSize}, batch {bsz}, threads {CpuParallel.Threads}");
        Console.WriteLine($"batch lengths (expanded): {string.Join(", ", layouts.Select(l => l.Length))}; images per batch: {string.Join(", ", batches.Select(b => b.ImageCount))}");
        Console.WriteLine($"losses: {string.Join(" ", losses.Select(l => l.ToString("F5", CultureInfo.InvariantCulture)))}");
        Console.WriteLine(FormattableString.Invariant(
            $"RESULT ours steps={steps} mean_step_ms={1000 * total / steps:F1} median_step_ms={1000 * median:F1} cpu_ms_per_step={1000 * cpuSeconds / steps:F1} steps_per_s={steps / total:F3} examples_per_s={steps * bsz / total:F1} tokens_per_s={tokens / total:F0}"));

        if (export is not null)
        {
            var w = new SafetensorsWriter();
            foreach (var (name, shape, values) in initial) w.AddFloat32("w." + name, shape.Select(d => (long)d).ToArray(), values);
            for (int i = 0; i < batches.Count; i++)
            {
                var (b, l) = (batches[i], layouts[i]);
                var targets = new long[l.Ids.Length];
                for (int r = 0; r < l.Batch; r++)
                    for (int t = 0; t < l.Length; t++)
                        targets[r * l.Length + t] = t + 1 < l.Length && l.Valid[r * l.Length + t + 1] ? l.Labels![r * l.Length + t + 1] : Ops.IgnoreIndex;
                long[] dims = { l.Batch, l.Length };
                w.AddInt64($"b{i}.ids", dims, l.Ids.Select(x => (long)x).ToArray());
                w.AddInt64($"b{i}.feature_row", dims, l.FeatureRow.Select(x => (long)x).ToArray());
                w.AddInt64($"b{i}.valid", dims, l.Valid.Select(x => x ? 1L : 0L).ToArray());
                w.AddInt64($"b{i}.targets", dims, targets);
                w.AddFloat32($"b{i}.pixels", b.Pixels!.Shape.ToArray().Select(d => (long)d).ToArray(), b.Pixels.Span.ToArray());
            }
            w.Metadata["batches"] = batches.Count.ToString(CultureInfo.InvariantCulture);
            w.Metadata["losses"] = string.Join(" ", losses.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
            w.Metadata["config"] = FormattableString.Invariant($"vocab={mc.Text.VocabSize} image_token={mc.ImageTokenIndex} lr={cfg.LearningRate} clip={cfg.MaxGradNorm} wd={cfg.WeightDecay} train={string.Join('+', cfg.Train)}");
            w.Save(export);
            Console.WriteLine($"exported weights, {batches.Count} batches and losses to {export}");
        }
        foreach (var b in batches) b.Dispose();
        return 0;
    }
}
