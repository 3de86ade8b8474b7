using System.Text.RegularExpressions;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>The build summary in GITHUB_STEP_SUMMARY: one section per build, the whole build's numbers, across nodes.</summary>
public sealed class BuildSummaryTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void Each_build_writes_one_section_with_the_whole_builds_numbers_and_keeps_what_else_is_there()
    {
        var summary = _workspace.PathOf("step_summary.md");
        File.WriteAllText(summary, "## Restore\nok\n");
        var environment = new Dictionary<string, string> { ["GITHUB_STEP_SUMMARY"] = summary };
        var cache = _workspace.PathOf("cache");
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);

        var cold = Dotnet.Run(Path.Combine(a, "App"), cache, ["build", "-m"], environment);
        Assert.True(cold.Succeeded, cold.ToString());
        var b = _workspace.PathOf("b");
        Workspace.CopyTree(a, b);
        var warm = Dotnet.Run(Path.Combine(b, "App"), cache, ["build", "-m"], environment);
        Assert.True(warm.Succeeded, warm.ToString());
        Assert.Equal(SampleSolution.ChainProjects, warm.Hits);

        var text = File.ReadAllText(summary);
        Assert.StartsWith("## Restore\nok\n", text, StringComparison.Ordinal);
        var sections = Regex.Matches(text, @"<!-- artifactcache:(?<id>[^ ]+) -->\n(?<body>.*?)<!-- /artifactcache:\k<id> -->", RegexOptions.Singleline);
        Assert.Equal(2, sections.Count);
        Assert.NotEqual(sections[0].Groups["id"].Value, sections[1].Groups["id"].Value);

        // Cold: three misses stored, each listed with why; warm: three local hits that saved the cold compile time.
        Assert.Contains("| 0 | 0 | 3 | 0 | 0 | 0 | 0 | none |", sections[0].Groups["body"].Value, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Matches(sections[0].Groups["body"].Value, @"\| \w+\.csproj \| no earlier build").Count);
        Assert.Matches(@"\| 3 \| 0 \| 0 \| 0 \| 0 \| 0 \| 0 \| none \| \d+\.\d s \|", sections[1].Groups["body"].Value);
        Assert.DoesNotContain("| 0.0 s |", sections[1].Groups["body"].Value, StringComparison.Ordinal);
    }
}
