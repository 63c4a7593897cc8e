namespace MantisNative.Data.Chat;

/// <summary>Counts image tags in a conversation and, when asked, repairs a count mismatch as the Mantis reference does.</summary>
public static class ImageTags
{
    public static int Count(IEnumerable<ChatMessage> messages, string tag) =>
        messages.Sum(m => CountIn(m.Content, tag));

    public static int CountIn(string text, string tag)
    {
        int n = 0;
        for (int i = text.IndexOf(tag, StringComparison.Ordinal); i >= 0; i = text.IndexOf(tag, i + tag.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>
    /// Replaces the k-th tag of the conversation (in reading order) by <paramref name="tagsPerEntry"/>[k] tags in a row:
    /// how a video entry of a training record, written with one tag, becomes one tag per frame (as MVBench's prompt and
    /// the chat's leading tags put one per frame). Needs exactly one tag per entry.
    /// </summary>
    public static List<ChatMessage> Expand(IReadOnlyList<ChatMessage> messages, IReadOnlyList<int> tagsPerEntry, string tag)
    {
        if (Count(messages, tag) != tagsPerEntry.Count)
            throw new MantisException($"{Count(messages, tag)} {tag} tags for {tagsPerEntry.Count} image/video entries: cannot expand videos to their frames");
        int k = 0;
        var result = new List<ChatMessage>(messages.Count);
        foreach (var m in messages)
        {
            var parts = m.Content.Split(tag);
            var sb = new System.Text.StringBuilder(parts[0]);
            for (int p = 1; p < parts.Length; p++)
            {
                for (int r = 0; r < tagsPerEntry[k]; r++) sb.Append(tag);
                k++;
                sb.Append(parts[p]);
            }
            result.Add(m with { Content = sb.ToString() });
        }
        return result;
    }

    /// <summary>
    /// Makes the tag count equal <paramref name="imageCount"/>: missing tags go to the start of the first user
    /// message (each as "&lt;image&gt; "), surplus tags are removed from the end of the conversation. Returns the new messages and a warning describing the change.
    /// </summary>
    public static (List<ChatMessage> Messages, string? Warning) Fix(IReadOnlyList<ChatMessage> messages, int imageCount, string tag, string recordId)
    {
        var list = messages.ToList();
        int tags = Count(list, tag);
        if (tags == imageCount) return (list, null);
        if (tags < imageCount)
        {
            int first = list.FindIndex(m => m.Role == "user");
            if (first < 0) throw new MantisException($"record {recordId}: {imageCount} images but no user message to put their <image> tags in");
            int missing = imageCount - tags;
            list[first] = list[first] with { Content = string.Concat(Enumerable.Repeat(tag + " ", missing)) + list[first].Content };
            return (list, $"record {recordId}: {tags} {tag} tags for {imageCount} images; inserted {missing} at the start of the first user message");
        }
        int surplus = tags - imageCount;
        for (int m = list.Count - 1; m >= 0 && surplus > 0; m--)
        {
            var content = list[m].Content;
            for (int i; surplus > 0 && (i = content.LastIndexOf(tag, StringComparison.Ordinal)) >= 0; surplus--)
                content = content.Remove(i, tag.Length);
            list[m] = list[m] with { Content = content };
        }
        return (list, $"record {recordId}: {tags} {tag} tags for {imageCount} images; removed the last {tags - imageCount}");
    }
}
