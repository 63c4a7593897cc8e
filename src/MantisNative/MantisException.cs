namespace MantisNative;

/// <summary>
/// An error caused by the user's input (a file, a config, a record, an image, a flag).
/// The message names the thing and the place; the CLI prints it as one line without a stack trace.
/// </summary>
public class MantisException : Exception
{
    public MantisException(string message) : base(message) { }
    public MantisException(string message, Exception inner) : base(message, inner) { }
}
