using System.Globalization;
using System.Text.Json;
using MantisNative.Data.Loading;
using MantisNative.IO;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// What a resume needs besides the weights: optimizer steps done, the data position, the optimizer's moments,
/// the recent loss history and the count of bad steps in a row. Saved as trainer_state.json + optimizer.safetensors.
/// </summary>
public sealed class TrainerState
{
    public const string StateFile = "trainer_state.json";
    public const string OptimizerFile = "optimizer.safetensors";

    public int Step { get; set; }
    public DataPosition Data { get; set; }
    public int TotalSteps { get; set; }
    public int BadInARow { get; set; }
    public List<(int Step, double Loss)> Losses { get; } = new();

    public void Save(string folder, AdamW optimizer)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("global_step", Step);
            w.WriteNumber("total_steps", TotalSteps);
            w.WriteNumber("data_epoch", Data.Epoch);
            w.WriteNumber("data_offset", Data.Offset);
            w.WriteNumber("bad_steps_in_a_row", BadInARow);
            w.WriteNumber("optimizer_step", optimizer.Step);
            w.WriteStartArray("log_history");
            foreach (var (s, l) in Losses)
            {
                w.WriteStartObject();
                w.WriteNumber("step", s);
                // round-trip formatting: a resumed run's history must compare bit-exact
                w.WriteString("loss", l.ToString("R", CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        File.WriteAllBytes(Path.Combine(folder, StateFile), ms.ToArray());
        var sw = new SafetensorsWriter();
        foreach (var (name, m, v) in optimizer.Moments().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            sw.AddFloat32("exp_avg." + name, new long[] { m.Length }, m);
            sw.AddFloat32("exp_avg_sq." + name, new long[] { v.Length }, v);
        }
        sw.Save(Path.Combine(folder, OptimizerFile));
    }

    public static TrainerState Load(string folder, AdamW optimizer)
    {
        string path = Path.Combine(folder, StateFile);
        if (!File.Exists(path)) throw new MantisException($"{folder}: not a training checkpoint (no {StateFile})");
        var s = new TrainerState();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            s.Step = r.GetProperty("global_step").GetInt32();
            s.TotalSteps = r.GetProperty("total_steps").GetInt32();
            s.Data = new DataPosition(r.GetProperty("data_epoch").GetInt32(), r.GetProperty("data_offset").GetInt32());
            s.BadInARow = r.GetProperty("bad_steps_in_a_row").GetInt32();
            optimizer.Step = r.GetProperty("optimizer_step").GetInt32();
            foreach (var e in r.GetProperty("log_history").EnumerateArray())
                s.Losses.Add((e.GetProperty("step").GetInt32(), double.Parse(e.GetProperty("loss").GetString()!, CultureInfo.InvariantCulture)));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new MantisException($"{path}: damaged trainer state: {e.Message}");
        }
        using var opt = SafetensorsFile.Open(Path.Combine(folder, OptimizerFile));
        optimizer.RestoreMoments(opt.Names.Where(n => n.StartsWith("exp_avg.", StringComparison.Ordinal))
            .Select(name => name["exp_avg.".Length..])
            .Select(p => (p, opt.ReadFloat32("exp_avg." + p), opt.ReadFloat32("exp_avg_sq." + p))).ToList());
        return s;
    }
}
