using System.Text;

namespace ArtifactCache.Build.Reporting;

/// <summary>
/// Writes a build's summary into a Markdown file that others write to as well (GitHub's <c>GITHUB_STEP_SUMMARY</c>):
/// the build's own section, between markers that name the build, is replaced in place, and everything else in the file
/// is kept. Every MSBuild node rewrites the section as its part of the build ends, so the last one leaves the whole
/// build's numbers.
/// </summary>
public static class StepSummary
{
    /// <summary>The environment variable GitHub Actions sets to the step's summary file.</summary>
    public const string GitHubVariable = "GITHUB_STEP_SUMMARY";

    public static string StartMarker(string buildId) => $"<!-- artifactcache:{buildId} -->";

    public static string EndMarker(string buildId) => $"<!-- /artifactcache:{buildId} -->";

    /// <summary>Replaces or appends the section of <paramref name="buildId"/>; <paramref name="lockFile"/> serialises the writers of one build.</summary>
    public static void Write(string summaryFile, string buildId, string markdown, string lockFile)
    {
        using var gate = Lock(lockFile);
        var existing = File.Exists(summaryFile) ? File.ReadAllText(summaryFile) : "";
        var section = StartMarker(buildId) + "\n" + markdown.TrimEnd() + "\n" + EndMarker(buildId) + "\n";
        var start = existing.IndexOf(StartMarker(buildId), StringComparison.Ordinal);
        var end = start < 0 ? -1 : existing.IndexOf(EndMarker(buildId), start, StringComparison.Ordinal);
        string updated;
        if (start >= 0 && end > start)
        {
            var after = end + EndMarker(buildId).Length;
            if (after < existing.Length && existing[after] == '\n')
            {
                after++;
            }

            updated = string.Concat(existing.AsSpan(0, start), section, existing.AsSpan(after));
        }
        else
        {
            var separator = existing.Length == 0 || existing.EndsWith('\n') ? "" : "\n";
            updated = existing + separator + section;
        }

        File.WriteAllText(summaryFile, updated, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    // An exclusive handle on the lock file; bounded wait, then proceed anyway (a summary is not worth a stuck build).
    private static FileStream? Lock(string lockFile)
    {
        for (var attempt = 0; attempt < 250; attempt++)
        {
            try
            {
                return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                Thread.Sleep(20);
            }
        }

        return null;
    }
}
