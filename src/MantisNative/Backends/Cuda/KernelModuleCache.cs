namespace MantisNative.Backends.Cuda;

/// <summary>Where a compiled image came from (tests and `mantis kernels compile` report it).</summary>
internal enum KernelCacheOrigin { Compiled, Disk, Memory }

/// <summary>A compiled source: the image to hand to cuModuleLoadDataEx, the compiler log and the key.</summary>
internal sealed record CompiledKernelSource(string Name, KernelTarget Target, string Key, byte[] Image, string Log, KernelCacheOrigin Origin);

/// <summary>A source that did not compile; the message carries the compiler's log.</summary>
internal sealed class KernelCompileException : Exception
{
    public string SourceName { get; }
    public string Log { get; }
    public KernelCompileException(string sourceName, KernelTarget target, string log)
        : base($"kernel source {sourceName}.cu failed to compile for {target.Arch}:\n{log.TrimEnd()}")
    {
        SourceName = sourceName;
        Log = log;
    }
}

/// <summary>
/// Compiles each kernel source at most once per process and once per machine: first a process-wide memo,
/// then the disk cache (keyed by <see cref="KernelCacheKey"/>), then the compiler, whose result is written
/// back to disk. A damaged disk entry reads as a miss and is replaced.
/// </summary>
internal sealed class KernelModuleCache
{
    private readonly IKernelCompiler _compiler;
    private readonly KernelDiskCache? _disk;
    private readonly Dictionary<string, CompiledKernelSource> _memory = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public KernelModuleCache(IKernelCompiler compiler, KernelDiskCache? disk)
    {
        _compiler = compiler;
        _disk = disk;
    }

    public IKernelCompiler Compiler => _compiler;
    public KernelDiskCache? Disk => _disk;
    /// <summary>Number of times the compiler actually ran (tests check hits and misses with it).</summary>
    public int CompileCount { get; private set; }

    public CompiledKernelSource GetOrCompile(KernelSource source, IReadOnlyList<KernelHeader> headers, KernelTarget target, bool ptxasVerbose = true)
    {
        var options = target.CompilerOptions(ptxasVerbose);
        var key = KernelCacheKey.Compute(source.Text, headers, options, target, _compiler.Identity);
        lock (_gate)
        {
            if (_memory.TryGetValue(key, out var hit)) return hit with { Origin = KernelCacheOrigin.Memory };
            var path = _disk?.PathFor(source.Name, key, target);
            if (path is not null && _disk!.TryRead(path) is { } stored)
            {
                var fromDisk = new CompiledKernelSource(source.Name, target, key, stored.Image, stored.Log, KernelCacheOrigin.Disk);
                _memory[key] = fromDisk;
                return fromDisk;
            }
            CompileCount++;
            var output = _compiler.Compile(source.Name, source.Text, headers, options, target.IsCubin);
            if (!output.Success || output.Image.Length == 0) throw new KernelCompileException(source.Name, target, output.Log);
            if (path is not null) _disk!.TryWrite(path, output.Image, output.Log);
            var compiled = new CompiledKernelSource(source.Name, target, key, output.Image, output.Log, KernelCacheOrigin.Compiled);
            _memory[key] = compiled;
            return compiled;
        }
    }
}
