using NUnit.Framework;

namespace MantisNative.Tests;

public class SmokeTests
{
    [Test]
    public void InfoCommandSucceeds()
    {
        Assert.That(MantisNative.Cli.InfoCommand.Run(), Is.EqualTo(0));
    }
}
