using System.Runtime.InteropServices;
using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// The page-locked staging ring (PinnedStagingRing: a step's small uploads without a host wait) under load: thousands
// of uploads of mixed sizes, the host rewriting its one source array right after every call, device copies reading
// some destinations in between, the ring wrapping (so it must wait for old copies before reusing their bytes) and
// growing once. On the emulated device a copy from page-locked memory runs only at an ordering point and a host rewrite
// of its bytes before then is a sticky error naming it, so a ring that reused bytes early fails here, not silently.
internal sealed partial class KernelChecks
{
    private void StagingRingReusesBytesOnlyAfterTheirCopies()
    {
        const int uploads = 3000, batch = 400;
        using var ring = new PinnedStagingRing(_ctx);   // its own ring: the counts below are this check's
        var source = new int[PinnedStagingRing.InitialCapacity * 3 / 2 / 4 + 1];   // the largest upload: grows the ring once
        var live = new List<(int Upload, int Ints, DeviceBuffer Dest, DeviceBuffer? Read)>();
        int bad = 0, checkedUploads = 0;
        for (int i = 0; i < uploads; i++)
        {
            int n = i == uploads / 2 ? source.Length : _rng.Next(8) == 0 ? _rng.Next(4096, 40_000) : _rng.Next(1, 600);
            for (int j = 0; j < n; j++) source[j] = Pattern(i, j);
            var dest = _ctx.Allocate(4L * n);
            if (!ring.TryUpload(MemoryMarshal.AsBytes(source.AsSpan(0, n)), dest.Pointer)) throw new InvalidOperationException($"upload {i} of {n} ints refused");
            DeviceBuffer? read = null;
            if (i % 50 == 0)
            {
                read = _ctx.Allocate(4L * n);
                read.CopyFrom(dest, 4L * n);   // a device consumer, ordered after the copy by the stream
            }
            live.Add((i, n, dest, read));
            if (live.Count == batch || i == uploads - 1)
            {
                foreach (var (u, ints, d, r) in live)
                {
                    bad += Mismatches(d, u, ints);
                    if (r is not null) bad += Mismatches(r, u, ints);
                    checkedUploads++;
                    d.Dispose();
                    r?.Dispose();
                }
                live.Clear();
            }
        }
        Require($"staging ring: {uploads} uploads arrive intact", bad == 0 && checkedUploads == uploads, $"{bad} values differ");
        Require("staging ring: it wrapped and waited for old copies before reusing their bytes", ring.Wraps > 2 && ring.Waits > 0, $"{ring.Wraps} wraps, {ring.Waits} waits");
        Require("staging ring: it grew for the large upload", ring.Capacity > PinnedStagingRing.InitialCapacity, $"capacity {ring.Capacity}");
        Require("staging ring: all staged", ring.Staged == uploads, $"{ring.Staged} staged");
    }

    private static int Pattern(int upload, int index) => unchecked(upload * 1_000_003 + index * 7919);

    private static int Mismatches(DeviceBuffer b, int upload, int ints)
    {
        var back = new int[ints];
        b.CopyTo<int>(back);
        int bad = 0;
        for (int j = 0; j < ints; j++) if (back[j] != Pattern(upload, j)) bad++;
        return bad;
    }
}
