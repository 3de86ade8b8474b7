// TEMPORARY STUB - not committed
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
namespace ArtifactCache.Build.Archive;
public sealed record ArtifactInput(string Name, string Hash);
public sealed record StoredDiagnostic(string Severity, string? Code, string Message, string? File, int Line, int Column, int EndLine, int EndColumn, string? Subcategory, string? HelpKeyword);
public sealed record ArtifactOutput(string Name, long Length, string Sha256);
public sealed record ArtifactMetadata(int FormatVersion, string ProducerVersion, string Key, IReadOnlyList<ArtifactInput> Inputs, IReadOnlyList<StoredDiagnostic> Diagnostics, long DurationMs, IReadOnlyList<ArtifactOutput> Outputs);
public sealed record ArtifactFile(string Name, string SourcePath);
public sealed record ArchiveLimits(long MaxArtifactBytes, long MaxEntryBytes, long MaxExpandedBytes) { public static ArchiveLimits From(CacheSettings s) => new(s.MaxArtifactBytes, s.MaxEntryBytes, s.MaxExpandedBytes); }
public static class ArtifactWriter { public static ArtifactMetadata Write(Stream destination, string key, IReadOnlyList<ArtifactInput> inputs, IReadOnlyList<StoredDiagnostic> diagnostics, long durationMs, IReadOnlyList<ArtifactFile> files) => new(1, "", key, inputs, diagnostics, durationMs, []); }
public sealed record RestoreResult(bool Success, ArtifactMetadata? Metadata, IReadOnlyList<string> RestoredFiles, string? FailureCode);
public static class ArtifactReader
{
    public static ArtifactMetadata? ReadMetadata(string artifactPath, ArchiveLimits limits, ICacheLog log) => throw new NotImplementedException();
    public static RestoreResult Restore(string artifactPath, Func<string, string?> destinationFor, ArchiveLimits limits, ICacheLog log, CancellationToken ct = default) => throw new NotImplementedException();
}
