using System.Text.Json;

namespace MantisNative.Data.Images;

/// <summary>Writes an <see cref="ImageProcessorConfig"/> as the preprocessor_config.json transformers reads.</summary>
public static class ImageProcessorConfigWriter
{
    public static void Save(this ImageProcessorConfig c, string path)
    {
        using var fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("image_processor_type", c.Kind == ImageProcessorKind.Clip ? "CLIPImageProcessor" : "SiglipImageProcessor");
        w.WriteBoolean("do_resize", c.DoResize);
        WriteSize(w, "size", c.Size);
        w.WriteNumber("resample", (int)c.Resample);
        w.WriteBoolean("do_center_crop", c.DoCenterCrop);
        if (c.CropSize is not null) WriteSize(w, "crop_size", c.CropSize);
        w.WriteBoolean("do_rescale", c.DoRescale);
        w.WriteNumber("rescale_factor", c.RescaleFactor);
        w.WriteBoolean("do_normalize", c.DoNormalize);
        w.WriteStartArray("image_mean");
        foreach (var m in c.ImageMean) w.WriteNumberValue(m);
        w.WriteEndArray();
        w.WriteStartArray("image_std");
        foreach (var s in c.ImageStd) w.WriteNumberValue(s);
        w.WriteEndArray();
        if (c.DoConvertRgb is bool rgb) w.WriteBoolean("do_convert_rgb", rgb);
        w.WriteEndObject();
    }

    private static void WriteSize(Utf8JsonWriter w, string name, ImageResizeSize s)
    {
        w.WriteStartObject(name);
        if (s.IsExact) { w.WriteNumber("height", s.Height!.Value); w.WriteNumber("width", s.Width!.Value); }
        else w.WriteNumber("shortest_edge", s.ShortestEdge!.Value);
        w.WriteEndObject();
    }
}
