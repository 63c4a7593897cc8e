namespace MantisNative.Tensors;

/// <summary>
/// Frees every tensor created on this thread inside the scope when it ends (a training step's activations,
/// for instance), except tensors handed to <see cref="Keep"/>. Gradients accumulated into parameters are
/// never scoped. Scopes nest.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;
    [ThreadStatic] private static int _suspended;
    private readonly TensorScope? _outer;
    private readonly List<Tensor> _owned = new();
    private bool _done;

    public TensorScope()
    {
        _outer = _current;
        _current = this;
    }

    internal static void Register(Tensor t)
    {
        if (_suspended == 0) _current?._owned.Add(t);
    }

    /// <summary>Takes a tensor out of every scope, so it outlives them.</summary>
    public static Tensor Keep(Tensor t)
    {
        // from the end: what is kept is usually the newest tensor, and a step's scope holds thousands
        for (var s = _current; s is not null; s = s._outer)
        {
            int i = s._owned.LastIndexOf(t);
            if (i >= 0) s._owned.RemoveAt(i);
        }
        return t;
    }

    /// <summary>Runs <paramref name="body"/> with scoping off: what it creates belongs to the caller.</summary>
    internal static T Unscoped<T>(Func<T> body)
    {
        _suspended++;
        try { return body(); }
        finally { _suspended--; }
    }

    /// <summary>
    /// Ends this scope, handing <paramref name="result"/> to the enclosing scope and freeing everything else it created
    /// (a frozen layer's output outlives its intermediates). When result records a backward (RequiresGrad), the tape
    /// may hold those intermediates, so the enclosing scope takes over all of them and nothing is freed.
    /// </summary>
    public Tensor EndKeeping(Tensor result)
    {
        if (_done) throw new InvalidOperationException("the scope has ended");
        if (result.RequiresGrad)
        {
            _outer?._owned.AddRange(_owned);
            _owned.Clear();
        }
        else if (_owned.Remove(result)) _outer?._owned.Add(result);
        Dispose();
        return result;
    }

    public void Dispose()
    {
        if (_done) return;
        _done = true;
        _current = _outer;
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
