using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MantisNative.Data.Tokenization;

namespace MantisNative.Bench;

/// <summary>
/// Llama-3 tokenizer throughput on English text (one thread). Text: $MANTIS_BENCH_TEXT (a file) or the
/// licence texts in /usr/share/common-licenses (~260 KB of English). Tokenizer: $MANTIS_TOKENIZER or the test fixture.
/// Run: dotnet run -c Release --project bench/MantisNative.Bench -- --filter '*TokenizerBench*'
/// MB/s = text bytes / mean time. "Cold" clears the pre-token cache before each run (first pass over new text).
/// </summary>
[Config(typeof(InProcessConfig))]
[MemoryDiagnoser]
public class TokenizerBench
{
    private sealed class InProcessConfig : ManualConfig
    {
        public InProcessConfig() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
    }

    private ByteLevelBpeTokenizer _tokenizer = null!;
    private string _text = "";
    private int[] _ids = Array.Empty<int>();

    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = ByteLevelBpeTokenizer.Load(FindTokenizer());
        _text = LoadText();
        _ids = _tokenizer.Encode(_text, addBos: false);
        Console.WriteLine($"// text: {Encoding.UTF8.GetByteCount(_text)} bytes, {_ids.Length} tokens");
    }

    [Benchmark(Baseline = true)]
    public int EncodeWarm() => _tokenizer.Encode(_text, addBos: false).Length;

    [Benchmark]
    public int EncodeCold()
    {
        _tokenizer.Model.ClearCache();
        return _tokenizer.Encode(_text, addBos: false).Length;
    }

    [Benchmark]
    public int Decode() => _tokenizer.Decode(_ids).Length;

    internal static string FindTokenizer()
    {
        if (Environment.GetEnvironmentVariable("MANTIS_TOKENIZER") is { Length: > 0 } env) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, "tests", "MantisNative.Tests", "fixtures", "llama3-tokenizer", "tokenizer.json");
            if (File.Exists(p)) return p;
        }
        throw new MantisException("tokenizer bench: set MANTIS_TOKENIZER to a tokenizer.json (the test fixture was not found)");
    }

    internal static string LoadText()
    {
        if (Environment.GetEnvironmentVariable("MANTIS_BENCH_TEXT") is { Length: > 0 } file) return File.ReadAllText(file);
        const string licences = "/usr/share/common-licenses";
        if (Directory.Exists(licences))
        {
            var files = Directory.GetFiles(licences).Order(StringComparer.Ordinal).ToArray();
            if (files.Length > 0) return string.Join("\n\n", files.Select(File.ReadAllText));
        }
        throw new MantisException("tokenizer bench: set MANTIS_BENCH_TEXT to an English text file (/usr/share/common-licenses is missing)");
    }
}
