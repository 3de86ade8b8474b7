using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Does, in the background, the work that makes an MSBuild node's first cached compilation slower than its others, so a
/// fresh clone's bottom projects (which every other project waits for) do not pay it on the critical path. Measured on
/// the benchmark's solution (2 cores, node reuse off): a node's first hit took 90-125 ms against 6-30 ms for its later
/// ones; its key took 52-74 ms (hashing the compiler, the framework's reference assemblies and the analyzers, which
/// later keys find in memory), its restore 30-45 ms (the framework's Brotli, tar, JSON and SHA-256 code, and ours,
/// running for the first time).
/// <para>
/// Nothing here decides a key or a hit. The files are hashed into <see cref="FileHasher.Shared"/> exactly as a key would
/// hash them, in this process; a key still checks each file's length and time stamp before it uses a remembered hash.
/// Which files to hash comes from a list the node's earlier builds left in the local cache folder (paths only, no hashes).
/// </para>
/// </summary>
public static class HitWarmUp
{
    /// <summary>The list's file, in the local cache folder's <c>derived</c> folder.</summary>
    public const string ListFileName = "warm-up-files.txt";

    /// <summary>At most this many paths are read from the list or written to it.</summary>
    internal const int MaxFiles = 4096;

    /// <summary>Files larger than this are left to the key (a reference assembly or a compiler file is far smaller).</summary>
    internal const long MaxFileBytes = 64L * 1024 * 1024;

    private static int _started;
    private static int _rememberedCount;

    /// <summary>Starts the warm-up once per process; later calls return null. Never throws: a failure only costs the head start.</summary>
    /// <param name="derivedFolder">The local cache's <c>derived</c> folder, or null when there is no local cache.</param>
    public static Task? Start(string? derivedFolder)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return null;
        }

        return Task.Run(() => Run(derivedFolder, FileHasher.Shared));
    }

    /// <summary>The warm-up itself, for tests: runs a small key, write and restore, then hashes the listed files into <paramref name="hasher"/>.</summary>
    internal static void Run(string? derivedFolder, FileHasher hasher)
    {
        // The code first: a key running beside the warm-up hashes the files it still lacks itself, but cannot load or
        // compile the code any sooner.
        try
        {
            WarmUpSmallCompilation();
        }
        catch (Exception e) when (IsExpected(e))
        {
            // Only a head start: whatever it did not do, the first hit does as before.
        }

        foreach (var path in ReadList(derivedFolder))
        {
            try
            {
                if (new FileInfo(path) is { Exists: true, Length: <= MaxFileBytes })
                {
                    hasher.Hash(path);
                }
            }
            catch (Exception e) when (IsExpected(e))
            {
                // A path that is not a readable file (any more) is the key's business, not the warm-up's.
            }
        }
    }

    /// <summary>
    /// Saves the paths <paramref name="hasher"/> remembers for the process (the files under the folders nothing rewrites in
    /// place) for the next build's warm-up, when it has learned files since the last save. Never throws.
    /// </summary>
    public static void RememberFiles(string? derivedFolder, FileHasher hasher)
    {
        // Called after every compilation: only a count that grew (the set only grows) is worth a snapshot of the paths.
        var count = hasher.RememberedFileCount;
        if (derivedFolder is not null && count > 0 && Interlocked.Exchange(ref _rememberedCount, count) != count)
        {
            SaveList(derivedFolder, hasher.RememberedFiles());
        }
    }

    /// <summary>Writes the list (sorted, at most <see cref="MaxFiles"/> paths) under a unique name and moves it into place. Never throws.</summary>
    internal static void SaveList(string derivedFolder, IEnumerable<string> files)
    {
        var list = Path.Combine(derivedFolder, ListFileName);
        var temporary = list + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            Directory.CreateDirectory(derivedFolder);
            File.WriteAllLines(temporary, files.Order(StringComparer.Ordinal).Take(MaxFiles));
            File.Move(temporary, list, overwrite: true);
        }
        catch (Exception e) when (IsExpected(e))
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (IsExpected(cleanup))
            {
                // A stray temporary file in the derived folder is harmless; the next save replaces the list.
            }
        }
    }

    internal static IReadOnlyList<string> ReadList(string? derivedFolder)
    {
        try
        {
            var list = derivedFolder is null ? null : Path.Combine(derivedFolder, ListFileName);
            return list is null || !File.Exists(list)
                ? []
                // Only absolute paths: a line that is anything else is ignored, never resolved against the working folder.
                : File.ReadLines(list).Take(MaxFiles).Where(l => l.Length > 0 && Path.IsPathFullyQualified(l)).ToList();
        }
        catch (Exception e) when (IsExpected(e))
        {
            return [];
        }
    }

    private static bool IsExpected(Exception e) =>
        e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or InvalidOperationException or System.Security.SecurityException;

    // Keys a one-file compilation, then writes and restores its artifact, in a scratch folder: the same framework and
    // package code a hit runs.
    private static void WarmUpSmallCompilation()
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"artifactcache-warmup-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(scratch);
            var source = Path.Combine(scratch, "warmup.cs");
            File.WriteAllText(source, "class WarmUp { }");
            var output = Path.Combine(scratch, "warmup.dll");
            File.WriteAllBytes(output, new byte[4096]);
            var commandLine = CompilerCommandLine.Parse(["/noconfig", "/deterministic+", "/out:" + output, "/reference:" + output, "/pathmap:" + scratch + "=/_/", source], scratch);
            _ = new CompilationKeyBuilder(new FileHasher()).Build(commandLine, new KeyContext { RepositoryRoot = scratch, CompilerFiles = [source] });
            var artifact = Path.Combine(scratch, "warmup.acb");
            using (var stream = new FileStream(artifact, FileMode.CreateNew, FileAccess.ReadWrite))
            {
                ArtifactWriter.Write(stream, new string('0', 64), [new ArtifactInput("warm-up", FileHasher.HashText("warm-up"))], [], 0, [new ArtifactFile("warmup.dll", output)]);
            }

            var restored = Path.Combine(scratch, "restored.dll");
            ArtifactReader.Restore(artifact, _ => restored, new ArchiveLimits(1 << 20, 1 << 20, 1 << 20), NullCacheLog.Instance);
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A scratch folder left in the temp folder is harmless.
            }
        }
    }
}
