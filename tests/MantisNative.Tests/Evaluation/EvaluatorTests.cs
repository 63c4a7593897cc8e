using System.Text.Json;
using MantisNative.Data.Records;
using MantisNative.Evaluation;
using MantisNative.Inference;
using MantisNative.Tests.Inference;
using NUnit.Framework;

namespace MantisNative.Tests.Evaluation;

public class EvaluatorTests
{
    private static List<InstructRecord> HeldOut(int? limit = null) => EvalData.Read(TinyModelFolder.Shared.HeldOutFile, limit, out _);

    [Test]
    public void ReportsEveryFamilySkillAndPredictionOfATinyRandomModel()
    {
        var tiny = TinyModelFolder.Shared;
        var records = HeldOut();
        var preds = Path.Combine(Path.GetTempPath(), $"mantis-preds-{Guid.NewGuid():N}.jsonl");
        var progress = new List<EvalProgress>();
        EvalReport report;
        using (var bundle = ModelBundle.Load(tiny.ModelDir))
            report = Evaluator.Run(bundle, records, new EvalOptions
            {
                PredictionsPath = preds, ChanceByFamily = EvalData.LoadChance(tiny.HeldOutFile), Progress = progress.Add, Parallelism = 2,
            });
        try
        {
            Assert.That(report.Overall.Count, Is.EqualTo(records.Count));
            Assert.That(report.Predictions, Has.Count.EqualTo(records.Count));
            Assert.That(report.Predictions.Select(p => p.Id), Is.EqualTo(records.Select(r => r.Id)), "record order");
            Assert.That(report.Families.Sum(f => f.Count), Is.EqualTo(records.Count));
            Assert.That(report.Skills.Sum(s => s.Count), Is.EqualTo(records.Count));
            Assert.That(report.Families.Select(f => f.Name), Is.EquivalentTo(records.Select(r => r.Get("family")).Distinct()));
            Assert.That(report.Skills.Select(s => s.Name), Is.EquivalentTo(records.Select(r => r.Get("skill")).Distinct()));
            Assert.That(report.Overall.Correct, Is.EqualTo(report.Predictions.Count(p => p.Correct)));
            foreach (var g in report.Families.Concat(report.Skills).Append(report.Overall))
            {
                Assert.That(g.Accuracy, Is.InRange(0.0, 1.0), g.Name);
                Assert.That(g.Chance, Is.Not.Null.And.InRange(0.0, 1.0), g.Name);
            }
            var info = EvalData.LoadChance(tiny.HeldOutFile)!;
            Assert.That(report.Family("coref_colour").Chance, Is.EqualTo(info["coref_colour"]).Within(1e-12), "chance from dataset_info.json");
            Assert.That(progress.Select(p => p.Done), Is.EqualTo(Enumerable.Range(1, records.Count)));
            Assert.That(progress[^1].Correct, Is.EqualTo(report.Overall.Correct));

            var lines = File.ReadAllLines(preds);
            Assert.That(lines, Has.Length.EqualTo(records.Count));
            Assert.That(report.PredictionsPath, Is.EqualTo(Path.GetFullPath(preds)));
            for (int i = 0; i < lines.Length; i++)
            {
                using var doc = JsonDocument.Parse(lines[i]);
                var o = doc.RootElement;
                foreach (var key in new[] { "id", "skill", "family", "question", "reference", "prediction", "parsed", "correct" })
                    Assert.That(o.TryGetProperty(key, out _), Is.True, key);
                Assert.That(o.GetProperty("id").GetString(), Is.EqualTo(records[i].Id));
                Assert.That(o.GetProperty("reference").GetString(), Is.EqualTo(records[i].Turns[^1].Content));
                Assert.That(o.GetProperty("question").GetString(), Is.EqualTo(records[i].Turns[0].Content));
                Assert.That(o.GetProperty("correct").GetBoolean(), Is.EqualTo(report.Predictions[i].Correct));
                // the verdict is the scorer's on the stored raw output
                var q = EvalQuestion.FromRecord(records[i]);
                Assert.That(AnswerScorer.Score(q, o.GetProperty("prediction").GetString()!).Correct, Is.EqualTo(o.GetProperty("correct").GetBoolean()));
            }
            Assert.That(report.ToTable(), Does.Contain("coref_colour").And.Contain("overall"));
        }
        finally { File.Delete(preds); }
    }

    [Test]
    public void ParallelAndSerialRunsGiveTheSamePredictions()
    {
        var records = HeldOut(8);
        using var bundle = ModelBundle.Load(TinyModelFolder.Shared.ModelDir);
        var one = Evaluator.Run(bundle, records, new EvalOptions { Parallelism = 1 });
        var two = Evaluator.Run(bundle, records, new EvalOptions { Parallelism = 2 });
        Assert.That(two.Predictions.Select(p => p.Prediction), Is.EqualTo(one.Predictions.Select(p => p.Prediction)));
    }

    [Test]
    public void LimitAndMaxNewTokensAreHonoured()
    {
        using var bundle = ModelBundle.Load(TinyModelFolder.Shared.ModelDir);
        var report = Evaluator.Run(bundle, HeldOut(), new EvalOptions { Limit = 5, MaxNewTokens = 1 });
        Assert.That(report.Overall.Count, Is.EqualTo(5));
        var q = EvalQuestion.FromRecord(HeldOut(1)[0]);
        var answer = bundle.Answer(q.Id, q.Prompt, q.Images.Select(bundle.ProcessImage).ToList(), new GenerationOptions { MaxNewTokens = 1 });
        Assert.That(answer.Ids, Has.Count.EqualTo(1));
        Assert.Throws<MantisException>(() => Evaluator.Run(bundle, HeldOut(2), new EvalOptions { MaxNewTokens = 0 }));
    }

    [Test]
    public void DataFolderAndSplitResolveToTheSplitFile()
    {
        var tiny = TinyModelFolder.Shared;
        Assert.That(EvalData.ResolveRecords(tiny.DataDir, "heldout"), Is.EqualTo(tiny.HeldOutFile));
        Assert.That(EvalData.ResolveRecords(tiny.HeldOutFile, null), Is.EqualTo(tiny.HeldOutFile));
        var e = Assert.Throws<MantisException>(() => EvalData.ResolveRecords(tiny.DataDir, "valid"))!;
        Assert.That(e.Message, Does.Contain("valid.jsonl"));
        Assert.That(EvalData.LoadChance(tiny.DataDir)!["coref_find"], Is.InRange(0.25, 0.5));
    }
}
