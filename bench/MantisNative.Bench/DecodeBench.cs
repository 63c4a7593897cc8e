using System.Diagnostics;
using MantisNative.Backends.Cpu;
using MantisNative.Backends.Cpu.Frozen;
using MantisNative.Inference;
using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.Bench;

/// <summary>
/// `decode-bench --model DIR [--weights bf16|int8|nf4|...] [--prompt 512] [--decode 32] [--reps 2] [--threads T] [--profile]
/// [--copy-gbs GB/s]`:
/// what llama-bench measures, on our engine and the same language model: prefill of a text-only prompt of
/// <c>--prompt</c> random token ids (no image: llama.cpp's GGUF holds the language model only, so both sides
/// compute the same thing) and <c>--decode</c> greedy tokens after it, through <see cref="Generator"/> (the path
/// `mantis chat` takes). Prints the copy bandwidth measured in the same process, the decode bound (language-model
/// weight bytes read per token / copy bandwidth), the medians over <c>--reps</c> runs with CPU seconds, and with
/// <c>--profile</c> where a decode token's time goes: every language-model GEMV timed alone (per weight role)
/// against the whole token. The last line, "result: key=value ...", is what bench/peers/decode_side_by_side.sh parses.
/// </summary>
internal static class DecodeBench
{
    public static int Run(string[] args)
    {
        string? dir = null, weights = "bf16";
        int prompt = 512, decode = 32, reps = 2;
        bool profile = false;
        double copy = 0;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model": dir = args[++i]; break;
                case "--weights": weights = args[++i]; break;
                case "--prompt": prompt = int.Parse(args[++i]); break;
                case "--decode": decode = int.Parse(args[++i]); break;
                case "--reps": reps = int.Parse(args[++i]); break;
                case "--threads": CpuParallel.Threads = int.Parse(args[++i]); break;
                case "--profile": profile = true; break;
                case "--copy-gbs": copy = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"decode-bench: unknown argument {args[i]}"); return 2;
            }
        }
        if (dir is null) { Console.Error.WriteLine("decode-bench: --model DIR is required"); return 2; }
        var format = weights switch
        {
            "f32" => WeightFormat.F32, "bf16" => WeightFormat.BF16, "f16" => WeightFormat.F16,
            "int8" => WeightFormat.Int8, "nf4" => WeightFormat.Nf4,
            _ => throw new MantisException($"decode-bench --weights: unknown value '{weights}'"),
        };
        // measured here unless given: the script measures it once per round in its own process, so the 512 MB of
        // copy buffers never count in this process's peak RSS
        if (copy <= 0) copy = GemvQuick.CopyBandwidth();
        var loadClock = Stopwatch.StartNew();
        using var loaded = ModelFiles.Load(dir, new ModelLoadOptions { Weights = format, Warn = Console.Error.WriteLine });
        var model = loaded.Model;
        double loadSeconds = loadClock.Elapsed.TotalSeconds;
        var lm = LanguageMatrices(model);
        long bytesPerToken = lm.Where(m => !m.Name.EndsWith("embed_tokens.weight", StringComparison.Ordinal)).Sum(m => m.Matrix.ByteSize);
        double bound = copy * 1e9 / bytesPerToken;
        Console.WriteLine($"model: {dir}   weights: {weights}   threads: {CpuParallel.Threads}   load {loadSeconds:F1} s");
        Console.WriteLine($"copy bandwidth (read + write): {copy:F2} GB/s   weight bytes per decode token: {bytesPerToken / 1e9:F3} GB   decode bound: {bound:F2} tokens/s");

        var ids = PromptIds(model, prompt);
        var options = new GenerationOptions { MaxNewTokens = decode + 1 };
        // warm-up (not timed): touches every language-model weight page of the mapping once, as llama-bench's warm-up run does
        Generator.Generate(model, ids[..Math.Min(8, ids.Length)], null, new GenerationOptions { MaxNewTokens = 2 }).Count();
        var prefill = new List<double>(); var dec = new List<double>(); var cpuPerToken = new List<double>();
        for (int rep = 0; rep < reps; rep++)
        {
            var stats = new GenerationStats();
            double cpu0 = CpuClock.Process();
            int n = Generator.Generate(model, ids, null, options, stats: stats).Count();
            double cpu = CpuClock.Process() - cpu0;
            prefill.Add(stats.PrefillTokensPerSecond);
            dec.Add(stats.DecodeTokensPerSecond);
            cpuPerToken.Add(cpu / Math.Max(1, n));
            Console.WriteLine($"rep {rep}: {stats}   CPU {cpu:F1} s   load average {File.ReadAllText("/proc/loadavg").Trim()}");
        }
        double pp = Median(prefill), tg = Median(dec);
        if (profile) Profile(model, ids, lm, tg, copy);
        Console.WriteLine($"result: format={weights} threads={CpuParallel.Threads} prompt={prompt} decode={decode} pp={pp:F2} tg={tg:F3} " +
                          $"bound={bound:F3} pct={100 * tg / bound:F0} copy_gbs={copy:F2} bytes_per_token={bytesPerToken} load_s={loadSeconds:F1}");
        return 0;
    }

    /// <summary>Random ids of the text vocabulary (never the image token, so no image is spliced in), seeded.</summary>
    private static int[] PromptIds(MantisModel model, int count)
    {
        var rng = new Rng(7);
        int vocab = Math.Min(model.Config.Text.VocabSize, 100_000), image = model.Config.ImageTokenIndex;
        var ids = new int[count];
        for (int i = 0; i < count; i++)
        {
            int id;
            do id = rng.NextInt(vocab); while (id == image);
            ids[i] = id;
        }
        return ids;
    }

    private static List<FrozenParameter> LanguageMatrices(MantisModel model) =>
        model.Parameters.Frozen.Where(p => p.Part == ModelPart.Language).ToList();

    /// <summary>
    /// Each language-model matrix's GEMV timed alone (median of 5, fresh vector, the decode path's
    /// <see cref="FrozenGemm.Gemv"/>), summed per role; the rest of the token (attention over the cache, norms,
    /// RoPE, activations, sampling) is the measured token time minus their sum.
    /// </summary>
    private static unsafe void Profile(MantisModel model, int[] ids, List<FrozenParameter> lm, double tokensPerSecond, double copy)
    {
        // CPU seconds of one decode token: 8-token prompt with 9 tokens minus with 1 token, over the 8 extra steps
        // (CPU time is what the process got; on a shared machine wall time also counts the neighbours)
        double TokenCpu(int n) { double c0 = CpuClock.Process(); Generator.Generate(model, ids[..8], null, new GenerationOptions { MaxNewTokens = n }).Count(); return CpuClock.Process() - c0; }
        TokenCpu(1);
        double tokenCpuMs = (TokenCpu(9) - TokenCpu(1)) / 8 * 1e3;
        var byRole = new SortedDictionary<string, (double Ms, long Bytes, double CpuMs)>();
        foreach (var p in lm)
        {
            if (p.Name.EndsWith("embed_tokens.weight", StringComparison.Ordinal)) continue;
            var w = p.Matrix;
            using var x = Tensor.Empty(new Shape(w.Cols));
            using var y = Tensor.Empty(new Shape(w.Rows));
            x.Span.Fill(0.01f);
            var times = new List<double>(); var cpus = new List<double>();
            for (int i = 0; i < 6; i++)
            {
                double c0 = CpuClock.Process();
                var sw = Stopwatch.StartNew();
                FrozenGemm.Gemv(w, x.Data, y.Data, accumulate: false);
                if (i > 0) { times.Add(sw.Elapsed.TotalMilliseconds); cpus.Add((CpuClock.Process() - c0) * 1e3); }
            }
            string role = Role(p.Name);
            var (ms, bytes, cpuMs) = byRole.GetValueOrDefault(role);
            byRole[role] = (ms + Median(times), bytes + w.ByteSize, cpuMs + Median(cpus));
        }
        double tokenMs = 1e3 / tokensPerSecond, gemvMs = byRole.Values.Sum(v => v.Ms), gemvCpu = byRole.Values.Sum(v => v.CpuMs);
        long allBytes = byRole.Values.Sum(v => v.Bytes);
        Console.WriteLine($"profile of one decode token ({tokenMs:F1} ms wall measured, {tokenCpuMs:F1} CPU ms; each GEMV alone, median of 5):");
        Console.WriteLine("| part | wall ms | % of token (wall) | CPU ms | % of token (CPU) | weight GB/s (wall) | % of copy bandwidth |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (role, (ms, bytes, cpuMs)) in byRole)
            Console.WriteLine($"| GEMV {role} | {ms:F2} | {100 * ms / tokenMs:F0} % | {cpuMs:F2} | {100 * cpuMs / tokenCpuMs:F0} % | {bytes / 1e6 / ms:F1} | {100 * bytes / 1e6 / ms / copy:F0} % |");
        Console.WriteLine($"| all GEMVs | {gemvMs:F2} | {100 * gemvMs / tokenMs:F0} % | {gemvCpu:F2} | {100 * gemvCpu / tokenCpuMs:F0} % | {allBytes / 1e6 / gemvMs:F1} | {100 * allBytes / 1e6 / gemvMs / copy:F0} % |");
        Console.WriteLine($"| rest (attention, norms, RoPE, SwiGLU, sampling) | {tokenMs - gemvMs:F2} | {100 * (tokenMs - gemvMs) / tokenMs:F0} % | {tokenCpuMs - gemvCpu:F2} | {100 * (tokenCpuMs - gemvCpu) / tokenCpuMs:F0} % | | |");
    }

    /// <summary>q_proj, mlp.down_proj, lm_head, ...: the name's role without the layer number.</summary>
    private static string Role(string name)
    {
        var parts = name.Split('.');
        int layers = Array.IndexOf(parts, "layers");
        var rest = layers >= 0 && layers + 2 < parts.Length ? parts[(layers + 2)..] : parts[^2..];
        return string.Join('.', rest.Where(s => s != "weight"));
    }

    private static double Median(List<double> v) => v.Count == 0 ? 0 : v.Order().ElementAt(v.Count / 2);
}
