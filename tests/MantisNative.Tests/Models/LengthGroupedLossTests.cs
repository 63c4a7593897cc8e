using MantisNative.Autograd;
using Ignore = MantisNative.Autograd.Ops;
using MantisNative.Models;
using MantisNative.Nn;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Models;

/// <summary>
/// The training forward split into length groups, with the LM head only on rows that have a target, gives the padded
/// batch's loss and gradients: within 1e-5 relative (fp32; the groups' weight gradients sum over rows in another
/// order, the loss adds the groups' partial means). The batch mixes one to four images a row, a row without any
/// target and a left-padded row, so the groups differ in length and a cut that dropped a valid position would show.
/// </summary>
public class LengthGroupedLossTests
{
    private const int Vocab = 64, ImageId = 60, PadId = 61, Bos = 62, Eos = 63;

    private sealed record Row(int Images, int TextBefore, int TextAfter, int Answer, int LeftPad);

    private static readonly Row[] Rows =
    {
        new(1, 5, 3, 2, 0), new(3, 9, 4, 3, 0), new(2, 4, 2, 0, 0), new(4, 3, 6, 1, 0), new(1, 2, 2, 2, 2), new(1, 1, 1, 1, 0),
    };

    private static (int[] Ids, int[] Labels, bool[] Mask, int Images, int Length) Batch()
    {
        var rng = new Random(3);
        var rows = Rows.Select(r =>
        {
            var ids = new List<int>(); var labels = new List<int>(); var mask = new List<bool>();
            void Add(int id, bool label, bool valid = true) { ids.Add(id); labels.Add(label ? id : Ignore.IgnoreIndex); mask.Add(valid); }
            for (int i = 0; i < r.LeftPad; i++) Add(PadId, false, valid: false);
            Add(Bos, false);
            for (int i = 0; i < r.TextBefore; i++) Add(rng.Next(0, 59), false);
            for (int i = 0; i < r.Images; i++) Add(ImageId, false);
            for (int i = 0; i < r.TextAfter; i++) Add(rng.Next(0, 59), false);
            for (int i = 0; i < r.Answer; i++) Add(rng.Next(0, 59), true);
            if (r.Answer > 0) Add(Eos, true);
            return (ids, labels, mask);
        }).ToList();
        int len = rows.Max(r => r.ids.Count);
        var outIds = new List<int>(); var outLabels = new List<int>(); var outMask = new List<bool>();
        foreach (var (ids, labels, mask) in rows)
        {
            outIds.AddRange(ids.Concat(Enumerable.Repeat(PadId, len - ids.Count)));
            outLabels.AddRange(labels.Concat(Enumerable.Repeat(Ignore.IgnoreIndex, len - ids.Count)));
            outMask.AddRange(mask.Concat(Enumerable.Repeat(false, len - ids.Count)));
        }
        return (outIds.ToArray(), outLabels.ToArray(), outMask.ToArray(), Rows.Sum(r => r.Images), len);
    }

    private static (float Loss, float[][] Grads, string[] Names) Train(bool grouping, int maxGroups, bool fused = false)
    {
        var (ids, labels, mask, images, _) = Batch();
        using var model = new MantisModel(TinyModelConfig.Create(Vocab, ImageId, PadId, Bos, Eos), new RandomWeights(21));
        model.SetTrainable(vision: true, projector: true, language: true);
        model.LengthGrouping = grouping;
        model.MaxLengthGroups = maxGroups;
        model.FusedLoss = fused;
        var rng = new Random(5);
        using var pixels = Tensor.FromArray(Enumerable.Range(0, images * 3 * 32 * 32).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), images, 3, 32, 32);
        using var scope = new TensorScope();
        var o = model.ForwardLoss(ids, Rows.Length, pixels, labels, mask);
        float loss = o.Loss.Item();
        Tape.Backward(o.Loss);
        return (loss, model.TrainableParameters.Select(p => p.Tensor.Grad?.ToArray() ?? Array.Empty<float>()).ToArray(), model.TrainableParameters.Select(p => p.Name).ToArray());
    }

    private static double Norm(float[] x) => Math.Sqrt(x.Sum(v => (double)v * v));

    private static double RelL2(float[] got, float[] want)
    {
        double num = 0, den = 0;
        for (int i = 0; i < want.Length; i++) { num += (double)(got[i] - want[i]) * (got[i] - want[i]); den += (double)want[i] * want[i]; }
        return Math.Sqrt(num / Math.Max(den, 1e-30));
    }

    [Test]
    public void TheBatchSplitsIntoSeveralGroups()
    {
        // the rows' expanded lengths (16 features an image) and the ones with a target
        var lengths = Rows.Select(r => r.LeftPad + 1 + r.TextBefore + 16 * r.Images + r.TextAfter + r.Answer + (r.Answer > 0 ? 1 : 0)).ToArray();
        var withTarget = Enumerable.Range(0, Rows.Length).Where(i => Rows[i].Answer > 0).ToArray();
        Assert.That(LengthGroups.Plan(withTarget, lengths, 4).Count, Is.GreaterThan(1));
    }

    [TestCase(4, false)]
    [TestCase(1, false)]
    [TestCase(4, true)]
    public void GroupedLossAndGradientsEqualThePaddedBatch(int maxGroups, bool fused)
    {
        var padded = Train(grouping: false, 1);
        var grouped = Train(grouping: true, maxGroups, fused);
        Assert.That(padded.Loss, Is.GreaterThan(0));
        Assert.That(Math.Abs(grouped.Loss - padded.Loss) / padded.Loss, Is.LessThan(1e-5), $"loss {grouped.Loss} vs {padded.Loss}");
        Assert.That(grouped.Grads.Length, Is.EqualTo(padded.Grads.Length));
        for (int i = 0; i < padded.Grads.Length; i++)
        {
            string name = padded.Names[i];
            Assert.That(grouped.Grads[i].Length, Is.EqualTo(padded.Grads[i].Length), name);
            if (name.EndsWith("k_proj.bias"))
            {
                // exactly 0 in exact arithmetic (a key bias adds the same q.b to every score of a query, and softmax
                // ignores a shift), so both runs hold rounding noise: check it is noise against the query bias's scale
                double scale = Norm(padded.Grads[Array.IndexOf(padded.Names, name.Replace("k_proj", "q_proj"))]);
                Assert.That(Norm(grouped.Grads[i]), Is.LessThan(1e-4 * scale), name);
                Assert.That(Norm(padded.Grads[i]), Is.LessThan(1e-4 * scale), name);
                continue;
            }
            Assert.That(RelL2(grouped.Grads[i], padded.Grads[i]), Is.LessThan(1e-5), name);
        }
    }

    [Test]
    public void ABatchWithoutTargetsHasALossOfZero()
    {
        var (ids, _, mask, images, _) = Batch();
        var none = Enumerable.Repeat(Ignore.IgnoreIndex, ids.Length).ToArray();
        using var model = new MantisModel(TinyModelConfig.Create(Vocab, ImageId, PadId, Bos, Eos), new RandomWeights(21));
        model.LengthGrouping = true;
        using var pixels = Tensor.Zeros(images, 3, 32, 32);
        using var scope = new TensorScope();
        Assert.That(model.ForwardLoss(ids, Rows.Length, pixels, none, mask).Loss.Item(), Is.EqualTo(0f));
    }
}
