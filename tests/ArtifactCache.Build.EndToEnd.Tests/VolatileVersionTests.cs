using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// Git-height versions (MinVer, Nerdbank.GitVersioning) change every project's version stamps on every commit. With
/// ArtifactCacheVolatileVersion a committed method-body edit in the bottom library compiles only that library one
/// commit later; without it, every project above misses and the explanation names the switch.
/// </summary>
public sealed class VolatileVersionTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    public static TheoryData<string> Tools => new(["MinVer", "Nerdbank.GitVersioning"]);

    [Theory]
    [MemberData(nameof(Tools))]
    public void A_committed_body_edit_at_the_bottom_compiles_only_that_project_with_volatile_versions(string tool)
    {
        var root = _workspace.PathOf(tool);
        SampleSolution.WriteChain(root);
        var reference = tool == "MinVer"
            ? """<PackageReference Include="MinVer" Version="8.0.0" PrivateAssets="all" />"""
            : """<PackageReference Include="Nerdbank.GitVersioning" Version="3.10.94" PrivateAssets="all" />""";
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), File.ReadAllText(Path.Combine(root, "Directory.Build.props"))
            .Replace("</Project>", $"<ItemGroup>{reference}</ItemGroup></Project>", StringComparison.Ordinal));
        if (tool != "MinVer")
        {
            Workspace.Write(Path.Combine(root, "version.json"), """{ "version": "1.2" }""");
        }

        Workspace.Write(Path.Combine(root, ".gitignore"), "bin/\nobj/\n");
        Workspace.Git(root, "init", "-q");
        Workspace.Git(root, "add", "-A");
        Workspace.Git(root, "commit", "-q", "-m", "initial");
        var cache = _workspace.PathOf("cache-" + tool);
        var app = Path.Combine(root, "App");

        var cold = Dotnet.Run(app, cache, ["build", "-p:ArtifactCacheVolatileVersion=true"]);
        Assert.True(cold.Succeeded, cold.ToString());
        Assert.Equal(SampleSolution.ChainProjects, cold.Misses);

        // A body edit, committed: the version of every project moves on (git height, and the commit).
        var helper = Path.Combine(root, "Core", "Helper.cs");
        File.WriteAllText(helper, File.ReadAllText(helper).Replace("\"]\"", "\"}\"", StringComparison.Ordinal));
        Workspace.Git(root, "commit", "-q", "-am", "body edit");

        var next = Dotnet.Run(app, cache, ["build", "-p:ArtifactCacheVolatileVersion=true"]);
        Assert.True(next.Succeeded, next.ToString());
        Assert.True(next.Misses.SequenceEqual(["Core"]) && next.Hits.SequenceEqual(["App", "Lib2"]), next.ToString());

        // Without the switch the version is an input: one build to store, then a commit that changes nothing but the
        // version misses everywhere, and each miss names the switch.
        var stored = Dotnet.Run(app, cache, ["build", "--no-incremental"]);
        Assert.True(stored.Succeeded, stored.ToString());
        Workspace.Git(root, "commit", "-q", "--allow-empty", "-m", "another commit");
        var versioned = Dotnet.Run(app, cache, ["build"]);
        Assert.True(versioned.Succeeded, versioned.ToString());
        Assert.True(versioned.Misses.SequenceEqual(SampleSolution.ChainProjects), versioned.ToString());
        Assert.All(versioned.Report, r => Assert.Contains("ArtifactCacheVolatileVersion=true", r.Explanation, StringComparison.Ordinal));
    }
}
