using MantisNative.Interop;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>MANTIS_DEVICE=emulated puts the emulated device behind all three libraries, through the ordinary discovery.</summary>
public class EmulatedDeviceDiscoveryTests
{
    [Test]
    public void EmulatedSelectsTheEmulatorForAllThreeLibrariesAndNothingElse()
    {
        var env = new FakeProbeEnvironment { ApplicationDirectory = "/app" }
            .File("/usr/local/cuda/lib64/libnvrtc.so.12").File("/app/libmantis_emu.so").File("/src/build/emu/libmantis_emu.so");
        env.Env["MANTIS_DEVICE"] = "emulated";
        env.Env["MANTIS_NVRTC_PATH"] = "/usr/local/cuda/lib64/libnvrtc.so.12";
        foreach (var spec in NativeLibrarySpec.All)
            Assert.That(LibraryDiscovery.Candidates(spec, env).Select(c => c.PathOrName), Is.EqualTo(new[] { "/app/libmantis_emu.so" }), spec.DisplayName);
    }

    [Test]
    public void EmulatorLibraryVariableAndTheSourceTreeAreSearched()
    {
        var env = new FakeProbeEnvironment { ApplicationDirectory = "/src/bin/Release/net10.0" }.File("/x/libmantis_emu.so").File("/src/build/emu/libmantis_emu.so");
        env.Env["MANTIS_DEVICE"] = "Emulated";
        env.Env["MANTIS_EMU_LIB"] = "/x";
        Assert.That(LibraryDiscovery.Candidates(NativeLibrarySpec.CudaDriver, env).Select(c => c.PathOrName),
            Is.EqualTo(new[] { "/x/libmantis_emu.so", "/src/build/emu/libmantis_emu.so" }));
    }

    [Test]
    public void MissingEmulatorSaysHowToBuildIt()
    {
        var env = new FakeProbeEnvironment();
        env.Env["MANTIS_DEVICE"] = "emulated";
        var r = NativeLibraries.Probe(NativeLibrarySpec.Nvrtc, env, _ => 0);
        Assert.That(r.Found, Is.False);
        Assert.That(r.Describe(), Does.Contain("libmantis_emu.so").And.Contain("build.ps1 emu"));
    }

    [Test]
    public void AnUnknownDeviceValueIsAnErrorNotASilentFallback()
    {
        var env = new FakeProbeEnvironment().File("/usr/lib/libcuda.so.1");
        env.Env["MANTIS_DEVICE"] = "emulatd";
        Assert.That(LibraryDiscovery.Candidates(NativeLibrarySpec.CudaDriver, env), Is.Empty);
        Assert.That(LibraryDiscovery.DescribeSearch(NativeLibrarySpec.CudaDriver, env), Does.Contain("MANTIS_DEVICE=emulatd is not understood"));
    }
}
