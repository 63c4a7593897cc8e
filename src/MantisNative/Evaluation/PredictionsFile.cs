using System.Text.Encodings.Web;
using System.Text.Json;
using MantisNative.IO;

namespace MantisNative.Evaluation;

/// <summary>
/// Writes predictions as JSON Lines, one object per record with the keys id, skill, family, question, reference,
/// prediction (the raw output), parsed, correct and, when the record has them, options. The file appears atomically.
/// </summary>
public static class PredictionsFile
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(string path, IEnumerable<EvalPrediction> predictions)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MantisException($"{path}: cannot create its folder: {e.Message}", e);
        }
        AtomicFile.Write(path, fs =>
        {
            foreach (var p in predictions)
            {
                using (var w = new Utf8JsonWriter(fs, Options)) WriteOne(w, p);
                fs.WriteByte((byte)'\n');
            }
        });
    }

    private static void WriteOne(Utf8JsonWriter w, EvalPrediction p)
    {
        w.WriteStartObject();
        w.WriteString("id", p.Id);
        w.WriteString("skill", p.Skill);
        w.WriteString("family", p.Family);
        w.WriteString("question", p.Question);
        w.WriteString("reference", p.Reference);
        w.WriteString("prediction", p.Prediction);
        w.WriteString("parsed", p.Parsed);
        w.WriteBoolean("correct", p.Correct);
        if (p.Options.Count > 0)
        {
            w.WriteStartArray("options");
            foreach (var o in p.Options) w.WriteStringValue(o);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
