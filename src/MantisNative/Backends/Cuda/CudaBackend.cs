using MantisNative.Interop;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// One GPU as a tensor device: its context (stream, allocator), the kernels and cuBLASLt. Opened once per device
/// and process on first use (registered in <see cref="DeviceBackends"/>); every launch goes on the one compute
/// stream, so kernels run in op order and only host copies synchronise.
/// </summary>
internal sealed class CudaBackend : IComputeBackend, IDisposable
{
    private CublasLtGemm? _gemm;
    private CudaOps? _ops;

    public Device Device { get; }
    public CudaContext Context { get; }
    public KernelRegistry Kernels { get; }

    private CudaBackend(Device device, CudaContext context, KernelRegistry kernels)
    {
        Device = device;
        Context = context;
        Kernels = kernels;
    }

    /// <summary>The op primitives on this device.</summary>
    public IOpPrimitives Primitives => _ops ??= new CudaOps(this);

    /// <summary>cuBLASLt, created on the first GEMM.</summary>
    public CublasLtGemm Gemm => _gemm ??= new CublasLtGemm(Context);

    /// <summary>Opens GPU <paramref name="ordinal"/> with the kernels/ folder <see cref="KernelCatalog"/> finds.</summary>
    public static CudaBackend Open(int ordinal)
    {
        CudaDriver.EnsureAvailable();
        Nvrtc.EnsureAvailable();
        var ctx = CudaContext.Create(ordinal);
        try
        {
            var cache = new KernelModuleCache(new NvrtcKernelCompiler(), new KernelDiskCache(KernelDiskCache.DefaultDirectory()));
            var kernels = new KernelRegistry(ctx, KernelCatalog.LoadDefault(), cache);
            return new CudaBackend(Device.Cuda(ordinal), ctx, kernels);
        }
        catch
        {
            ctx.Dispose();
            throw;
        }
    }

    /// <summary>The backend of a CUDA device (opening it on first use).</summary>
    public static CudaBackend Get(Device device) =>
        DeviceBackends.Get(device) as CudaBackend
        ?? throw new MantisException($"{device} is served by a backend that is not CUDA; no kernels can run there");

    /// <summary>Wires <see cref="DeviceBackends"/> to open CUDA devices on first use (idempotent).</summary>
    public static void Install() => DeviceBackends.Opener ??= d => Open(d.Ordinal);

    /// <summary>Two bf16 NaNs, or one f32 NaN: whichever dtype reads the word sees NaN.</summary>
    public const uint NaNPattern = 0x7FC07FC0u;

    /// <summary>Fill memory that ops promise to overwrite with NaN (gpu-check: a skipped element shows up).</summary>
    public bool PoisonAllocations { get; set; }

    public IDeviceStorage Allocate(long bytes, bool zero)
    {
        DrainDeferredFrees();
        // at least 4 bytes: an empty tensor still has an address, and poisoning writes 32-bit words
        long size = Math.Max((bytes + 3) / 4 * 4, 4);
        DeviceBuffer buffer;
        try { buffer = Context.Allocate(size); }
        catch (CudaException e) when (e.Status == (int)CuResult.OutOfMemory)
        {
            // forgotten intermediates may hold the memory: let the GC find them, free them here, try once more
            GC.Collect();
            GC.WaitForPendingFinalizers();
            DrainDeferredFrees();
            buffer = Context.Allocate(size);
        }
        if (zero) buffer.Clear();
        else if (PoisonAllocations) buffer.Fill32(NaNPattern);
        return new CudaStorage(this, buffer, bytes);
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<DeviceBuffer> _deferred = new();

    /// <summary>Called by finalizers (any thread): the buffer is freed on the backend's thread later.</summary>
    internal void FreeLater(DeviceBuffer buffer) => _deferred.Enqueue(buffer);

    private void DrainDeferredFrees()
    {
        while (_deferred.TryDequeue(out var b)) b.Dispose();
    }

    private static DeviceBuffer Buf(IDeviceStorage s) => ((CudaStorage)s).Buffer;

    /// <summary>Small uploads (a step's ids, masks, targets, tables) go through the page-locked ring and do not wait;
    /// large ones (weights) are synchronous copies, counted by <see cref="CudaContext.SyncCopies"/>.</summary>
    public void Upload(ReadOnlySpan<byte> source, IDeviceStorage destination)
    {
        var buffer = Buf(destination);
        if (source.Length > buffer.Bytes) throw new ArgumentException($"{source.Length} bytes do not fit a {buffer.Bytes}-byte device buffer");
        if (Context.Staging.TryUpload(source, buffer.Pointer)) Context.SyncCopies.Staged();
        else buffer.CopyFrom(source);
    }

    public void Download(IDeviceStorage source, Span<byte> destination) => Buf(source).CopyTo(destination);

    public void Fill32(IDeviceStorage destination, uint pattern, long words) => Buf(destination).Fill32(pattern, words);

    public void Copy(IDeviceStorage source, IDeviceStorage destination, long bytes)
    {
        if (bytes > 0) Buf(destination).CopyFrom(Buf(source), bytes);
    }

    public void Cast(Tensor source, Tensor destination)
    {
        long n = source.Numel;
        if (n == 0) return;
        string fn = (source.DType, destination.DType) switch
        {
            (DType.F32, DType.BF16) => "cast_f32_to_bf16",
            (DType.BF16, DType.F32) => "cast_bf16_to_f32",
            (DType.F32, DType.F32) => "copy_f32",
            (DType.BF16, DType.BF16) => "copy_bf16",
            _ => throw new NotSupportedException($"no device cast from {source.DType} to {destination.DType}"),
        };
        Launch("cast", fn, Blocks(n), new KernelArgs().Ptr(source.DevicePointer).Ptr(destination.DevicePointer).Long(n));
    }

    public void AddInto(Tensor destination, Tensor source)
    {
        long n = source.Numel;
        if (n == 0) return;
        var (file, fn) = (source.DType, destination.DType) switch
        {
            (DType.BF16, DType.F32) => ("elementwise", "accumulate_bf16_into_f32"),
            (DType.F32, DType.F32) => ("tensor_ops", "accumulate_f32_into_f32"),
            (DType.BF16, DType.BF16) => ("tensor_ops", "accumulate_bf16_into_bf16"),
            (DType.F32, DType.BF16) => ("tensor_ops", "accumulate_f32_into_bf16"),
            _ => throw new NotSupportedException($"no device accumulation of {source.DType} into {destination.DType}"),
        };
        Launch(file, fn, Blocks(n), new KernelArgs().Ptr(source.DevicePointer).Ptr(destination.DevicePointer).Long(n));
    }

    /// <summary>Grid-stride blocks for n elements at 256 threads.</summary>
    public uint Blocks(long n) => LaunchGeometry.GridStrideBlocks(n, LaunchGeometry.DefaultBlock, Context.Device.MultiprocessorCount);

    /// <summary>Queues a launch of kernels/<paramref name="source"/>.cu's <paramref name="function"/> on the compute stream.</summary>
    public void Launch(string source, string function, Dim3 grid, KernelArgs args, int threads = LaunchGeometry.DefaultBlock, uint sharedBytes = 0) =>
        KernelLauncher.Launch(Kernels.Get(source, function), grid, threads, sharedBytes, Context.Stream, args);

    public void Synchronize() => Context.Synchronize();

    public void Dispose()
    {
        DeviceBackends.Unregister(Device);
        _ops?.Dispose();
        _gemm?.Dispose();
        Kernels.Dispose();
        Context.Dispose();
    }
}
