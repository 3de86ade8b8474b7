using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// A repository of three libraries in a chain (Core, Domain over Core, App over Domain) and a test project over each,
/// one per VSTest adapter: Core.Tests (xUnit), Domain.Tests (NUnit), App.Tests (MSTest), all from the SDK's templates,
/// and App.Specs (xunit.v3, a Microsoft.Testing.Platform application run by VSTest through xunit.runner.visualstudio),
/// all opted in by ArtifactCacheTestResults in Directory.Build.props. Core.Tests has a test that fails when the listed
/// variable ACB_MODE is "fail", and one that reads a data file outside its output folder, listed as an input. Tested
/// cold once with `dotnet test --logger trx` against the real remote server, which stores every run locally and remotely.
/// </summary>
public sealed class TestRunRepository : IDisposable
{
    public static readonly string[] TestProjects = ["App.Specs", "App.Tests", "Core.Tests", "Domain.Tests"];

    public TestRunRepository()
    {
        Server = TurboRemoteCacheServer.StartAsync(signatureKey: null).GetAwaiter().GetResult();
        Source = Workspace.PathOf("repo-a");
        Workspace.ImportPackageFromRepo(Source);
        SampleSolution.AddToProject(Path.Combine(Source, "Directory.Build.props"), "<PropertyGroup><ArtifactCacheTestResults>true</ArtifactCacheTestResults></PropertyGroup>");

        SampleSolution.WriteProject(Source, "Core");
        Workspace.Write(Path.Combine(Source, "Core", "Numbers.cs"), "namespace Core;\n\n/// <summary>Numbers.</summary>\npublic static class Numbers\n{\n    /// <summary>Twice.</summary>\n    public static int Twice(int x) => x * 2;\n}\n");
        SampleSolution.WriteProject(Source, "Domain", """<ProjectReference Include="../Core/Core.csproj" />""");
        Workspace.Write(Path.Combine(Source, "Domain", "Prices.cs"), "namespace Domain;\n\n/// <summary>Prices.</summary>\npublic static class Prices\n{\n    /// <summary>The total.</summary>\n    public static int Total(int x) => Core.Numbers.Twice(x) + 1;\n}\n");
        SampleSolution.WriteProject(Source, "App", """<ProjectReference Include="../Domain/Domain.csproj" />""");
        Workspace.Write(Path.Combine(Source, "App", "Checkout.cs"), "namespace App;\n\n/// <summary>Checkout.</summary>\npublic static class Checkout\n{\n    /// <summary>Pay.</summary>\n    public static int Pay(int x) => Domain.Prices.Total(x);\n}\n");

        New("xunit", "Core.Tests", "Core");
        New("nunit", "Domain.Tests", "Domain");
        New("mstest", "App.Tests", "App");
        Workspace.Write(Path.Combine(Source, "Core.Tests", "UnitTest1.cs"), """
            namespace Core.Tests;

            public class NumbersTests
            {
                [Fact]
                public void Twice_doubles() => Assert.Equal(4, Core.Numbers.Twice(2));

                [Fact]
                public void The_mode_is_not_fail() => Assert.NotEqual("fail", Environment.GetEnvironmentVariable("ACB_MODE"));

                // Not listed in ArtifactCacheTestEnvironment: what verify mode exists to catch.
                [Fact]
                public void The_unlisted_mode_is_not_fail() => Assert.NotEqual("fail", Environment.GetEnvironmentVariable("ACB_UNLISTED"));

                // Read at run time from the project folder, not the output folder: listed as an ArtifactCacheTestInput.
                [Fact]
                public void The_cases_are_there() => Assert.StartsWith("cases", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "testdata", "cases.txt")));
            }
            """);
        Workspace.Write(Path.Combine(Source, "Core.Tests", "testdata", "cases.txt"), "cases: 1\n");
        SampleSolution.AddToProject(
            Path.Combine(Source, "Core.Tests", "Core.Tests.csproj"),
            "<PropertyGroup><ArtifactCacheTestEnvironment>ACB_MODE</ArtifactCacheTestEnvironment></PropertyGroup><ItemGroup><ArtifactCacheTestInput Include=\"testdata\" /></ItemGroup>");
        Workspace.Write(Path.Combine(Source, "Domain.Tests", "UnitTest1.cs"), "namespace Domain.Tests;\n\npublic class PricesTests\n{\n    [Test]\n    public void Total_adds_one() => Assert.That(Domain.Prices.Total(2), Is.EqualTo(5));\n}\n");
        Workspace.Write(Path.Combine(Source, "App.Specs", "App.Specs.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <OutputType>Exe</OutputType>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit.v3" Version="3.2.2" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
                <ProjectReference Include="../App/App.csproj" />
              </ItemGroup>
              <ItemGroup>
                <Using Include="Xunit" />
              </ItemGroup>
            </Project>
            """);
        Workspace.Write(Path.Combine(Source, "App.Specs", "CheckoutSpecs.cs"), "namespace App.Specs;\n\npublic class CheckoutSpecs\n{\n    [Fact]\n    public void Paying_one_costs_three() => Assert.Equal(3, App.Checkout.Pay(1));\n}\n");
        Workspace.Write(Path.Combine(Source, "App.Tests", "Test1.cs"), "namespace App.Tests;\n\n[TestClass]\npublic sealed class CheckoutTests\n{\n    [TestMethod]\n    public void Pay_is_the_total() => Assert.AreEqual(7, App.Checkout.Pay(3));\n}\n");

        Workspace.Write(Path.Combine(Source, "All.slnx"), "<Solution>\n" + string.Concat(new[] { "Core", "Domain", "App", "Core.Tests", "Domain.Tests", "App.Tests", "App.Specs" }.Select(p => $"  <Project Path=\"{p}/{p}.csproj\" />\n")) + "</Solution>\n");
        WritePlatformApplications();
        Workspace.Write(Path.Combine(Source, ".gitignore"), "bin/\nobj/\nTestResults/\n");
        Workspace.Git(Source, "init", "-q");
        // A hosted origin, as a real checkout has: Source Link then writes the same map in every clone.
        Workspace.Git(Source, "remote", "add", "origin", SoundRepository.Origin);
        Workspace.Git(Source, "add", "-A");
        Workspace.Git(Source, "commit", "-q", "-m", "initial");

        Cold = Dotnet.Run(Source, Cache, ["test", "All.slnx", "--logger", "trx"], Remote);
        if (!Cold.Succeeded || !TestRuns(Cold).All(r => r.Stored && !r.IsHit) || !TestRuns(Cold).Select(r => r.ProjectName).Order(StringComparer.Ordinal).SequenceEqual(TestProjects))
        {
            throw new InvalidOperationException("The repository did not test cold as expected:\n" + Cold);
        }

        var platformCold = Dotnet.RunTestingPlatform(Path.Combine(Source, "Platform"), Cache, ["test", "Platform.slnx"], Remote);
        if (!platformCold.Succeeded || !PlatformRuns(platformCold).All(r => r.Stored && !r.IsHit) || !PlatformRuns(platformCold).Select(r => r.ProjectName).Order(StringComparer.Ordinal).SequenceEqual(PlatformProjects))
        {
            throw new InvalidOperationException("The Microsoft.Testing.Platform applications did not test cold as expected:\n" + platformCold);
        }
    }

    /// <summary>The two applications `dotnet test` runs in Microsoft.Testing.Platform mode (Platform/global.json).</summary>
    public static readonly string[] PlatformProjects = ["Platform.FsSpecs", "Platform.Runner", "Platform.Specs", "Platform.VbRunner"];

    /// <summary>The report's records of Microsoft.Testing.Platform runs that `dotnet test` started itself.</summary>
    public static IReadOnlyList<ReportEntry> PlatformRuns(BuildRun run) => run.Report.Where(r => r.Target == "TestingPlatform").ToList();

    /// <summary>
    /// Platform/: `dotnet test` in Microsoft.Testing.Platform mode (its global.json), over the same libraries: an MSTest
    /// runner application over Core (MSTest 4, the platform's 2.x), an xunit.v3 one over Domain (the platform's 1.x), an
    /// F# xunit.v3 one and a Visual Basic MSTest runner one over Core (the F# and VB recorders).
    /// Each test appends to the file ACB_MARKER names (unlisted, so not keyed), to tell a run from a replay; a test in each
    /// fails when the listed ACB_MODE is "fail".
    /// </summary>
    private void WritePlatformApplications()
    {
        var platform = Path.Combine(Source, "Platform");
        Workspace.Write(Path.Combine(platform, "global.json"), """{ "test": { "runner": "Microsoft.Testing.Platform" } }""" + "\n");
        Workspace.Write(Path.Combine(platform, "Platform.slnx"), "<Solution>\n  <Project Path=\"Platform.Runner/Platform.Runner.csproj\" />\n  <Project Path=\"Platform.Specs/Platform.Specs.csproj\" />\n  <Project Path=\"Platform.FsSpecs/Platform.FsSpecs.fsproj\" />\n  <Project Path=\"Platform.VbRunner/Platform.VbRunner.vbproj\" />\n</Solution>\n");
        const string Marker = """static void Mark(string test) { var marker = System.Environment.GetEnvironmentVariable("ACB_MARKER"); if (marker != null) System.IO.File.AppendAllText(marker, test + "\n"); }""";
        Workspace.Write(Path.Combine(platform, "Platform.Runner", "Platform.Runner.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <OutputType>Exe</OutputType>
                <EnableMSTestRunner>true</EnableMSTestRunner>
                <ImplicitUsings>enable</ImplicitUsings>
                <ArtifactCacheTestEnvironment>ACB_MODE</ArtifactCacheTestEnvironment>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MSTest" Version="4.0.2" />
                <ProjectReference Include="../../Core/Core.csproj" />
              </ItemGroup>
            </Project>
            """);
        Workspace.Write(Path.Combine(platform, "Platform.Runner", "NumbersTests.cs"), "[assembly: Parallelize(Scope = ExecutionScope.MethodLevel)]\n\nnamespace Platform.Runner;\n\n[TestClass]\npublic sealed class NumbersTests\n{\n    " + Marker + "\n\n    [TestMethod]\n    public void Twice_doubles() { Mark(\"runner\"); Assert.AreEqual(6, Core.Numbers.Twice(3)); }\n\n    [TestMethod]\n    public void The_mode_is_not_fail() { Mark(\"runner\"); Assert.AreNotEqual(\"fail\", Environment.GetEnvironmentVariable(\"ACB_MODE\")); }\n}\n");
        Workspace.Write(Path.Combine(platform, "Platform.Specs", "Platform.Specs.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <OutputType>Exe</OutputType>
                <ImplicitUsings>enable</ImplicitUsings>
                <ArtifactCacheTestEnvironment>ACB_MODE</ArtifactCacheTestEnvironment>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="xunit.v3" Version="3.2.2" />
                <ProjectReference Include="../../Domain/Domain.csproj" />
              </ItemGroup>
              <ItemGroup>
                <Using Include="Xunit" />
              </ItemGroup>
            </Project>
            """);
        Workspace.Write(Path.Combine(platform, "Platform.FsSpecs", "Platform.FsSpecs.fsproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <OutputType>Exe</OutputType>
                <ArtifactCacheTestEnvironment>ACB_MODE</ArtifactCacheTestEnvironment>
              </PropertyGroup>
              <ItemGroup>
                <Compile Include="NumbersSpecs.fs" />
              </ItemGroup>
              <ItemGroup>
                <PackageReference Include="xunit.v3" Version="3.2.2" />
                <ProjectReference Include="../../Core/Core.csproj" />
              </ItemGroup>
            </Project>
            """);
        Workspace.Write(Path.Combine(platform, "Platform.FsSpecs", "NumbersSpecs.fs"), """
            module Platform.FsSpecs.NumbersSpecs

            open System
            open Xunit

            let private mark () =
                match Environment.GetEnvironmentVariable "ACB_MARKER" with
                | null -> ()
                | marker -> IO.File.AppendAllText(marker, "fsspecs\n")

            [<Fact>]
            let ``Twice doubles`` () =
                mark ()
                Assert.Equal(8, Core.Numbers.Twice 4)

            [<Fact>]
            let ``The mode is not fail`` () =
                mark ()
                Assert.NotEqual<string>("fail", Environment.GetEnvironmentVariable "ACB_MODE")
            """);
        Workspace.Write(Path.Combine(platform, "Platform.VbRunner", "Platform.VbRunner.vbproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <OutputType>Exe</OutputType>
                <EnableMSTestRunner>true</EnableMSTestRunner>
                <RootNamespace>Platform.VbRunner</RootNamespace>
                <ArtifactCacheTestEnvironment>ACB_MODE</ArtifactCacheTestEnvironment>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MSTest" Version="4.0.2" />
                <ProjectReference Include="../../Core/Core.csproj" />
              </ItemGroup>
            </Project>
            """);
        Workspace.Write(Path.Combine(platform, "Platform.VbRunner", "NumbersTests.vb"), """
            Imports Microsoft.VisualStudio.TestTools.UnitTesting

            <Assembly: Parallelize(Scope:=ExecutionScope.MethodLevel)>

            <TestClass>
            Public NotInheritable Class NumbersTests
                Private Shared Sub Mark()
                    Dim marker = System.Environment.GetEnvironmentVariable("ACB_MARKER")
                    If marker IsNot Nothing Then System.IO.File.AppendAllText(marker, "vbrunner" & vbLf)
                End Sub

                <TestMethod>
                Public Sub Twice_doubles()
                    Mark()
                    Assert.AreEqual(10, Core.Numbers.Twice(5))
                End Sub

                <TestMethod>
                Public Sub The_mode_is_not_fail()
                    Mark()
                    Assert.AreNotEqual("fail", System.Environment.GetEnvironmentVariable("ACB_MODE"))
                End Sub
            End Class
            """);
        Workspace.Write(Path.Combine(platform, "Platform.Specs", "PricesSpecs.cs"), "namespace Platform.Specs;\n\npublic class PricesSpecs\n{\n    " + Marker + "\n\n    [Fact]\n    public void Total_adds_one() { Mark(\"specs\"); Assert.Equal(7, Domain.Prices.Total(3)); }\n\n    [Fact(Skip = \"not yet\")]\n    public void Later() { }\n\n    [Fact]\n    public void The_mode_is_not_fail() { Mark(\"specs\"); Assert.NotEqual(\"fail\", Environment.GetEnvironmentVariable(\"ACB_MODE\")); }\n}\n");
    }

    public Workspace Workspace { get; } = new();

    public TurboRemoteCacheServer Server { get; }

    public Dictionary<string, string> Remote => Dotnet.RemoteEnvironment(Server.Url, Server.Token);

    public string Source { get; }

    public string Cache => Workspace.PathOf("cache");

    public BuildRun Cold { get; }

    /// <summary>The report's test-run records (target VSTest); compilations are reported beside them.</summary>
    public static IReadOnlyList<ReportEntry> TestRuns(BuildRun run) => run.Report.Where(r => r.Target == "VSTest").ToList();

    public string Clone(string name)
    {
        var clone = Workspace.PathOf(name);
        Workspace.Git(Workspace.Root, "clone", "-q", Source, clone);
        Workspace.Git(clone, "remote", "set-url", "origin", SoundRepository.Origin);
        return clone;
    }

    public void Dispose()
    {
        Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Workspace.Dispose();
    }

    private void New(string template, string name, string library)
    {
        var run = Dotnet.Run(Source, Cache, ["new", template, "-n", name, "-o", name]);
        if (!run.Succeeded)
        {
            throw new InvalidOperationException($"dotnet new {template} failed:\n{run}");
        }

        SampleSolution.AddToProject(Path.Combine(Source, name, name + ".csproj"), $"""<ItemGroup><ProjectReference Include="../{library}/{library}.csproj" /></ItemGroup>""");
    }
}

/// <summary>`dotnet test` replays the test projects whose inputs did not change, and runs the others.</summary>
public sealed class TestRunTests : IClassFixture<TestRunRepository>
{
    private readonly TestRunRepository _repository;

    public TestRunTests(TestRunRepository repository)
    {
        _repository = repository;
    }

    private static IReadOnlyList<string> Replayed(BuildRun run) => TestRunRepository.TestRuns(run).Where(r => r.IsHit).Select(r => r.ProjectName).Order(StringComparer.Ordinal).ToList();

    private static IReadOnlyList<string> Ran(BuildRun run) => TestRunRepository.TestRuns(run).Where(r => !r.IsHit).Select(r => r.ProjectName).Order(StringComparer.Ordinal).ToList();

    private static string[] TrxFiles(string checkout, string project) =>
        Directory.Exists(Path.Combine(checkout, project, "TestResults")) ? Directory.GetFiles(Path.Combine(checkout, project, "TestResults"), "*.trx") : [];

    [Fact]
    public void A_fresh_clone_with_an_empty_local_cache_replays_every_test_project_from_the_remote_with_its_TRX_file()
    {
        var clone = _repository.Clone("repo-b");
        var run = Dotnet.Run(clone, _repository.Workspace.PathOf("cache-b"), ["test", "All.slnx", "--logger", "trx"], _repository.Remote);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(TestRunRepository.TestProjects, Replayed(run));
        Assert.All(TestRunRepository.TestRuns(run), r => Assert.Equal("remote", r.Source));
        // No test host started: VSTest prints this line for each run it starts.
        Assert.DoesNotContain("Test run for ", run.Output, StringComparison.Ordinal);
        Assert.Contains("Passed!  - Failed:     0, Passed:     4, Skipped:     0, Total:     4 - Core.Tests.dll (net10.0), replayed from the run of", run.Output, StringComparison.Ordinal);
        foreach (var project in TestRunRepository.TestProjects)
        {
            // The TRX the cold run's logger wrote, where a run here would have written it, for CI's report step.
            var trx = Assert.Single(TrxFiles(clone, project));
            Assert.Equal(
                File.ReadAllText(Assert.Single(TrxFiles(_repository.Source, project))),
                File.ReadAllText(trx));
        }

        // `dotnet test --no-build` on what this clone built: the same run, replayed again (now from the local cache).
        var noBuild = Dotnet.Run(clone, _repository.Workspace.PathOf("cache-b"), ["test", "All.slnx", "--no-build", "--logger", "trx"], _repository.Remote);
        Assert.True(noBuild.Succeeded, noBuild.ToString());
        Assert.Equal(TestRunRepository.TestProjects, Replayed(noBuild));
    }

    [Fact]
    public void In_testing_platform_mode_a_fresh_clone_replays_every_application_from_the_remote_without_starting_them()
    {
        var clone = _repository.Clone("repo-p");
        var marker = _repository.Workspace.PathOf("marker-p.txt");
        var run = Dotnet.RunTestingPlatform(Path.Combine(clone, "Platform"), _repository.Workspace.PathOf("cache-p"), ["test", "Platform.slnx"], new Dictionary<string, string>(_repository.Remote) { ["ACB_MARKER"] = marker });

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(TestRunRepository.PlatformProjects, TestRunRepository.PlatformRuns(run).Where(r => r.IsHit && r.Source == "remote").Select(r => r.ProjectName).Order(StringComparer.Ordinal));
        // No test ran: every test appends to the marker when it runs.
        Assert.False(File.Exists(marker), "a replayed application ran its tests");
        // What `dotnet test` shows is the stored runs' tests, published again: 8 passed, 1 skipped.
        Assert.Contains("total: 9", run.Output, StringComparison.Ordinal);
        Assert.Contains("succeeded: 8", run.Output, StringComparison.Ordinal);
        Assert.Contains("skipped: 1", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void In_testing_platform_mode_a_body_edit_runs_only_the_application_that_loads_it_and_failing_or_other_runs_are_not_replayed()
    {
        var clone = _repository.Clone("repo-q");
        var prices = Path.Combine(clone, "Domain", "Prices.cs");
        File.WriteAllText(prices, File.ReadAllText(prices).Replace("Core.Numbers.Twice(x) + 1", "1 + Core.Numbers.Twice(x)", StringComparison.Ordinal));
        Workspace.Git(clone, "commit", "-q", "-am", "body edit");
        var platform = Path.Combine(clone, "Platform");
        var marker = _repository.Workspace.PathOf("marker-q.txt");
        var cache = _repository.Workspace.PathOf("cache-q");
        Workspace.CopyTree(_repository.Cache, cache);

        var edited = Dotnet.RunTestingPlatform(platform, cache, ["test", "Platform.slnx"], new Dictionary<string, string> { ["ACB_MARKER"] = marker });
        Assert.True(edited.Succeeded, edited.ToString());
        Assert.Equal(["Platform.FsSpecs", "Platform.Runner", "Platform.VbRunner"], TestRunRepository.PlatformRuns(edited).Where(r => r.IsHit).Select(r => r.ProjectName).Order(StringComparer.Ordinal));
        var specs = Assert.Single(TestRunRepository.PlatformRuns(edited), r => !r.IsHit);
        Assert.Equal("Platform.Specs", specs.ProjectName);
        Assert.True(specs.Stored, edited.ToString());
        Assert.Contains("output: Domain.dll", specs.Explanation, StringComparison.Ordinal);
        Assert.Equal(["specs", "specs"], File.ReadAllLines(marker));

        // A failing run is never stored, so it is never replayed as a pass.
        var failing = new Dictionary<string, string> { ["ACB_MODE"] = "fail" };
        var failed = Dotnet.RunTestingPlatform(platform, cache, ["test", "Platform.slnx"], failing);
        Assert.False(failed.Succeeded, failed.ToString());
        Assert.All(TestRunRepository.PlatformRuns(failed), r => Assert.False(r.IsHit || r.Stored, failed.ToString()));
        var again = Dotnet.RunTestingPlatform(platform, cache, ["test", "Platform.slnx"], failing);
        Assert.False(again.Succeeded, "a failed run must never be replayed as a pass:\n" + again);
        Assert.Contains("failed: 4", again.Output, StringComparison.Ordinal);

        // The arguments `dotnet test` passes on to the application are part of the key: another filter runs.
        var filtered = Dotnet.RunTestingPlatform(platform, cache, ["test", "--project", "Platform.Specs/Platform.Specs.csproj", "--filter-method", "Platform.Specs.PricesSpecs.Total_adds_one"]);
        Assert.True(filtered.Succeeded, filtered.ToString());
        var filteredRun = Assert.Single(TestRunRepository.PlatformRuns(filtered));
        Assert.False(filteredRun.IsHit, filtered.ToString());
        Assert.Contains("argument: arguments", filteredRun.Explanation, StringComparison.Ordinal);
        Assert.Contains("total: 1", filtered.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_committed_body_edit_in_the_middle_library_only_the_test_projects_that_load_it_run()
    {
        var clone = _repository.Clone("repo-c");
        var prices = Path.Combine(clone, "Domain", "Prices.cs");
        File.WriteAllText(prices, File.ReadAllText(prices).Replace("Core.Numbers.Twice(x) + 1", "1 + Core.Numbers.Twice(x)", StringComparison.Ordinal));
        Workspace.Git(clone, "commit", "-q", "-am", "body edit");

        var run = Dotnet.Run(clone, _repository.Cache, ["test", "All.slnx", "--logger", "trx"]);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(["Core.Tests"], Replayed(run));
        Assert.Equal(["App.Specs", "App.Tests", "Domain.Tests"], Ran(run));
        Assert.All(TestRunRepository.TestRuns(run).Where(r => !r.IsHit), r => Assert.Contains("output: Domain.dll", r.Explanation, StringComparison.Ordinal));
        Assert.Single(TrxFiles(clone, "Core.Tests"));
        Assert.Single(TrxFiles(clone, "Domain.Tests"));
        // The body edit left Domain's reference assembly as it was: of the compilations only Domain's ran.
        Assert.Equal(["Domain"], run.Report.Where(r => r.Target == "CoreCompile" && !r.IsHit).Select(r => r.ProjectName));
    }

    [Fact]
    public void A_failing_run_is_never_stored_and_a_listed_variable_or_data_file_change_runs_the_tests_again()
    {
        var clone = _repository.Clone("repo-d");
        var tests = Path.Combine(clone, "Core.Tests");
        var cache = _repository.Cache;

        var failing = Dotnet.Run(tests, cache, ["test"], new Dictionary<string, string> { ["ACB_MODE"] = "fail" });
        Assert.False(failing.Succeeded, failing.ToString());
        Assert.Empty(TestRunRepository.TestRuns(failing));
        var again = Dotnet.Run(tests, cache, ["test"], new Dictionary<string, string> { ["ACB_MODE"] = "fail" });
        Assert.False(again.Succeeded, "a failed run must never be replayed as a pass:\n" + again);
        Assert.Contains("Failed!  - Failed:     1", again.Output, StringComparison.Ordinal);

        var other = Dotnet.Run(tests, cache, ["test"], new Dictionary<string, string> { ["ACB_MODE"] = "other" });
        Assert.True(other.Succeeded, other.ToString());
        var otherRun = Assert.Single(TestRunRepository.TestRuns(other));
        Assert.False(otherRun.IsHit);
        Assert.True(otherRun.Stored);
        Assert.Contains("environment: ACB_MODE", otherRun.Explanation, StringComparison.Ordinal);

        // The same variable again: the run just stored replays.
        Assert.Equal(["Core.Tests"], Replayed(Dotnet.Run(tests, cache, ["test"], new Dictionary<string, string> { ["ACB_MODE"] = "other" })));

        // Verify mode runs a hit's tests anyway: passing, the entry is verified; failing through something the key does not
        // see, ACB5004 says so and the failure stands.
        var verified = Dotnet.Run(tests, cache, ["test", "-p:ArtifactCacheVerify=true"], new Dictionary<string, string> { ["ACB_MODE"] = "other" });
        Assert.True(verified.Succeeded, verified.ToString());
        Assert.True(Assert.Single(TestRunRepository.TestRuns(verified)).Verified, verified.ToString());
        Assert.Contains("Passed!  - Failed:     0, Passed:     4", verified.Output, StringComparison.Ordinal);
        var unseen = Dotnet.Run(tests, cache, ["test", "-p:ArtifactCacheVerify=true"], new Dictionary<string, string> { ["ACB_MODE"] = "other", ["ACB_UNLISTED"] = "fail" });
        Assert.False(unseen.Succeeded, unseen.ToString());
        Assert.Contains("ACB5004", unseen.Output, StringComparison.Ordinal);
        Assert.Contains("Failed!  - Failed:     1", unseen.Output, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(tests, "testdata", "cases.txt"), "cases: 2\n");
        var data = Dotnet.Run(tests, cache, ["test"], new Dictionary<string, string> { ["ACB_MODE"] = "other" });
        Assert.True(data.Succeeded, data.ToString());
        var dataRun = Assert.Single(TestRunRepository.TestRuns(data));
        Assert.False(dataRun.IsHit);
        Assert.Contains("input: Core.Tests/testdata/cases.txt", dataRun.Explanation, StringComparison.Ordinal);
    }
}
