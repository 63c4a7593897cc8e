using System.Globalization;
using System.Text.Json;
using MantisNative.Data.Video;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// MVBench as OpenGVLab/MVBench publishes it: json/&lt;task&gt;.json (video, question, candidates, answer, and start/end
/// seconds for the bounded tasks) and the videos under video/&lt;source&gt;/ (TVQA as folders of 3 fps frames). 20 tasks,
/// 4,000 items; each video gives <see cref="Frames"/> frames at segment midpoints (<see cref="FrameSampler"/>), native
/// size; the prompt is the frames' &lt;image&gt; tags then qa_template's question. The score is correct / all.
/// </summary>
public sealed class MvBenchBenchmark : IBenchmark
{
    /// <summary>One task: its json file, its video folder under video/, whether its videos are frame folders, whether start/end apply.</summary>
    public sealed record Task(string Name, string Json, string VideoPrefix, bool FrameFolder, bool Bounded);

    /// <summary>The task table of the Mantis harness's eval_on_mvbench.py.</summary>
    public static readonly IReadOnlyList<Task> Tasks = new Task[]
    {
        new("Action Sequence", "action_sequence.json", "star/Charades_v1_480/", false, true),
        new("Action Prediction", "action_prediction.json", "star/Charades_v1_480/", false, true),
        new("Action Antonym", "action_antonym.json", "ssv2_video/", false, false),
        new("Fine-grained Action", "fine_grained_action.json", "Moments_in_Time_Raw/videos/", false, false),
        new("Unexpected Action", "unexpected_action.json", "FunQA_test/test/", false, false),
        new("Object Existence", "object_existence.json", "clevrer/video_validation/", false, false),
        new("Object Interaction", "object_interaction.json", "star/Charades_v1_480/", false, true),
        new("Object Shuffle", "object_shuffle.json", "perception/videos/", false, false),
        new("Moving Direction", "moving_direction.json", "clevrer/video_validation/", false, false),
        new("Action Localization", "action_localization.json", "sta/sta_video/", false, true),
        new("Scene Transition", "scene_transition.json", "scene_qa/video/", false, false),
        new("Action Count", "action_count.json", "perception/videos/", false, false),
        new("Moving Count", "moving_count.json", "clevrer/video_validation/", false, false),
        new("Moving Attribute", "moving_attribute.json", "clevrer/video_validation/", false, false),
        new("State Change", "state_change.json", "perception/videos/", false, false),
        new("Fine-grained Pose", "fine_grained_pose.json", "nturgbd/", false, false),
        new("Character Order", "character_order.json", "perception/videos/", false, false),
        new("Egocentric Navigation", "egocentric_navigation.json", "vlnqa/", false, false),
        new("Episodic Reasoning", "episodic_reasoning.json", "tvqa/frames_fps3_hq/", true, true),
        new("Counterfactual Inference", "counterfactual_inference.json", "clevrer/video_validation/", false, false),
    };

    /// <summary>TVQA's frame folders were cut at 3 fps (read_frame's fps).</summary>
    public const double FrameFolderFps = 3;

    public int Frames { get; init; } = VideoFrames.DefaultFrames;

    public string Name => "mvbench";
    public string Title => "MVBench";
    public PaperScores Paper { get; } = new(50.2, 29.7, 27.30);

    public IReadOnlyList<BenchmarkItem> Read(string dataDir)
    {
        BenchmarkFiles.RequireFolder(dataDir, Title);
        var jsonDir = Path.Combine(dataDir, "json");
        var videoDir = Path.Combine(dataDir, "video");
        if (!Directory.Exists(jsonDir)) throw new MantisException($"{dataDir}: no json/ folder (OpenGVLab/MVBench's layout: json/<task>.json and video/)");
        if (!Directory.Exists(videoDir)) throw new MantisException($"{dataDir}: no video/ folder (OpenGVLab/MVBench's layout: json/<task>.json and video/)");
        var items = new List<BenchmarkItem>();
        foreach (var task in Tasks)
        {
            var file = Path.Combine(jsonDir, task.Json);
            if (!File.Exists(file)) throw new MantisException($"{file}: not found (MVBench task '{task.Name}')");
            JsonDocument doc;
            try { doc = JsonDocument.Parse(File.ReadAllBytes(file)); }
            catch (JsonException e) { throw new MantisException($"{file}: not valid JSON ({e.Message})", e); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new MantisException($"{file}: expected a JSON array of questions");
                int i = 0;
                foreach (var q in doc.RootElement.EnumerateArray())
                    items.Add(ItemOf(task, q, videoDir, $"{file} item {i}", i++));
            }
        }
        return items;
    }

    private BenchmarkItem ItemOf(Task task, JsonElement q, string videoDir, string where, int index)
    {
        string Str(string name) => q.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new MantisException($"{where}: no string field '{name}'");
        double Num(string name) => q.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : q.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.String && double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new MantisException($"{where}: no number field '{name}' (task '{task.Name}' is bounded by start and end)");
        if (!q.TryGetProperty("candidates", out var c) || c.ValueKind != JsonValueKind.Array)
            throw new MantisException($"{where}: no list field 'candidates'");
        var candidates = c.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText()).ToList();
        var answer = Str("answer");
        (double, double)? bound = task.Bounded ? (Num("start"), Num("end")) : null;
        var path = Path.Combine(videoDir, task.VideoPrefix, Str("video"));
        int frames = Frames;
        var tags = string.Concat(Enumerable.Repeat(MantisHarnessPrompt.ImageTag, frames));
        return new BenchmarkItem
        {
            Id = $"{Path.GetFileNameWithoutExtension(task.Json)}-{index}",
            Category = task.Name,
            Kind = AnswerKind.MultipleChoice,
            Prompt = tags + MvBenchScoring.Question(Str("question"), candidates),
            Options = candidates,
            Reference = MvBenchScoring.Reference(answer, candidates),
            ImageCount = frames,
            LoadImages = () =>
            {
                if (task.FrameFolder && !Directory.Exists(path)) throw new MantisException($"{where}: frame folder '{path}' not found");
                if (!task.FrameFolder && !File.Exists(path)) throw new MantisException($"{where}: video '{path}' not found");
                return VideoFrames.Load(path, frames, bound, FrameFolderFps);
            },
        };
    }

    public BenchmarkScore Score(BenchmarkItem item, string raw) => MvBenchScoring.Score(raw, item.Reference);

    public double Overall(IReadOnlyList<(BenchmarkItem Item, bool Correct)> results) => BenchmarkCatalog.Mean(results);
}
