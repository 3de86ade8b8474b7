using System.Text.RegularExpressions;

namespace ArtifactCache.Build.Tests.Infrastructure;

/// <summary>The repository's own files (README, build/), for tests that tie the documentation to the code.</summary>
internal static class RepositoryFiles
{
    /// <summary>The folder holding ArtifactCache.Build.sln, found by walking up from the test's output folder.</summary>
    public static string Root { get; } = FindRoot();

    public static string FullPath(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The cells (trimmed) of each body row of the first table in the README section "## <paramref name="heading"/>".</summary>
    public static IReadOnlyList<string[]> ReadmeTable(string heading)
    {
        var lines = File.ReadAllLines(FullPath("README.md"));
        var start = Array.IndexOf(lines, "## " + heading);
        Assert.True(start >= 0, $"README.md has no '## {heading}' section.");
        var rows = lines
            .Skip(start + 1)
            .TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .SkipWhile(l => !l.StartsWith('|'))
            .TakeWhile(l => l.StartsWith('|'))
            .Skip(2) // the header and the |---| line
            .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray())
            .ToList();
        Assert.NotEmpty(rows);
        return rows;
    }

    /// <summary>The `code` spans of a table cell: "`A`, `B`" gives A and B; "—" gives none.</summary>
    public static IReadOnlyList<string> CodeSpans(string cell) =>
        Regex.Matches(cell, "`([^`]+)`").Select(m => m.Groups[1].Value).ToList();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "ArtifactCache.Build.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds ArtifactCache.Build.sln.");
    }
}
