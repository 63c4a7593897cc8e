namespace MantisNative.Data.Records;

/// <summary>
/// Checks a <see cref="RawRecord"/> and builds the <see cref="InstructRecord"/>; any problem rejects the record.
/// Order: structure (cheap) first, image files (expensive) last.
/// </summary>
internal static class RecordValidator
{
    public static InstructRecord Build(RawRecord raw, string file, long line, string location, RecordReaderOptions options)
    {
        if (raw.Turns is null)
            throw new RecordRejectedException(RecordProblemKind.MissingField, "no 'conversation' (or 'conversations') field");
        if (raw.Turns.Count == 0)
            throw new RecordRejectedException(RecordProblemKind.EmptyConversation, "the conversation has no turns");

        var turns = new List<Turn>(raw.Turns.Count);
        for (int i = 0; i < raw.Turns.Count; i++)
        {
            var role = NormaliseRole(raw.Turns[i].Role)
                ?? throw new RecordRejectedException(RecordProblemKind.UnknownRole, $"turn {i + 1} has role '{raw.Turns[i].Role}' (expected user, assistant, system, human or gpt)");
            var content = raw.Turns[i].Content;
            if (string.IsNullOrWhiteSpace(content))
                throw new RecordRejectedException(RecordProblemKind.EmptyTurn, $"turn {i + 1} ({role.ToString().ToLowerInvariant()}) has empty content");
            turns.Add(new Turn(role, content));
        }
        CheckOrder(turns, options.RequireFinalAssistant);

        int tags = turns.Sum(t => ImageTags.Count(t.Content));
        if (tags != raw.Images.Count)
            throw new RecordRejectedException(RecordProblemKind.ImageTagMismatch,
                $"{tags} <image> tag{(tags == 1 ? "" : "s")} for {raw.Images.Count} image{(raw.Images.Count == 1 ? "" : "s")}");

        var root = options.ImageRoot ?? Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        var images = new List<ImageSource>(raw.Images.Count);
        for (int i = 0; i < raw.Images.Count; i++)
        {
            var src = Resolve(raw.Images[i], root, i, options.AllowExternalImagePaths);
            ImageChecker.Check(src, options.ImageCheck, i);
            images.Add(src);
        }

        return new InstructRecord
        {
            Id = raw.Id ?? location,
            Images = images,
            Turns = turns,
            SourceFile = Path.GetFullPath(file),
            Line = line,
            Location = location,
            Metadata = raw.Metadata,
        };
    }

    public static TurnRole? NormaliseRole(string role) => role.Trim().ToLowerInvariant() switch
    {
        "user" or "human" => TurnRole.User,
        "assistant" or "gpt" => TurnRole.Assistant,
        "system" => TurnRole.System,
        _ => null,
    };

    /// <summary>Optional system turn, then user/assistant alternating from user; training needs a final assistant turn.</summary>
    private static void CheckOrder(List<Turn> turns, bool requireFinalAssistant)
    {
        int start = turns[0].Role == TurnRole.System ? 1 : 0;
        if (start == turns.Count)
            throw new RecordRejectedException(RecordProblemKind.TurnOrder, "the conversation has only a system turn");
        for (int i = start; i < turns.Count; i++)
        {
            var expected = (i - start) % 2 == 0 ? TurnRole.User : TurnRole.Assistant;
            if (turns[i].Role != expected)
                throw new RecordRejectedException(RecordProblemKind.TurnOrder,
                    $"turn {i + 1} is {turns[i].RoleName}, expected {(expected == TurnRole.User ? "user" : "assistant")} (turns must alternate user/assistant, starting with user)");
        }
        if (requireFinalAssistant && turns[^1].Role != TurnRole.Assistant)
            throw new RecordRejectedException(RecordProblemKind.NoFinalAnswer, "the last turn is the user's: nothing to learn from");
    }

    private static ImageSource Resolve(RawImage img, string root, int index, bool allowExternal)
    {
        // embedded bytes win over the path: HF parquet keeps the original file name beside the bytes
        if (img.Bytes is { Length: > 0 } b) return ImageSource.FromBytes(b, img.Path);
        if (string.IsNullOrWhiteSpace(img.Path))
            throw new RecordRejectedException(RecordProblemKind.BadField, $"image {index + 1} has an empty path and no bytes");
        // records made on Windows may spell folders with backslashes; on Linux those would be part of a file name
        var rel = Path.DirectorySeparatorChar == '/' ? img.Path.Replace('\\', '/') : img.Path;
        var full = Path.GetFullPath(Path.Combine(root, rel));
        if (!allowExternal && (Path.IsPathRooted(rel) || !IsUnder(full, root)))
            throw new RecordRejectedException(RecordProblemKind.ImagePathOutsideRoot,
                $"image {index + 1} path '{img.Path}' is {(Path.IsPathRooted(rel) ? "absolute" : "outside the image root")} {Path.GetFullPath(root)} (allow_external_image_paths permits it)");
        return ImageSource.FromFile(full, img.Path);
    }

    private static bool IsUnder(string fullPath, string root)
    {
        var r = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) + Path.DirectorySeparatorChar;
        return fullPath.StartsWith(r, StringComparison.Ordinal);
    }
}
