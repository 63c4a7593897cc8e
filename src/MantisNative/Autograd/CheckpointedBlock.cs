using MantisNative.Tensors;

namespace MantisNative.Autograd;

/// <summary>
/// Gradient checkpointing: the block runs without recording (its activations are freed as soon as the
/// forward is done) and is run again during backward on a private tape to get its gradients. Trades one
/// extra forward of the block for the memory of all its activations.
/// </summary>
public static class CheckpointedBlock
{
    public static Tensor Run(Func<Tensor[], Tensor> block, params Tensor[] inputs)
    {
        Tensor output;
        // the forward's intermediates are freed here, not with the step's scope: only the output outlives the block
        var forward = new TensorScope();
        try
        {
            using (Tape.NoGrad()) output = forward.EndKeeping(block(inputs));
        }
        finally { forward.Dispose(); }
        if (!Tape.IsRecording) return output;

        Tape.Record(output, grad =>
        {
            // Re-run with detached inputs on a private tape; parameters inside the block are the same
            // objects, so their gradients accumulate directly.
            var detached = inputs.Select(t => { var v = t.View(t.Shape); v.RequiresGrad = t.RequiresGrad; return v; }).ToArray();
            var tape = new Tape();
            // the recomputed intermediates are garbage once this block's backward is done (gradients that outlive it,
            // of parameters and inputs, are unscoped copies): one block's worth at a time, not every block's until the step ends
            using (new TensorScope())
            {
                Tape.WithTape(tape, () =>
                {
                    using var recomputed = block(detached);
                    Tape.Backward(recomputed, grad);
                    return 0;
                });
                for (int i = 0; i < inputs.Length; i++)
                    if (inputs[i].RequiresGrad && detached[i].Grad is { } g) inputs[i].AccumulateGrad(g);
            }
            foreach (var d in detached) d.Dispose();
        });
        return output;
    }
}
