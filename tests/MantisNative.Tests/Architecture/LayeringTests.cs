using System.Text.RegularExpressions;
using NUnit.Framework;

namespace MantisNative.Tests.Architecture;

/// <summary>
/// The layering of DESIGN.md, checked on the sources: every file's namespace is a layer, every `using MantisNative.X`
/// directive and every name qualified with MantisNative.X (or with Backends. / Autograd. inside the library) is a
/// reference to layer X. A reference must go down the list in <see cref="Layers"/> (or stay in its own layer), and the
/// graph of references between layers has no cycle.
/// </summary>
public class LayeringTests
{
    /// <summary>
    /// The allowed graph, lowest first: a layer may use the layers before it (and itself). Same-rank layers
    /// (joined by " | ") must not reach each other unless <see cref="Sideways"/> says so. Backends.Cpu and
    /// Backends.Cuda are two devices behind one contract (Backends), never each other.
    /// </summary>
    internal static readonly string[][] Layers =
    {
        new[] { "Interop" },
        new[] { "Tensors" },
        new[] { "Backends" },
        new[] { "Backends.Cpu", "Backends.Cuda" },
        new[] { "Autograd" },
        new[] { "Nn" },
        new[] { "Models" },
        new[] { "IO", "Data" },
        // IO.Synthetic writes whole random-weight model folders (weights, config, tokenizer): it composes IO and Data
        new[] { "Training", "Inference", "Evaluation", "IO.Synthetic" },
        new[] { "Diagnostics" },
        new[] { "Cli" },
    };

    /// <summary>Same-rank references that are part of the design (each is one-way; the cycle check keeps it so).</summary>
    internal static readonly (string From, string To, string Why)[] Sideways =
    {
        ("Data", "IO", "record sources read safetensors and Parquet through IO's readers"),
        ("Training", "Evaluation", "a training run ends with the held-out evaluation"),
        ("Training", "Inference", "the trainer loads model folders through ModelBundle"),
        ("Evaluation", "Inference", "the evaluator answers questions through ModelBundle"),
    };

    /// <summary>Layers above the op layer reach the devices only through Ops; the CPU engine's thread pool is the exception Data uses.</summary>
    internal static readonly (string From, string To)[] Forbidden =
    {
        ("Nn", "Backends.Cpu"), ("Nn", "Backends.Cuda"),
        ("Models", "Backends.Cpu"), ("Models", "Backends.Cuda"),
        ("Autograd", "Backends.Cuda"),
    };

    private static readonly Regex Namespace = new(@"^\s*namespace\s+MantisNative(?:\.(?<ns>[\w.]+))?\s*[;{]", RegexOptions.Multiline);
    private static readonly Regex UsingDirective = new(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?MantisNative\.(?<ns>[\w.]+?)\s*;", RegexOptions.Multiline);
    private static readonly Regex Qualified = new(@"(?<![\w.])(?:MantisNative\.)(?<ns>(?:Backends\.(?:Cpu|Cuda))|Interop|Tensors|Backends|Autograd|Nn|Models|IO|Data|Training|Inference|Evaluation|Diagnostics|Cli)\.");
    private static readonly Regex RelativeQualified = new(@"(?<![\w.])(?<ns>Backends\.(?:Cpu|Cuda)|Autograd)\.[A-Z]");

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MantisNative.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new AssertionException("repository root (MantisNative.sln) not found above the test folder");
    }

    /// <summary>The layer a namespace (without the MantisNative. prefix) belongs to.</summary>
    internal static string? LayerOf(string ns)
    {
        // the longest layer name that is a prefix: Backends.Cpu.X is in Backends.Cpu, not in Backends
        foreach (var layer in Layers.SelectMany(r => r).OrderByDescending(l => l.Length))
            if (ns == layer || ns.StartsWith(layer + ".", StringComparison.Ordinal)) return layer;
        return null;
    }

    private static int RankOf(string layer)
    {
        for (int i = 0; i < Layers.Length; i++) if (Layers[i].Contains(layer)) return i;
        return -1;
    }

    /// <summary>Strips // and /* */ comments and string literals, so prose naming a layer is not a reference.</summary>
    private static string Code(string text)
    {
        text = Regex.Replace(text, @"/\*.*?\*/", " ", RegexOptions.Singleline);
        text = Regex.Replace(text, @"@""(?:[^""]|"""")*""", "\"\"");
        text = Regex.Replace(text, @"""(?:\\.|[^""\\\n])*""", "\"\"");
        return Regex.Replace(text, @"//[^\n]*", "");
    }

    internal static IEnumerable<(string File, string From, string To)> References(string root)
    {
        var sources = new[] { "src", "interop" }.Select(d => Path.Combine(root, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));
        foreach (var file in sources)
        {
            var code = Code(File.ReadAllText(file));
            var nsMatch = Namespace.Match(code);
            if (!nsMatch.Success) continue;
            var from = LayerOf(nsMatch.Groups["ns"].Value);
            if (from is null) continue;   // the root namespace (MantisException) is shared by all
            var targets = UsingDirective.Matches(code).Select(m => m.Groups["ns"].Value)
                .Concat(Qualified.Matches(code).Select(m => m.Groups["ns"].Value))
                .Concat(RelativeQualified.Matches(code).Select(m => m.Groups["ns"].Value));
            foreach (var to in targets.Select(LayerOf).OfType<string>().Distinct())
                if (to != from) yield return (Path.GetRelativePath(root, file), from, to);
        }
    }

    [Test]
    public void EveryReferenceGoesDownTheLayers()
    {
        var root = RepoRoot();
        var refs = References(root).ToList();
        Assert.That(refs, Is.Not.Empty, "the scan found no references at all: the patterns are broken");
        var bad = new List<string>();
        foreach (var (file, from, to) in refs)
        {
            int rf = RankOf(from), rt = RankOf(to);
            bool sideways = rf == rt && Sideways.Any(s => s.From == from && s.To == to);
            if (Forbidden.Contains((from, to)) || rt > rf || (rt == rf && !sideways))
                bad.Add($"{file}: {from} -> {to}");
        }
        Assert.That(bad, Is.Empty, "references against the layering (DESIGN.md; the allowed graph is LayeringTests.Layers):\n" + string.Join("\n", bad));
    }

    [Test]
    public void TheLayerGraphHasNoCycle()
    {
        var edges = References(RepoRoot()).Select(r => (r.From, r.To)).Distinct().ToList();
        var next = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).ToList());
        var state = new Dictionary<string, int>();   // 1 = on the path, 2 = done
        var path = new Stack<string>();
        string? cycle = null;
        void Visit(string n)
        {
            if (cycle is not null) return;
            state[n] = 1;
            path.Push(n);
            foreach (var m in next.GetValueOrDefault(n) ?? new List<string>())
            {
                if (state.GetValueOrDefault(m) == 1)
                {
                    var loop = path.TakeWhile(p => p != m).Append(m).Reverse().Append(m);   // m -> ... -> n -> m
                    cycle = string.Join(" -> ", loop);
                    return;
                }
                if (state.GetValueOrDefault(m) == 0) Visit(m);
            }
            path.Pop();
            state[n] = 2;
        }
        foreach (var n in next.Keys.ToList()) if (state.GetValueOrDefault(n) == 0) Visit(n);
        Assert.That(cycle, Is.Null, $"cycle between layers: {cycle}");
    }

    [Test]
    public void TheCheckerSeesAnUpwardReference()
    {
        // the rule itself: Backends reaching up to Autograd (the cycle issue 10 removed) must be caught
        Assert.That(LayerOf("Backends.Cuda.Checks"), Is.EqualTo("Backends.Cuda"));
        Assert.That(LayerOf("Backends"), Is.EqualTo("Backends"));
        Assert.That(RankOf("Autograd"), Is.GreaterThan(RankOf("Backends.Cuda")));
        Assert.That(RelativeQualified.IsMatch("Autograd.Tape.Record(y, g)"), Is.True);
        Assert.That(UsingDirective.Match("using MantisNative.Autograd;").Groups["ns"].Value, Is.EqualTo("Autograd"));
        Assert.That(Code("// uses Autograd.Tape\nvar s = \"Autograd.Tape\";"), Does.Not.Contain("Autograd"));
    }
}
