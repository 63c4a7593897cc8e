using System.Text.Encodings.Web;
using System.Text.Json;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// The per-item JSONL of a benchmark run: id, category, prompt, output (raw), parsed, reference, correct; one line per
/// item, appended and flushed as items finish so that an interrupted run can be resumed from it.
/// </summary>
public static class BenchmarkJsonl
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Append(string path, IEnumerable<BenchmarkAnswer> answers)
    {
        using var fs = new FileStream(path, FileMode.Append, FileAccess.Write);
        foreach (var a in answers)
        {
            using (var w = new Utf8JsonWriter(fs, Options))
            {
                w.WriteStartObject();
                w.WriteString("id", a.Id);
                w.WriteString("category", a.Category);
                w.WriteString("prompt", a.Prompt);
                w.WriteString("output", a.Output);
                w.WriteString("parsed", a.Parsed);
                w.WriteString("reference", a.Reference);
                w.WriteBoolean("correct", a.Correct);
                w.WriteEndObject();
            }
            fs.WriteByte((byte)'\n');
        }
        fs.Flush(true);
    }

    /// <summary>
    /// The raw outputs of a previous run by item id (only id and output are used: answers are scored again). A torn last
    /// line (the run was killed mid-write) is dropped; any other bad line is an error naming the file and line.
    /// </summary>
    public static Dictionary<string, string> ReadOutputs(string path)
    {
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return outputs;
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            try
            {
                using var doc = JsonDocument.Parse(lines[i]);
                var id = doc.RootElement.GetProperty("id").GetString()!;
                outputs[id] = doc.RootElement.GetProperty("output").GetString()!;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                if (i == lines.Length - 1) break;
                throw new MantisException($"{path} line {i + 1}: not a benchmark answer line ({e.Message}); cannot resume from it");
            }
        }
        return outputs;
    }

    /// <summary>Rewrites the file with exactly these answers (a resumed run drops torn lines and keeps one line per item).</summary>
    public static void Rewrite(string path, IEnumerable<BenchmarkAnswer> answers)
    {
        var tmp = path + ".tmp";
        File.Delete(tmp);
        Append(tmp, answers);
        File.Move(tmp, path, overwrite: true);
    }
}
