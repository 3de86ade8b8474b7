using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// Which MSBuild can load the package's tasks. .NET Framework MSBuild (msbuild.exe, Visual Studio) does not run here,
/// so these builds set the private properties the targets read the runtime and version from, as such an MSBuild
/// would report them.
/// </summary>
public sealed class MSBuildRuntimeTests : IDisposable
{
    private const string OffMessage = "ArtifactCache.Build is off in this build";
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private string Cache => _workspace.PathOf("cache");

    [Fact]
    public void A_build_as_dotnet_framework_msbuild_succeeds_without_loading_the_task_and_says_why_once_per_project()
    {
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);

        // A task assembly that does not exist: loading it at all would fail the build with MSB4062.
        var missing = _workspace.PathOf("nowhere", "ArtifactCache.Build.dll");
        var run = Dotnet.Run(Path.Combine(a, "App"), Cache,
            ["build", "-v:d", "-p:_ArtifactCacheMSBuildRuntime=Full", "-p:_ArtifactCacheMSBuildVersion=17.14.23", $"-p:ArtifactCacheTaskAssembly={missing}"]);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Empty(run.Report);
        Assert.DoesNotContain("MSB4062", run.Output, StringComparison.Ordinal);
        Assert.Equal(SampleSolution.ChainProjects.Length, Occurrences(run.Output, OffMessage + ": Full MSBuild 17.14.23 cannot load"));
        Assert.False(Directory.Exists(Cache), "nothing may be stored when the package cannot run");
        Assert.True(File.Exists(Path.Combine(a, "App", "bin", "Debug", SampleSolution.Tfm, "App.dll")));
    }

    [Fact]
    public void The_dotnet_task_host_opt_in_needs_msbuild_18_and_then_caches()
    {
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);

        var older = Dotnet.Run(Path.Combine(a, "Core"), Cache,
            ["build", "-v:d", "-p:_ArtifactCacheMSBuildRuntime=Full", "-p:_ArtifactCacheMSBuildVersion=17.14.23", "-p:ArtifactCacheNetTaskHost=true"]);
        Assert.True(older.Succeeded, older.ToString());
        Assert.Empty(older.Report);
        Assert.Equal(1, Occurrences(older.Output, OffMessage + ": ArtifactCacheNetTaskHost needs MSBuild 18"));

        // MSBuild 18 with the opt-in declares the tasks with Runtime="NET". This MSBuild is .NET already, so it runs them
        // in its own process: what this shows is that the targets take that route whole, not the task host itself.
        var b = _workspace.PathOf("b");
        SampleSolution.WriteChain(b);
        var current = Dotnet.Run(Path.Combine(b, "Core"), Cache,
            ["build", "-v:d", "-p:_ArtifactCacheMSBuildRuntime=Full", "-p:_ArtifactCacheMSBuildVersion=18.3.0", "-p:ArtifactCacheNetTaskHost=true"]);
        Assert.True(current.Succeeded, current.ToString());
        Assert.DoesNotContain(OffMessage, current.Output, StringComparison.Ordinal);
        Assert.Equal(["Core"], current.Misses);

        var copy = _workspace.PathOf("copy");
        Workspace.CopyTree(b, copy);
        var hit = Dotnet.Run(Path.Combine(copy, "Core"), Cache,
            ["build", "-p:_ArtifactCacheMSBuildRuntime=Full", "-p:_ArtifactCacheMSBuildVersion=18.3.0", "-p:ArtifactCacheNetTaskHost=true"]);
        Assert.True(hit.Succeeded, hit.ToString());
        Assert.Equal(["Core"], hit.Hits);
    }

    [Fact]
    public void A_real_build_inside_visual_studio_is_not_switched_off_by_that_alone_but_a_design_time_build_is()
    {
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);

        var inside = Dotnet.Run(Path.Combine(a, "Core"), Cache, ["build", "-p:BuildingInsideVisualStudio=true"]);
        Assert.True(inside.Succeeded, inside.ToString());
        Assert.Equal(["Core"], inside.Misses);

        var designTime = Dotnet.Run(Path.Combine(a, "Core"), Cache, ["build", "--no-incremental", "-p:BuildingInsideVisualStudio=true", "-p:DesignTimeBuild=true"]);
        Assert.True(designTime.Succeeded, designTime.ToString());
        Assert.Empty(designTime.Report);
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
