namespace MantisNative.Data.Loading;

/// <summary>One record turned into model inputs: token ids (one image id per image), labels, processed images (CHW).</summary>
public sealed record TrainingExample(string Id, int[] InputIds, int[] Labels, IReadOnlyList<float[]> Images, IReadOnlyDictionary<string, string> Metadata);
