namespace MantisNative.Data.Records;

/// <summary>The three roles a turn may have after normalisation (human -> User, gpt -> Assistant).</summary>
public enum TurnRole { System, User, Assistant }

/// <summary>One message of a conversation. Content keeps its `&lt;image&gt;` placeholders as written in the record.</summary>
public sealed record Turn(TurnRole Role, string Content)
{
    /// <summary>The role as the Llama-3 chat template spells it.</summary>
    public string RoleName => Role switch
    {
        TurnRole.System => "system",
        TurnRole.User => "user",
        _ => "assistant",
    };
}
