using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>Hits, misses and output bytes of real `dotnet build` runs through the in-repo build/ files.</summary>
public sealed class CompileCacheTests : IDisposable
{
    private static readonly string[] OutputFiles = ["{0}.dll", "{0}.pdb", "{0}.xml", "ref/{0}.dll", "refint/{0}.dll"];
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private string Cache => _workspace.PathOf("cache");

    private static BuildRun Build(string tree, string cache, params string[] arguments)
    {
        var run = Dotnet.Run(tree, cache, ["build", .. arguments]);
        return run;
    }

    private static Dictionary<string, byte[]> Outputs(string tree, IEnumerable<string> projects, string configuration = "Debug", string tfm = SampleSolution.Tfm)
    {
        var outputs = new Dictionary<string, byte[]>();
        foreach (var project in projects)
        {
            foreach (var pattern in OutputFiles)
            {
                var relative = Path.Combine(project, "obj", configuration, tfm, string.Format(pattern, project));
                var path = Path.Combine(tree, relative);
                if (File.Exists(path))
                {
                    outputs[relative] = File.ReadAllBytes(path);
                }
            }
        }

        return outputs;
    }

    [Fact]
    public void Cold_build_stores_and_a_copy_elsewhere_hits_with_the_bytes_a_local_compile_there_gives()
    {
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);

        var cold = Build(Path.Combine(a, "App"), Cache);
        Assert.True(cold.Succeeded, cold.ToString());
        Assert.Equal(SampleSolution.ChainProjects, cold.Misses);
        Assert.All(cold.Report, r => Assert.True(r.Stored, cold.ToString()));

        var b = _workspace.PathOf("b", "nested");
        Workspace.CopyTree(a, b);
        var warm = Build(Path.Combine(b, "App"), Cache);
        Assert.True(warm.Succeeded, warm.ToString());
        Assert.Equal(SampleSolution.ChainProjects, warm.Hits);
        Assert.All(warm.Report, r => Assert.Equal("local", r.Source));
        Assert.DoesNotContain("CoreCompile", warm.Output, StringComparison.Ordinal);
        var restored = Outputs(b, SampleSolution.ChainProjects);
        Assert.Equal(15, restored.Count);

        // What compiling in b itself gives: same folder, empty cache, so every project compiles.
        foreach (var project in SampleSolution.ChainProjects)
        {
            Directory.Delete(Path.Combine(b, project, "obj"), recursive: true);
            Directory.Delete(Path.Combine(b, project, "bin"), recursive: true);
        }

        var local = Build(Path.Combine(b, "App"), _workspace.PathOf("empty-cache"));
        Assert.Equal(SampleSolution.ChainProjects, local.Misses);
        var compiled = Outputs(b, SampleSolution.ChainProjects);
        Assert.Equal(compiled.Keys.Order(), restored.Keys.Order());
        foreach (var (file, bytes) in compiled)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(restored[file]), $"{file} differs between the restored and the locally compiled output");
        }

        var run = Dotnet.Run(b, Cache, ["run", "--no-build", "--project", "App"]);
        Assert.Contains("[Hello world]!", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_hit_the_next_build_is_a_no_op_and_incremental_clean_keeps_every_output()
    {
        const string WarmUpRuns = "Task \"WarmUpCache\"";
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);
        Assert.True(Build(Path.Combine(a, "App"), Cache).Succeeded);
        // The cold build left, for the next builds' warm-up, the files its keys hashed that nothing rewrites in place.
        var warmUpList = File.ReadAllLines(Path.Combine(Cache, "derived", "warm-up-files.txt"));
        Assert.Contains(warmUpList, f => Path.GetFileName(f) == "System.Runtime.dll");
        Assert.All(warmUpList, f => Assert.True(Path.IsPathFullyQualified(f) && File.Exists(f), f));
        var b = _workspace.PathOf("b");
        Workspace.CopyTree(a, b);
        var fresh = Build(Path.Combine(b, "App"), Cache, "-v:d");
        Assert.Equal(SampleSolution.ChainProjects, fresh.Hits);
        Assert.Contains(WarmUpRuns, fresh.Output, StringComparison.Ordinal);

        var again = Build(Path.Combine(b, "App"), Cache, "-v:d");

        Assert.True(again.Succeeded, again.ToString());
        Assert.Empty(again.Report);
        // Every assembly exists: no warm-up, so a no-op build does not even load the task for it.
        Assert.DoesNotContain(WarmUpRuns, again.Output, StringComparison.Ordinal);
        foreach (var file in new[] { "App.dll", "Lib2.dll", "Core.dll", "Core.pdb", "Core.xml" })
        {
            Assert.True(File.Exists(Path.Combine(b, "App", "bin", "Debug", SampleSolution.Tfm, file)), file);
        }

        Assert.True(File.Exists(Path.Combine(b, "Core", "obj", "Debug", SampleSolution.Tfm, "Core.dll")));
    }

    [Fact]
    public void Compiler_warnings_are_replayed_on_a_hit_with_code_and_location()
    {
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);
        Workspace.Write(Path.Combine(a, "Core", "Warn.cs"), "namespace Core;\n\ninternal static class Warn\n{\n    internal static void M()\n    {\n        int unused;\n    }\n}\n");

        // A lib path that does not exist: csc's CS1668 has no file, and MSBuild shows the compiler task where one would be.
        const string NoFile = "-p:AdditionalLibPaths=does-not-exist";
        const string NoFileWarning = "CSC : warning CS1668: Invalid search path 'does-not-exist'";
        var cold = Build(Path.Combine(a, "Core"), Cache, NoFile);
        Assert.True(cold.Succeeded, cold.ToString());
        Assert.Contains($"{Path.Combine(a, "Core", "Warn.cs")}(7,13): warning CS0168", cold.Output, StringComparison.Ordinal);
        Assert.Contains(NoFileWarning, cold.Output, StringComparison.Ordinal);

        var b = _workspace.PathOf("b");
        Workspace.CopyTree(a, b);
        var warm = Build(Path.Combine(b, "Core"), Cache, NoFile);
        Assert.True(warm.Succeeded, warm.ToString());
        Assert.Equal(["Core"], warm.Hits);
        Assert.Contains($"{Path.Combine(b, "Core", "Warn.cs")}(7,13): warning CS0168", warm.Output, StringComparison.Ordinal);
        Assert.Contains(NoFileWarning, warm.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(a, warm.Output.Replace(b, "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Treat_warnings_as_errors_fails_as_without_the_cache_and_stores_nothing()
    {
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);
        Workspace.Write(Path.Combine(a, "Core", "Warn.cs"), "namespace Core;\n\ninternal static class Warn\n{\n    internal static void M()\n    {\n        int unused;\n    }\n}\n");

        var strict = Build(Path.Combine(a, "Core"), Cache, "-p:TreatWarningsAsErrors=true");
        Assert.False(strict.Succeeded, strict.ToString());
        Assert.Contains("error CS0168", strict.Output, StringComparison.Ordinal);
        var entry = Assert.Single(strict.Report);
        Assert.False(entry.Stored);

        var again = Build(Path.Combine(a, "Core"), Cache, "-p:TreatWarningsAsErrors=true");
        Assert.False(again.Succeeded);
        Assert.Equal(["Core"], again.Misses);

        // MSBuild-level promotion of the replayed warning behaves as it would for the compiler's own.
        Assert.True(Build(Path.Combine(a, "Core"), Cache).Succeeded);
        var b = _workspace.PathOf("b");
        Workspace.CopyTree(a, b);
        var promoted = Build(Path.Combine(b, "Core"), Cache, "-warnaserror");
        Assert.False(promoted.Succeeded, promoted.ToString());
        Assert.Equal(["Core"], promoted.Hits);
        Assert.Contains("CS0168", promoted.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_compile_error_fails_the_build_as_without_the_package_and_stores_nothing()
    {
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);
        var greeter = Path.Combine(a, "Core", "Greeter.cs");
        var good = File.ReadAllText(greeter);
        File.WriteAllText(greeter, good.Replace("Helper.Decorate(", "Helper.Missing(", StringComparison.Ordinal));

        var broken = Build(Path.Combine(a, "Core"), Cache);
        var plain = Build(Path.Combine(a, "Core"), _workspace.PathOf("unused"), "-p:ArtifactCacheEnabled=false");

        Assert.False(broken.Succeeded);
        Assert.False(plain.Succeeded);
        var error = new System.Text.RegularExpressions.Regex(System.Text.RegularExpressions.Regex.Escape(greeter) + @"\(7,\d+\): error CS0117: [^\[]*");
        Assert.Matches(error, broken.Output);
        Assert.Equal(error.Match(plain.Output).Value, error.Match(broken.Output).Value);
        Assert.False(Assert.Single(broken.Report).Stored);
        Assert.False(Directory.Exists(Path.Combine(Cache, "v1")) && Directory.EnumerateFiles(Path.Combine(Cache, "v1"), "*.acb", SearchOption.AllDirectories).Any());

        File.WriteAllText(greeter, good);
        Assert.Equal(["Core"], Build(Path.Combine(a, "Core"), Cache).Misses);
        var b = _workspace.PathOf("b");
        Workspace.CopyTree(a, b);
        Assert.Equal(["Core"], Build(Path.Combine(b, "Core"), Cache).Hits);
    }

    [Fact]
    public void Multi_targeting_keys_each_framework_and_hits_each()
    {
        var a = _workspace.PathOf("a");
        Workspace.ImportPackageFromRepo(a);
        Workspace.Write(Path.Combine(a, "Multi", "Multi.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFrameworks>net10.0;netstandard2.0</TargetFrameworks>
                <LangVersion>latest</LangVersion>
              </PropertyGroup>
            </Project>
            """);
        Workspace.Write(Path.Combine(a, "Multi", "Class1.cs"), "namespace Multi;\n\npublic static class Class1\n{\n    public static int Answer => 42;\n}\n");

        var cold = Build(Path.Combine(a, "Multi"), Cache);
        Assert.True(cold.Succeeded, cold.ToString());
        Assert.Equal(["net10.0", "netstandard2.0"], cold.Report.Select(r => r.TargetFramework!).Order());
        Assert.Equal(2, cold.Report.Select(r => r.Key).Distinct().Count());

        var b = _workspace.PathOf("b");
        Workspace.CopyTree(a, b);
        var warm = Build(Path.Combine(b, "Multi"), Cache);
        Assert.Equal(2, warm.Report.Count(r => r.IsHit));
    }

    [Fact]
    public void Design_time_builds_and_opted_out_projects_do_no_cache_work()
    {
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);

        // What Visual Studio and C# Dev Kit run: CoreCompile for its command line only.
        var designTime = Build(Path.Combine(a, "Core"), Cache, "-t:CoreCompile", "-p:DesignTimeBuild=true", "-p:SkipCompilerExecution=true", "-p:ProvideCommandLineArgs=true");
        Assert.True(designTime.Succeeded, designTime.ToString());
        Assert.Empty(designTime.Report);

        var designTimeFull = Build(Path.Combine(a, "Core"), Cache, "-p:DesignTimeBuild=true");
        Assert.True(designTimeFull.Succeeded, designTimeFull.ToString());
        Assert.Empty(designTimeFull.Report);

        var optedOut = Build(Path.Combine(a, "Core"), Cache, "-p:ArtifactCacheEnabled=false");
        Assert.True(optedOut.Succeeded, optedOut.ToString());
        Assert.Empty(optedOut.Report);
        Assert.True(File.Exists(Path.Combine(a, "Core", "bin", "Debug", SampleSolution.Tfm, "Core.dll")));

        var switchedOff = Dotnet.Run(Path.Combine(a, "Core"), Cache, ["build", "--no-incremental"], new Dictionary<string, string> { ["ARTIFACTCACHE_ENABLED"] = "false" });
        Assert.True(switchedOff.Succeeded, switchedOff.ToString());
        Assert.Empty(switchedOff.Report);
        Assert.False(Directory.Exists(Path.Combine(Cache, "v1")), "nothing may be stored when the cache is off");
    }

    [Fact]
    public void Test_publish_and_pack_of_a_warm_copy_hit()
    {
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);
        Workspace.Write(Path.Combine(a, "Tests", "Tests.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <IsPackable>false</IsPackable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="2.9.3" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
                <ProjectReference Include="../Lib2/Lib2.csproj" />
              </ItemGroup>
            </Project>
            """);
        Workspace.Write(Path.Combine(a, "Tests", "WelcomeTests.cs"), "public class WelcomeTests\n{\n    [Xunit.Fact]\n    public void Welcomes() => Xunit.Assert.Equal(\"[Hello x]!\", Lib2.Welcome.For(\"x\"));\n}\n");
        Assert.True(Build(Path.Combine(a, "Tests"), Cache).Succeeded);
        Assert.Equal(["App"], Build(Path.Combine(a, "App"), Cache).Misses);

        var b = _workspace.PathOf("b");
        Workspace.CopyTree(a, b);
        var test = Dotnet.Run(Path.Combine(b, "Tests"), Cache, ["test"]);
        Assert.True(test.Succeeded, test.ToString());
        Assert.Equal(["Core", "Lib2", "Tests"], test.Hits);
        Assert.Contains("Passed!", test.Output, StringComparison.Ordinal);

        var c = _workspace.PathOf("c");
        Workspace.CopyTree(a, c);
        var publish = Dotnet.Run(Path.Combine(c, "App"), Cache, ["publish", "-c", "Debug", "-o", _workspace.PathOf("published")]);
        Assert.True(publish.Succeeded, publish.ToString());
        Assert.Equal(SampleSolution.ChainProjects, publish.Hits);
        Assert.True(File.Exists(_workspace.PathOf("published", "App.dll")));

        var pack = Dotnet.Run(Path.Combine(c, "Lib2"), Cache, ["pack", "-c", "Debug", "-o", _workspace.PathOf("packages")]);
        Assert.True(pack.Succeeded, pack.ToString());
        Assert.Empty(pack.Misses);
        Assert.Single(Directory.GetFiles(_workspace.PathOf("packages"), "Lib2.*.nupkg"));
    }
}
