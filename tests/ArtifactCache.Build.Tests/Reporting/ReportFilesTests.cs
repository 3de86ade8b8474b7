using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Reporting;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Reporting;

/// <summary>A report or explanation file that cannot be written is ACB5003, never ACB5001 (which must stay free for real faults).</summary>
public sealed class ReportFilesTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-reportfiles-");
    private readonly RecordingLog _log = new();

    public void Dispose() => _scratch.Delete(recursive: true);

    /// <summary>A path under a regular file: its folder can never be created.</summary>
    private string Unwritable(string name)
    {
        var blocker = Path.Combine(_scratch.FullName, "a-file");
        File.WriteAllText(blocker, "not a folder");
        return Path.Combine(blocker, name);
    }

    [Fact]
    public void A_report_file_that_cannot_be_written_is_ACB5003()
    {
        Assert.False(ReportFiles.Append(Unwritable("report.jsonl"), "{}", _log));

        Assert.Equal([DiagnosticCodes.ReportWriteFailed], _log.WarningCodes);
    }

    [Fact]
    public void An_explanation_file_that_cannot_be_written_is_ACB5003()
    {
        Assert.False(ReportFiles.WriteExplanation(Unwritable("App.net10.0.Debug.artifactcache-explain.txt"), "why", _log));

        Assert.Equal([DiagnosticCodes.ReportWriteFailed], _log.WarningCodes);
    }

    [Fact]
    public void Writable_files_are_written_without_a_warning()
    {
        var report = Path.Combine(_scratch.FullName, "new-folder", "report.jsonl");
        var explanation = Path.Combine(_scratch.FullName, "obj", "App.net10.0.Debug.artifactcache-explain.txt");

        Assert.True(ReportFiles.Append(report, "{\"a\":1}", _log));
        Assert.True(ReportFiles.Append(report, "{\"a\":2}", _log));
        Assert.True(ReportFiles.WriteExplanation(explanation, "why", _log));

        Assert.Equal(["{\"a\":1}", "{\"a\":2}"], File.ReadAllLines(report));
        Assert.Equal("why", File.ReadAllText(explanation));
        Assert.Empty(_log.WarningCodes);
    }
}
