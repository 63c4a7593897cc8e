using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>cuLaunchKernel with a <see cref="KernelArgs"/> list, on a stream.</summary>
internal static class KernelLauncher
{
    /// <summary>Dynamic shared memory above the default 48 KiB needs a per-function opt-in.</summary>
    public const int DefaultSharedLimit = 48 * 1024;

    public static unsafe void Launch(CudaKernel kernel, Dim3 grid, Dim3 block, uint sharedBytes, CudaStream stream, KernelArgs args)
    {
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0 || block.X == 0 || block.Y == 0 || block.Z == 0)
            throw new ArgumentException($"{kernel.Name}: empty launch (grid {grid}, block {block})");
        if (sharedBytes > DefaultSharedLimit)
            kernel.SetAttribute(CuFunctionAttribute.MaxDynamicSharedSizeBytes, (int)sharedBytes);
        int n = args.Count;
        var pointers = stackalloc void*[Math.Max(n, 1)];
        fixed (byte* values = args.Buffer)
        {
            for (int i = 0; i < n; i++) pointers[i] = values + args.Offsets[i];
            CudaDriver.Check(CudaDriverApi.cuLaunchKernel(kernel.Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z,
                sharedBytes, stream.Handle, pointers, null), $"cuLaunchKernel({kernel.Name})");
        }
    }
}
