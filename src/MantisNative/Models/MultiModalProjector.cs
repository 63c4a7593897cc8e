using MantisNative.Autograd;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.Models;

/// <summary>LLaVA projector: linear_1 (vision hidden -> text hidden), activation, linear_2.</summary>
public sealed class MultiModalProjector
{
    private readonly Linear _l1, _l2;
    private readonly Activation _act;

    public MultiModalProjector(ParameterStore ps, LlavaConfig c)
    {
        _l1 = new Linear(ps, "multi_modal_projector.linear_1", c.Vision.HiddenSize, c.Text.HiddenSize, true);
        _l2 = new Linear(ps, "multi_modal_projector.linear_2", c.Text.HiddenSize, c.Text.HiddenSize, true);
        _act = c.ProjectorHiddenAct;
    }

    public Tensor Forward(Tensor x) => _l2.Forward(Ops.Activate(_act, _l1.Forward(x)));
}
