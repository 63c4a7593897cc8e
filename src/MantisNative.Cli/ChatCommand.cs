using MantisNative.Inference;

namespace MantisNative.Cli;

/// <summary>
/// `mantis chat --model DIR [--image a.png]... [--max-new-tokens N] [--temperature T] [--top-p P] [--seed S]
/// [--system-prompt TEXT] [--weights auto|f32|bf16|f16|int8|nf4] [--stats] [QUESTION]`: streams the answer token by token. Without a question it reads questions from
/// stdin, one per line, keeping the images and the conversation; an empty line or end of input ends it, "/reset"
/// forgets the conversation (not the images). Ctrl-C stops the answer being written.
/// </summary>
public static class ChatCommand
{
    private const int DefaultMaxNewTokens = 256;

    public static readonly CommandFlags Flags = new("chat", "ask about images, the answer streamed token by token (no question: interactive)",
        new[]
        {
            CliOption.Needed("model", "DIR", "model folder (Hugging Face layout, or a quantized folder)"),
            CliOption.Value("image", "FILE", "an image, repeatable, in order; also a video: a folder of frames, an animated GIF or a video file (needs ffmpeg), 8 frames"),
            CliOption.Value("system-prompt", "TEXT", "system turn put before the conversation", "the model's own, or none"),
            LoadOptions.WeightsOption,
        }.Concat(GenerationArgs.Options(DefaultMaxNewTokens)).Concat(new[]
        {
            LoadOptions.AllowUnusedWeightsOption,
            CliOption.Switch("stats", "after each answer, time to first token, prefill and decode tokens/s on stderr"),
        }))
    {
        Positional = "[QUESTION]",
        Notes = new[]
        {
            "Without QUESTION: one question per line from stdin; an empty line or end of input exits, /reset starts over (same images).",
            "One <image> tag per image is put before the first question unless it holds them itself. Ctrl-C stops the answer being written.",
        },
        Examples = new[]
        {
            "chat --model runs/mantis-tiny/model --image a.png --image b.png \"Which image shows the blue shape?\"",
            "chat --model DIR --image clip.mp4 --temperature 0.7 --top-p 0.9 --seed 1",
        },
    };

    public static int Run(string[] argv)
    {
        var a = Flags.Parse(argv);
        var modelDir = a.Require("model");
        var generation = GenerationArgs.Read(a, DefaultMaxNewTokens);
        var images = a.GetAll("image");
        foreach (var img in images)
        {
            // a folder is a video (its frames); one without frame images is refused with its name
            if (Directory.Exists(img))
            {
                try { MantisNative.Data.Video.VideoFrames.FrameFiles(img); }
                catch (MantisException) { throw new MantisException($"mantis chat: '{img}' is a folder without frame images (.jpg, .png, .webp, .bmp), neither an image file nor a video"); }
            }
            else if (!File.Exists(img)) throw new MantisException($"mantis chat: image file '{img}' not found");
        }
        string? question = a.Positional.Count > 0 ? string.Join(" ", a.Positional) : null;
        if (question is not null && string.IsNullOrWhiteSpace(question)) throw new MantisException("mantis chat: the question is empty");

        using var pipeline = MantisPipeline.Load(modelDir, new MantisPipelineOptions { SystemPrompt = a.Get("system-prompt"), Generation = generation, Load = LoadOptions.ForInference(a, "chat") });
        var chat = pipeline.StartChat(images);
        bool stats = a.Flag("stats");
        if (question is not null)
        {
            Stream(chat, question, generation, stats);
            return 0;
        }
        bool prompt = !Console.IsInputRedirected;
        if (prompt) Console.Error.WriteLine($"chatting about {images.Count} image(s); empty line to quit, /reset to start over");
        while (true)
        {
            if (prompt) Console.Write("> ");
            var line = Console.In.ReadLine();
            if (string.IsNullOrWhiteSpace(line)) return 0;
            if (line.Trim() == "/reset")
            {
                chat.Reset();
                Console.WriteLine("(conversation cleared; same images)");
                continue;
            }
            Stream(chat, line, generation, stats);
        }
    }

    /// <summary>Writes each piece as it arrives; Ctrl-C cancels this answer only.</summary>
    private static void Stream(MantisChat chat, string question, GenerationOptions generation, bool stats)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            foreach (var piece in chat.AskAsync(question, generation, cts.Token).ToBlockingEnumerable(cts.Token))
            {
                Console.Out.Write(piece);
                Console.Out.Flush();
            }
            Console.Out.WriteLine();
            if (stats && chat.LastStats is { } s) Console.Error.WriteLine("stats: " + s);
        }
        catch (OperationCanceledException)
        {
            Console.Out.WriteLine();
            Console.Error.WriteLine("(stopped)");
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }
}
