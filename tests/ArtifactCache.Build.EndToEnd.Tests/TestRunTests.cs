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
        Assert.DoesNotContain("ACB5008", run.Output, StringComparison.Ordinal);

        // What `dotnet test` in Microsoft.Testing.Platform mode builds (the SDK's _MTPBuild, then the CLI starts the test
        // application itself): App.Specs (xunit.v3) is such an application, and is told that its tests run uncached.
        var platformMode = Dotnet.Run(clone, _repository.Workspace.PathOf("cache-b"), ["msbuild", "App.Specs/App.Specs.csproj", "-t:_MTPBuild"]);
        Assert.True(platformMode.Succeeded, platformMode.ToString());
        Assert.Contains("warning ACB5008: ArtifactCache: the tests of App.Specs (net10.0) run uncached", platformMode.Output, StringComparison.Ordinal);
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
