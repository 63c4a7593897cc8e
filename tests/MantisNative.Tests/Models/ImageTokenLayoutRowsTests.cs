using MantisNative.Autograd;
using AOps = MantisNative.Autograd.Ops;
using MantisNative.Models;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Models;

/// <summary>Cutting a layout to some of its rows (the length groups' building block) and dividing a part's loss by the batch's count.</summary>
public class ImageTokenLayoutRowsTests
{
    // two rows of 6 positions: row 0 "5 <image> 7" expanded to 2 features, row 1 "8" then padding
    private static ImageTokenLayout Layout() => ImageTokenLayout.Build(
        new[] { 5, 9, 7, 3, 3, 3, 8, 3, 3, 3, 3, 3 }, 2, new[] { -100, -100, 7, -100, -100, -100, 8, -100, -100, -100, -100, -100 },
        new[] { true, true, true, false, false, false, true, false, false, false, false, false }, imageTokenId: 9, images: 1, perImage: 2, padId: 3);

    [Test]
    public void UsedLengthsEndAtTheLastValidPosition() => Assert.That(Layout().UsedLengths(), Is.EqualTo(new[] { 4, 1 }));

    [Test]
    public void SelectedRowsKeepTheirIdsLabelsAndBatchWideFeatureRows()
    {
        var layout = Layout();
        var part = layout.SelectRows(new[] { 0 }, 4);
        Assert.That(part.Batch, Is.EqualTo(1));
        Assert.That(part.Ids, Is.EqualTo(new[] { 5, 9, 9, 7 }));
        Assert.That(part.Labels, Is.EqualTo(new[] { -100, -100, -100, 7 }));
        Assert.That(part.FeatureRow, Is.EqualTo(new[] { -1, 0, 1, -1 }));
        var second = layout.SelectRows(new[] { 1 }, 1);
        Assert.That(second.Ids, Is.EqualTo(new[] { 8 }));
    }

    [Test]
    public void ACutThroughAValidPositionIsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => Layout().SelectRows(new[] { 1, 0 }, 3));
        Assert.That(ex!.Message, Does.Contain("row 0").And.Contain("position at 3"));
    }

    [Test]
    public void APartOfABatchDividesByTheBatchCount()
    {
        using var logits = Tensor.FromArray(new[] { 0f, 1f, 2f, 1f, 0f, 0f }, 2, 3);
        float whole = AOps.CrossEntropy(logits, LossTargets.Create(new[] { 2, 0 }, 3, Device.Cpu)).Item();
        using var first = Tensor.FromArray(new[] { 0f, 1f, 2f }, 1, 3);
        using var second = Tensor.FromArray(new[] { 1f, 0f, 0f }, 1, 3);
        float a = AOps.CrossEntropy(first, LossTargets.Create(new[] { 2 }, 3, Device.Cpu, AOps.IgnoreIndex, divideBy: 2)).Item();
        float b = AOps.CrossEntropy(second, LossTargets.Create(new[] { 0 }, 3, Device.Cpu, AOps.IgnoreIndex, divideBy: 2)).Item();
        Assert.That(a + b, Is.EqualTo(whole).Within(1e-6f), "fp32: two partial means against one");
        Assert.Throws<ArgumentException>(() => LossTargets.Create(new[] { 2, 0 }, 3, Device.Cpu, AOps.IgnoreIndex, divideBy: 1));
    }
}
