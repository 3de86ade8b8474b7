using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Archive;

/// <summary>One named input of the key that produced the artifact (the key's manifest, kept to explain misses).</summary>
public sealed record ArtifactInput(string Name, string Hash);

/// <summary>One file in the artifact, with the length and SHA-256 every restore verifies.</summary>
public sealed record ArtifactOutput(string Name, long Length, string Sha256);

/// <summary>
/// A hash derived from one of the artifact's outputs by the build that compiled it (a reference assembly's
/// stamp-neutral metadata hash, see <c>DerivedHashes</c>): a machine that restores the output need not derive it again.
/// It counts only for the bytes it names (<paramref name="Content"/>, which must be that output's SHA-256) and only for
/// the package build that derived it (<paramref name="CodeVersion"/>).
/// </summary>
public sealed record ArtifactDerivedHash(string Output, string Kind, string CodeVersion, string Content, string Value);

/// <summary>The metadata entry at the start of every artifact.</summary>
public sealed record ArtifactMetadata(
    int FormatVersion,
    string ProducerVersion,
    string Key,
    IReadOnlyList<ArtifactInput> Inputs,
    IReadOnlyList<ToolDiagnostic> Diagnostics,
    long DurationMs,
    IReadOnlyList<ArtifactOutput> Outputs)
{
    /// <summary>
    /// Files the compiler read on its own that its key does not name (an XML doc <c>&lt;include&gt;</c> file), with
    /// their content hashes: a lookup restores the artifact only while they still have that content.
    /// </summary>
    public IReadOnlyList<ArtifactInput> Reads { get; init; } = [];

    /// <summary>Hashes derived from the outputs when they were compiled; empty in artifacts of earlier versions.</summary>
    public IReadOnlyList<ArtifactDerivedHash> Derived { get; init; } = [];
}

/// <summary>A file to put into an artifact: its name inside the artifact and where it is now.</summary>
public sealed record ArtifactFile(string Name, string SourcePath);

/// <summary>The size limits a restore enforces.</summary>
public sealed record ArchiveLimits(long MaxArtifactBytes, long MaxEntryBytes, long MaxExpandedBytes)
{
    public static ArchiveLimits From(Configuration.CacheSettings settings) =>
        new(settings.MaxArtifactBytes, settings.MaxEntryBytes, settings.MaxExpandedBytes);
}

/// <summary>What a restore did: on success the metadata and the files written; on failure the diagnostic code.</summary>
public sealed record RestoreResult(bool Success, ArtifactMetadata? Metadata, IReadOnlyList<string> RestoredFiles, string? FailureCode)
{
    public static RestoreResult Failed(string code) => new(false, null, [], code);

    /// <summary>The caller declined the artifact after reading its metadata: nothing was written, and nothing is wrong with it.</summary>
    public bool Declined => !Success && FailureCode is null;

    /// <summary>
    /// The restore failed for the artifact's own fault (corrupt, unsafe, too large, another version), not because this
    /// build's files could not be written: only then is the entry thrown away.
    /// </summary>
    public bool ArtifactAtFault => !Success && FailureCode is not null && FailureCode.StartsWith("ACB3", StringComparison.Ordinal);
}
