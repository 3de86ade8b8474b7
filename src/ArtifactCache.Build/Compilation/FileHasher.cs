using System.Collections.Concurrent;
using System.Security.Cryptography;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// SHA-256 of file contents, remembered by (path, length, last write time) so that the framework reference pack,
/// hashed by every project in a build, is read once per MSBuild node.
/// </summary>
/// <remarks>
/// Length and time stamp only say a file is unchanged for files nothing rewrites in place: a same-size edit within the
/// file system's time stamp resolution (a second on some), or a tool that restores time stamps (tar, rsync -t, cp -p),
/// leaves both as they were. So a reused MSBuild node remembers across builds only the files under folders that are
/// immutable by convention (the .NET installation, the NuGet package folder); every other file is remembered for one
/// build, by the hasher <see cref="ForBuild"/> gives. Within a build the same blind spot remains, so the check after a
/// compile (or a target, or a test run) uses <see cref="Rereading"/>, which reads every such file again.
/// </remarks>
public sealed class FileHasher
{
    /// <summary>One per process, for the files under immutable folders: MSBuild nodes build many projects and most share their references.</summary>
    public static readonly FileHasher Shared = new();

    private readonly ConcurrentDictionary<string, (long Length, long Ticks, string Hash)> _known = new(PathPolicy.Current.MemoComparer);

    // The plain (SHA-256) entries' paths: what a later process's warm-up may hash ahead of its first key.
    private readonly ConcurrentDictionary<string, bool> _plain = new(PathPolicy.Current.MemoComparer);

    private readonly FileHasher? _durable;
    private readonly string[] _immutableFolders = [];

    // Reads every file outside the immutable folders, remembering nothing (see Rereading).
    private readonly bool _rereads;

    /// <summary>A hasher that remembers every file it hashed for as long as it lives.</summary>
    public FileHasher()
    {
    }

    private FileHasher(FileHasher durable, IEnumerable<string> immutableFolders)
    {
        _durable = durable;
        _immutableFolders = immutableFolders
            .Where(f => !string.IsNullOrWhiteSpace(f) && Path.IsPathFullyQualified(f))
            .Select(Path.GetFullPath)
            .ToArray();
    }

    private FileHasher(FileHasher? durable, string[] immutableFolders, bool rereads)
    {
        _durable = durable;
        _immutableFolders = immutableFolders;
        _rereads = rereads;
    }

    /// <summary>
    /// A hasher for one build: it remembers files for as long as it lives (the build), and hands files under
    /// <paramref name="immutableFolders"/> to <paramref name="durable"/>, which remembers them for the process.
    /// </summary>
    public static FileHasher ForBuild(FileHasher durable, IEnumerable<string> immutableFolders) => new(durable, immutableFolders);

    /// <summary>
    /// A hasher that reads the content of every file again, whatever this one remembers, but hands files under the
    /// immutable folders to the same durable hasher. For the check that a step's inputs did not change while it ran: an
    /// edit that kept the length and put the time stamp back (cp -p, rsync -t, sync tools) looks unchanged to the memo.
    /// </summary>
    public FileHasher Rereading() => new(_durable, _immutableFolders, rereads: true);

    /// <summary>The lowercase hex SHA-256 of the file, or null when it does not exist.</summary>
    public string? Hash(string fullPath) => Hash(fullPath, null, null);

    /// <summary>
    /// The file's hash by <paramref name="hashFile"/> (plain SHA-256 when null), remembered per path, length, time stamp
    /// and <paramref name="kind"/> (which names the hash function); null when the file does not exist.
    /// </summary>
    public string? Hash(string fullPath, string? kind, Func<string, string>? hashFile)
    {
        if (_durable is not null && IsImmutable(fullPath))
        {
            return _durable.Hash(fullPath, kind, hashFile);
        }

        var cacheKey = hashFile is null ? fullPath : kind + ":" + fullPath;
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            return null;
        }

        if (_rereads)
        {
            return Read(fullPath, hashFile);
        }

        var length = info.Length;
        var ticks = info.LastWriteTimeUtc.Ticks;
        if (_known.TryGetValue(cacheKey, out var known) && known.Length == length && known.Ticks == ticks)
        {
            return known.Hash;
        }

        var hash = Read(fullPath, hashFile);
        _known[cacheKey] = (length, ticks, hash);
        if (hashFile is null)
        {
            _plain[fullPath] = true;
        }

        return hash;
    }

    /// <summary>
    /// The plain SHA-256 this hasher last gave for the file, whatever its length and time stamp are now; null when it has
    /// none. A content read again that differs from it changed since this build first read it.
    /// </summary>
    public string? Remembered(string fullPath) =>
        _durable is not null && IsImmutable(fullPath) ? _durable.Remembered(fullPath)
        : _known.TryGetValue(fullPath, out var known) ? known.Hash
        : null;

    private bool IsImmutable(string fullPath) => Array.Exists(_immutableFolders, f => PathPolicy.Current.IsUnder(fullPath, f));

    private static string Read(string fullPath, Func<string, string>? hashFile)
    {
        if (hashFile is not null)
        {
            return hashFile(fullPath);
        }

        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    /// <summary>How many paths <see cref="RememberedFiles"/> gives, without copying them.</summary>
    public int RememberedFileCount => _plain.Count;

    /// <summary>The paths whose plain SHA-256 this hasher remembers.</summary>
    public IReadOnlyCollection<string> RememberedFiles() => [.. _plain.Keys];

    /// <summary>Hashes text after the caller normalised it (machine-specific paths or volatile stamps replaced).</summary>
    public static string HashText(string text) =>
        Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
}
