using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// AdamW with decoupled weight decay, arithmetic ordered as torch.optim.AdamW's single-tensor path
/// (scalars in double, cast to float, then float tensor math) so a step matches PyTorch to float rounding.
/// Moments live in fp32 per parameter and can be saved and restored.
/// </summary>
public sealed class AdamW
{
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;

    /// <summary>Completed steps (bias correction uses Step after increment).</summary>
    public int Step { get; set; }

    public Dictionary<string, (float[] M, float[] V)> State { get; } = new(StringComparer.Ordinal);

    /// <summary>One update of every (name, parameter, weight decay) whose gradient is set.</summary>
    public void Update(IEnumerable<(string Name, Tensor Param, double WeightDecay)> parameters, double lr)
    {
        Step++;
        double bc1 = 1 - Math.Pow(Beta1, Step), bc2 = 1 - Math.Pow(Beta2, Step);
        float stepSize = (float)(lr / bc1), bc2Sqrt = (float)Math.Sqrt(bc2);
        float b1 = (float)Beta1, b2 = (float)Beta2, oneMinusB1 = (float)(1 - Beta1), oneMinusB2 = (float)(1 - Beta2), eps = (float)Eps;
        foreach (var (name, p, wd) in parameters)
        {
            if (p.Grad is null) continue;
            if (!State.TryGetValue(name, out var s))
                State[name] = s = (new float[p.Numel], new float[p.Numel]);
            float decay = (float)(1 - lr * wd);
            var m = s.M; var v = s.V;
            Backends.Cpu.Activations.Map(p.Numel, (i0, i1) =>
            {
                var ws = p.Span; var gs = p.Grad!.Span;
                for (long j = i0; j < i1; j++)
                {
                    int i = (int)j;
                    if (wd != 0) ws[i] *= decay;
                    m[i] = m[i] * b1 + gs[i] * oneMinusB1;
                    v[i] = v[i] * b2 + gs[i] * gs[i] * oneMinusB2;
                    float denom = MathF.Sqrt(v[i]) / bc2Sqrt + eps;
                    ws[i] += -stepSize * (m[i] / denom);
                }
            });
        }
    }
}
