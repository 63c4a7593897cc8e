using MantisNative.Cli;

namespace MantisNative.Tests.Cli;

/// <summary>Runs the `mantis` program in-process with its console captured (stdin optional).</summary>
internal static class CliRun
{
    public static (int Code, string Out, string Err) RunWithInput(string? stdin, params string[] args)
    {
        var (oldOut, oldErr, oldIn) = (Console.Out, Console.Error, Console.In);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        if (stdin is not null) Console.SetIn(new StringReader(stdin));
        try { return (CliApp.Run(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); Console.SetIn(oldIn); }
    }

    public static (int Code, string Out, string Err) Run(params string[] args) => RunWithInput(null, args);

    /// <summary>
    /// A usage error (an option the command does not take): exit 2, one line on stderr naming it and pointing at the
    /// command's --help, no list of every option, no stack trace.
    /// </summary>
    public static void AssertUsageError((int Code, string Out, string Err) r, string command, string named)
    {
        NUnit.Framework.Assert.That(r.Code, NUnit.Framework.Is.EqualTo(2), r.Err);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        NUnit.Framework.Assert.That(lines, NUnit.Framework.Has.Length.EqualTo(1), r.Err);
        NUnit.Framework.Assert.That(lines[0], NUnit.Framework.Does.StartWith("error: ").And.Contain(named).And.EndWith($"see mantis {command} --help"));
        NUnit.Framework.Assert.That(r.Err, NUnit.Framework.Does.Not.Contain("known:").And.Not.Contain("   at "));
    }

    /// <summary>A user error: exit 1, one line on stderr that names <paramref name="named"/>, no stack trace.</summary>
    public static void AssertOneLineError((int Code, string Out, string Err) r, string named)
    {
        NUnit.Framework.Assert.That(r.Code, NUnit.Framework.Is.EqualTo(1), r.Err);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        NUnit.Framework.Assert.That(lines, NUnit.Framework.Has.Length.EqualTo(1), r.Err);
        NUnit.Framework.Assert.That(lines[0], NUnit.Framework.Does.StartWith("error: ").And.Contain(named));
        NUnit.Framework.Assert.That(r.Err, NUnit.Framework.Does.Not.Contain("   at "));
    }
}
