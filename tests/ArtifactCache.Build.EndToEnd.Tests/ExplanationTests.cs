using System.Text.RegularExpressions;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>A miss names the input that was edited since the project's last build, and nothing else.</summary>
public sealed partial class ExplanationTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [GeneratedRegex("explanation of the miss written to (?<file>.*artifactcache-explain\\.txt)")]
    private static partial Regex ExplanationFile();

    [Fact]
    public void Each_miss_names_exactly_the_edited_input()
    {
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);
        var core = Path.Combine(a, "Core");
        var cache = _workspace.PathOf("cache");

        var first = Dotnet.Run(core, cache, ["build"]);
        Assert.Equal("no earlier build of this project is recorded on this machine", Assert.Single(first.Report).Explanation);

        var edits = new (string Expected, Action Edit)[]
        {
            ("1 input changed since the last build: Helper.cs (content)", () => File.AppendAllText(Path.Combine(core, "Helper.cs"), "// edited\n")),
            ("1 input changed since the last build: DefineConstants", () => SampleSolution.AddToProject(Path.Combine(core, "Core.csproj"), "<PropertyGroup><DefineConstants>$(DefineConstants);EXTRA</DefineConstants></PropertyGroup>")),
            ("1 input changed since the last build: Added.cs (added)", () => File.WriteAllText(Path.Combine(core, "Added.cs"), "namespace Core;\ninternal static class Added { }\n")),
            ("1 input changed since the last build: NoWarn", () => SampleSolution.AddToProject(Path.Combine(core, "Core.csproj"), "<PropertyGroup><NoWarn>$(NoWarn);CS0168</NoWarn></PropertyGroup>")),
            ("1 input changed since the last build: Added.cs (removed)", () => File.Delete(Path.Combine(core, "Added.cs"))),
        };

        foreach (var (expected, edit) in edits)
        {
            edit();
            var run = Dotnet.Run(core, cache, ["build", "-p:ArtifactCacheExplain=true"]);
            Assert.True(run.Succeeded, run.ToString());
            var entry = Assert.Single(run.Report);
            Assert.Equal("miss", entry.Result);
            Assert.Equal(expected, entry.Explanation);
            Assert.Contains("ArtifactCache: Core (net10.0) miss: " + expected, run.Output, StringComparison.Ordinal);

            var file = ExplanationFile().Match(run.Output).Groups["file"].Value.Trim();
            Assert.True(File.Exists(file), run.ToString());
            Assert.Contains(expected, File.ReadAllText(file), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_project_that_sets_deterministic_source_paths_false_names_that_setting_in_another_checkout()
    {
        var cache = _workspace.PathOf("cache");
        var checkouts = new[] { _workspace.PathOf("one"), _workspace.PathOf("two") };
        foreach (var checkout in checkouts)
        {
            SampleSolution.WriteChain(checkout);
            SampleSolution.AddToProject(Path.Combine(checkout, "Core", "Core.csproj"), "<PropertyGroup><DeterministicSourcePaths>false</DeterministicSourcePaths></PropertyGroup>");
        }

        var first = Dotnet.Run(Path.Combine(checkouts[0], "Core"), cache, ["build"]);
        Assert.True(Assert.Single(first.Report).Stored, first.ToString());

        var run = Dotnet.Run(Path.Combine(checkouts[1], "Core"), cache, ["build"]);

        var entry = Assert.Single(run.Report);
        Assert.Equal("miss", entry.Result);
        Assert.Equal("1 input changed since the last build: the checkout folder: paths are absolute because the project sets DeterministicSourcePaths=false", entry.Explanation);
    }
}
