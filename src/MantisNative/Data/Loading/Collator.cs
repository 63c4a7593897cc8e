using MantisNative.Tensors;

namespace MantisNative.Data.Loading;

/// <summary>Pads examples to the longest in the batch and stacks their images.</summary>
public sealed class Collator
{
    private readonly int _padId;
    private readonly int _channels, _height, _width;

    public Collator(int padId, int imageSize, int channels = 3)
    {
        _padId = padId;
        _channels = channels;
        _height = _width = imageSize;
    }

    public Batch Collate(IReadOnlyList<TrainingExample> examples)
    {
        if (examples.Count == 0) throw new ArgumentException("empty batch");
        int len = examples.Max(e => e.InputIds.Length);
        int b = examples.Count;
        var ids = new int[b * len];
        var labels = new int[b * len];
        var mask = new bool[b * len];
        Array.Fill(ids, _padId);
        Array.Fill(labels, -100);
        for (int i = 0; i < b; i++)
        {
            var e = examples[i];
            e.InputIds.CopyTo(ids, i * len);
            e.Labels.CopyTo(labels, i * len);
            for (int t = 0; t < e.InputIds.Length; t++) mask[i * len + t] = true;
        }
        int n = examples.Sum(e => e.Images.Count);
        Tensor? pixels = null;
        if (n > 0)
        {
            int per = _channels * _height * _width;
            pixels = Tensor.Zeros(n, _channels, _height, _width);
            var span = pixels.Span;
            int at = 0;
            foreach (var e in examples)
                foreach (var img in e.Images)
                {
                    if (img.Length != per)
                    {
                        pixels.Dispose();
                        throw new MantisException($"record {e.Id}: an image has {img.Length} values, the model expects {_channels}x{_height}x{_width}");
                    }
                    img.CopyTo(span.Slice(at, per));
                    at += per;
                }
        }
        return new Batch { Size = b, Length = len, InputIds = ids, Labels = labels, AttentionMask = mask, Pixels = pixels, Examples = examples };
    }
}
