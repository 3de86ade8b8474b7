using System.IO.Compression;
using System.Xml.Linq;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>Sharing a cache: between parallel nodes, through the packed package, and through a real remote server.</summary>
public sealed class SharingTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void Parallel_build_of_a_solution_of_eight_projects_counts_right_and_corrupts_nothing()
    {
        var a = _workspace.PathOf("a");
        Workspace.ImportPackageFromRepo(a);
        var names = Enumerable.Range(1, 8).Select(i => $"P{i}").ToArray();
        for (var i = 0; i < names.Length; i++)
        {
            // A two-level graph: P1..P4 are leaves, P5..P8 each reference two of them.
            var references = i < 4 ? "" : $"""<ProjectReference Include="../P{i - 3}/P{i - 3}.csproj" /><ProjectReference Include="../P{i - 2}/P{i - 2}.csproj" />""";
            SampleSolution.WriteProject(a, names[i], references);
            Workspace.Write(Path.Combine(a, names[i], "Class.cs"), $"namespace {names[i]};\n\n/// <summary>Type {i}.</summary>\npublic static class Type{i}\n{{\n    /// <summary>Value.</summary>\n    public static int Value => {i};\n}}\n");
        }

        Assert.True(Dotnet.Run(a, _workspace.PathOf("unused"), ["new", "sln", "--format", "sln", "-n", "All"]).Succeeded);
        Assert.True(Dotnet.Run(a, _workspace.PathOf("unused"), ["sln", "All.sln", "add", .. names.Select(n => $"{n}/{n}.csproj")]).Succeeded);
        var cache = _workspace.PathOf("cache");

        var cold = Dotnet.Run(a, cache, ["build", "All.sln", "-m"]);
        Assert.True(cold.Succeeded, cold.ToString());
        Assert.Equal(names, cold.Misses);
        Assert.All(cold.Report, r => Assert.True(r.Stored));

        var b = _workspace.PathOf("b");
        Workspace.CopyTree(a, b);
        var warm = Dotnet.Run(b, cache, ["build", "All.sln", "-m"]);
        Assert.True(warm.Succeeded, warm.ToString());
        Assert.Equal(names, warm.Hits);
        Assert.DoesNotMatch("warning ACB[34]", warm.Output);
        Assert.Equal(8, Directory.GetFiles(Path.Combine(cache, "v1"), "*.acb", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void The_packed_package_works_through_a_package_reference()
    {
        var feed = _workspace.PathOf("feed");
        var version = $"0.0.1-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var repo = RepoRoot.Find();
        var pack = Dotnet.Run(repo, _workspace.PathOf("unused"), ["pack", Path.Combine(repo, "src", "ArtifactCache.Build"), "-c", "Release", "-o", feed, "-p:Version=" + version]);
        Assert.True(pack.Succeeded, pack.ToString());

        var nupkg = Path.Combine(feed, $"ArtifactCache.Build.{version}.nupkg");
        using (var archive = ZipFile.OpenRead(nupkg))
        {
            var entries = archive.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("build/ArtifactCache.Build.props", entries);
            Assert.Contains("build/ArtifactCache.Build.targets", entries);
            Assert.Contains("build/ArtifactCache.Build.DeclaredTargets.targets", entries);
            Assert.Contains("build/ArtifactCache.Build.TestRuns.targets", entries);
            Assert.Contains("buildTransitive/ArtifactCache.Build.props", entries);
            Assert.Contains("buildTransitive/ArtifactCache.Build.targets", entries);
            Assert.Contains("tasks/net8.0/ArtifactCache.Build.dll", entries);
            Assert.DoesNotContain(entries, e => Path.GetFileName(e).StartsWith("Microsoft.Build", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
            using var nuspec = archive.GetEntry("ArtifactCache.Build.nuspec")!.Open();
            var metadata = XDocument.Load(nuspec).Root!.Elements().First(e => e.Name.LocalName == "metadata");
            Assert.Equal("true", metadata.Elements().Single(e => e.Name.LocalName == "developmentDependency").Value);
            Assert.DoesNotContain(metadata.Elements(), e => e.Name.LocalName == "dependencies");
        }

        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);
        // Like a user's repository: the package by PackageReference from a feed, nothing imported by hand.
        File.WriteAllText(Path.Combine(a, "Directory.Build.props"), $"""
            <Project>
              <ItemGroup>
                <PackageReference Include="ArtifactCache.Build" Version="{version}" PrivateAssets="all" />
              </ItemGroup>
            </Project>
            """);
        File.Delete(Path.Combine(a, "Directory.Build.targets"));
        File.WriteAllText(Path.Combine(a, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = _workspace.PathOf("packages") };
        var cache = _workspace.PathOf("cache");

        var cold = Dotnet.Run(Path.Combine(a, "App"), cache, ["build"], environment);
        Assert.True(cold.Succeeded, cold.ToString());
        Assert.Equal(SampleSolution.ChainProjects, cold.Misses);

        var b = _workspace.PathOf("b");
        Workspace.CopyTree(a, b);
        var warm = Dotnet.Run(Path.Combine(b, "App"), cache, ["build"], environment);
        Assert.True(warm.Succeeded, warm.ToString());
        Assert.Equal(SampleSolution.ChainProjects, warm.Hits);
    }

    [Fact]
    public async Task A_clone_with_an_empty_local_cache_hits_from_the_real_remote_server()
    {
        await using var server = await TurboRemoteCacheServer.StartAsync(signatureKey: null);
        var remote = Dotnet.RemoteEnvironment(server.Url, server.Token);

        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);
        Workspace.Git(a, "init", "-q");
        Workspace.Git(a, "add", "-A");
        Workspace.Git(a, "commit", "-q", "-m", "chain");
        var cold = Dotnet.Run(Path.Combine(a, "App"), _workspace.PathOf("cache-a"), ["build"], remote);
        Assert.True(cold.Succeeded, cold.ToString());
        Assert.Equal(SampleSolution.ChainProjects, cold.Misses);

        // Each compilation is stored with its prediction (its key, under its project and commit), and the build's end
        // published the commit's index naming all three: seven entries.
        var stored = StoredEntries(server);
        Assert.Equal(2 * SampleSolution.ChainProjects.Length + 1, stored.Count);
        var index = stored.Keys.Select(File.ReadAllBytes).Select(b => b.AsSpan().StartsWith("artifactcache-commit-index-v1\n"u8) ? b : null).Single(b => b is not null);
        Assert.Equal(SampleSolution.ChainProjects.Length, cold.Report.Select(r => r.Key).Count(k => System.Text.Encoding.UTF8.GetString(index!).Contains(" " + k + "\n", StringComparison.Ordinal)));

        var b = _workspace.PathOf("b");
        Workspace.CopyTree(a, b);
        var warm = Dotnet.Run(Path.Combine(b, "App"), _workspace.PathOf("cache-b"), ["build"], remote);
        Assert.True(warm.Succeeded, warm.ToString());
        Assert.Equal(SampleSolution.ChainProjects, warm.Hits);
        Assert.All(warm.Report, r => Assert.Equal("remote", r.Source));
        Assert.DoesNotContain(server.Token, warm.Output, StringComparison.Ordinal);

        // The clone of the same commit fetched the index (and through it every artifact) when its first project
        // started; each entry was right, so nothing was published again: the remote's entries are exactly as they were.
        Assert.Equal(stored, StoredEntries(server));

        // The remote hit filled the local cache: a third clone on machine B hits locally.
        var c = _workspace.PathOf("c");
        Workspace.CopyTree(a, c);
        var local = Dotnet.Run(Path.Combine(c, "App"), _workspace.PathOf("cache-b"), ["build"], remote);
        Assert.All(local.Report, r => Assert.Equal("local", r.Source));
        Assert.Equal(3, local.Hits.Count);
    }

    private static Dictionary<string, DateTime> StoredEntries(TurboRemoteCacheServer server) =>
        Directory.EnumerateFiles(server.StoragePath, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc, StringComparer.Ordinal);
}
