using MantisNative.Interop;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class LibraryDiscoveryTests
{
    private static List<string> Paths(NativeLibrarySpec spec, FakeProbeEnvironment env) =>
        LibraryDiscovery.Candidates(spec, env).Select(c => c.PathOrName).ToList();

    [Test]
    public void SearchOrderIsEnvThenCudaPathThenToolkitsThenLoaderThenWheels()
    {
        var env = new FakeProbeEnvironment()
            .File("/opt/nv/libnvrtc.so.12")
            .File("/cp/lib64/libnvrtc.so.12")
            .File("/usr/local/cuda/lib64/libnvrtc.so.12")
            .File("/usr/local/cuda-12.4/targets/x86_64-linux/lib/libnvrtc.so.12")
            .File("/usr/local/cuda-13.0/lib64/libnvrtc.so.13")
            .File("/usr/lib/python3.11/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12")
            .File("/home/u/.local/lib/python3.12/site-packages/nvidia/cu13/lib/libnvrtc.so.13");
        env.Env["MANTIS_NVRTC_PATH"] = "/opt/nv";
        env.Env["CUDA_PATH"] = "/cp";
        Assert.That(Paths(NativeLibrarySpec.Nvrtc, env), Is.EqualTo(new[]
        {
            "/opt/nv/libnvrtc.so.12",
            "/cp/lib64/libnvrtc.so.12",
            "/usr/local/cuda/lib64/libnvrtc.so.12",
            "/usr/local/cuda-13.0/lib64/libnvrtc.so.13",
            "/usr/local/cuda-12.4/targets/x86_64-linux/lib/libnvrtc.so.12",
            "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so",
            "/usr/lib/python3.11/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12",
            "/home/u/.local/lib/python3.12/site-packages/nvidia/cu13/lib/libnvrtc.so.13",
        }));
    }

    [Test]
    public void EnvironmentVariableMayNameAFile()
    {
        var env = new FakeProbeEnvironment().File("/x/custom-cublasLt.so");
        env.Env["MANTIS_CUBLASLT"] = "/x/custom-cublasLt.so";
        Assert.That(Paths(NativeLibrarySpec.CublasLt, env)[0], Is.EqualTo("/x/custom-cublasLt.so"));
    }

    [Test]
    public void NewestSonameFirstWithinAFolder()
    {
        var env = new FakeProbeEnvironment()
            .File("/usr/local/cuda/lib64/libcublasLt.so.12")
            .File("/usr/local/cuda/lib64/libcublasLt.so.13")
            .File("/usr/local/cuda/lib64/libcublasLt.so.11");
        Assert.That(Paths(NativeLibrarySpec.CublasLt, env).Take(3), Is.EqualTo(new[]
        {
            "/usr/local/cuda/lib64/libcublasLt.so.13", "/usr/local/cuda/lib64/libcublasLt.so.12", "/usr/local/cuda/lib64/libcublasLt.so.11",
        }));
    }

    [Test]
    public void DriverIsNeverTakenFromToolkitFolders()
    {
        // The toolkit's lib64/stubs/libcuda.so is a link stub that fails every call: never pick it.
        var env = new FakeProbeEnvironment()
            .File("/usr/local/cuda/lib64/stubs/libcuda.so")
            .File("/usr/local/cuda/lib64/libcuda.so.1")
            .File("/usr/lib/python3.11/site-packages/nvidia/cuda_runtime/lib/libcuda.so.1");
        env.Env["CUDA_PATH"] = "/usr/local/cuda";
        Assert.That(Paths(NativeLibrarySpec.CudaDriver, env), Is.EqualTo(new[] { "libcuda.so.1", "libcuda.so" }));
    }

    [Test]
    public void ProbeReturnsFirstCandidateThatLoads()
    {
        var env = new FakeProbeEnvironment().File("/usr/local/cuda/lib64/libnvrtc.so.12");
        var tried = new List<string>();
        var r = NativeLibraries.Probe(NativeLibrarySpec.Nvrtc, env, p =>
        {
            tried.Add(p);
            return p == "libnvrtc.so.12" ? 42 : 0;
        });
        Assert.That(r.Found, Is.True);
        Assert.That(r.LoadedFrom, Is.EqualTo("libnvrtc.so.12"));
        Assert.That(tried, Is.EqualTo(new[] { "/usr/local/cuda/lib64/libnvrtc.so.12", "libnvrtc.so.13", "libnvrtc.so.12" }));
        Assert.That(r.Describe(), Is.EqualTo("found (libnvrtc.so.12)"));
    }

    [Test]
    public void ProbeFailureNamesWhatWasSearched()
    {
        var env = new FakeProbeEnvironment();
        var r = NativeLibraries.Probe(NativeLibrarySpec.CudaDriver, env, _ => 0);
        Assert.That(r.Found, Is.False);
        Assert.That(r.Describe(), Does.Contain("CUDA driver not found"));
        Assert.That(r.Describe(), Does.Contain("libcuda.so.1"));
        Assert.That(r.Describe(), Does.Contain("MANTIS_CUDA_DRIVER (unset)"));
    }

    [Test]
    public void ProbeSurvivesLoaderExceptions()
    {
        var env = new FakeProbeEnvironment();
        var r = NativeLibraries.Probe(NativeLibrarySpec.Nvrtc, env, _ => throw new BadImageFormatException("wrong arch"));
        Assert.That(r.Found, Is.False);
        Assert.That(r.Tried, Has.Count.EqualTo(4));
    }

    [Test]
    public void WindowsUsesDllNames()
    {
        var env = new FakeProbeEnvironment { IsWindows = true };
        Assert.That(Paths(NativeLibrarySpec.Nvrtc, env), Is.EqualTo(new[] { "nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll" }));
    }

    [TestCase("python3*", "python3.11", true)]
    [TestCase("python3*", "python2.7", false)]
    [TestCase("cuda-*", "cuda-12.4", true)]
    [TestCase("*", "", true)]
    [TestCase("a*b*c", "aXbYc", true)]
    [TestCase("a*b*c", "aXbY", false)]
    public void WildcardMatching(string pattern, string text, bool expected) =>
        Assert.That(LibraryDiscovery.WildcardMatch(pattern, text), Is.EqualTo(expected));

    [Test]
    public void VersionSortPutsNewestFirst() =>
        Assert.That(LibraryDiscovery.SortNewestFirst(new[] { "/a/python3.9", "/a/python3.12", "/a/python3.11" }),
            Is.EqualTo(new[] { "/a/python3.12", "/a/python3.11", "/a/python3.9" }));
}
