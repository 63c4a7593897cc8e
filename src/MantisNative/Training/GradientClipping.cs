using MantisNative.Autograd;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (coefficient max / (norm + 1e-6), at most 1).</summary>
public static class GradientClipping
{
    /// <summary>The L2 norm of all gradients together: on the host in double (the CPU primitive's own sum), on a
    /// device its <see cref="Ops.GradSquaredNorm"/>.</summary>
    public static double GlobalNorm(IEnumerable<Tensor> parameters)
    {
        var grads = parameters.Where(p => p.Grad is not null).Select(p => p.Grad!).ToList();
        if (grads.All(g => !g.IsOnDevice)) return Math.Sqrt(CpuOps.SumOfSquares(grads));
        using var sumsq = Ops.GradSquaredNorm(grads);
        return Math.Sqrt(sumsq.ToArray()[0]);
    }

    /// <summary>Scales gradients so their global norm is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public static double Clip(IReadOnlyList<Tensor> parameters, double maxNorm)
    {
        double norm = GlobalNorm(parameters);
        if (maxNorm <= 0 || !double.IsFinite(norm)) return norm;
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1)
            foreach (var p in parameters)
                if (p.Grad is not null) TensorPrimitives.Multiply(p.Grad.Span, (float)coef, p.Grad.Span);
        return norm;
    }
}
