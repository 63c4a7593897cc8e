using NUnit.Framework;

namespace MantisNative.Tests.Data.Images;

internal static class ImageTestPaths
{
    public static string Fixture(params string[] parts) =>
        Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", .. parts]);

    /// <summary>Max and mean |a - b| over two equal-length arrays.</summary>
    public static (double Max, double Mean) Diff(float[] a, float[] b)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length), "tensor sizes differ");
        double max = 0, sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            sum += d;
            if (d > max) max = d;
        }
        return (max, sum / a.Length);
    }
}
