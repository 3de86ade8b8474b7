using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.TestRuns;

namespace ArtifactCache.Build.Tests.TestRuns;

/// <summary>What a test run's key sees, and what it does not.</summary>
public sealed class TestRunKeyTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-trk-");
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Root => _scratch.FullName;

    private string Bin => Path.Combine(Root, "repo", "Tests", "bin", "Debug", "net10.0");

    private TestRunRequest Request() => new()
    {
        TestAssembly = Path.Combine(Bin, "Tests.dll"),
        OutputDirectory = Bin,
        ResultsDirectory = Path.Combine(Root, "repo", "Tests", "TestResults"),
        RunSettingsFile = Path.Combine(Root, "repo", "test.runsettings"),
        Arguments = [new("VSTestTestCaseFilter", "Category=Fast"), new("VSTestLogger", "")],
        EnvironmentNames = ["DATABASE_URL"],
        Inputs = [Path.Combine(Root, "repo", "TestData")],
        RepositoryRoot = Path.Combine(Root, "repo"),
        DotnetRoot = Path.Combine(Root, "dotnet"),
    };

    private string Key(TestRunRequest? request = null) => TestRunKey.Build(request ?? Request(), new FileHasher(), name => _environment.GetValueOrDefault(name)).Value;

    private static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public TestRunKeyTests()
    {
        Write(Path.Combine(Bin, "Tests.dll"), "tests v1");
        Write(Path.Combine(Bin, "Library.dll"), "library v1");
        Write(Path.Combine(Bin, "Tests.deps.json"), "{}");
        Write(Path.Combine(Bin, "Tests.runtimeconfig.json"), """{ "runtimeOptions": { "tfm": "net10.0", "framework": { "name": "Microsoft.NETCore.App", "version": "10.0.0" } } }""");
        Write(Path.Combine(Bin, "data", "cases.json"), "[1]");
        Write(Path.Combine(Root, "repo", "test.runsettings"), "<RunSettings />");
        Write(Path.Combine(Root, "repo", "TestData", "a.txt"), "a");
        Directory.CreateDirectory(Path.Combine(Root, "dotnet", "shared", "Microsoft.NETCore.App", "10.0.1"));
    }

    [Fact]
    public void The_same_run_has_the_same_key_and_its_inputs_are_named_without_the_checkout_path()
    {
        var key = TestRunKey.Build(Request(), new FileHasher(), name => null);

        Assert.Equal(key.Value, TestRunKey.Build(Request(), new FileHasher(), name => null).Value);
        Assert.Contains(key.Inputs, i => i.Name == "output: Library.dll");
        Assert.Contains(key.Inputs, i => i.Name == "output: data/cases.json");
        Assert.Contains(key.Inputs, i => i.Name == "input: TestData/a.txt");
        Assert.Contains(key.Inputs, i => i.Name == "runtime: Microsoft.NETCore.App" && i.Hash == "10.0.1");
        Assert.DoesNotContain(key.Inputs, i => i.Name.Contains(Root, StringComparison.Ordinal));
        // An empty argument is no argument: passing --logger "" and not passing it are one run.
        Assert.DoesNotContain(key.Inputs, i => i.Name == "argument: VSTestLogger");
    }

    public static TheoryData<string> Changes => new()
    {
        "a copied library's bytes", "a content file in the output folder", "a new file in the output folder", "the run settings file",
        "the test filter", "a listed environment variable", "a listed environment variable set where it was unset",
        "a file in a listed input folder", "a runtime installed beside the one in use", "DOTNET_ROLL_FORWARD", "an adapter in the test adapter path",
        "an adapter in a folder the run settings name",
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Each_thing_a_run_depends_on_changes_the_key(string change)
    {
        _environment["DATABASE_URL"] = "db-1";
        var before = Key();
        var request = Request();
        switch (change)
        {
            case "a copied library's bytes": File.WriteAllText(Path.Combine(Bin, "Library.dll"), "library v2"); break;
            case "a content file in the output folder": File.WriteAllText(Path.Combine(Bin, "data", "cases.json"), "[2]"); break;
            case "a new file in the output folder": File.WriteAllText(Path.Combine(Bin, "Extra.dll"), "x"); break;
            case "the run settings file": File.WriteAllText(request.RunSettingsFile!, "<RunSettings><RunConfiguration /></RunSettings>"); break;
            case "the test filter": request = request with { Arguments = [new("VSTestTestCaseFilter", "Category=Slow")] }; break;
            case "a listed environment variable": _environment["DATABASE_URL"] = "db-2"; break;
            case "a listed environment variable set where it was unset": _environment.Remove("DATABASE_URL"); break;
            case "a file in a listed input folder": File.WriteAllText(Path.Combine(Root, "repo", "TestData", "b.txt"), "b"); break;
            case "a runtime installed beside the one in use": Directory.CreateDirectory(Path.Combine(Root, "dotnet", "shared", "Microsoft.NETCore.App", "10.0.2")); break;
            case "DOTNET_ROLL_FORWARD": _environment["DOTNET_ROLL_FORWARD"] = "LatestMajor"; break;
            case "an adapter in the test adapter path":
                request = request with { Arguments = [.. request.Arguments, new("VSTestTestAdapterPath", Path.Combine(Root, "adapters"))] };
                Write(Path.Combine(Root, "adapters", "My.TestAdapter.dll"), "adapter v1");
                before = Key(request);
                File.WriteAllText(Path.Combine(Root, "adapters", "My.TestAdapter.dll"), "adapter v2");
                break;
            case "an adapter in a folder the run settings name":
                request = request with { RunSettingsAdapterFolders = [Path.Combine(Root, "settings-adapters")] };
                Write(Path.Combine(Root, "settings-adapters", "My.TestAdapter.dll"), "adapter v1");
                before = Key(request);
                File.WriteAllText(Path.Combine(Root, "settings-adapters", "My.TestAdapter.dll"), "adapter v2");
                break;
            default: throw new ArgumentOutOfRangeException(nameof(change));
        }

        Assert.NotEqual(before, Key(request));
    }

    [Fact]
    public void What_the_run_does_not_load_does_not_change_the_key()
    {
        var before = Key();
        _environment["SOME_OTHER_VARIABLE"] = "x";
        Write(Path.Combine(Root, "repo", "Tests", "UnitTest1.cs"), "// a source file: its effect is in Tests.dll");
        Write(Path.Combine(Root, "repo", "Tests", "TestResults", "old.trx"), "<TestRun />");
        Write(Path.Combine(Root, "repo", "Tests", "obj", "Debug", "net10.0", "Tests.dll"), "intermediate");

        Assert.Equal(before, Key());
    }

    [Theory]
    [InlineData("CoverletSourceRootsMapping_Tests")]
    [InlineData(".msCoverageSourceRootsMapping_Tests")]
    [InlineData(".msCoverageExtensionSourceRootsMapping_Tests")]
    public void A_coverage_source_root_map_holding_the_checkout_path_is_keyed_only_when_a_data_collector_reads_it(string map)
    {
        Write(Path.Combine(Bin, map), "/work/checkout-1/");
        var without = Key();
        var with = Key(Request() with { CollectsData = true });
        File.WriteAllText(Path.Combine(Bin, map), "/work/checkout-2/");

        Assert.Equal(without, Key());
        Assert.NotEqual(with, Key(Request() with { CollectsData = true }));
    }

    [Fact]
    public void A_listed_input_that_does_not_exist_is_keyed_as_missing()
    {
        var key = TestRunKey.Build(Request() with { Inputs = [Path.Combine(Root, "repo", "nothing.json")] }, new FileHasher(), _ => null);

        Assert.Contains(key.Inputs, i => i.Name == "input: nothing.json" && i.Hash == CompilationKeyBuilder.MissingFile);
    }
}
