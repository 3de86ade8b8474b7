namespace ArtifactCache.Build.Diagnostics;

/// <summary>
/// A warning or error a tool (the compiler) printed, in MSBuild's canonical form: logged on a miss, stored in the
/// artifact, and replayed on a hit.
/// </summary>
public sealed record ToolDiagnostic(
    string Severity,
    string? Code,
    string Message,
    string? File,
    int Line,
    int Column,
    int EndLine,
    int EndColumn)
{
    public bool IsError => Severity == "error";

    public bool IsWarning => Severity == "warning";
}
