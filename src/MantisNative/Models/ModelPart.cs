namespace MantisNative.Models;

/// <summary>The parts of the multimodal model a parameter belongs to (what `--train` switches on), as Nn.Parameter.Part names.</summary>
public static class ModelPart
{
    public const string Vision = "vision";
    public const string Projector = "projector";
    public const string Language = "llm";
}
