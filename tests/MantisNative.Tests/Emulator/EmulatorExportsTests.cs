using System.Reflection;
using System.Runtime.InteropServices;
using MantisNative.Interop;
using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>Every entry point interop/ declares (driver, NVRTC, cuBLASLt) is exported by the emulated device under the
/// same symbol name, so selecting it changes nothing but the library.</summary>
[TestFixture, Category("Emulator")]
public class EmulatorExportsTests
{
    [Test]
    public void EveryDeclaredEntryPointIsExported()
    {
        var handle = NativeLibrary.Load(EmulatorHarness.Library());
        var missing = new List<string>();
        int count = 0;
        foreach (var type in new[] { typeof(CudaDriverApi), typeof(NvrtcApi), typeof(CublasLtApi) })
            foreach (var m in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                var import = m.GetCustomAttribute<LibraryImportAttribute>();
                if (import is null) continue;
                count++;
                var symbol = import.EntryPoint ?? m.Name;
                if (!NativeLibrary.TryGetExport(handle, symbol, out _)) missing.Add($"{type.Name}.{m.Name} ({symbol})");
            }
        Assert.That(count, Is.GreaterThan(60), "the declarations were found");
        Assert.That(missing, Is.Empty);
    }
}
