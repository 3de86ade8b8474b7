using System.Collections.Concurrent;
using ArtifactCache.Build.Reporting;

namespace ArtifactCache.Build.Tasks;

/// <summary>
/// This node's view of the build's sessions (one per cache folder, nearly always one). MSBuild disposes it when the
/// build ends on this node, the last moment the package runs in a build: it then writes the build's summary to
/// GITHUB_STEP_SUMMARY when that is set. No logger exists any more at that point, so the summary cannot go to the
/// build log; the per-project lines and the <c>artifactcache summary</c> command cover the console.
/// </summary>
internal sealed class SessionRegistry : IDisposable
{
    /// <summary>Session folders of builds that ended more than this long ago are deleted by later builds.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromDays(1);

    private readonly ConcurrentDictionary<string, BuildSession?> _sessions = new(StringComparer.Ordinal);

    /// <summary>
    /// The build's session for <paramref name="cacheDirectory"/>: in its <c>sessions</c> folder, or, when the cache folder
    /// cannot be written (read-only, full), in the temp folder, so warnings stay once per build even then. Null when
    /// neither can be written.
    /// </summary>
    public BuildSession? Get(string cacheDirectory) =>
        _sessions.GetOrAdd(Path.GetFullPath(cacheDirectory), directory =>
            TryOpen(Path.Combine(directory, "sessions"))
            ?? TryOpen(Path.Combine(Path.GetTempPath(), "artifactcache-sessions", FolderTag(directory))));

    private static BuildSession? TryOpen(string root)
    {
        try
        {
            BuildSession.DeleteStale(root, StaleAfter);
            return BuildSession.Open(root, Environment.GetEnvironmentVariable);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    // Keeps the fallback sessions of two cache folders apart in the one temp folder.
    private static string FolderTag(string directory) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(directory)), 0, 8).ToLowerInvariant();

    public void Dispose()
    {
        var summaryFile = Environment.GetEnvironmentVariable(StepSummary.GitHubVariable);
        if (string.IsNullOrWhiteSpace(summaryFile))
        {
            return;
        }

        foreach (var session in _sessions.Values.OfType<BuildSession>())
        {
            try
            {
                var outcomes = session.Outcomes();
                if (outcomes.Count > 0)
                {
                    var summary = BuildSummary.FromReportLines(outcomes, session.WarnedCodes());
                    StepSummary.Write(summaryFile, session.Id, summary.ToMarkdown(), Path.Combine(session.Directory, "summary.lock"));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                // The summary is a courtesy; the build has already succeeded or failed on its own terms.
            }
        }
    }
}
