using MantisNative.Data.Synthetic;
using NUnit.Framework;

namespace MantisNative.Tests.Data.Synthetic;

public class SyntheticSetInfoTests
{
    [Test]
    public void EnsureExistsMakesReusesRemakesAndRefuses()
    {
        var root = Path.Combine(Path.GetTempPath(), "mantis-ensure-" + Guid.NewGuid().ToString("N"));
        try
        {
            var dir = Path.Combine(root, "set");
            var o = new SyntheticOptions { Train = 30, HeldOut = 15, Seed = 4 };
            Assert.That(SyntheticSetInfo.TryLoad(dir), Is.Null);
            var made = SyntheticSetInfo.EnsureExists(dir, o);
            Assert.That(made.Families, Has.Count.EqualTo(SkillFamilies.All.Count));
            Assert.That(made.Families.Select(f => f.Name), Is.EqualTo(SkillFamilies.All.Select(f => f.Name)));
            Assert.That(made.Families.Single(f => f.Name == "compare_same_colour").Chance, Is.EqualTo(0.5));
            Assert.That(made.Families.Sum(f => f.Train), Is.EqualTo(30));

            var stamp = File.GetLastWriteTimeUtc(made.TrainFile);
            var again = SyntheticSetInfo.EnsureExists(dir, o);
            Assert.That(File.GetLastWriteTimeUtc(again.TrainFile), Is.EqualTo(stamp), "same options: reused, not rewritten");

            var other = SyntheticSetInfo.EnsureExists(dir, new SyntheticOptions { Train = 45, HeldOut = 15, Seed = 4 });
            Assert.That(other.TrainExamples, Is.EqualTo(45));

            var foreign = Path.Combine(root, "mine");
            Directory.CreateDirectory(foreign);
            File.WriteAllText(Path.Combine(foreign, "notes.txt"), "keep");
            Assert.Throws<MantisException>(() => SyntheticSetInfo.EnsureExists(foreign, o));
            Assert.That(File.Exists(Path.Combine(foreign, "notes.txt")));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
