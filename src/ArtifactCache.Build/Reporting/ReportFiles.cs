using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Reporting;

/// <summary>
/// Writes the files a user asked for: the report (ArtifactCacheReportFile) and the explanation of a miss
/// (ArtifactCacheExplain). One that cannot be written is warning ACB5003 and nothing else: it is not a fault of the
/// cache step (ACB5001), which warns once per build and must stay free to report a real one.
/// </summary>
public static class ReportFiles
{
    /// <summary>Appends one line to the report file; false, after warning ACB5003, when it could not be written.</summary>
    public static bool Append(string reportFile, string line, ICacheLog log)
    {
        try
        {
            if (CompilationReport.TryAppend(reportFile, line))
            {
                return true;
            }

            log.Warning(DiagnosticCodes.ReportWriteFailed, $"Could not append to the report file {reportFile}: it stayed locked.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            log.Warning(DiagnosticCodes.ReportWriteFailed, $"Could not append to the report file {reportFile} ({e.Message}).");
        }

        return false;
    }

    /// <summary>Writes the explanation of a miss, creating its folder; false, after warning ACB5003, when it could not be written.</summary>
    public static bool WriteExplanation(string file, string text, ICacheLog log)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            File.WriteAllText(file, text);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            log.Warning(DiagnosticCodes.ReportWriteFailed, $"Could not write the explanation file {file} ({e.Message}).");
            return false;
        }
    }
}
