using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Local;

/// <summary>Entry count and size of a local cache folder.</summary>
public sealed record LocalCacheStats(string Directory, int Entries, long Bytes);

/// <summary>
/// The embedded default cache: one artifact file per key under <c>&lt;dir&gt;/v1/&lt;first two hex digits&gt;/&lt;key&gt;.acb</c>.
/// <list type="bullet">
/// <item>Writes copy into a unique temporary file in the same folder and rename it into place, so readers only ever see
/// whole entries, and any number of processes may write the same key at once (same key, same content: last rename wins).</item>
/// <item>Reads check the entry's length against its header (<see cref="ArtifactFormat.HasExpectedLength"/>): a truncated
/// entry is deleted and is a miss. The archive reader verifies every byte when it restores; a caller that finds an entry
/// corrupt calls <see cref="Invalidate"/>.</item>
/// <item>A hit refreshes the entry's last-write time (at most once an hour per entry); eviction removes the least recently
/// used entries down to 80 % of the cap. It runs after stores, at most every few minutes, under a lock file it never
/// waits for, so it never delays a hit.</item>
/// </list>
/// Every file-system fault is a coded warning and a miss (or false), never an exception.
/// </summary>
public sealed class LocalCache
{
    internal const string LayoutFolder = "v1";
    internal const string EntryExtension = ".acb";
    private static readonly TimeSpan UseRefreshInterval = TimeSpan.FromHours(1);
    private static readonly TimeSpan EvictionInterval = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StaleTemporaryAge = TimeSpan.FromHours(1);

    private readonly long _maxBytes;
    private readonly ICacheLog _log;
    private readonly TimeProvider _time;
    private readonly string _root;
    private volatile bool _usable = true;

    public LocalCache(string directory, long maxBytes, ICacheLog log, TimeProvider? time = null)
    {
        Directory = Path.GetFullPath(directory);
        _maxBytes = maxBytes;
        _log = log;
        _time = time ?? TimeProvider.System;
        _root = Path.Combine(Directory, LayoutFolder);
    }

    public string Directory { get; }

    /// <summary>False once the folder proved unusable (it could not be created); warned once with ACB4001.</summary>
    public bool IsUsable => _usable;

    /// <summary>The full path of a whole entry for the key (marked as recently used), or null.</summary>
    public string? TryGet(string key)
    {
        if (!_usable || !IsValidKey(key))
        {
            return null;
        }

        var path = EntryPath(key);
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            if (!ArtifactFormat.HasExpectedLength(path))
            {
                _log.Warning(DiagnosticCodes.LocalEntryCorrupt, $"The local cache entry {key} was truncated or corrupt; it was deleted and the project compiles instead.");
                TryDelete(path);
                return null;
            }

            var now = _time.GetUtcNow().UtcDateTime;
            if (now - File.GetLastWriteTimeUtc(path) > UseRefreshInterval)
            {
                File.SetLastWriteTimeUtc(path, now);
            }

            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Detail($"ArtifactCache: could not read the local cache entry {key}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Copies (or moves) an artifact file in atomically. False, with ACB4003 (or ACB4001), when the cache cannot be written; false,
    /// quietly, when the file is not a whole artifact (a remote that sent a short body under a matching Content-Length):
    /// the cache only ever holds whole entries, and whoever holds the file reports it when reading it fails.
    /// </summary>
    /// <param name="key">The artifact's key.</param>
    /// <param name="sourceFile">The artifact.</param>
    /// <param name="move">Move the file in rather than copy it: for a download in the cache's scratch folder, whose move is a rename.</param>
    public bool TryPut(string key, string sourceFile, bool move = false)
    {
        if (!_usable || !IsValidKey(key) || (File.Exists(sourceFile) && !ArtifactFormat.HasExpectedLength(sourceFile)))
        {
            return false;
        }

        if (!EnsureFolder(Path.GetDirectoryName(EntryPath(key))!))
        {
            return false;
        }

        var path = EntryPath(key);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            if (move)
            {
                File.Move(sourceFile, path, overwrite: true);
                return true;
            }

            File.Copy(sourceFile, temporary, overwrite: false);
            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            // Windows refuses to replace a file another process is reading; that entry has the same content.
            if (File.Exists(path) && ArtifactFormat.HasExpectedLength(path))
            {
                return true;
            }

            _log.Warning(DiagnosticCodes.LocalWriteFailed, $"Could not write to the local cache in {Directory} ({e.Message}). Free disk space or fix its permissions; the build goes on.");
            return false;
        }
    }

    /// <summary>The cache's own scratch folder (so moves into the cache are renames), or null when the cache is unusable.</summary>
    public string? TryEnsureScratchFolder()
    {
        var folder = Path.Combine(Directory, "tmp");
        return _usable && EnsureFolder(folder) ? folder : null;
    }

    /// <summary>The caller found the entry corrupt: delete it so it is not served again.</summary>
    public void Invalidate(string key)
    {
        if (IsValidKey(key))
        {
            TryDelete(EntryPath(key));
        }
    }

    /// <summary>Evicts least recently used entries when over the cap. Cheap: usually returns at once.</summary>
    public void EvictIfNeeded()
    {
        if (!_usable)
        {
            return;
        }

        var marker = Path.Combine(_root, ".last-eviction");
        var now = _time.GetUtcNow().UtcDateTime;
        try
        {
            if (File.Exists(marker) && now - File.GetLastWriteTimeUtc(marker) < EvictionInterval)
            {
                return;
            }

            using var gate = new FileStream(Path.Combine(_root, ".eviction.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            File.WriteAllText(marker, "");
            File.SetLastWriteTimeUtc(marker, now);
            Evict(now);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process is evicting, or the folder is read-only: either way, not this build's problem.
            _log.Detail($"ArtifactCache: local cache eviction skipped: {e.Message}");
        }
    }

    public LocalCacheStats GetStats()
    {
        var entries = Entries().ToList();
        return new LocalCacheStats(Directory, entries.Count, entries.Sum(e => e.Length));
    }

    internal string EntryPath(string key) => Path.Combine(_root, key[..2], key + EntryExtension);

    /// <summary>Keys are lowercase hex: nothing that could name a path outside the cache.</summary>
    internal static bool IsValidKey(string key) =>
        key.Length is >= 16 and <= 128 && key.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private void Evict(DateTime now)
    {
        foreach (var stale in new DirectoryInfo(_root).EnumerateFiles("*.tmp", SearchOption.AllDirectories))
        {
            if (now - stale.LastWriteTimeUtc > StaleTemporaryAge)
            {
                TryDelete(stale.FullName);
            }
        }

        if (Entries().Sum(e => e.Length) > _maxBytes)
        {
            TrimTo(_maxBytes / 10 * 8);
        }
    }

    /// <summary>Deletes least recently used entries until at most <paramref name="targetBytes"/> remain; returns how many it deleted.</summary>
    public int TrimTo(long targetBytes)
    {
        var entries = Entries().OrderBy(e => e.LastWriteTimeUtc).ToList();
        var total = entries.Sum(e => e.Length);
        var deleted = 0;
        foreach (var entry in entries)
        {
            if (total <= targetBytes)
            {
                break;
            }

            if (TryDelete(entry.FullName))
            {
                total -= entry.Length;
                deleted++;
            }
        }

        return deleted;
    }

    private IEnumerable<FileInfo> Entries() =>
        System.IO.Directory.Exists(_root)
            ? new DirectoryInfo(_root).EnumerateFiles("*" + EntryExtension, SearchOption.AllDirectories)
            : [];

    private bool EnsureFolder(string folder)
    {
        try
        {
            System.IO.Directory.CreateDirectory(folder);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _usable = false;
            _log.Warning(DiagnosticCodes.LocalCacheUnusable, $"The local cache folder {Directory} cannot be used ({e.Message}). Fix its permissions or set ArtifactCacheLocalDirectory; the local cache is off for this build.");
            return false;
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
