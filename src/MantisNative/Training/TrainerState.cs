using System.Globalization;
using System.Text.Json;
using MantisNative.Backends;
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
            // informative (each tensor's dtype in optimizer.safetensors is what a resume reads)
            w.WriteString("optimizer_states", OptimizerStates.Name(optimizer.States));
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
        // the moments' own bits (F32, BF16, or U8 codes + F32 absmax per block), so a resume in the same format is exact
        foreach (var s in optimizer.SavedStates().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var dtype = s.Format switch { MomentFormat.Fp32 => DType.F32, MomentFormat.Bf16 => DType.BF16, _ => DType.U8 };
            sw.Add("exp_avg." + s.Name, dtype, new[] { s.Numel }, s.M);
            sw.Add("exp_avg_sq." + s.Name, dtype, new[] { s.Numel }, s.V);
            if (s.MScale is not null) sw.AddFloat32(AbsmaxPrefix + "exp_avg." + s.Name, new long[] { s.MScale.Length }, s.MScale);
            if (s.VScale is not null) sw.AddFloat32(AbsmaxPrefix + "exp_avg_sq." + s.Name, new long[] { s.VScale.Length }, s.VScale);
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
        string optPath = Path.Combine(folder, OptimizerFile);
        using var opt = SafetensorsFile.Open(optPath);
        optimizer.RestoreStates(opt.Names.Where(n => n.StartsWith("exp_avg.", StringComparison.Ordinal))
            .Select(name => ReadState(opt, name["exp_avg.".Length..], optPath)).ToList());
        return s;
    }

    /// <summary>Names of the absmax tensors of 8-bit moments: absmax.exp_avg.NAME, absmax.exp_avg_sq.NAME.</summary>
    public const string AbsmaxPrefix = "absmax.";

    private static MomentState ReadState(SafetensorsFile opt, string name, string where)
    {
        if (!opt.Contains("exp_avg_sq." + name)) throw new MantisException($"{where}: exp_avg.{name} has no exp_avg_sq.{name}");
        var mi = opt.GetInfo("exp_avg." + name);
        var vi = opt.GetInfo("exp_avg_sq." + name);
        if (mi.DType != vi.DType) throw new MantisException($"{where}: exp_avg.{name} is {mi.DType} but exp_avg_sq.{name} is {vi.DType}");
        long numel = mi.Shape.Aggregate(1L, (a, d) => a * d);
        var state = mi.DType switch
        {
            DType.F32 => MomentState.FromFp32(name, opt.ReadFloat32("exp_avg." + name), opt.ReadFloat32("exp_avg_sq." + name)),
            DType.BF16 => new MomentState(name, MomentFormat.Bf16, numel, opt.GetBytes(mi).ToArray(), opt.GetBytes(vi).ToArray(), null, null),
            DType.U8 when opt.Contains(AbsmaxPrefix + "exp_avg." + name) && opt.Contains(AbsmaxPrefix + "exp_avg_sq." + name) =>
                new MomentState(name, MomentFormat.Blockwise8Bit, numel, opt.GetBytes(mi).ToArray(), opt.GetBytes(vi).ToArray(),
                    opt.ReadFloat32(AbsmaxPrefix + "exp_avg." + name), opt.ReadFloat32(AbsmaxPrefix + "exp_avg_sq." + name)),
            DType.U8 => throw new MantisException($"{where}: 8-bit moments of {name} without {AbsmaxPrefix}exp_avg.{name} / {AbsmaxPrefix}exp_avg_sq.{name}"),
            _ => throw new MantisException($"{where}: moments of {name} are {mi.DType}; expected F32, BF16 or U8"),
        };
        return state.Validate(where);
    }
}
