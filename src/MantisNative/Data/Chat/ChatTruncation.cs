namespace MantisNative.Data.Chat;

/// <summary>
/// Cuts an encoded conversation to MaxLength (images counted as ImageTokenLength positions each), from the end.
/// It never cuts through or drops an image (the record's images would no longer match its tokens) and never
/// leaves a training example with nothing to learn: such examples are returned as skipped, with the reason.
/// </summary>
internal static class ChatTruncation
{
    public static ChatEncoding Apply(string recordId, List<int> ids, List<int>? labels, List<int> images,
        ChatFormatOptions options, List<string> warnings)
    {
        int per = options.ImageTokenLength;
        int expanded = ids.Count + images.Count * (per - 1);
        var result = new ChatEncoding
        {
            RecordId = recordId, InputIds = ids.ToArray(), Labels = labels?.ToArray(), ImagePositions = images.ToArray(),
            ExpandedLength = expanded, Warnings = warnings,
        };
        if (options.MaxLength is not int max || expanded <= max) return result;

        if (labels is null)
            return Skipped(recordId, $"the prompt needs {expanded} positions, more than the maximum {max} (a prompt is not cut: its end is where generation starts)", warnings);

        // Keep the longest prefix whose expanded length fits.
        int keep = 0, length = 0, nextImage = 0;
        for (; keep < ids.Count; keep++)
        {
            bool isImage = nextImage < images.Count && images[nextImage] == keep;
            int cost = isImage ? per : 1;
            if (length + cost > max) break;
            length += cost;
            if (isImage) nextImage++;
        }
        if (nextImage < images.Count)
            return Skipped(recordId, $"truncation to {max} positions would cut image {nextImage + 1} of {images.Count} " +
                $"(each image takes {per}; the example needs {expanded})", warnings);
        if (!labels.Take(keep).Any(l => l != ChatEncoding.IgnoreLabel))
            return Skipped(recordId, $"truncation to {max} positions would remove every assistant token (the example needs {expanded})", warnings);
        return new ChatEncoding
        {
            RecordId = recordId, InputIds = ids.Take(keep).ToArray(), Labels = labels.Take(keep).ToArray(),
            ImagePositions = images.ToArray(), ExpandedLength = length, Truncated = true, Warnings = warnings,
        };
    }

    private static ChatEncoding Skipped(string recordId, string reason, List<string> warnings) =>
        new() { RecordId = recordId, SkipReason = reason, Warnings = warnings };
}
