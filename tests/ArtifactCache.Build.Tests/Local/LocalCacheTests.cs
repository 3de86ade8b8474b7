using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Local;
using ArtifactCache.Build.Tests.Archive;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Local;

public sealed class LocalCacheTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-local-");

    public void Dispose() => _scratch.Delete(recursive: true);

    private static string Key(int i) => i.ToString("x64");

    /// <summary>A real artifact of one file of the given size.</summary>
    private string Artifact(string key, int size, byte seed = 1)
    {
        var content = Path.Combine(_scratch.FullName, $"content-{Guid.NewGuid():N}.bin");
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(content, bytes);
        var artifact = Path.Combine(_scratch.FullName, $"artifact-{Guid.NewGuid():N}.acb");
        using (var stream = File.Create(artifact))
        {
            ArtifactWriter.Write(stream, key, [], [], 1, [new ArtifactFile("out", content)]);
        }

        return artifact;
    }

    [Fact]
    public void Round_trip_gives_back_the_same_bytes()
    {
        var cache = new LocalCache(Path.Combine(_scratch.FullName, "cache"), 1 << 30, new RecordingLog());
        var artifact = Artifact(Key(1), 1000);

        Assert.Null(cache.TryGet(Key(1)));
        Assert.True(cache.TryPut(Key(1), artifact));
        var entry = cache.TryGet(Key(1));

        Assert.NotNull(entry);
        Assert.Equal(File.ReadAllBytes(artifact), File.ReadAllBytes(entry));
        Assert.Equal(1, cache.GetStats().Entries);
    }

    [Fact]
    public void A_download_is_moved_in_whole_and_a_short_one_stays_out()
    {
        var cache = new LocalCache(Path.Combine(_scratch.FullName, "cache"), 1 << 30, new RecordingLog());
        var download = Artifact(Key(1), 1000);
        var bytes = File.ReadAllBytes(download);

        Assert.True(cache.TryPut(Key(1), download, move: true));

        Assert.False(File.Exists(download));
        Assert.Equal(bytes, File.ReadAllBytes(cache.TryGet(Key(1))!));

        var shortDownload = Artifact(Key(2), 1000);
        File.WriteAllBytes(shortDownload, File.ReadAllBytes(shortDownload)[..^10]);
        Assert.False(cache.TryPut(Key(2), shortDownload, move: true));
        Assert.True(File.Exists(shortDownload));
        Assert.Null(cache.TryGet(Key(2)));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("ABCDEF0123456789ABCDEF")]
    [InlineData("short")]
    public void Keys_that_are_not_lowercase_hex_are_never_used_as_paths(string key)
    {
        var cache = new LocalCache(Path.Combine(_scratch.FullName, "cache"), 1 << 30, new RecordingLog());
        Assert.False(cache.TryPut(key, Artifact(Key(1), 10)));
        Assert.Null(cache.TryGet(key));
    }

    [Fact]
    public void A_truncated_entry_is_deleted_and_is_a_miss()
    {
        var log = new RecordingLog();
        var cache = new LocalCache(Path.Combine(_scratch.FullName, "cache"), 1 << 30, log);
        cache.TryPut(Key(2), Artifact(Key(2), 5000));
        var entry = cache.TryGet(Key(2))!;
        var bytes = File.ReadAllBytes(entry);
        File.WriteAllBytes(entry, bytes[..(bytes.Length / 2)]);

        Assert.Null(cache.TryGet(Key(2)));
        Assert.False(File.Exists(entry));
        Assert.Equal([DiagnosticCodes.LocalEntryCorrupt], log.WarningCodes);
    }

    [Fact]
    public void A_flipped_byte_is_caught_by_the_restore_and_invalidated()
    {
        var log = new RecordingLog();
        var cache = new LocalCache(Path.Combine(_scratch.FullName, "cache"), 1 << 30, log);
        cache.TryPut(Key(3), Artifact(Key(3), 5000));
        var entry = cache.TryGet(Key(3))!;
        var bytes = File.ReadAllBytes(entry);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(entry, bytes);

        var result = ArtifactReader.Restore(entry, _ => Path.Combine(_scratch.FullName, "restored.dll"), ArtifactRoundTripTests.Generous, log);
        Assert.False(result.Success);
        cache.Invalidate(Key(3));

        Assert.Null(cache.TryGet(Key(3)));
        Assert.False(File.Exists(Path.Combine(_scratch.FullName, "restored.dll")));
    }

    [Fact]
    public void An_unusable_folder_is_one_warning_and_never_an_exception()
    {
        // A file where the cache folder should be: works even when the tests run as root, where chmod does not stop writes.
        var blocked = Path.Combine(_scratch.FullName, "blocked");
        File.WriteAllText(blocked, "not a folder");
        var log = new RecordingLog();
        var cache = new LocalCache(blocked, 1 << 30, log);

        Assert.False(cache.TryPut(Key(4), Artifact(Key(4), 10)));
        Assert.False(cache.TryPut(Key(5), Artifact(Key(5), 10)));
        Assert.Null(cache.TryGet(Key(4)));
        cache.EvictIfNeeded();

        Assert.Equal([DiagnosticCodes.LocalCacheUnusable], log.WarningCodes);
        Assert.False(cache.IsUsable);
    }

    [Fact]
    public void A_cache_whose_scratch_folder_cannot_be_made_turns_off_with_one_warning()
    {
        // A file where the scratch folder goes: the folder itself exists, but nothing can be created in it the normal way.
        var directory = Path.Combine(_scratch.FullName, "cache");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "tmp"), "not a folder");
        var log = new RecordingLog();
        var cache = new LocalCache(directory, 1 << 30, log);

        Assert.Null(cache.TryEnsureScratchFolder());
        Assert.Null(cache.TryEnsureScratchFolder());

        Assert.False(cache.IsUsable);
        Assert.Equal([DiagnosticCodes.LocalCacheUnusable], log.WarningCodes);
    }

    [Fact]
    public void A_failed_write_is_a_coded_warning()
    {
        var log = new RecordingLog();
        var cache = new LocalCache(Path.Combine(_scratch.FullName, "cache"), 1 << 30, log);

        Assert.False(cache.TryPut(Key(6), Path.Combine(_scratch.FullName, "does-not-exist.acb")));
        Assert.Equal([DiagnosticCodes.LocalWriteFailed], log.WarningCodes);
        Assert.Empty(Directory.GetFiles(Path.Combine(_scratch.FullName, "cache"), "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Eviction_past_the_cap_removes_the_least_recently_used()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var directory = Path.Combine(_scratch.FullName, "cache");
        var cache = new LocalCache(directory, 60_000, new RecordingLog(), time);
        for (var i = 10; i < 16; i++)
        {
            cache.TryPut(Key(i), Artifact(Key(i), 15_000, (byte)i));
            File.SetLastWriteTimeUtc(Path.Combine(directory, "v1", Key(i)[..2], Key(i) + ".acb"), time.GetUtcNow().UtcDateTime.AddHours(-10 + i - 10));
        }

        // Using the oldest entry makes it the most recently used.
        time.Advance(TimeSpan.FromHours(2));
        Assert.NotNull(cache.TryGet(Key(10)));
        cache.EvictIfNeeded();

        var stats = cache.GetStats();
        Assert.True(stats.Bytes <= 48_000, $"{stats.Bytes} bytes left");
        Assert.NotNull(cache.TryGet(Key(10)));
        Assert.NotNull(cache.TryGet(Key(15)));
        Assert.Null(cache.TryGet(Key(11)));

        // Within the eviction interval a second call does nothing, however full the cache.
        for (var i = 20; i < 26; i++)
        {
            cache.TryPut(Key(i), Artifact(Key(i), 15_000, (byte)i));
        }

        cache.EvictIfNeeded();
        Assert.True(cache.GetStats().Bytes > 60_000);
    }

    [Fact]
    public void Trimming_keeps_the_most_recently_used_within_the_size()
    {
        var directory = Path.Combine(_scratch.FullName, "cache");
        var cache = new LocalCache(directory, 1 << 30, new RecordingLog());
        for (var i = 30; i < 34; i++)
        {
            cache.TryPut(Key(i), Artifact(Key(i), 10_000, (byte)i));
            File.SetLastWriteTimeUtc(cache.EntryPath(Key(i)), DateTime.UtcNow.AddHours(i - 40));
        }

        // Room for exactly the two most recently used entries (sizes differ a little: random content compresses differently).
        var newestTwo = new FileInfo(cache.EntryPath(Key(32))).Length + new FileInfo(cache.EntryPath(Key(33))).Length;
        Assert.Equal(2, cache.TrimTo(newestTwo));
        Assert.Null(cache.TryGet(Key(30)));
        Assert.Null(cache.TryGet(Key(31)));
        Assert.NotNull(cache.TryGet(Key(32)));
        Assert.NotNull(cache.TryGet(Key(33)));
    }

    [Fact]
    public void Many_threads_writing_and_reading_the_same_keys_never_see_a_partial_entry()
    {
        var log = new RecordingLog();
        var cache = new LocalCache(Path.Combine(_scratch.FullName, "cache"), 1 << 30, log);
        var artifacts = Enumerable.Range(0, 4).Select(i => Artifact(Key(100 + i), 200_000, (byte)i)).ToArray();
        var expected = artifacts.Select(File.ReadAllBytes).ToArray();

        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 8 }, n =>
        {
            var i = n % 4;
            if (n % 3 == 0)
            {
                Assert.True(cache.TryPut(Key(100 + i), artifacts[i]));
            }
            else if (cache.TryGet(Key(100 + i)) is { } entry)
            {
                byte[] bytes;
                try
                {
                    bytes = File.ReadAllBytes(entry);
                }
                catch (IOException)
                {
                    return; // Replaced between TryGet and the read on Windows; a miss, never a wrong read.
                }

                Assert.Equal(expected[i], bytes);
            }
        });

        Assert.DoesNotContain(DiagnosticCodes.LocalEntryCorrupt, log.WarningCodes);
        Assert.DoesNotContain(DiagnosticCodes.LocalWriteFailed, log.WarningCodes);
    }

    [Fact]
    public void Two_processes_putting_and_getting_the_same_keys_only_ever_see_correct_bytes()
    {
        var sources = Path.Combine(_scratch.FullName, "sources");
        Directory.CreateDirectory(sources);
        var keys = Enumerable.Range(0, 6).Select(i => Key(200 + i)).ToArray();
        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
        {
            File.Move(Artifact(key, 50_000 + (i * 7_000), (byte)i), Path.Combine(sources, key + ".acb"));
        }

        var expected = keys.ToDictionary(k => k, k => File.ReadAllBytes(Path.Combine(sources, k + ".acb")));
        var directory = Path.Combine(_scratch.FullName, "shared-cache");
        var cap = expected.Values.Sum(b => (long)b.Length) / 2;

        // Two OS processes on one folder, one of them evicting down to half of what they write.
        var writers = new[] { 1, 2 }.Select(seed => CacheWriterProcess.Start(directory, sources, 400, seed, cap)).ToList();
        var results = writers.Select(w => w.WaitForExit()).ToList();

        foreach (var (exitCode, output) in results)
        {
            Assert.True(exitCode == 0, output);
            Assert.Contains("warnings=0", output, StringComparison.Ordinal);
            Assert.DoesNotContain("hits=0 ", output, StringComparison.Ordinal);
        }

        var log = new RecordingLog();
        var cache = new LocalCache(directory, long.MaxValue, log);
        foreach (var (key, bytes) in expected)
        {
            if (cache.TryGet(key) is { } entry)
            {
                Assert.Equal(bytes, File.ReadAllBytes(entry));
            }
        }

        Assert.Empty(log.WarningCodes);
        Assert.Empty(Directory.GetFiles(directory, "*.tmp", SearchOption.AllDirectories));
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
