using System.Text;
using MantisNative.Backends.Cuda;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class KernelModuleCacheTests
{
    private sealed class FakeCompiler : IKernelCompiler
    {
        public string Identity { get; set; } = "fake 1.0";
        public int Calls;
        public bool Fail;
        public KernelCompileOutput Compile(string name, string source, IReadOnlyList<KernelHeader> headers, IReadOnlyList<string> options, bool cubin)
        {
            Calls++;
            if (Fail) return new KernelCompileOutput(false, Array.Empty<byte>(), $"{name}.cu(3): error: expected a \";\"");
            return new KernelCompileOutput(true, Encoding.UTF8.GetBytes($"image of {name} for {string.Join(' ', options)}\0"),
                $"ptxas info    : Compiling entry function '{name}_forward' for 'sm_90a'\nptxas info    : Used 12 registers\n");
        }
    }

    private string _dir = null!;
    private static readonly KernelSource Source = new("rmsnorm", "rmsnorm.cu", "extern \"C\" __global__ void rmsnorm_forward() {}");
    private static readonly KernelHeader[] Headers = { new("common.cuh", "#pragma once\n") };
    private static readonly KernelTarget Sm90 = new("sm_90a");

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "mantis-kcache-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    [Test]
    public void CompilesOnceThenHitsMemoryThenDisk()
    {
        var fake = new FakeCompiler();
        var cache = new KernelModuleCache(fake, new KernelDiskCache(_dir));
        var first = cache.GetOrCompile(Source, Headers, Sm90);
        var second = cache.GetOrCompile(Source, Headers, Sm90);
        Assert.That(first.Origin, Is.EqualTo(KernelCacheOrigin.Compiled));
        Assert.That(second.Origin, Is.EqualTo(KernelCacheOrigin.Memory));
        Assert.That(fake.Calls, Is.EqualTo(1));

        var fresh = new KernelModuleCache(fake, new KernelDiskCache(_dir));   // a new process, same disk cache
        var third = fresh.GetOrCompile(Source, Headers, Sm90);
        Assert.That(third.Origin, Is.EqualTo(KernelCacheOrigin.Disk));
        Assert.That(third.Image, Is.EqualTo(first.Image));
        Assert.That(third.Log, Is.EqualTo(first.Log));
        Assert.That(fake.Calls, Is.EqualTo(1));
        Assert.That(Directory.GetFiles(_dir, "*.tmp"), Is.Empty, "temporary files must be renamed away");
    }

    [Test]
    public void ChangedInputsMiss()
    {
        var fake = new FakeCompiler();
        var cache = new KernelModuleCache(fake, new KernelDiskCache(_dir));
        cache.GetOrCompile(Source, Headers, Sm90);
        cache.GetOrCompile(Source, Headers, new KernelTarget("compute_80"));
        cache.GetOrCompile(Source with { Text = Source.Text + " " }, Headers, Sm90);
        cache.GetOrCompile(Source, new[] { new KernelHeader("common.cuh", "#pragma once // edited\n") }, Sm90);
        Assert.That(fake.Calls, Is.EqualTo(4));
        fake.Identity = "fake 2.0";   // a compiler upgrade
        new KernelModuleCache(fake, new KernelDiskCache(_dir)).GetOrCompile(Source, Headers, Sm90);
        Assert.That(fake.Calls, Is.EqualTo(5));
    }

    [TestCase("truncate")]
    [TestCase("flip")]
    [TestCase("garbage")]
    [TestCase("empty")]
    public void CorruptEntryIsRecompiledAndReplaced(string damage)
    {
        var fake = new FakeCompiler();
        var disk = new KernelDiskCache(_dir);
        var good = new KernelModuleCache(fake, disk).GetOrCompile(Source, Headers, Sm90);
        var path = disk.PathFor(Source.Name, good.Key, Sm90);
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "truncate": File.WriteAllBytes(path, bytes[..(bytes.Length - 3)]); break;
            case "flip": bytes[^1] ^= 0xff; File.WriteAllBytes(path, bytes); break;
            case "garbage": File.WriteAllText(path, "not a cache entry"); break;
            case "empty": File.WriteAllBytes(path, Array.Empty<byte>()); break;
        }
        var again = new KernelModuleCache(fake, disk).GetOrCompile(Source, Headers, Sm90);
        Assert.That(again.Origin, Is.EqualTo(KernelCacheOrigin.Compiled));
        Assert.That(again.Image, Is.EqualTo(good.Image));
        Assert.That(fake.Calls, Is.EqualTo(2));
        Assert.That(disk.TryRead(path), Is.Not.Null, "the damaged entry is rewritten");
    }

    [Test]
    public void CompileFailureCarriesTheLog()
    {
        var fake = new FakeCompiler { Fail = true };
        var cache = new KernelModuleCache(fake, new KernelDiskCache(_dir));
        var e = Assert.Throws<KernelCompileException>(() => cache.GetOrCompile(Source, Headers, Sm90))!;
        Assert.That(e.Message, Does.Contain("rmsnorm.cu failed to compile for sm_90a"));
        Assert.That(e.Log, Does.Contain("error: expected"));
        Assert.That(Directory.Exists(_dir) ? Directory.GetFiles(_dir) : Array.Empty<string>(), Is.Empty, "failures are not cached");
    }

    [Test]
    public void UnwritableCacheFolderStillCompiles()
    {
        // A file where the folder should be: every write fails, compilation still succeeds.
        File.WriteAllText(_dir, "blocker");
        try
        {
            var fake = new FakeCompiler();
            var r = new KernelModuleCache(fake, new KernelDiskCache(_dir)).GetOrCompile(Source, Headers, Sm90);
            Assert.That(r.Origin, Is.EqualTo(KernelCacheOrigin.Compiled));
        }
        finally { File.Delete(_dir); }
    }

    [Test]
    public void WorksWithoutDiskCache()
    {
        var fake = new FakeCompiler();
        var cache = new KernelModuleCache(fake, null);
        cache.GetOrCompile(Source, Headers, Sm90);
        Assert.That(cache.GetOrCompile(Source, Headers, Sm90).Origin, Is.EqualTo(KernelCacheOrigin.Memory));
        Assert.That(fake.Calls, Is.EqualTo(1));
    }

    [Test]
    public void CacheKeyIsStableAndSensitive()
    {
        var opts = Sm90.CompilerOptions(true);
        var k = KernelCacheKey.Compute("src", Headers, opts, Sm90, "nvrtc 12.4");
        Assert.That(k, Has.Length.EqualTo(64));
        Assert.That(KernelCacheKey.Compute("src", Headers, opts, Sm90, "nvrtc 12.4"), Is.EqualTo(k));
        Assert.That(KernelCacheKey.Compute("src2", Headers, opts, Sm90, "nvrtc 12.4"), Is.Not.EqualTo(k));
        Assert.That(KernelCacheKey.Compute("src", Headers, opts, Sm90, "nvrtc 13.0"), Is.Not.EqualTo(k));
        Assert.That(KernelCacheKey.Compute("src", Headers, new[] { "-std=c++17" }, Sm90, "nvrtc 12.4"), Is.Not.EqualTo(k));
        Assert.That(KernelCacheKey.Compute("src", Headers, opts, new KernelTarget("sm_80"), "nvrtc 12.4"), Is.Not.EqualTo(k));
        Assert.That(KernelCacheKey.Compute("src", new[] { new KernelHeader("common.cuh", "x") }, opts, Sm90, "nvrtc 12.4"), Is.Not.EqualTo(k));
        // Length-prefixed parts: moving text between source and header changes the key.
        Assert.That(KernelCacheKey.Compute("ab", new[] { new KernelHeader("h", "c") }, opts, Sm90, "x"),
            Is.Not.EqualTo(KernelCacheKey.Compute("a", new[] { new KernelHeader("h", "bc") }, opts, Sm90, "x")));
    }

    [Test]
    public void DefaultCacheFolderHonoursEnvironment()
    {
        var old = Environment.GetEnvironmentVariable(KernelDiskCache.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(KernelDiskCache.EnvironmentVariable, "/tmp/some-cache");
            Assert.That(KernelDiskCache.DefaultDirectory(), Is.EqualTo("/tmp/some-cache"));
            Environment.SetEnvironmentVariable(KernelDiskCache.EnvironmentVariable, null);
            Assert.That(KernelDiskCache.DefaultDirectory(), Does.EndWith(Path.Combine(".cache", "mantis", "kernels")));
        }
        finally { Environment.SetEnvironmentVariable(KernelDiskCache.EnvironmentVariable, old); }
    }
}
