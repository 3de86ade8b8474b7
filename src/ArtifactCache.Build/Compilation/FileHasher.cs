using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// SHA-256 of file contents, remembered per process by (path, length, last write time) so that the framework
/// reference pack, hashed by every project in a build, is read once per MSBuild node.
/// </summary>
public sealed class FileHasher
{
    /// <summary>One per process: MSBuild nodes build many projects and most share their references.</summary>
    public static readonly FileHasher Shared = new();

    private readonly ConcurrentDictionary<string, (long Length, long Ticks, string Hash)> _known =
        new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    /// <summary>The lowercase hex SHA-256 of the file, or null when it does not exist.</summary>
    public string? Hash(string fullPath) => Hash(fullPath, null, null);

    /// <summary>
    /// The file's hash by <paramref name="hashFile"/> (plain SHA-256 when null), remembered per path, length, time stamp
    /// and <paramref name="kind"/> (which names the hash function); null when the file does not exist.
    /// </summary>
    public string? Hash(string fullPath, string? kind, Func<string, string>? hashFile)
    {
        var cacheKey = hashFile is null ? fullPath : kind + ":" + fullPath;
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            return null;
        }

        var length = info.Length;
        var ticks = info.LastWriteTimeUtc.Ticks;
        if (_known.TryGetValue(cacheKey, out var known) && known.Length == length && known.Ticks == ticks)
        {
            return known.Hash;
        }

        string hash;
        if (hashFile is not null)
        {
            hash = hashFile(fullPath);
        }
        else
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            hash = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
        }

        _known[cacheKey] = (length, ticks, hash);
        return hash;
    }

    /// <summary>Hashes text after the caller normalised it (machine-specific paths or volatile stamps replaced).</summary>
    public static string HashText(string text) =>
        Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
}
