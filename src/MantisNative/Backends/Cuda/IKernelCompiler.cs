namespace MantisNative.Backends.Cuda;

/// <summary>The result of one compilation: the image (PTX text with its NUL, or CUBIN bytes) and the log.</summary>
internal sealed record KernelCompileOutput(bool Success, byte[] Image, string Log);

/// <summary>Compiles CUDA C++ source (NVRTC in production; a fake in tests of the cache logic).</summary>
internal interface IKernelCompiler
{
    /// <summary>Identifies the compiler and its version ("nvrtc 12.4"); part of every cache key.</summary>
    string Identity { get; }

    KernelCompileOutput Compile(string name, string source, IReadOnlyList<KernelHeader> headers, IReadOnlyList<string> options, bool cubin);
}
