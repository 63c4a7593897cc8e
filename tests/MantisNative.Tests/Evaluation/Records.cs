using MantisNative.Data.Records;

namespace MantisNative.Tests.Evaluation;

/// <summary>Records written to a temporary JSONL and read back the way evaluation reads them.</summary>
internal static class Records
{
    public static InstructRecord One(string extraFields, string answer, string question = "What is it?")
    {
        var file = Path.Combine(Path.GetTempPath(), $"mantis-rec-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(file, "{\"id\": \"r1\", \"images\": [], \"conversation\": [{\"role\": \"user\", \"content\": \"" + question +
            "\"}, {\"role\": \"assistant\", \"content\": \"" + answer + "\"}], " + extraFields + "}\n");
        try { return RecordReader.ReadAll(file, out _).Single(); }
        finally { File.Delete(file); }
    }
}
