using MantisNative.Autograd;
using MantisNative.Backends;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Ops;

public class TapeTests
{
    private static Tensor Param(Rng rng, params int[] dims)
    {
        var t = Tensor.Randn(new Shape(dims), rng, 0.5f);
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void GradientsAccumulateUntilZeroed()
    {
        var rng = new Rng(30);
        using var w = Param(rng, 3, 4);
        using var x = Tensor.Randn(new Shape(2, 4), rng);
        Tape.Backward(Autograd.Ops.Sum(Autograd.Ops.Linear(x, w)));
        var first = w.Grad!.ToArray();
        Tape.Backward(Autograd.Ops.Sum(Autograd.Ops.Linear(x, w)));
        var second = w.Grad!.ToArray();
        for (int i = 0; i < first.Length; i++) Assert.That(second[i], Is.EqualTo(2 * first[i]).Within(1e-5f));
        w.ZeroGrad();
        Assert.That(w.Grad, Is.Null);
        Assert.That(Tape.Current.Count, Is.EqualTo(0), "backward consumes the tape");
    }

    [Test]
    public void FrozenParametersGetNoGradientAndNoGradScopeRecordsNothing()
    {
        var rng = new Rng(31);
        using var frozen = Tensor.Randn(new Shape(3, 4), rng);
        using var trained = Param(rng, 3);
        using var x = Tensor.Randn(new Shape(2, 4), rng);
        using (Tape.NoGrad())
        {
            var y = Autograd.Ops.Linear(x, frozen, trained);
            Assert.That(y.RequiresGrad, Is.False);
            Assert.That(Tape.Current.Count, Is.EqualTo(0));
        }
        var loss = Autograd.Ops.Sum(Autograd.Ops.Linear(x, frozen, trained));
        Tape.Backward(loss);
        Assert.That(frozen.Grad, Is.Null);
        Assert.That(trained.Grad, Is.Not.Null);
        Assert.That(trained.Grad!.ToArray(), Is.EqualTo(new[] { 2f, 2f, 2f }));
    }

    [Test]
    public void NothingIsRecordedWhenNoInputRequiresGrad()
    {
        using var a = Tensor.Zeros(2, 2);
        using var b = Autograd.Ops.Gelu(a, GeluKind.Erf);
        Assert.That(Tape.Current.Count, Is.EqualTo(0));
    }

    /// <summary>A small transformer-ish block: RMSNorm -> Linear -> GELU -> Linear, residual.</summary>
    private static Tensor Block(Tensor x, Tensor nw, Tensor w1, Tensor w2)
    {
        var h = Autograd.Ops.RmsNorm(x, nw, 1e-5f);
        h = Autograd.Ops.Gelu(Autograd.Ops.Linear(h, w1), GeluKind.Tanh);
        h = Autograd.Ops.Linear(h, w2);
        return Autograd.Ops.Add(x, h);
    }

    [Test]
    public void CheckpointedBlockGivesTheSameGradients()
    {
        var rng = new Rng(32);
        using var nw = Param(rng, 6);
        using var w1 = Param(rng, 10, 6);
        using var w2 = Param(rng, 6, 10);
        using var x0 = Param(rng, 3, 6);

        Tape.Backward(Autograd.Ops.Sum(Autograd.Ops.Mul(Block(Block(x0, nw, w1, w2), nw, w1, w2), x0)));
        var plain = new[] { nw, w1, w2, x0 }.Select(t => t.Grad!.ToArray()).ToArray();
        foreach (var t in new[] { nw, w1, w2, x0 }) t.ZeroGrad();

        var y = CheckpointedBlock.Run(i => Block(i[0], nw, w1, w2), x0);
        int recorded = Tape.Current.Count;
        Assert.That(recorded, Is.EqualTo(1), "the checkpointed block records one entry, not its activations");
        y = CheckpointedBlock.Run(i => Block(i[0], nw, w1, w2), y);
        Tape.Backward(Autograd.Ops.Sum(Autograd.Ops.Mul(y, x0)));
        var ckpt = new[] { nw, w1, w2, x0 }.Select(t => t.Grad!.ToArray()).ToArray();

        for (int p = 0; p < plain.Length; p++)
            for (int i = 0; i < plain[p].Length; i++)
                Assert.That(ckpt[p][i], Is.EqualTo(plain[p][i]).Within(1e-6f * (1 + Math.Abs(plain[p][i]))), $"param {p} element {i}");
    }
}
