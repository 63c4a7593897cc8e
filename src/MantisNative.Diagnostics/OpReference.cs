using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Diagnostics;

/// <summary>
/// An op case run on the CPU engine in fp32 (the reference every checker compares with): the forward output, and
/// when the case has a backward, every input gradient for the output gradient <see cref="Seed"/>.
/// </summary>
internal sealed record OpReference(float[] Output, Shape OutputShape, float[]? Seed, float[]?[] Grads)
{
    /// <summary>
    /// Runs <paramref name="c"/> on host tensors holding <paramref name="values"/> (one array per input, already as the
    /// target sees them); <paramref name="seedFor"/> draws the output gradient for the output's shape (a scalar output
    /// gets 1).
    /// </summary>
    public static OpReference Run(OpCase c, float[][] values, Func<int[], float[]> seedFor)
    {
        using var scope = new TensorScope();
        var inputs = c.Inputs.Select((inp, i) => OpCheckRunner.Leaf(Tensor.FromArray(values[i], inp.Shape), inp)).ToArray();
        try
        {
            var y = c.Run(inputs);
            var output = y.ToArray();
            float[]? seed = null;
            var grads = new float[]?[inputs.Length];
            if (c.Backward && y.RequiresGrad)
            {
                seed = y.Numel == 1 ? new[] { 1f } : seedFor(y.Shape.ToArray());
                Tape.Backward(y, Tensor.FromArray(seed, y.Shape.ToArray()));
                for (int i = 0; i < inputs.Length; i++) grads[i] = inputs[i].Grad?.ToArray();
            }
            return new OpReference(output, y.Shape, seed, grads);
        }
        finally
        {
            Tape.Current.Clear();
            foreach (var t in inputs) t.Dispose();
        }
    }

    /// <summary>Values offset + scale * N(0, 1) for one input, from <paramref name="rng"/>.</summary>
    public static float[] Draw(OpInput input, Random rng)
    {
        long n = input.Shape.Aggregate(1L, (a, d) => a * d);
        var v = new float[n];
        for (long i = 0; i < n; i++)
            v[i] = input.Offset + input.Scale * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return v;
    }
}
