using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.Archive;

/// <summary>
/// Restores an artifact, treating it as hostile: only regular files with safe, unique, declared names; every size
/// limit enforced while reading; every file's length and SHA-256, and the whole payload's SHA-256, verified before
/// anything is moved into place. All or nothing: on any failure every temporary file is deleted, the destinations are
/// untouched, and one coded warning says why.
/// </summary>
public static class ArtifactReader
{
    /// <summary>Reads only the metadata (for explanations and tools); null, with a coded warning, when the artifact is not usable.</summary>
    public static ArtifactMetadata? ReadMetadata(string artifactPath, ArchiveLimits limits, ICacheLog log)
    {
        var failure = new Failure(log);
        try
        {
            using var payload = OpenPayload(artifactPath, limits, failure);
            if (payload is null)
            {
                return null;
            }

            using var compressed = new BrotliStream(payload.Stream, CompressionMode.Decompress);
            using var tar = new TarReader(compressed);
            return ReadMetadataEntry(tar, failure);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            failure.Set(DiagnosticCodes.ArchiveCorrupt, $"the artifact is corrupt ({e.Message})");
            return null;
        }
    }

    /// <param name="artifactPath">The artifact file.</param>
    /// <param name="destinationFor">Maps an entry name to the full path to write it to, or null to refuse the entry.</param>
    /// <param name="limits">Size limits.</param>
    /// <param name="log">Receives one coded warning on failure.</param>
    /// <param name="ct">Cancels the restore; temporary files are removed.</param>
    /// <param name="accept">Sees the metadata before any file is written; false declines the artifact (see <see cref="RestoreResult.Declined"/>).</param>
    public static RestoreResult Restore(string artifactPath, Func<string, string?> destinationFor, ArchiveLimits limits, ICacheLog log, CancellationToken ct = default, Func<ArtifactMetadata, bool>? accept = null) =>
        Restore(artifactPath, destinationFor, limits, log, FileSystemPlacement.Instance, ct, accept);

    /// <summary>How long a destination that cannot be replaced is waited for before each new try: about 200 ms in all.</summary>
    internal static readonly TimeSpan[] PlacementRetryDelays = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(150)];

    internal static RestoreResult Restore(string artifactPath, Func<string, string?> destinationFor, ArchiveLimits limits, ICacheLog log, IOutputPlacement placement, CancellationToken ct = default, Func<ArtifactMetadata, bool>? accept = null)
    {
        var failure = new Failure(log);
        var pending = new List<(string Temporary, string Destination)>();
        try
        {
            ArtifactMetadata? declined = null;
            var metadata = Extract(artifactPath, destinationFor, limits, failure, pending, ct, m =>
            {
                var accepted = accept?.Invoke(m) ?? true;
                declined = accepted ? null : m;
                return accepted;
            });
            if (declined is not null)
            {
                return new RestoreResult(false, declined, [], null);
            }

            if (metadata is null)
            {
                return RestoreResult.Failed(failure.Code ?? DiagnosticCodes.ArchiveCorrupt);
            }

            var now = DateTime.UtcNow;
            foreach (var (temporary, destination) in pending)
            {
                if (Place(placement, temporary, destination) is { } problem)
                {
                    // Nothing is wrong with the artifact: the step runs, and writes (or fails on) the file as it would without the cache.
                    failure.Set(DiagnosticCodes.OutputInUse, $"the output {destination} could not be replaced ({problem.Message}); something may hold it open");
                    return RestoreResult.Failed(failure.Code!);
                }

                // Incremental builds compare timestamps: restored outputs must be newer than every input.
                File.SetLastWriteTimeUtc(destination, now);
            }

            var restored = pending.Select(p => p.Destination).ToList();
            pending.Clear();
            return new RestoreResult(true, metadata, restored, null);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            failure.Set(DiagnosticCodes.ArchiveCorrupt, $"the artifact is corrupt ({e.Message})");
            return RestoreResult.Failed(failure.Code!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failure.Set(DiagnosticCodes.LocalWriteFailed, $"the outputs could not be written ({e.Message})");
            return RestoreResult.Failed(failure.Code!);
        }
        finally
        {
            foreach (var (temporary, _) in pending)
            {
                TryDelete(temporary);
            }
        }
    }

    // Moves a restored file into place, trying again briefly: on Windows a file open in another process (without delete
    // sharing) cannot be replaced, and often is only for a moment; a read-only one is made writable first, as the build
    // owns its outputs (the restored file itself is a new, writable one). The last failure when every try failed.
    private static Exception? Place(IOutputPlacement placement, string temporary, string destination)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                placement.Replace(temporary, destination);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (attempt == PlacementRetryDelays.Length)
                {
                    return e;
                }

                if (e is UnauthorizedAccessException)
                {
                    try
                    {
                        placement.MakeWritable(destination);
                    }
                    catch (Exception attributes) when (attributes is IOException or UnauthorizedAccessException)
                    {
                        return attributes;
                    }
                }

                placement.Pause(PlacementRetryDelays[attempt]);
            }
        }
    }

    private static ArtifactMetadata? Extract(
        string artifactPath,
        Func<string, string?> destinationFor,
        ArchiveLimits limits,
        Failure failure,
        List<(string Temporary, string Destination)> pending,
        CancellationToken ct,
        Func<ArtifactMetadata, bool> accept)
    {
        using var payload = OpenPayload(artifactPath, limits, failure);
        if (payload is null)
        {
            return null;
        }

        using (var compressed = new BrotliStream(payload.Stream, CompressionMode.Decompress, leaveOpen: true))
        using (var tar = new TarReader(compressed))
        {
            var metadata = ReadMetadataEntry(tar, failure);
            if (metadata is null || !accept(metadata))
            {
                return null;
            }

            // Entry names are the archive's, not this file system's: names that differ only in case are refused on every
            // platform, so an artifact one machine accepts every other accepts too. Where they land is a path (below).
            var declared = new Dictionary<string, ArtifactOutput>(StringComparer.OrdinalIgnoreCase);
            foreach (var output in metadata.Outputs)
            {
                if (!ArtifactNames.IsSafe(output.Name) || !declared.TryAdd(output.Name, output))
                {
                    return failure.Set(DiagnosticCodes.ArchiveUnsafeEntry, $"its manifest has an unsafe or duplicate name '{Printable(output.Name)}'");
                }
            }

            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var destinations = new HashSet<string>(PathPolicy.Current.Comparer);
            long expanded = 0;
            while (tar.GetNextEntry(copyData: false) is { } entry)
            {
                ct.ThrowIfCancellationRequested();
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    return failure.Set(DiagnosticCodes.ArchiveUnsafeEntry, $"it has a {entry.EntryType} entry '{Printable(entry.Name)}'; only regular files are restored");
                }

                if (!entry.Name.StartsWith(ArtifactFormat.FilePrefix, StringComparison.Ordinal) ||
                    entry.Name[ArtifactFormat.FilePrefix.Length..] is not { } name || !ArtifactNames.IsSafe(name))
                {
                    return failure.Set(DiagnosticCodes.ArchiveUnsafeEntry, $"it has an unsafe entry name '{Printable(entry.Name)}'");
                }

                if (!seen.Add(name))
                {
                    return failure.Set(DiagnosticCodes.ArchiveUnsafeEntry, $"it has the entry '{Printable(name)}' twice");
                }

                if (!declared.TryGetValue(name, out var output))
                {
                    return failure.Set(DiagnosticCodes.ArchiveManifestMismatch, $"its entry '{Printable(name)}' is not in its manifest");
                }

                if (entry.Length > limits.MaxEntryBytes || output.Length > limits.MaxEntryBytes)
                {
                    return failure.Set(DiagnosticCodes.ArchiveTooLarge, $"its entry '{Printable(name)}' is over the entry size limit ({limits.MaxEntryBytes} bytes, ArtifactCacheMaxEntrySize)");
                }

                expanded += entry.Length;
                if (expanded > limits.MaxExpandedBytes)
                {
                    return failure.Set(DiagnosticCodes.ArchiveTooLarge, $"its files are over the expanded size limit ({limits.MaxExpandedBytes} bytes, ArtifactCacheMaxExpandedSize)");
                }

                var destination = destinationFor(name);
                if (destination is null || !Path.IsPathFullyQualified(destination) || Path.GetFullPath(destination) != destination ||
                    !destinations.Add(destination))
                {
                    return failure.Set(DiagnosticCodes.ArchiveUnsafeEntry, $"its entry '{Printable(name)}' has no place in this build");
                }

                if (entry.DataStream is null)
                {
                    return failure.Set(DiagnosticCodes.ArchiveCorrupt, $"its entry '{Printable(name)}' has no data");
                }

                var temporary = Path.Combine(Path.GetDirectoryName(destination)!, $".{Path.GetFileName(destination)}.{Guid.NewGuid():N}.acbtmp");
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                pending.Add((temporary, destination));
                var (length, sha) = Copy(entry.DataStream, temporary, limits.MaxEntryBytes, ct);
                if (length != output.Length || sha != output.Sha256)
                {
                    return failure.Set(DiagnosticCodes.ArchiveManifestMismatch, $"its entry '{Printable(name)}' does not match its manifest (length or SHA-256)");
                }
            }

            if (declared.Keys.FirstOrDefault(n => !seen.Contains(n)) is { } missing)
            {
                return failure.Set(DiagnosticCodes.ArchiveManifestMismatch, $"its manifest lists '{Printable(missing)}' but the artifact does not contain it");
            }

            // Read whatever the decompressor left, so the payload hash covers every byte.
            payload.Stream.CopyTo(Stream.Null);
            if (!payload.IsWhole)
            {
                return failure.Set(DiagnosticCodes.ArchiveCorrupt, "its content does not match its checksum");
            }

            return metadata;
        }
    }

    private static VerifiedPayload? OpenPayload(string artifactPath, ArchiveLimits limits, Failure failure)
    {
        var file = new FileStream(artifactPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        try
        {
            if (file.Length > limits.MaxArtifactBytes)
            {
                failure.Set(DiagnosticCodes.ArchiveTooLarge, $"it is over the artifact size limit ({limits.MaxArtifactBytes} bytes, ArtifactCacheMaxArtifactSize)");
                file.Dispose();
                return null;
            }

            var header = new byte[ArtifactFormat.HeaderLength];
            var read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            switch (ArtifactFormat.ReadHeader(header.AsSpan(0, read), out var length, out var sha))
            {
                case ArtifactFormat.HeaderStatus.NotAnArtifact:
                    failure.Set(DiagnosticCodes.ArchiveCorrupt, "it is not an ArtifactCache artifact (another tool's entry under the same hash, or garbage)");
                    file.Dispose();
                    return null;
                case ArtifactFormat.HeaderStatus.UnsupportedVersion:
                    failure.Set(DiagnosticCodes.ArchiveUnsupportedVersion, $"it was written in format version {header[3]}, and this package reads version {ArtifactFormat.Version}");
                    file.Dispose();
                    return null;
            }

            if (file.Length != ArtifactFormat.HeaderLength + length)
            {
                failure.Set(DiagnosticCodes.ArchiveCorrupt, $"it is truncated or has trailing bytes ({file.Length} bytes, expected {ArtifactFormat.HeaderLength + length})");
                file.Dispose();
                return null;
            }

            return new VerifiedPayload(new HashingStream(file, length, ownsInner: true), length, sha);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static ArtifactMetadata? ReadMetadataEntry(TarReader tar, Failure failure)
    {
        var entry = tar.GetNextEntry(copyData: false);
        if (entry is null || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) ||
            entry.Name != ArtifactFormat.MetadataEntry || entry.DataStream is null)
        {
            return failure.Set(DiagnosticCodes.ArchiveCorrupt, "it does not start with its metadata entry");
        }

        if (entry.Length > ArtifactFormat.MaxMetadataBytes)
        {
            return failure.Set(DiagnosticCodes.ArchiveTooLarge, "its metadata entry is over the size limit");
        }

        var metadata = JsonSerializer.Deserialize(entry.DataStream, ArtifactJson.Default.ArtifactMetadata);
        if (metadata is null || metadata.Outputs is null || metadata.Inputs is null || metadata.Diagnostics is null || metadata.Key is null)
        {
            return failure.Set(DiagnosticCodes.ArchiveCorrupt, "its metadata is incomplete");
        }

        if (metadata.FormatVersion != ArtifactFormat.Version)
        {
            return failure.Set(DiagnosticCodes.ArchiveUnsupportedVersion, $"its metadata is format version {metadata.FormatVersion}, and this package reads version {ArtifactFormat.Version}");
        }

        return metadata;
    }

    private static (long Length, string Sha256) Copy(Stream source, string temporary, long maxBytes, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var target = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            total += read;
            if (total > maxBytes)
            {
                break;
            }

            hash.AppendData(buffer, 0, read);
            target.Write(buffer, 0, read);
        }

        return (total, ArtifactWriter.Hex(hash.GetHashAndReset()));
    }

    // What a hostile or damaged archive throws from the decompressor, the tar reader or the JSON reader.
    private static bool IsCorruption(Exception e) =>
        e is InvalidDataException or FormatException or EndOfStreamException or JsonException or NotSupportedException
            or InvalidOperationException or ArgumentException or OverflowException;

    // Entry names come from the archive: never echo control characters into a build log.
    private static string Printable(string name) =>
        new(name.Take(120).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The artifact's payload, hashed and counted as it is read, and what its header promised.</summary>
    private sealed record VerifiedPayload(HashingStream Stream, long Expected, byte[] ExpectedHash) : IDisposable
    {
        public bool IsWhole => Stream.BytesRead == Expected && Stream.GetHash().AsSpan().SequenceEqual(ExpectedHash);

        public void Dispose() => Stream.Dispose();
    }

    /// <summary>Records the first failure and raises its one coded warning.</summary>
    private sealed class Failure(ICacheLog log)
    {
        public string? Code { get; private set; }

        public ArtifactMetadata? Set(string code, string reason)
        {
            if (Code is null)
            {
                Code = code;
                log.Warning(code, $"Ignoring a cached artifact: {reason}. The project compiles instead.");
            }

            return null;
        }
    }
}
