using System.Collections.Concurrent;
using MantisNative.Data.Records;
using MantisNative.Tensors;

namespace MantisNative.Data.Loading;

/// <summary>
/// Endless stream of batches over a fixed list of records: each epoch is a deterministic permutation
/// (seeded by seed and epoch), examples are encoded (chat format + image decode/preprocess) on background
/// worker threads with a bounded prefetch queue, and batches come out in the same order whatever the
/// thread timing. Records that cannot be encoded are skipped and counted. <see cref="Position"/> allows an
/// exact resume.
/// </summary>
public sealed class DataLoader : IDisposable
{
    private readonly IReadOnlyList<InstructRecord> _records;
    private readonly ExampleEncoder _encoder;
    private readonly Collator _collator;
    private readonly int _batchSize;
    private readonly ulong _seed;
    private readonly int _workers;
    private readonly int _prefetch;
    private readonly CancellationTokenSource _stop = new();
    private BlockingCollection<(DataPosition After, Batch Batch)>? _queue;
    private Task? _producer;
    private readonly ConcurrentDictionary<string, int> _skipped = new();

    /// <summary>Position after the last batch handed out by <see cref="Next"/>.</summary>
    public DataPosition Position { get; private set; }

    /// <summary>Images decoded and preprocessed so far (for images/s reports).</summary>
    public long ImagesDecoded => Interlocked.Read(ref _imagesDecoded);
    private long _imagesDecoded;

    public IReadOnlyDictionary<string, int> SkippedReasons => _skipped;

    public DataLoader(IReadOnlyList<InstructRecord> records, ExampleEncoder encoder, Collator collator, int batchSize, ulong seed,
        DataPosition start = default, int workers = 0, int prefetchBatches = 4)
    {
        if (records.Count == 0) throw new MantisException("the training set has no usable record");
        if (batchSize < 1) throw new MantisException($"batch size must be at least 1, got {batchSize}");
        _records = records;
        _encoder = encoder;
        _collator = collator;
        _batchSize = batchSize;
        _seed = seed;
        _workers = workers > 0 ? workers : Math.Max(1, Environment.ProcessorCount - 1);
        _prefetch = Math.Max(1, prefetchBatches);
        Position = start;
    }

    /// <summary>The order of epoch <paramref name="epoch"/>: a permutation that depends only on seed and epoch.</summary>
    public int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, _records.Count).ToArray();
        new Rng(_seed * 1_000_003UL + (ulong)epoch).Shuffle(order);
        return order;
    }

    /// <summary>The next batch (blocks until it is ready). The caller disposes it.</summary>
    public Batch Next()
    {
        if (_queue is null)
        {
            _queue = new BlockingCollection<(DataPosition, Batch)>(_prefetch);
            var start = Position;
            _producer = Task.Run(() => Produce(start, _stop.Token));
        }
        try
        {
            var (after, batch) = _queue.Take(_stop.Token);
            Position = after;
            return batch;
        }
        catch (InvalidOperationException) when (_producer!.IsFaulted)
        {
            throw _producer.Exception!.InnerException!;
        }
    }

    private void Produce(DataPosition start, CancellationToken cancel)
    {
        try
        {
            int epoch = start.Epoch, offset = start.Offset;
            var order = EpochOrder(epoch);
            while (!cancel.IsCancellationRequested)
            {
                // take a window of candidates and encode them in parallel; keep order, drop failures
                var picked = new List<TrainingExample>(_batchSize);
                while (picked.Count < _batchSize)
                {
                    int need = _batchSize - picked.Count;
                    var window = new List<int>();
                    while (window.Count < need)
                    {
                        if (offset >= order.Length) { epoch++; offset = 0; order = EpochOrder(epoch); }
                        window.Add(order[offset++]);
                    }
                    var encoded = new TrainingExample?[window.Count];
                    Parallel.For(0, window.Count, new ParallelOptions { MaxDegreeOfParallelism = _workers, CancellationToken = cancel }, i =>
                    {
                        var (ex, reason) = _encoder.Encode(_records[window[i]]);
                        if (ex is null) _skipped.AddOrUpdate(reason ?? "unknown", 1, (_, n) => n + 1);
                        else Interlocked.Add(ref _imagesDecoded, ex.Images.Count);
                        encoded[i] = ex;
                    });
                    picked.AddRange(encoded.Where(e => e is not null)!);
                    if (_skipped.Values.Sum() >= _records.Count && picked.Count == 0)
                        throw new MantisException($"no record of the training set can be encoded (first reason: {_skipped.Keys.First()})");
                }
                _queue!.Add((new DataPosition(epoch, offset), _collator.Collate(picked)), cancel);
            }
        }
        catch (OperationCanceledException) { }
        finally { _queue!.CompleteAdding(); }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _producer?.Wait(); } catch (AggregateException) { }
        if (_queue is not null)
            foreach (var (_, b) in _queue) b.Dispose();
        _stop.Dispose();
    }
}
