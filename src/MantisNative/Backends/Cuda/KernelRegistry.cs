using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// The kernels of one context: each source is compiled (through the module cache) and loaded the first time one
/// of its functions is asked for, for the device's own architecture when NVRTC knows it.
/// </summary>
internal sealed class KernelRegistry : IDisposable
{
    private readonly KernelCatalog _catalog;
    private readonly KernelModuleCache _cache;
    private readonly Dictionary<string, CudaModule> _modules = new(StringComparer.Ordinal);

    public KernelTarget Target { get; }

    public KernelRegistry(CudaContext context, KernelCatalog catalog, KernelModuleCache cache)
    {
        _catalog = catalog;
        _cache = cache;
        Target = KernelTarget.ForDevice(context.Device.ComputeMajor, context.Device.ComputeMinor, Nvrtc.SupportedArchs());
    }

    /// <summary>Function <paramref name="function"/> of kernels/<paramref name="source"/>.cu.</summary>
    public CudaKernel Get(string source, string function)
    {
        lock (_modules)
        {
            if (!_modules.TryGetValue(source, out var module))
            {
                var compiled = _cache.GetOrCompile(_catalog.Get(source), _catalog.Headers, Target, ptxasVerbose: false);
                _modules[source] = module = CudaModule.Load(source, compiled.Image);
            }
            return module.GetKernel(function);
        }
    }

    public void Dispose()
    {
        lock (_modules)
        {
            foreach (var m in _modules.Values) m.Dispose();
            _modules.Clear();
        }
    }
}
