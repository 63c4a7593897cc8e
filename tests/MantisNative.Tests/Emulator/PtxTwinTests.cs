using System.Text.RegularExpressions;
using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>
/// Every inline-PTX instruction of the kernels has an emulated twin (kernels/emu/ptx_twins.h, function named after
/// the mnemonic with '.' as '_'), and inline PTX lives only in the kernels' headers (small wrappers), so each
/// instruction has exactly one place to twin.
/// </summary>
public partial class PtxTwinTests
{
    // the one braced form the emulator takes: { .reg .pred P; INSTR P, ...; selp.u32 %0, 1, 0, P; } (a predicate result)
    [GeneratedRegex(@"\basm\s*(?:volatile\s*|__volatile__\s*)*\(\s*""\s*(?:\{\s*\.reg\s+\.pred\s+\w+;\s*)?([a-z][a-z0-9_.:]*)")]
    private static partial Regex AsmMnemonic();

    [GeneratedRegex(@"static\s+inline\s+void\s+([a-z][a-z0-9_]*)\s*\(")]
    private static partial Regex TwinFunction();

    private static IEnumerable<string> KernelFiles() =>
        Directory.GetFiles(EmulatorHarness.KernelsDir).Where(f => f.EndsWith(".cu", StringComparison.Ordinal) || f.EndsWith(".cuh", StringComparison.Ordinal));

    [GeneratedRegex(@"#include\s+""(twins_[a-z0-9_]+\.h)""")]
    private static partial Regex TwinInclude();

    /// <summary>ptx_twins.h and the twins_*.h headers it includes (one per instruction family).</summary>
    private static IEnumerable<string> TwinHeaders()
    {
        var main = Path.Combine(EmulatorHarness.KernelsDir, "emu", "ptx_twins.h");
        return new[] { main }.Concat(TwinInclude().Matches(File.ReadAllText(main))
            .Select(m => Path.Combine(EmulatorHarness.KernelsDir, "emu", m.Groups[1].Value)));
    }

    [Test]
    public void EveryAsmMnemonicInTheKernelsHasATwin()
    {
        var twins = TwinHeaders().SelectMany(h => TwinFunction().Matches(File.ReadAllText(h))).Select(m => m.Groups[1].Value).ToHashSet();
        var mnemonics = KernelFiles().SelectMany(f => AsmMnemonic().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Op: m.Groups[1].Value))).ToList();
        Assert.That(mnemonics.Select(m => m.Op), Does.Contain("cvt.rn.bf16.f32"), "the scan finds today's instruction");
        foreach (var (file, op) in mnemonics)
            Assert.That(twins, Does.Contain(op.Replace('.', '_').Replace(':', '_')), $"{file}: inline PTX '{op}' has no emulated twin in kernels/emu/ptx_twins.h");
    }

    [Test]
    public void InlinePtxOnlyInHeaders()
    {
        foreach (var f in KernelFiles().Where(f => f.EndsWith(".cu", StringComparison.Ordinal)))
            Assert.That(AsmMnemonic().IsMatch(File.ReadAllText(f)), Is.False, $"{Path.GetFileName(f)} uses inline PTX: move it into a wrapper in common.cuh");
    }

    [Test]
    public void TheScanSeesEveryAsmStatement()
    {
        // an asm whose template is not a plain literal would slip past the mnemonic scan: there is none
        foreach (var f in KernelFiles())
        {
            var text = File.ReadAllText(f);
            int statements = Regex.Matches(text, @"\basm\s*(volatile\s*)?\(").Count;
            Assert.That(AsmMnemonic().Matches(text).Count, Is.EqualTo(statements), Path.GetFileName(f));
        }
    }
}
