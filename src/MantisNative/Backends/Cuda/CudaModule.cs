using System.Text;
using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>A kernel entry point of a loaded module (valid while the module lives).</summary>
internal sealed class CudaKernel
{
    public string Name { get; }
    public nint Handle { get; }

    internal CudaKernel(string name, nint handle)
    {
        Name = name;
        Handle = handle;
    }

    public int GetAttribute(CuFunctionAttribute attribute)
    {
        CudaDriver.Check(CudaDriverApi.cuFuncGetAttribute(out var v, attribute, Handle), $"cuFuncGetAttribute({Name}, {attribute})");
        return v;
    }

    public void SetAttribute(CuFunctionAttribute attribute, int value) =>
        CudaDriver.Check(CudaDriverApi.cuFuncSetAttribute(Handle, attribute, value), $"cuFuncSetAttribute({Name}, {attribute})");
}

/// <summary>A module loaded from PTX or CUBIN (cuModuleLoadDataEx), with its functions looked up once.</summary>
internal sealed unsafe class CudaModule : IDisposable
{
    private readonly ModuleHandle _handle;
    private readonly Dictionary<string, CudaKernel> _kernels = new(StringComparer.Ordinal);

    public string Name { get; }

    private CudaModule(string name, ModuleHandle handle)
    {
        Name = name;
        _handle = handle;
    }

    /// <summary>Loads an image; a JIT failure (PTX too new for the driver, ...) throws with the JIT's error log.</summary>
    public static CudaModule Load(string name, byte[] image)
    {
        const int logSize = 16 * 1024;
        var errorLog = new byte[logSize];
        fixed (byte* img = image, log = errorLog)
        {
            var opts = stackalloc CuJitOption[2] { CuJitOption.ErrorLogBuffer, CuJitOption.ErrorLogBufferSizeBytes };
            var vals = stackalloc void*[2] { log, (void*)(nint)logSize };
            var r = CudaDriverApi.cuModuleLoadDataEx(out var module, img, 2, opts, vals);
            if (r != CuResult.Success)
            {
                var text = Encoding.UTF8.GetString(errorLog).TrimEnd('\0').Trim();
                throw new CudaException("cuModuleLoadDataEx", (int)r, CudaDriver.ErrorName(r),
                    text.Length > 0 ? $"{name}: {text}" : name);
            }
            return new CudaModule(name, new ModuleHandle(module));
        }
    }

    public CudaKernel GetKernel(string function)
    {
        lock (_kernels)
        {
            if (_kernels.TryGetValue(function, out var k)) return k;
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            CudaDriver.Check(CudaDriverApi.cuModuleGetFunction(out var f, _handle.DangerousGetHandle(), function),
                $"cuModuleGetFunction({Name}.{function})");
            return _kernels[function] = new CudaKernel(function, f);
        }
    }

    public void Dispose() => _handle.Dispose();
}
