using NUnit.Framework;

namespace MantisNative.Tests;

public class SmokeTests
{
    [Test]
    public void InfoCommandSucceeds()
    {
        Assert.That(MantisNative.Cli.InfoCommand.Run(Array.Empty<string>()), Is.EqualTo(0));
    }
}
