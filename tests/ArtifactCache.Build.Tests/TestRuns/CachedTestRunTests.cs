using System.Text.RegularExpressions;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Local;
using ArtifactCache.Build.Reporting;
using ArtifactCache.Build.TestRuns;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.TestRuns;

/// <summary>
/// The two steps around a test run, over checkouts and a local cache in a temp folder. "Running the tests" is the test
/// writing the TRX files a VSTest run writes: the package's own (when the user asked for none) or the user's.
/// </summary>
public sealed class CachedTestRunTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-ctr-");
    private readonly RecordingLog _log = new();
    private readonly string _cache;

    public CachedTestRunTests()
    {
        _cache = Path.Combine(_scratch.FullName, "cache");
    }

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Checkout(string name, string library = "library v1")
    {
        var bin = Path.Combine(_scratch.FullName, name, "Tests", "bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "Tests.dll"), "tests");
        File.WriteAllText(Path.Combine(bin, "Library.dll"), library);
        return Path.Combine(_scratch.FullName, name);
    }

    private static TestRunRequest Request(string checkout) => new()
    {
        TestAssembly = Path.Combine(checkout, "Tests", "bin", "Tests.dll"),
        OutputDirectory = Path.Combine(checkout, "Tests", "bin"),
        ResultsDirectory = Path.Combine(checkout, "Tests", "TestResults"),
        DisplayName = "Tests",
    };

    private CachedTestRun Cache(double verify = 0)
    {
        var settings = new CacheSettings { LocalDirectory = _cache, VerifyFraction = verify };
        return new CachedTestRun(new ArtifactStore(settings, new LocalCache(_cache, CacheSettings.DefaultLocalMaxBytes, _log), null), settings, _log, new FileHasher(), environment: _ => null, sample: () => 0);
    }

    private string Scratch(string checkout) => Path.Combine(checkout, "Tests", "obj", "artifactcache");

    // What `dotnet test` does on a miss: the run writes its TRX (the package's, or the user's in the results folder) and attachments.
    private (TestRunLookup Lookup, CompilationOutcome? Outcome) Test(string checkout, bool userTrx = false, int failed = 0, double verify = 0, Action? duringRun = null)
    {
        var cache = Cache(verify);
        var request = Request(checkout);
        var lookup = cache.Lookup(request, userTrx, Scratch(checkout), CancellationToken.None);
        if (lookup.State is TestRunState.Miss or TestRunState.Verify)
        {
            var trx = userTrx ? Path.Combine(request.ResultsDirectory, "user_vm_2026.trx") : lookup.OwnTrx!;
            Trx.Write(trx, request.TestAssembly, passed: 3, failed: failed, skipped: 1, deploymentRoot: "_vm_run");
            var attachment = Path.Combine(request.ResultsDirectory, "_vm_run", "In", "vm", "coverage.cobertura.xml");
            Directory.CreateDirectory(Path.GetDirectoryName(attachment)!);
            File.WriteAllText(attachment, "<coverage />");
            duringRun?.Invoke();
            return (lookup, failed == 0 ? cache.AfterRun(request, lookup, CancellationToken.None) : null);
        }

        return (lookup, lookup.Outcome);
    }

    [Fact]
    public void A_passing_run_is_stored_and_another_checkout_replays_it_with_its_result_files_and_counts()
    {
        var a = Checkout("a");
        var (first, stored) = Test(a, userTrx: true);
        Assert.Equal(TestRunState.Miss, first.State);
        Assert.Null(first.OwnLogger);
        Assert.True(stored!.Stored, stored.Reason);
        Assert.Equal(2, stored.Files);

        var b = Checkout("b");
        var (replay, outcome) = Test(b, userTrx: true);

        Assert.Equal(TestRunState.Replayed, replay.State);
        Assert.Equal("hit", outcome!.Result);
        Assert.Equal(2, outcome.Files);
        Assert.Equal((4, 3, 0, 1), (replay.Replayed!.Total, replay.Replayed.Passed, replay.Replayed.Failed, replay.Replayed.Skipped));
        var results = Request(b).ResultsDirectory;
        Assert.Equal(Trx.Text(Request(a).TestAssembly, passed: 3, skipped: 1, deploymentRoot: "_vm_run"), File.ReadAllText(Path.Combine(results, "user_vm_2026.trx")));
        Assert.Equal("<coverage />", File.ReadAllText(Path.Combine(results, "_vm_run", "In", "vm", "coverage.cobertura.xml")));
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void A_result_file_that_cannot_be_replaced_runs_the_tests_with_one_warning_and_keeps_the_entry()
    {
        Assert.True(Test(Checkout("a"), userTrx: true).Outcome!.Stored);
        var b = Checkout("b");
        var attachment = Path.Combine(Request(b).ResultsDirectory, "_vm_run", "In", "vm", "coverage.cobertura.xml");
        // Something the build cannot replace where the file goes (on Windows, a file another process holds open).
        Directory.CreateDirectory(attachment);

        var lookup = Cache().Lookup(Request(b), userTrx: true, Scratch(b), CancellationToken.None);

        Assert.Equal(TestRunState.Miss, lookup.State);
        Assert.Equal([DiagnosticCodes.OutputInUse], _log.WarningCodes);
        Directory.Delete(attachment);
        Assert.Equal(TestRunState.Replayed, Cache().Lookup(Request(b), userTrx: true, Scratch(b), CancellationToken.None).State);
    }

    [Fact]
    public void Without_a_TRX_logger_of_the_users_the_package_adds_its_own_outside_the_results_folder_and_replays_only_what_the_run_wrote_there()
    {
        var a = Checkout("a");
        var (first, stored) = Test(a);
        Assert.StartsWith("trx;LogFileName=" + Scratch(a), first.OwnLogger, StringComparison.Ordinal);
        Assert.True(stored!.Stored, stored.Reason);
        Assert.False(File.Exists(first.OwnTrx), "the package's own TRX is scratch, deleted after the run");

        var b = Checkout("b");
        var (replay, _) = Test(b);
        Assert.Equal(TestRunState.Replayed, replay.State);
        Assert.Equal(["_vm_run/In/vm/coverage.cobertura.xml"], Directory.EnumerateFiles(Request(b).ResultsDirectory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Request(b).ResultsDirectory, f).Replace('\\', '/')));
    }

    [Fact]
    public void A_run_with_a_failed_test_is_never_stored_so_the_next_run_runs_again()
    {
        var a = Checkout("a");
        var cache = Cache();
        var request = Request(a);
        var lookup = cache.Lookup(request, userTrx: false, Scratch(a), CancellationToken.None);
        // The exit code said success (a run that lost its failure), but the TRX says a test failed: not a pass.
        Trx.Write(lookup.OwnTrx!, request.TestAssembly, passed: 1, failed: 1);
        var outcome = cache.AfterRun(request, lookup, CancellationToken.None);

        Assert.False(outcome!.Stored);
        Assert.Equal("the run did not pass (outcome Failed, 1 not passed)", outcome.Reason);
        Assert.Equal(TestRunState.Miss, Test(Checkout("b")).Lookup.State);
    }

    [Fact]
    public void A_run_that_wrote_no_TRX_is_not_stored()
    {
        var a = Checkout("a");
        var cache = Cache();
        var lookup = cache.Lookup(Request(a), userTrx: true, Scratch(a), CancellationToken.None);
        var outcome = cache.AfterRun(Request(a), lookup, CancellationToken.None);

        Assert.False(outcome!.Stored);
        Assert.Equal($"the run's outcome is unknown (no TRX of Tests.dll was written in {Request(a).ResultsDirectory})", outcome.Reason);
    }

    [Fact]
    public void A_run_whose_TRX_holds_no_test_results_is_not_stored_and_says_so_once()
    {
        // A run that found no test writes a TRX without UnitTest entries: nothing in it names the test assembly.
        var a = Checkout("a");
        var cache = Cache();
        var request = Request(a);
        var lookup = cache.Lookup(request, userTrx: true, Scratch(a), CancellationToken.None);
        var empty = Regex.Replace(Trx.Text(request.TestAssembly, passed: 0), "<TestDefinitions>.*</TestDefinitions>", "", RegexOptions.Singleline);
        Directory.CreateDirectory(request.ResultsDirectory);
        File.WriteAllText(Path.Combine(request.ResultsDirectory, "empty.trx"), empty);
        var outcome = cache.AfterRun(request, lookup, CancellationToken.None);

        Assert.False(outcome!.Stored);
        Assert.Equal("the run's outcome is unknown (the TRX empty.trx holds no test results)", outcome.Reason);
        var line = CompilationReport.SummaryLine(new ProjectIdentity("Tests.csproj", null, null), outcome, CompilationReport.TestRunTarget);
        Assert.Contains("; not stored: the run's outcome is unknown (the TRX empty.trx holds no test results) (", line, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(line, "not stored"));
    }

    [Fact]
    public void A_run_whose_TRX_cannot_be_read_says_so()
    {
        var a = Checkout("a");
        var cache = Cache();
        var request = Request(a);
        var lookup = cache.Lookup(request, userTrx: true, Scratch(a), CancellationToken.None);
        Directory.CreateDirectory(request.ResultsDirectory);
        File.WriteAllText(Path.Combine(request.ResultsDirectory, "cut.trx"), "<TestRun");
        var outcome = cache.AfterRun(request, lookup, CancellationToken.None);

        Assert.False(outcome!.Stored);
        Assert.StartsWith("the run's outcome is unknown (the TRX cut.trx could not be read (not well-formed XML: ", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_that_changes_what_it_loads_is_not_stored()
    {
        var a = Checkout("a");
        var (_, outcome) = Test(a, duringRun: () => File.WriteAllText(Path.Combine(a, "Tests", "bin", "written-by-a-test.txt"), "x"));

        Assert.False(outcome!.Stored);
        Assert.Contains("output: written-by-a-test.txt", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_same_length_edit_during_the_run_that_put_the_time_stamp_back_is_not_stored()
    {
        var a = Checkout("a");
        var library = Path.Combine(a, "Tests", "bin", "Library.dll");
        var stamp = File.GetLastWriteTimeUtc(library);
        var (_, outcome) = Test(a, duringRun: () =>
        {
            File.WriteAllText(library, "library v2");
            File.SetLastWriteTimeUtc(library, stamp);
        });

        Assert.False(outcome!.Stored);
        Assert.Contains("Library.dll", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_library_misses_and_says_which_file_changed()
    {
        Test(Checkout("a"));
        var (lookup, outcome) = Test(Checkout("b", library: "library v2"));

        Assert.Equal(TestRunState.Miss, lookup.State);
        Assert.True(outcome!.Stored);
    }

    [Fact]
    public void Verify_mode_runs_the_tests_of_a_hit_and_reports_it_verified_without_restoring()
    {
        Test(Checkout("a"), userTrx: true);
        var b = Checkout("b");
        var (lookup, outcome) = Test(b, userTrx: true, verify: 1);

        Assert.Equal(TestRunState.Verify, lookup.State);
        Assert.Equal("hit", outcome!.Result);
        Assert.True(outcome.Verified);
    }

    [Fact]
    public void A_listed_input_that_does_not_exist_is_a_coded_warning_and_the_tests_run_uncached()
    {
        var a = Checkout("a");
        var request = Request(a) with { Inputs = [Path.Combine(a, "testdata-missing")], RepositoryRoot = a, DisplayName = "Tests (net10.0) tests" };

        var lookup = Cache().Lookup(request, userTrx: false, Scratch(a), CancellationToken.None);

        Assert.Equal(TestRunState.Off, lookup.State);
        Assert.Contains("testdata-missing does not exist", lookup.Outcome!.Reason, StringComparison.Ordinal);
        Assert.Equal([DiagnosticCodes.TestInputMissing], _log.WarningCodes);
        Assert.Contains("ArtifactCacheTestInput names testdata-missing", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_entry_is_one_warning_and_the_tests_run()
    {
        var (first, _) = Test(Checkout("a"), userTrx: true);
        var entry = new LocalCache(_cache, CacheSettings.DefaultLocalMaxBytes, _log).TryGet(first.Key!)!;
        var bytes = File.ReadAllBytes(entry);
        Array.Fill(bytes, (byte)0x5A, bytes.Length / 2, bytes.Length / 4);
        File.WriteAllBytes(entry, bytes);

        var b = Checkout("b");
        var (lookup, outcome) = Test(b, userTrx: true);

        Assert.Equal(TestRunState.Miss, lookup.State);
        Assert.Single(_log.WarningCodes);
        // Nothing of the broken entry reached the results folder except what this run wrote, and the run is stored again.
        Assert.True(outcome!.Stored, outcome.Reason);
        Assert.Equal(TestRunState.Replayed, Test(Checkout("c"), userTrx: true).Lookup.State);
    }

    [Theory]
    [InlineData("results/../../escape.trx")]
    [InlineData("results/sub/../../../escape.trx")]
    [InlineData("project/Tests.dll")]
    [InlineData("results")]
    public void An_entry_outside_the_results_folder_has_no_destination(string name) =>
        Assert.Null(CachedTestRun.Destination(name, Path.Combine(_scratch.FullName, "TestResults")));

    [Fact]
    public void An_artifact_stored_under_the_key_for_another_key_never_reaches_the_results_folder()
    {
        var a = Checkout("a");
        var (first, _) = Test(a, userTrx: true);
        var b = Checkout("b", library: "library v2");
        var otherKey = TestRunKey.Build(Request(b), new FileHasher(), _ => null).Value;
        // Put a's artifact where b's key points.
        var local = new LocalCache(_cache, CacheSettings.DefaultLocalMaxBytes, _log);
        var fetched = local.TryGet(first.Key!)!;
        File.Copy(fetched, Path.Combine(_scratch.FullName, "copy.artifact"));
        local.TryPut(otherKey, Path.Combine(_scratch.FullName, "copy.artifact"));

        var (lookup, _) = Test(b, userTrx: true);

        Assert.Equal(TestRunState.Miss, lookup.State);
        Assert.Equal(1, _log.Count(DiagnosticCodes.ArchiveManifestMismatch));
    }
}
