namespace MantisNative.Data.Video;

/// <summary>
/// MVBench's frame choice (OpenGVLab MVBench, as TIGER-AI-Lab/Mantis mvbench_eval_utils.py get_index): the clip
/// [start, end] seconds (unbounded: the whole video) is cut into <c>segments</c> equal segments and the frame at
/// each segment's middle is taken: seg = (end_idx - start_idx) / n, frame i = int(start_idx + seg/2 + round(seg * i)),
/// with start_idx = max(first, round(start * fps)) and end_idx = min(round(end * fps), maxFrame).
/// </summary>
public static class FrameSampler
{
    /// <summary>The reference's stand-in for "no bound": seconds far outside any clip.</summary>
    public const double Unbounded = 100000;

    /// <param name="segments">number of frames wanted (MVBench: 8)</param>
    /// <param name="fps">frames per second of the video (frame folders: the rate they were cut at)</param>
    /// <param name="maxFrame">largest index that may be returned (a video's frame count - 1; a 1-based frame folder's count)</param>
    /// <param name="bound">start and end in seconds, or null for the whole video</param>
    /// <param name="firstIndex">smallest index (0 for videos and GIFs, 1 for frame folders numbered from 00001)</param>
    public static int[] Indices(int segments, double fps, int maxFrame, (double Start, double End)? bound = null, int firstIndex = 0)
    {
        if (segments < 1) throw new MantisException($"frame sampler: need at least one frame, got {segments}");
        if (!(fps > 0)) throw new MantisException($"frame sampler: frames per second must be positive, got {fps}");
        var (start, end) = bound ?? (-Unbounded, Unbounded);
        // Python's round() and numpy's round are round-half-to-even
        double startIdx = Math.Max(firstIndex, Math.Round(start * fps, MidpointRounding.ToEven));
        double endIdx = Math.Min(Math.Round(end * fps, MidpointRounding.ToEven), maxFrame);
        double seg = (endIdx - startIdx) / segments;
        var idx = new int[segments];
        for (int i = 0; i < segments; i++)
            idx[i] = (int)Math.Truncate(startIdx + seg / 2 + Math.Round(seg * i, MidpointRounding.ToEven));
        return idx;
    }
}
