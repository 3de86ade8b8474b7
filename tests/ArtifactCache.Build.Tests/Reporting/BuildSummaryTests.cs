using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Reporting;

namespace ArtifactCache.Build.Tests.Reporting;

public sealed class BuildSummaryTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "acb-summary-" + Guid.NewGuid().ToString("N"));

    public BuildSummaryTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Counts_each_kind_of_outcome_and_sums_the_time_hits_saved()
    {
        var lines = new[]
        {
            Line("Core", new CompilationOutcome { Succeeded = true, Result = "hit", Source = CacheSource.Local, Key = "k1", SavedMs = 1200, Duration = TimeSpan.FromMilliseconds(30) }),
            Line("Lib", new CompilationOutcome { Succeeded = true, Result = "hit", Source = CacheSource.Remote, Key = "k2", SavedMs = 800, Duration = TimeSpan.FromMilliseconds(90) }),
            Line("App", new CompilationOutcome { Succeeded = true, Result = "miss", Key = "k3", Stored = true, Changes = [new InputChange("src/App.cs", "content")] }),
            Line("Web", new CompilationOutcome { Succeeded = false, Result = "miss", Key = "k4", Reason = "the compilation failed", Changes = null }),
            Line("Gen", new CompilationOutcome { Succeeded = true, Result = "miss", Reason = "/errorlog is not cached" }),
            "not json at all",
            "{\"unrelated\":true}",
        };

        var summary = BuildSummary.FromReportLines(lines, ["ACB2002"]);

        Assert.Equal((1, 1, 1, 1, 1), (summary.HitsLocal, summary.HitsRemote, summary.MissesStored, summary.MissesNotStored, summary.Skipped));
        Assert.Equal(5, summary.Compilations);
        Assert.Equal(TimeSpan.FromMilliseconds(2000), summary.Saved);
        Assert.Equal(["App.csproj", "Web.csproj", "Gen.csproj"], summary.Misses.Select(m => Path.GetFileName(m.Project)));
        Assert.Contains("src/App.cs", summary.Misses[0].Why, StringComparison.Ordinal);
        Assert.Contains("not stored: the compilation failed", summary.Misses[1].Why, StringComparison.Ordinal);
        Assert.Equal("skipped: /errorlog is not cached", summary.Misses[2].Why);
        Assert.Equal(
            "ArtifactCache: 5 compilations: 1 local hit, 1 remote hit, 1 miss stored, 1 not stored, 1 skipped, warnings ACB2002; compile time saved 2.0 s",
            summary.ToLine());
    }

    [Fact]
    public void Markdown_has_the_counts_row_and_one_row_per_miss_with_table_breaking_characters_escaped()
    {
        var lines = new[]
        {
            Line("Core", new CompilationOutcome { Succeeded = true, Result = "hit", Source = CacheSource.Local, Key = "k1", SavedMs = 65_000 }),
            Line("Pipe", new CompilationOutcome { Succeeded = true, Result = "miss", Key = "k2", Reason = "a|b\nc" }),
        };

        var markdown = BuildSummary.FromReportLines(lines).ToMarkdown();

        Assert.Contains("| 1 | 0 | 0 | 1 | 0 | 0 | 0 | none | 1 min 5 s |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Pipe.csproj | no earlier build of this project is recorded on this machine; not stored: a\\|b c |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_summary_section_is_replaced_in_place_and_other_content_is_kept()
    {
        var file = Path.Combine(_folder, "step_summary.md");
        File.WriteAllText(file, "# Tests\nall green\n");
        var gate = Path.Combine(_folder, "lock");

        StepSummary.Write(file, "build-1", "first", gate);
        File.AppendAllText(file, "written by another step tool\n");
        StepSummary.Write(file, "build-1", "second", gate);
        StepSummary.Write(file, "build-2", "other build", gate);

        Assert.Equal(
            "# Tests\nall green\n" +
            "<!-- artifactcache:build-1 -->\nsecond\n<!-- /artifactcache:build-1 -->\n" +
            "written by another step tool\n" +
            "<!-- artifactcache:build-2 -->\nother build\n<!-- /artifactcache:build-2 -->\n",
            File.ReadAllText(file));
    }

    [Fact]
    public void A_warning_is_claimed_once_per_build_by_whichever_node_comes_first()
    {
        var root = Path.Combine(_folder, "sessions");
        var nodeA = BuildSession.OpenNamed(root, "1234-5678");
        var nodeB = BuildSession.OpenNamed(root, "1234-5678");
        var nextBuild = BuildSession.OpenNamed(root, "9999-5678");

        var claims = Enumerable.Range(0, 8).AsParallel().Select(i => (i % 2 == 0 ? nodeA : nodeB).TryClaimWarning("ACB2002")).ToList();

        Assert.Equal(1, claims.Count(c => c));
        Assert.True(nextBuild.TryClaimWarning("ACB2002"));
        Assert.Equal(["ACB2002"], nodeB.WarnedCodes());
    }

    [Fact]
    public void Outcomes_recorded_by_any_node_are_read_back_in_order()
    {
        var root = Path.Combine(_folder, "sessions");
        var nodeA = BuildSession.OpenNamed(root, "b");
        var nodeB = BuildSession.OpenNamed(root, "b");

        nodeA.Record("{\"project\":\"A\",\"result\":\"hit\"}");
        nodeB.Record("{\"project\":\"B\",\"result\":\"miss\"}");

        Assert.Equal(["{\"project\":\"A\",\"result\":\"hit\"}", "{\"project\":\"B\",\"result\":\"miss\"}"], nodeA.Outcomes());
    }

    [Fact]
    public void Stale_sessions_are_deleted_and_recent_ones_kept()
    {
        var root = Path.Combine(_folder, "sessions");
        var old = BuildSession.OpenNamed(root, "old");
        var recent = BuildSession.OpenNamed(root, "recent");
        Directory.SetLastWriteTimeUtc(old.Directory, DateTime.UtcNow.AddDays(-3));

        BuildSession.DeleteStale(root, TimeSpan.FromDays(1));

        Assert.False(Directory.Exists(old.Directory));
        Assert.True(Directory.Exists(recent.Directory));
    }

    [Fact]
    public void The_MSBuild_server_runs_many_builds_in_one_process_so_its_nodes_keep_sessions_of_their_own()
    {
        var session = BuildSession.Open(Path.Combine(_folder, "sessions"), name => name == "DOTNET_CLI_USE_MSBUILD_SERVER" ? "1" : null);

        Assert.False(session.IsShared);
        Assert.StartsWith("node-", session.Id, StringComparison.Ordinal);
    }

    [Fact]
    public void Verified_hits_and_hits_that_differed_are_counted_and_reported()
    {
        var summary = BuildSummary.FromReportLines(
        [
            Line("Core", new CompilationOutcome { Succeeded = true, Result = "hit", Source = CacheSource.Local, Key = "k1", Verified = true }),
            Line("Lib", new CompilationOutcome { Succeeded = true, Result = "hit", Source = CacheSource.Local, Key = "k2", Verified = false }),
            Line("App", new CompilationOutcome { Succeeded = true, Result = "hit", Source = CacheSource.Local, Key = "k3" }),
        ]);

        Assert.Equal(1, summary.Verified);
        Assert.Equal(1, summary.VerifyDifferences);
        Assert.EndsWith("; verified 1 hit, 1 differs", summary.ToLine(), StringComparison.Ordinal);
        Assert.Contains("| 3 | 0 | 0 | 0 | 0 | 1 | 1 | none |", summary.ToMarkdown(), StringComparison.Ordinal);
        Assert.Contains("\"verified\":true", Line("Core", new CompilationOutcome { Succeeded = true, Result = "hit", Key = "k", Verified = true }), StringComparison.Ordinal);
        Assert.Contains("\"verified\":null", Line("Core", new CompilationOutcome { Succeeded = true, Result = "hit", Key = "k" }), StringComparison.Ordinal);
    }

    [Fact]
    public void Test_runs_are_counted_apart_from_compilations_with_the_test_time_their_replays_saved()
    {
        var lines = new[]
        {
            Line("Core", new CompilationOutcome { Succeeded = true, Result = "hit", Source = CacheSource.Local, Key = "c", SavedMs = 500 }),
            Line("Core.Tests", new CompilationOutcome { Succeeded = true, Result = "hit", Source = CacheSource.Remote, Key = "t1", SavedMs = 4000 }, CompilationReport.TestRunTarget),
            Line("Domain.Tests", new CompilationOutcome { Succeeded = true, Result = "miss", Key = "t2", Stored = true, Changes = [new InputChange("output: Domain.dll", "content")] }, CompilationReport.TestRunTarget),
            // Verify mode ran this one's tests: it saved nothing.
            Line("App.Tests", new CompilationOutcome { Succeeded = true, Result = "hit", Key = "t3", SavedMs = 9000, Verified = true }, CompilationReport.TestRunTarget),
        };

        var summary = BuildSummary.FromReportLines(lines);

        Assert.Equal(1, summary.Compilations);
        Assert.Equal(TimeSpan.FromMilliseconds(500), summary.Saved);
        Assert.Equal((1, 2), (summary.TestRunsReplayed, summary.TestRunsRun));
        Assert.Equal(TimeSpan.FromSeconds(4), summary.TestTimeSaved);
        Assert.Equal(1, summary.Verified);
        Assert.EndsWith("; verified 1 hit, 0 differ; test runs: 1 replayed, 2 run, test time saved 4.0 s", summary.ToLine(), StringComparison.Ordinal);
        Assert.Contains("| 1 | 2 | 4.0 s |", summary.ToMarkdown(), StringComparison.Ordinal);
        Assert.Equal(["Domain.Tests.csproj"], summary.Misses.Select(m => Path.GetFileName(m.Project)));
        Assert.StartsWith("tests ran: 1 input changed since the last build: output: Domain.dll", summary.Misses[0].Why, StringComparison.Ordinal);
    }

    private static string Line(string name, CompilationOutcome outcome, string target = CompilationReport.Target) =>
        CompilationReport.JsonLine(new ProjectIdentity($"/repo/{name}/{name}.csproj", "net10.0", "Debug"), outcome, DateTimeOffset.UnixEpoch, target);
}
