using MantisNative.Tensors;

namespace MantisNative.Autograd;

/// <summary>
/// The autograd tape of the current thread. Every differentiable op whose inputs require grad appends one
/// entry holding its backward; <see cref="Backward(Tensor)"/> walks the entries in reverse, accumulates
/// <c>.Grad</c> into leaves that require it (until zeroed), frees intermediate gradients as soon as they
/// are used, and clears the tape. Tensors that do not require grad (frozen parameters) cost no gradient work.
/// </summary>
public sealed class Tape
{
    [ThreadStatic] private static Tape? _current;
    [ThreadStatic] private static int _noGradDepth;

    private readonly List<(Tensor Output, Action<Tensor> Backward)> _entries = new();

    /// <summary>The tape ops record onto on this thread.</summary>
    public static Tape Current => _current ??= new Tape();

    /// <summary>False inside a <see cref="NoGrad"/> scope.</summary>
    public static bool IsRecording => _noGradDepth == 0;

    /// <summary>Entries recorded and not yet consumed.</summary>
    public int Count => _entries.Count;

    /// <summary>A scope in which ops record nothing (inference, optimizer updates, backward itself).</summary>
    public static IDisposable NoGrad() => new NoGradScope();

    private sealed class NoGradScope : IDisposable
    {
        private bool _done;
        public NoGradScope() => _noGradDepth++;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _noGradDepth--;
        }
    }

    /// <summary>Whether an op over these inputs must record its backward.</summary>
    public static bool Needs(Tensor a) => IsRecording && a.RequiresGrad;
    public static bool Needs(Tensor a, Tensor? b) => IsRecording && (a.RequiresGrad || (b?.RequiresGrad ?? false));
    public static bool Needs(Tensor a, Tensor? b, Tensor? c) => IsRecording && (a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false));
    public static bool Needs(IEnumerable<Tensor?> inputs) => IsRecording && inputs.Any(t => t?.RequiresGrad ?? false);

    /// <summary>Records <paramref name="backward"/>, called with the output's gradient during backward.</summary>
    public static void Record(Tensor output, Action<Tensor> backward)
    {
        output.RequiresGrad = true;
        output.IsIntermediate = true;
        Current._entries.Add((output, backward));
    }

    /// <summary>Backpropagates from a scalar loss (seed gradient 1).</summary>
    public static void Backward(Tensor loss) => Backward(loss, 1f);

    /// <summary>
    /// Backpropagates from a scalar loss seeded with <paramref name="scale"/>: the gradients of scale * loss (the
    /// trainer's 1 / accumulation steps) without an extra op. The seed is filled on the loss's device (no host copy
    /// inside a step), and its value stays known to the host: a backward closure that needs the upstream gradient as
    /// a number (the fused loss) asks <see cref="KnownScalar"/> instead of reading it back from the device.
    /// </summary>
    public static void Backward(Tensor loss, float scale)
    {
        if (loss.Numel != 1) throw new InvalidOperationException($"Backward needs a scalar loss, got shape {loss.Shape}");
        if (!loss.IsOnDevice)
        {
            using var host = Tensor.Full(loss.Shape, scale);
            Current.Run(loss, host, scale);
            return;
        }
        if (loss.DType == DType.F32)
        {
            using var filled = Tensor.FullF32On(loss.Device, loss.Shape, scale);
            Current.Run(loss, filled, scale);
            return;
        }
        using var one = Tensor.Full(loss.Shape, scale);
        using var seed = one.To(loss.Device, loss.DType);
        Current.Run(loss, seed, scale);
    }

    /// <summary>The value of <paramref name="grad"/> when it is the running backward's seed as given to
    /// <see cref="Backward(Tensor, float)"/> (a scalar the host knows); null otherwise (read it if you must).</summary>
    public static float? KnownScalar(Tensor grad) =>
        _current?._knownSeed is { } k && ReferenceEquals(k.Grad, grad) ? k.Value : null;

    /// <summary>Backpropagates from <paramref name="output"/> seeded with <paramref name="outputGrad"/>.</summary>
    public static void Backward(Tensor output, Tensor outputGrad) => Current.Run(output, outputGrad, null);

    private (Tensor Grad, float Value)? _knownSeed;

    private void Run(Tensor output, Tensor seed, float? seedValue)
    {
        if (!output.RequiresGrad) { Clear(); return; }
        bool first = output.Grad is null;
        output.AccumulateGrad(seed);
        if (first && seedValue is { } v && output.Grad is { Numel: 1 } rootGrad) _knownSeed = (rootGrad, v);
        using (NoGrad())
        {
            for (int i = _entries.Count - 1; i >= 0; i--)
            {
                var (o, back) = _entries[i];
                _entries.RemoveAt(i);
                if (o.Grad is null) continue;
                var g = o.Grad;
                back(g);
                if (o.IsIntermediate)
                {
                    o.Grad = null;
                    g.Dispose();
                }
            }
        }
        Clear();
    }

    /// <summary>Forgets every recorded entry (for a forward pass whose backward is not wanted).</summary>
    public void Clear()
    {
        _entries.Clear();
        _knownSeed = null;
    }

    /// <summary>Runs <paramref name="body"/> with a fresh tape as the current one (used by checkpointing).</summary>
    internal static T WithTape<T>(Tape tape, Func<T> body)
    {
        var saved = _current;
        var savedDepth = _noGradDepth;
        _current = tape;
        _noGradDepth = 0;
        try { return body(); }
        finally
        {
            _current = saved;
            _noGradDepth = savedDepth;
        }
    }
}
