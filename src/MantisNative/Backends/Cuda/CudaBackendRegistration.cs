using System.Runtime.CompilerServices;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// Lets <c>tensor.To(Device.Cuda(n))</c> open the GPU on first use without the caller knowing about backends:
/// Tensors cannot reference Backends/Cuda (layering), so this assembly wires the opener in when it loads. It only
/// stores a delegate; nothing touches CUDA until a device tensor is made.
/// </summary>
internal static class CudaBackendRegistration
{
#pragma warning disable CA2255 // a library module initializer: deliberate, it only registers a factory
    [ModuleInitializer]
    internal static void Register() => CudaBackend.Install();
#pragma warning restore CA2255
}
