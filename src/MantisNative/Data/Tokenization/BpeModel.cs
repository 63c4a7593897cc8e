using System.Collections.Concurrent;
using System.Text;

namespace MantisNative.Data.Tokenization;

/// <summary>
/// Byte-level BPE (HF "BPE" model with a ByteLevel alphabet): a pre-token's UTF-8 bytes become one symbol
/// per byte, then the adjacent pair with the lowest merge rank is merged until none applies
/// (leftmost first on ties, like HF's heap ordered by rank then position).
/// With ignore_merges (Llama-3) a pre-token that is itself in the vocab maps straight to its id.
/// Results are cached per pre-token: natural text repeats words, which makes encoding several times faster.
/// </summary>
public sealed class BpeModel
{
    private const int MaxCacheEntries = 200_000;
    private const int MaxCachedPieceLength = 256;

    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _idToToken;
    private readonly Dictionary<long, (int Rank, int Id)> _merges;
    private readonly int[] _byteIds = new int[256];
    private readonly ConcurrentDictionary<string, int[]> _cache = new();
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;
    private int _cacheAdds;

    /// <summary>Vocab string -> id (base vocabulary only, without added tokens).</summary>
    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>Merges in rank order, as pairs of vocab strings.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    public bool IgnoreMerges { get; }

    /// <summary>One more than the largest vocab id.</summary>
    public int IdLimit => _idToToken.Length;

    /// <param name="source">names the file, for error messages</param>
    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, bool ignoreMerges, string source)
    {
        _vocab = vocab;
        IgnoreMerges = ignoreMerges;
        Merges = merges;
        int limit = vocab.Count == 0 ? 0 : vocab.Values.Max() + 1;
        _idToToken = new string[limit];
        foreach (var (tok, id) in vocab)
        {
            if (id < 0) throw new MantisException($"{source}: model.vocab has a negative id {id} for '{tok}'");
            _idToToken[id] = tok;
        }
        for (int b = 0; b < 256; b++)
        {
            // Byte-level BPE without byte_fallback needs every byte as a token, or some text cannot be encoded.
            var s = ByteLevelAlphabet.ByteToChar((byte)b).ToString();
            _byteIds[b] = vocab.TryGetValue(s, out var id) ? id
                : throw new MantisException($"{source}: model.vocab lacks the byte-level token '{s}' (byte 0x{b:X2}); not a byte-level BPE vocabulary");
        }
        _merges = new Dictionary<long, (int, int)>(merges.Count, PairComparer.Instance);
        for (int r = 0; r < merges.Count; r++)
        {
            var (a, b) = merges[r];
            if (!vocab.TryGetValue(a, out var ia) || !vocab.TryGetValue(b, out var ib))
                throw new MantisException($"{source}: merge {r} '{a} {b}' uses a token that is not in model.vocab");
            if (!vocab.TryGetValue(a + b, out var merged))
                throw new MantisException($"{source}: merge {r} '{a} {b}' gives '{a + b}', which is not in model.vocab");
            // A duplicated merge keeps its last rank: HF collects the merges into a HashMap, where the later insert wins.
            _merges[Key(ia, ib)] = (r, merged);
        }
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Empties the pre-token cache (benchmarks of cold encoding).</summary>
    internal void ClearCache()
    {
        _cache.Clear();
        _cacheAdds = 0;
    }

    /// <summary>Vocab string of an id, or null if the id is not in the base vocabulary.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>Appends the ids of one pre-token (given as text; it is UTF-8 encoded here).</summary>
    public void EncodePiece(ReadOnlySpan<char> piece, List<int> output)
    {
        if (_cacheBySpan.TryGetValue(piece, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        var ids = EncodeUncached(piece);
        output.AddRange(ids);
        if (piece.Length > MaxCachedPieceLength) return; // long pieces rarely repeat; keep memory for words
        // Bounded: a long run over random text must not grow without end. Counted here because
        // ConcurrentDictionary.Count takes every lock (up to 1024 of them): calling it per miss made cold encoding 5x slower.
        if (Interlocked.Increment(ref _cacheAdds) > MaxCacheEntries)
        {
            _cache.Clear();
            Interlocked.Exchange(ref _cacheAdds, 0);
        }
        _cacheBySpan.TryAdd(piece, ids);
    }

    private int[] EncodeUncached(ReadOnlySpan<char> piece)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        Span<byte> bytes = maxBytes <= 1024 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        int n = Encoding.UTF8.GetBytes(piece, bytes);
        bytes = bytes[..n];
        if (IgnoreMerges && _vocab.TryGetValue(ByteLevelAlphabet.Encode(bytes), out var whole)) return new[] { whole };
        var symbols = new int[n];
        for (int i = 0; i < n; i++) symbols[i] = _byteIds[bytes[i]];
        return n <= HeapThreshold ? MergeByScan(symbols) : MergeByHeap(symbols);
    }

    // Below this many bytes a plain scan beats the heap; above it the scan's O(n^2) would hurt
    // (a long run of letters or a base64 blob is a single pre-token).
    private const int HeapThreshold = 24;

    /// <summary>Repeatedly merges the lowest-ranked adjacent pair, leftmost on ties. O(n^2): for short pieces.</summary>
    internal int[] MergeByScan(int[] ids)
    {
        var symbols = new List<int>(ids);
        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue, bestPos = -1, bestId = 0;
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                if (_merges.TryGetValue(Key(symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                {
                    bestRank = m.Rank; bestPos = i; bestId = m.Id;
                }
            }
            if (bestPos < 0) break;
            symbols[bestPos] = bestId;
            symbols.RemoveAt(bestPos + 1);
        }
        return symbols.ToArray();
    }

    /// <summary>
    /// The same merges in the same order, as HF does it: a heap of candidate pairs keyed by (rank, position of
    /// the left symbol) over a linked list of symbols; stale entries are recognised by re-checking the pair.
    /// O(n log n).
    /// </summary>
    internal int[] MergeByHeap(int[] input)
    {
        int n = input.Length;
        var ids = (int[])input.Clone();
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }
        var heap = new PriorityQueue<int, long>();
        for (int i = 0; i + 1 < n; i++) Push(heap, ids, i, i + 1);
        while (heap.TryDequeue(out int pos, out long priority))
        {
            int right = next[pos];
            if (ids[pos] < 0 || right < 0) continue;
            // A pair's rank is unique, so an entry is current exactly when its pair still has that rank.
            if (!_merges.TryGetValue(Key(ids[pos], ids[right]), out var m) || m.Rank != (int)(priority >> 32)) continue;
            ids[pos] = m.Id;
            ids[right] = -1;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) prev[after] = pos;
            if (prev[pos] >= 0) Push(heap, ids, prev[pos], pos);
            if (after >= 0) Push(heap, ids, pos, after);
        }
        var result = new List<int>(n);
        for (int i = 0; i >= 0; i = next[i]) result.Add(ids[i]);
        return result.ToArray();
    }

    private void Push(PriorityQueue<int, long> heap, int[] ids, int left, int right)
    {
        if (_merges.TryGetValue(Key(ids[left], ids[right]), out var m)) heap.Enqueue(left, ((long)m.Rank << 32) | (uint)left);
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    /// <summary>
    /// long.GetHashCode is hi ^ lo, so pairs of small ids with equal XOR collide by the thousand;
    /// a multiplicative mix spreads them (it made loading and uncached encoding several times faster).
    /// </summary>
    private sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();
        public bool Equals(long x, long y) => x == y;
        public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
    }
}
