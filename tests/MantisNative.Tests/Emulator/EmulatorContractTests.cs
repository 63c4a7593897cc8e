using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>The emulated device's exported C API against CUDA's contract: error codes and H100 limits (threads per
/// block, grid y/z, 48 KB static and 227 KB opt-in shared memory, __launch_bounds__), NaN-poisoned memory, warp
/// collectives, sticky faults, fiber order (kernels/emu/emu_selftest.cpp, one line per check).</summary>
[TestFixture, Category("Emulator")]
public class EmulatorContractTests
{
    [TestCase(0)]
    [TestCase(1)]
    public void ExportedApiKeepsCudasContract(int seed)
    {
        var lib = EmulatorHarness.Library();
        var selftest = Path.Combine(Path.GetDirectoryName(lib)!, "emu_selftest");
        var env = EmulatorHarness.Environment(seed);
        env.Remove("MANTIS_DEVICE");
        var (rc, output) = EmulatorHarness.Run(selftest, Array.Empty<string>(), env, 300);
        TestContext.Out.WriteLine(output);
        Assert.That(output, Does.Contain("all checks passed"), output);
        Assert.That(rc, Is.EqualTo(0), output);
        // the first thread to run names it: (0,0,0) in forward order, (31,0,0) in reverse
        Assert.That(output, Does.Match(@"kernel too_much_static block \(0,0,0\) thread \(\d+,0,0\): static __shared__ memory exceeds 48 KB"));
        Assert.That(output, Does.Contain(seed == 0 ? "forward order: the racy read" : "reverse order: the racy read sees the NaN poison"),
            "the order of the fibers decides what a read without a barrier sees");
    }
}
