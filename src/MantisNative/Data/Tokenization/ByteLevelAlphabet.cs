namespace MantisNative.Data.Tokenization;

/// <summary>
/// GPT-2's byte-to-unicode table used by Hugging Face "ByteLevel" pre-tokenizers and decoders:
/// every byte gets a printable character, so a byte sequence becomes a vocab string.
/// Printable Latin-1 bytes map to themselves; the other 68 map to U+0100.. in byte order.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToCharTable = BuildByteToChar();
    private static readonly short[] CharToByteTable = BuildCharToByte();

    /// <summary>The character that stands for byte <paramref name="b"/> in vocab strings.</summary>
    public static char ByteToChar(byte b) => ByteToCharTable[b];

    /// <summary>The byte a vocab character stands for, or -1 if the character is not in the alphabet.</summary>
    public static int CharToByte(char c) => c < CharToByteTable.Length ? CharToByteTable[c] : -1;

    /// <summary>Vocab string of a byte sequence (e.g. " hi" -> "Ġhi").</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (dst, src) =>
        {
            for (int i = 0; i < src.Length; i++) dst[i] = ByteToCharTable[src[i]];
        });
    }

    /// <summary>
    /// Bytes of a token string as the HF ByteLevel decoder gives them: mapped through the table when every
    /// character is in the alphabet, else the string's own UTF-8 (e.g. an added token containing a space).
    /// </summary>
    public static byte[] DecodeToken(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            int b = CharToByte(token[i]);
            if (b < 0) return System.Text.Encoding.UTF8.GetBytes(token);
            bytes[i] = (byte)b;
        }
        return bytes;
    }

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        var direct = new bool[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int next = 256;
        for (int b = 0; b < 256; b++) table[b] = direct[b] ? (char)b : (char)next++;
        return table;
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[324];
        Array.Fill(table, (short)-1);
        for (int b = 0; b < 256; b++) table[ByteToCharTable[b]] = (short)b;
        return table;
    }
}
