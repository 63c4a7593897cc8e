namespace MantisNative.Data.Chat;

/// <summary>One turn of a conversation. Role is "user", "assistant" or "system"; content may hold "&lt;image&gt;" tags.</summary>
public sealed record ChatMessage(string Role, string Content)
{
    public static ChatMessage User(string content) => new("user", content);
    public static ChatMessage Assistant(string content) => new("assistant", content);
}
