using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Hashes that take real work to derive from a file's bytes (a reference's version-neutral metadata hash walks every
/// metadata table: about 5 times the cost of hashing its bytes), remembered by the SHA-256 of those bytes: for the life
/// of the process, and in a folder that later builds on this machine share. Because they are found by content, they
/// can never answer for other bytes, whatever a file's time stamp says; and because the name includes the package
/// build that derived them, a package with another derivation never reads them.
/// </summary>
public sealed class DerivedHashes
{
    /// <summary>Remembered files not written for this long are deleted (a bounded number per process).</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromDays(14);

    private static readonly ConcurrentDictionary<string, string> Process = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, bool> Pruned = new(StringComparer.Ordinal);
    private static readonly string CodeVersion = typeof(DerivedHashes).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..16];

    private readonly string? _folder;
    private readonly ConcurrentDictionary<string, string> _memory;

    /// <param name="folder">Where derived hashes persist between builds; null to remember them in this process only.</param>
    public DerivedHashes(string? folder)
        : this(folder, Process)
    {
    }

    /// <summary>For tests: remembers in <paramref name="memory"/> instead of the process-wide store.</summary>
    internal DerivedHashes(string? folder, ConcurrentDictionary<string, string> memory)
    {
        _folder = folder;
        _memory = memory;
    }

    /// <summary>
    /// The value <paramref name="derive"/> gives for <paramref name="content"/>, derived once per content.
    /// <paramref name="kind"/> names the derivation (letters, digits and dashes); <paramref name="derive"/> may change
    /// the array it is given.
    /// </summary>
    public string Get(string kind, byte[] content, Func<byte[], string> derive)
    {
        var name = kind + "-" + CodeVersion + "-" + Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
        if (_memory.TryGetValue(name, out var known))
        {
            return known;
        }

        var file = _folder is null ? null : Path.Combine(_folder, name);
        if (file is not null && TryRead(file) is { } stored)
        {
            return _memory[name] = stored;
        }

        var value = derive(content);
        _memory[name] = value;
        if (file is not null)
        {
            TryWrite(file, value);
        }

        return value;
    }

    // A remembered value is a lowercase SHA-256; anything else (a torn or foreign file) is derived again.
    private static string? TryRead(string file)
    {
        try
        {
            var text = File.ReadAllText(file);
            return text.Length == 64 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f') ? text : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Written under a unique name and moved into place, so a reader sees a whole value or none. Failures only cost the
    // next build the derivation.
    private void TryWrite(string file, string value)
    {
        var temporary = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            Directory.CreateDirectory(_folder!);
            Prune(_folder!);
            File.WriteAllText(temporary, value);
            File.Move(temporary, file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Left for the next prune.
            }
        }
    }

    // Once per process and folder, bounded, so no build pays for a large backlog.
    private static void Prune(string folder)
    {
        if (!Pruned.TryAdd(folder, true))
        {
            return;
        }

        var cutoff = DateTime.UtcNow - StaleAfter;
        foreach (var stale in new DirectoryInfo(folder).EnumerateFiles().Where(f => f.LastWriteTimeUtc < cutoff).Take(500))
        {
            try
            {
                stale.Delete();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // In use or not ours: left for a later build.
            }
        }
    }
}
