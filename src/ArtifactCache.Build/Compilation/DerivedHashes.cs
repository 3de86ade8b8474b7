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

    /// <summary>Names the package build that derives: values derived by another build are never read.</summary>
    public static string CodeVersion { get; } = typeof(DerivedHashes).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..16];

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
    public string Get(string kind, byte[] content, Func<byte[], string> derive) => Get(kind, ContentHash(content), content, derive);

    /// <summary>As <see cref="Get(string, byte[], Func{byte[], string})"/>, for content whose SHA-256 the caller has.</summary>
    public string Get(string kind, string contentSha256, byte[] content, Func<byte[], string> derive)
    {
        var name = Name(kind, contentSha256);
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

    /// <summary>
    /// Remembers a value derived elsewhere from the content whose SHA-256 is <paramref name="contentSha256"/> (an
    /// artifact's reference assembly, derived by the build that compiled it), unless this machine already has one. False,
    /// remembering nothing, when any part is not the shape this class derives.
    /// </summary>
    public bool Remember(string kind, string contentSha256, string value)
    {
        if (!IsKind(kind) || !IsSha256(contentSha256) || !IsSha256(value))
        {
            return false;
        }

        var name = Name(kind, contentSha256);
        if (!_memory.TryAdd(name, value))
        {
            return true;
        }

        if (_folder is not null && Path.Combine(_folder, name) is var file && !File.Exists(file))
        {
            TryWrite(file, value);
        }

        return true;
    }

    /// <summary>The lowercase hex SHA-256 of <paramref name="content"/>, as derived values are found by.</summary>
    public static string ContentHash(byte[] content) => Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();

    private static string Name(string kind, string contentSha256) => kind + "-" + CodeVersion + "-" + contentSha256;

    private static bool IsKind(string kind) => kind.Length is > 0 and <= 64 && kind.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static bool IsSha256(string text) => text.Length == 64 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    // A remembered value is a lowercase SHA-256; anything else (a torn or foreign file) is derived again.
    private static string? TryRead(string file)
    {
        try
        {
            var text = File.ReadAllText(file);
            return IsSha256(text) ? text : null;
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
