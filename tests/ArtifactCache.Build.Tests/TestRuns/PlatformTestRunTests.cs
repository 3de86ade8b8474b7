using ArtifactCache.Build.TestRuns;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.TestRuns;

/// <summary>
/// A Microsoft.Testing.Platform application through the launcher, over a checkout and a local cache in a temp folder.
/// "Running the application" is the test writing what the recorder would have written; "replaying" is recording what
/// the launcher would have published.
/// </summary>
public sealed class PlatformTestRunTests : IDisposable
{
    private static readonly string[] FromDotnetTest = ["--server", "dotnettestcli", "--dotnet-test-pipe", "/tmp/pipe-1"];

    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-ptr-");
    private readonly RecordingLog _log = new();
    private readonly List<IReadOnlyList<string>> _started = [];
    private readonly List<(RecordedTestResults Tests, IReadOnlyList<string> Arguments)> _replayed = [];

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Root => _scratch.FullName;

    private PlatformRunDescription Description()
    {
        var bin = Path.Combine(Root, "repo", "Tests", "bin");
        if (!File.Exists(Path.Combine(bin, "Tests.dll")))
        {
            Directory.CreateDirectory(bin);
            File.WriteAllText(Path.Combine(bin, "Tests.dll"), "tests v1");
        }

        return new PlatformRunDescription
        {
            Command = Path.Combine(bin, "Tests"),
            ProjectPath = Path.Combine(Root, "repo", "Tests", "Tests.csproj"),
            TargetFramework = "net10.0",
            Configuration = "Debug",
            TestAssembly = Path.Combine(bin, "Tests.dll"),
            OutputDirectory = bin,
            Settings = new(StringComparer.OrdinalIgnoreCase) { ["ArtifactCacheLocalDirectory"] = Path.Combine(Root, "cache"), ["ArtifactCacheReportFile"] = Path.Combine(Root, "report.jsonl") },
            ReportFile = Path.Combine(Root, "report.jsonl"),
            RepositoryRoot = Path.Combine(Root, "repo"),
            ScratchDirectory = Path.Combine(Root, "repo", "Tests", "obj", "artifactcache"),
        };
    }

    /// <summary>Runs the launcher's logic; the application "runs" by writing <paramref name="results"/> as the recorder would, and exits with <paramref name="exitCode"/>.</summary>
    private int Launch(IReadOnlyList<string> arguments, string results = "passed\tt1\tOne\t10000\t\nskipped\tt2\tTwo\t0\tlater\n", int exitCode = 0, Action? duringRun = null) =>
        new PlatformTestRun(Description(), _log, _ => null).RunAsync(
            arguments,
            (tests, server) =>
            {
                _replayed.Add((tests, server));
                return Task.FromResult(0);
            },
            (args, record) =>
            {
                _started.Add(args);
                if (record is not null)
                {
                    File.WriteAllText(record, results);
                }

                duringRun?.Invoke();
                return exitCode;
            },
            CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Runs the launcher's logic with a replay that throws; the application exits with 0.</summary>
    private Task<int> LaunchWithBrokenReplay() =>
        new PlatformTestRun(Description(), _log, _ => null).RunAsync(
            FromDotnetTest,
            (_, _) => throw new InvalidOperationException("replay broke"),
            (args, _) =>
            {
                _started.Add(args);
                return 0;
            },
            CancellationToken.None);

    private string[] Report() => File.Exists(Path.Combine(Root, "report.jsonl")) ? File.ReadAllLines(Path.Combine(Root, "report.jsonl")) : [];

    [Fact]
    public void A_passing_run_is_stored_and_then_replayed_test_by_test_to_the_same_dotnet_test_without_starting_the_application()
    {
        Assert.Equal(0, Launch(["--report-trx", .. FromDotnetTest]));
        Assert.Single(_started);
        Assert.Contains("\"stored\":true", Assert.Single(Report()), StringComparison.Ordinal);

        // The next run's pipe has another name: the same key.
        Assert.Equal(0, Launch(["--report-trx", "--server", "dotnettestcli", "--dotnet-test-pipe", "/tmp/pipe-2"]));

        Assert.Single(_started);
        var (tests, server) = Assert.Single(_replayed);
        Assert.Equal(["--server", "dotnettestcli", "--dotnet-test-pipe", "/tmp/pipe-2"], server);
        Assert.Equal([("passed", "t1", "One", 10000L), ("skipped", "t2", "Two", 0L)], tests.Tests.Select(t => (t.Outcome, t.Uid, t.DisplayName, t.DurationTicks)));
        Assert.Equal("later", tests.Tests[1].Explanation);
        Assert.Contains("\"result\":\"hit\"", Report()[1], StringComparison.Ordinal);
        Assert.Contains("\"target\":\"TestingPlatform\"", Report()[1], StringComparison.Ordinal);
    }

    [Fact]
    public void The_arguments_the_application_is_given_are_keyed()
    {
        Launch(["--filter-class", "A", .. FromDotnetTest]);
        Launch(["--filter-class", "B", .. FromDotnetTest]);

        Assert.Equal(2, _started.Count);
        Assert.Empty(_replayed);
        Assert.Contains("argument: arguments", Report()[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("failed\tt1\tOne\t0\tboom\n", 0)]
    [InlineData("passed\tt1\tOne\t0\t\n", 2)]
    [InlineData("", 0)]
    [InlineData("passed\tt1\tOne\tnot-a-number\t\n", 0)]
    public void A_run_that_failed_or_whose_outcome_is_unknown_is_never_stored(string results, int exitCode)
    {
        Assert.Equal(exitCode, Launch(FromDotnetTest, results, exitCode));
        Assert.Equal(exitCode, Launch(FromDotnetTest, results, exitCode));

        Assert.Equal(2, _started.Count);
        Assert.Empty(_replayed);
        Assert.All(Report(), line => Assert.Contains("\"stored\":false", line, StringComparison.Ordinal));
    }

    [Fact]
    public void A_run_that_writes_into_its_output_folder_is_not_stored()
    {
        Launch(FromDotnetTest, duringRun: () => File.WriteAllText(Path.Combine(Description().OutputDirectory, "state.json"), "{}"));

        Assert.Contains("the run changed what it is keyed by", Assert.Single(Report()), StringComparison.Ordinal);
    }

    [Fact]
    public void What_the_platform_writes_into_its_default_results_folder_inside_the_output_folder_is_not_keyed()
    {
        Launch(FromDotnetTest, duringRun: () =>
        {
            Directory.CreateDirectory(Path.Combine(Description().OutputDirectory, "TestResults"));
            File.WriteAllText(Path.Combine(Description().OutputDirectory, "TestResults", "run.trx"), "<TestRun />");
        });
        File.Delete(Path.Combine(Description().OutputDirectory, "TestResults", "run.trx"));

        Launch(FromDotnetTest);

        Assert.Single(_replayed);
        // The stored run's result file is given back where the platform would have written it.
        Assert.True(File.Exists(Path.Combine(Description().OutputDirectory, "TestResults", "run.trx")));
    }

    [Theory]
    [InlineData("--list-tests")]
    [InlineData("--help")]
    [InlineData("--diagnostic")]
    public void Runs_that_are_not_test_runs_are_passed_through_and_say_why(string option)
    {
        Launch([option, .. FromDotnetTest]);
        Launch([option, .. FromDotnetTest]);

        Assert.Equal(2, _started.Count);
        Assert.Contains($"not cacheable: the run was started with {option}", Report()[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Started_by_anything_but_dotnet_test_the_application_runs_with_its_arguments_untouched()
    {
        Assert.Equal(3, Launch(["--filter-class", "A"], exitCode: 3));

        Assert.Equal(["--filter-class", "A"], Assert.Single(_started));
        Assert.Empty(Report());
    }

    [Fact]
    public async Task An_unusable_local_cache_folder_runs_the_application_once_as_without_the_package()
    {
        // A local cache folder that is a file: the store cannot be used at all.
        File.WriteAllText(Path.Combine(Root, "cache"), "not a folder");
        var exitCode = await LaunchWithBrokenReplay();

        Assert.Equal(0, exitCode);
        Assert.Single(_started);
    }

    [Fact]
    public async Task A_replay_that_fails_to_start_runs_the_application_instead()
    {
        Launch(FromDotnetTest);
        var exitCode = await LaunchWithBrokenReplay();

        Assert.Equal(0, exitCode);
        Assert.Equal(2, _started.Count);
        Assert.Contains(_log.Entries, e => e.Code == "ACB5001" && e.Message.Contains("replay broke", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fault_after_the_application_ran_keeps_its_exit_code_and_does_not_run_it_again()
    {
        // The miss's report line is written after the application ran: a log that fails there is a fault at that point.
        var log = new FailingInfoLog();
        var exitCode = await new PlatformTestRun(Description(), log, _ => null).RunAsync(
            FromDotnetTest,
            (_, _) => Task.FromResult(0),
            (args, _) =>
            {
                _started.Add(args);
                return 7;
            },
            CancellationToken.None);

        Assert.Equal(7, exitCode);
        Assert.Single(_started);
        Assert.Equal(["ACB5001"], log.Warnings);
    }

    private sealed class FailingInfoLog : ArtifactCache.Build.Diagnostics.ICacheLog
    {
        public List<string> Warnings { get; } = [];

        public void Warning(string code, string message) => Warnings.Add(code);

        public void Info(string message) => throw new IOException("the log is gone");

        public void Detail(string message)
        {
        }
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("two words", "\"two words\"")]
    [InlineData("", "\"\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData(@"C:\dir with space\", "\"C:\\dir with space\\\\\"")]
    public void Arguments_are_quoted_as_the_runtime_splits_a_command_line(string argument, string quoted) =>
        Assert.Equal(quoted, PlatformTestRun.Quote(argument));
}
