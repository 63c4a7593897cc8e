using MantisNative.Tensors;

namespace MantisNative.Nn.Lora;

/// <summary>One adapted module's trained values, as arrays (what an adapter file holds).</summary>
public sealed record LoraLayerValues(float[] A, float[] B, float[]? Magnitude);

/// <summary>
/// The LoRA / DoRA adapters attached to a model's Linear modules. Creating the set attaches each adapter to its
/// Linear (whose weight and bias are then frozen by the caller); <see cref="Detach"/> takes them off again. The
/// trainable tensors are exposed as <see cref="Parameter"/>s under PEFT's tensor names
/// (<c>base_model.model.{module}.lora_A.weight</c>, <c>.lora_B.weight</c>, <c>.lora_magnitude_vector</c>), so optimizer
/// moments in a checkpoint carry the names the adapter file uses.
/// </summary>
public sealed class LoraAdapterSet : IDisposable
{
    public const string KeyPrefix = "base_model.model.";
    public const string SuffixA = ".lora_A.weight", SuffixB = ".lora_B.weight", SuffixMagnitude = ".lora_magnitude_vector";

    private readonly List<(Linear Module, LoraLayer Layer)> _attached = new();

    private LoraAdapterSet(LoraSettings settings, LoraRuntime runtime)
    {
        Settings = settings;
        Runtime = runtime;
    }

    public LoraSettings Settings { get; }
    public LoraRuntime Runtime { get; }
    public IEnumerable<LoraLayer> Layers => _attached.Select(a => a.Layer);
    public int Count => _attached.Count;

    /// <summary>The trainable tensors under PEFT's names (A, B, then the magnitude, module by module).</summary>
    public IEnumerable<Parameter> Parameters
    {
        get
        {
            foreach (var l in Layers)
            {
                string key = KeyPrefix + l.ModulePath;
                yield return new Parameter(key + SuffixA, l.A, "lora", DType.F32);
                yield return new Parameter(key + SuffixB, l.B, "lora", DType.F32);
                if (l.Magnitude is not null) yield return new Parameter(key + SuffixMagnitude, l.Magnitude, "lora", DType.F32);
            }
        }
    }

    public long ParameterCount => Parameters.Sum(p => p.Tensor.Numel);

    /// <summary>
    /// Fresh adapters on every Linear of <paramref name="store"/> that <paramref name="selects"/> picks, with PEFT's
    /// initialisation: A Kaiming-uniform (a = √5, so U(−1/√in, 1/√in)), B = 0 (the adapted model starts equal to the
    /// base) and, for DoRA, m = ‖W₀‖ by rows. Each A's generator is seeded from <paramref name="seed"/> and the module path.
    /// </summary>
    public static LoraAdapterSet CreateFresh(ParameterStore store, LoraSettings settings, Func<string, bool> selects, ulong seed) =>
        Attach(store, settings, selects, seed, (linear, rank) =>
        {
            int inF = linear.InFeatures, outF = linear.OutFeatures;
            float bound = (float)(1 / Math.Sqrt(inF));
            var a = Tensor.Uniform(new Shape(rank, inF), new Rng(seed ^ StableHash(linear.Path)), -bound, bound);
            var b = Tensor.Zeros(new Shape(outF, rank));
            return (a, b);
        }, initialMagnitude: true);

    /// <summary>Adapters with given values on the modules <paramref name="values"/> names (module path to A, B, m).</summary>
    public static LoraAdapterSet FromValues(ParameterStore store, LoraSettings settings, IReadOnlyDictionary<string, LoraLayerValues> values, ulong seed)
    {
        var byPath = store.Linears.ToDictionary(l => l.Path, StringComparer.Ordinal);
        foreach (var path in values.Keys)
            if (!byPath.ContainsKey(path)) throw new MantisException($"adapter: module '{path}' is not a Linear of this model; is it the adapter's base model?");
        var set = Attach(store, settings, p => values.ContainsKey(p), seed, (linear, rank) =>
        {
            var v = values[linear.Path];
            int inF = linear.InFeatures, outF = linear.OutFeatures;
            if (v.A.Length != (long)rank * inF || v.B.Length != (long)outF * rank)
                throw new MantisException($"adapter: '{linear.Path}' has lora_A of {v.A.Length} and lora_B of {v.B.Length} values; the module [{outF}, {inF}] at rank {rank} needs {rank * inF} and {outF * rank}");
            return (Tensor.FromSpan(v.A, new Shape(rank, inF)), Tensor.FromSpan(v.B, new Shape(outF, rank)));
        }, initialMagnitude: false, magnitudes: values);
        return set;
    }

    private static LoraAdapterSet Attach(ParameterStore store, LoraSettings settings, Func<string, bool> selects, ulong seed,
        Func<Linear, int, (Tensor A, Tensor B)> make, bool initialMagnitude, IReadOnlyDictionary<string, LoraLayerValues>? magnitudes = null)
    {
        settings.Validate();
        var set = new LoraAdapterSet(settings, new LoraRuntime(seed));
        try
        {
            foreach (var linear in store.Linears)
            {
                if (!selects(linear.Path)) continue;
                if (linear.Adapter is not null) throw new MantisException($"lora: '{linear.Path}' already has an adapter");
                int rank = settings.RankFor(linear.Path);
                double scale = settings.ScaleFor(linear.Path);
                var layer = TensorScope.Unscoped(() =>
                {
                    var (a, b) = make(linear, rank);
                    Tensor? m = null;
                    float[]? given = null;
                    if (settings.UseDora)
                    {
                        given = magnitudes?[linear.Path].Magnitude;
                        if (given is null && !initialMagnitude) throw new MantisException($"adapter: use_dora is set but '{linear.Path}' has no lora_magnitude_vector");
                        if (given is not null && given.Length != linear.OutFeatures)
                            throw new MantisException($"adapter: '{linear.Path}' magnitude has {given.Length} values, the module {linear.OutFeatures} rows");
                        m = given is null ? Tensor.Full(new Shape(linear.OutFeatures), 1f) : Tensor.FromSpan(given, new Shape(linear.OutFeatures));
                    }
                    var created = new LoraLayer(linear.Path, set._attached.Count, a, b, m, scale, settings.Dropout, set.Runtime);
                    // PEFT: m starts as the row norms of W₀ + s·B·A (B = 0: of W₀)
                    if (m is not null && given is null) created.InitialMagnitude(linear).CopyTo(m.Span);
                    return created;
                });
                linear.Adapter = layer;
                set._attached.Add((linear, layer));
            }
        }
        catch
        {
            set.Dispose();
            throw;
        }
        if (set._attached.Count == 0)
            throw new MantisException($"lora: target_modules {(settings.Targets.Pattern is { } p ? $"'{p}'" : string.Join("|", settings.Targets.Names!))} selects no Linear module of this model");
        return set;
    }

    /// <summary>The values of every adapter (host copies), by module path. <paramref name="masters"/> gives, by PEFT
    /// tensor name, the fp32 value an optimizer keeps apart from a BF16 device tensor (null: the tensor's own values).</summary>
    public IReadOnlyDictionary<string, LoraLayerValues> Values(Func<string, float[]?>? masters = null) =>
        Layers.ToDictionary(l => l.ModulePath, l =>
        {
            string key = KeyPrefix + l.ModulePath;
            float[] Of(Tensor t, string suffix) => masters?.Invoke(key + suffix) ?? t.ToArray();
            return new LoraLayerValues(Of(l.A, SuffixA), Of(l.B, SuffixB), l.Magnitude is null ? null : Of(l.Magnitude, SuffixMagnitude));
        }, StringComparer.Ordinal);

    /// <summary>Moves every adapter's tensors to <paramref name="device"/> (BF16 on a GPU, F32 on the host).</summary>
    public void MoveTo(Device device)
    {
        foreach (var l in Layers) l.MoveTo(device);
    }

    /// <summary>Takes the adapters off their modules (the model computes its base output again).</summary>
    public void Detach()
    {
        foreach (var (module, layer) in _attached)
            if (ReferenceEquals(module.Adapter, layer)) module.Adapter = null;
    }

    public void Dispose()
    {
        Detach();
        foreach (var (_, layer) in _attached) layer.Dispose();
        _attached.Clear();
    }

    /// <summary>FNV-1a over the UTF-16 path (stable across runs and .NET versions).</summary>
    private static ulong StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }
}
