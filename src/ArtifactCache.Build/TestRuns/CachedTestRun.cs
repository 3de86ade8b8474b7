using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.TestRuns;

/// <summary>What the step before a test run decided, kept for the step after it.</summary>
public enum TestRunState
{
    /// <summary>The cache is not used for this run (switched off, not cacheable, a fault): the tests run as without the package.</summary>
    Off,

    /// <summary>A passing run with this key is in the cache: its result files are restored and the tests do not run.</summary>
    Replayed,

    /// <summary>No entry: the tests run, and a passing run is stored after them.</summary>
    Miss,

    /// <summary>Verify mode: an entry exists, but the tests run anyway and the outcome is compared.</summary>
    Verify,
}

/// <summary>The decision before the run, and what the step after it needs.</summary>
public sealed record TestRunLookup
{
    public required TestRunState State { get; init; }

    public string? Key { get; init; }

    public IReadOnlyList<KeyInput> Inputs { get; init; } = [];

    public IReadOnlyList<InputChange>? Changes { get; init; }

    /// <summary>The results folder before the run, to find the files the run writes.</summary>
    public ResultFolder? Before { get; init; }

    /// <summary>A TRX logger the package adds to a run that has none (VSTest keeps one TRX logger, so never beside the user's): its file.</summary>
    public string? OwnTrx { get; init; }

    /// <summary>The logger argument for <see cref="OwnTrx"/>, for the VSTest task's logger list; null when the user's TRX is read.</summary>
    public string? OwnLogger { get; init; }

    public DateTime StartedUtc { get; init; }

    /// <summary>The outcome to report now (a replay, or not cacheable); null when the step after the run reports.</summary>
    public CompilationOutcome? Outcome { get; init; }

    /// <summary>The replayed run, for the line the user sees in place of the test run's own.</summary>
    public TestRunSummary? Replayed { get; init; }

    /// <summary>A replayed Microsoft.Testing.Platform run's tests, to publish again one by one; null for a VSTest run.</summary>
    public RecordedTestResults? ReplayedTests { get; init; }

    public CacheSource? Source { get; init; }

    public long? SavedMs { get; init; }
}

/// <summary>The counts of a stored run and when it ran: what a replay shows.</summary>
public sealed record TestRunSummary(int Total, int Passed, int Failed, int Skipped, long DurationMs, DateTimeOffset RanAt)
{
    /// <summary>The artifact entry that holds it (not restored to disk, read).</summary>
    public const string EntryName = "run/summary.json";

    /// <summary>As VSTest's console logger writes a run's result line, so a replayed project reads like one that ran.</summary>
    public string ResultLine(string testAssembly, string? targetFramework) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{(Failed == 0 ? "Passed!" : "Failed!")}  - Failed: {Failed,5}, Passed: {Passed,5}, Skipped: {Skipped,5}, Total: {Total,5} - {Path.GetFileName(testAssembly)}{(string.IsNullOrEmpty(targetFramework) ? "" : $" ({targetFramework})")}");

    public static TestRunSummary? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<TestRunSummary>(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    public void Write(string path) => File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this));
}

/// <summary>
/// A test run through the cache, in two steps around the SDK's VSTest target. Before it: key the run (after the build,
/// so the key sees the bytes the run loads), look up; on a hit restore the result files the stored run wrote into this
/// run's results folder and skip the run. After it (MSBuild only gets there when the run succeeded): read the run's TRX,
/// and store it only when every test passed or was skipped, with the result files it wrote. Every cache fault is a
/// warning and the tests running as without the package.
/// </summary>
public sealed class CachedTestRun
{
    internal const string ResultsPrefix = "results/";

    private readonly ArtifactStore _store;
    private readonly CacheSettings _settings;
    private readonly ICacheLog _log;
    private readonly FileHasher _hasher;
    private readonly KeyHistory? _history;
    private readonly Func<string, string?> _environment;
    private readonly Func<double> _sample;

    public CachedTestRun(ArtifactStore store, CacheSettings settings, ICacheLog log, FileHasher hasher, KeyHistory? history = null, Func<string, string?>? environment = null, Func<double>? sample = null)
    {
        _store = store;
        _settings = settings;
        _log = log;
        _hasher = hasher;
        _history = history;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _sample = sample ?? Random.Shared.NextDouble;
    }

    /// <summary>The step before the run. <paramref name="userTrx"/>: the run's own loggers include a TRX logger.</summary>
    public TestRunLookup Lookup(TestRunRequest request, bool userTrx, string scratchDirectory, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        if (!_settings.Enabled)
        {
            return new TestRunLookup { State = TestRunState.Off, StartedUtc = started };
        }

        var key = TestRunKey.Build(request, _hasher, _environment);
        if (key.Inputs.FirstOrDefault(i => i.Hash == CompilationKeyBuilder.MissingFile) is { } missing)
        {
            if (missing.Name.StartsWith(TestRunKey.InputPrefix, StringComparison.Ordinal))
            {
                // The user's list is wrong: say so once, with a code. (A missing output folder or run settings file is
                // VSTest's to report.)
                _log.Warning(DiagnosticCodes.TestInputMissing, $"{request.DisplayName}: ArtifactCacheTestInput names {missing.Name[TestRunKey.InputPrefix.Length..]}, which does not exist; the tests run without the cache.");
            }

            return new TestRunLookup { State = TestRunState.Off, StartedUtc = started, Outcome = NotCached($"not cacheable: {missing.Name} does not exist", stopwatch.Elapsed) };
        }

        var previous = request.HistoryIdentity is null ? null : _history?.Previous(request.HistoryIdentity);
        if (request.HistoryIdentity is not null)
        {
            _history?.Record(request.HistoryIdentity, key.Inputs);
        }

        // The run's counts come from a TRX: the user's if they asked for one, else one the package asks for outside the
        // results folder (VSTest keeps a single TRX logger, so adding one beside the user's would replace theirs).
        // The scratch folder also receives a hit's summary entry.
        Directory.CreateDirectory(scratchDirectory);
        // A Microsoft.Testing.Platform run's outcome comes from the recorder instead.
        var ownTrx = userTrx || request.Platform ? null : Path.Combine(scratchDirectory, $"test-run-{Guid.NewGuid():N}.trx");

        var miss = new TestRunLookup
        {
            State = TestRunState.Miss,
            Key = key.Value,
            Inputs = key.Inputs,
            Changes = previous is null ? null : KeyDiff.Compare(previous, key.Inputs),
            Before = ResultFolder.Snapshot(request.ResultsDirectory),
            OwnTrx = ownTrx,
            // A ';' inside the path would split the logger's parameters; the run then has no TRX and is not stored.
            OwnLogger = ownTrx is null || ownTrx.Contains(';', StringComparison.Ordinal) ? null : "trx;LogFileName=" + ownTrx,
            StartedUtc = started,
        };

        var artifact = _store.TryFetch(key.Value, cancellationToken);
        if (artifact is null)
        {
            return miss;
        }

        try
        {
            var verify = ShouldVerify();
            var foreign = false;
            var summaryPath = Path.Combine(scratchDirectory, $"summary-{Guid.NewGuid():N}.json");
            var testsPath = Path.Combine(scratchDirectory, $"tests-{Guid.NewGuid():N}.tsv");
            var result = ArtifactReader.Restore(
                artifact.Path,
                name => name == TestRunSummary.EntryName ? summaryPath : name == RecordedTestResults.EntryName ? testsPath : Destination(name, request.ResultsDirectory),
                ArchiveLimits.From(_settings),
                _log,
                cancellationToken,
                metadata =>
                {
                    // Checked before any file is written: an artifact for another key must never reach the results folder.
                    foreign = !string.Equals(metadata.Key, key.Value, StringComparison.Ordinal);
                    return !foreign && !verify;
                });
            if (foreign)
            {
                _log.Warning(DiagnosticCodes.ArchiveManifestMismatch, $"The artifact stored under {key.Value} was made for another key; ignoring it.");
                _store.Reject(artifact);
                return miss;
            }

            if (result.Declined && result.Metadata is { } declined)
            {
                return miss with { State = TestRunState.Verify, Source = artifact.Source, SavedMs = artifact.TaskDurationMs ?? declined.DurationMs };
            }

            var summary = result.Success ? TestRunSummary.Read(summaryPath) : null;
            TryDelete(summaryPath);
            string? testsProblem = null;
            var tests = result.Success && File.Exists(testsPath) ? RecordedTestResults.Read(testsPath, out testsProblem) : null;
            TryDelete(testsPath);
            if (!result.Success || result.Metadata is null || summary is null || testsProblem is not null)
            {
                if (result.Success)
                {
                    _log.Warning(DiagnosticCodes.ArchiveCorrupt, $"The artifact stored under {key.Value} holds no readable test run summary{(testsProblem is null ? "" : $" ({testsProblem})")}; ignoring it.");
                }

                // A result file the build could not replace (held open) is no fault of the entry: it stays.
                if (result.Success || result.ArtifactAtFault)
                {
                    _store.Reject(artifact);
                }

                return miss;
            }

            var saved = artifact.TaskDurationMs ?? result.Metadata.DurationMs;
            return new TestRunLookup
            {
                State = TestRunState.Replayed,
                Key = key.Value,
                StartedUtc = started,
                Replayed = summary,
                ReplayedTests = tests,
                Source = artifact.Source,
                SavedMs = saved,
                Outcome = new CompilationOutcome
                {
                    Succeeded = true,
                    Result = "hit",
                    Source = artifact.Source,
                    Key = key.Value,
                    Inputs = key.Inputs,
                    Files = result.RestoredFiles.Count(f => !string.Equals(f, summaryPath, StringComparison.Ordinal) && !string.Equals(f, testsPath, StringComparison.Ordinal)),
                    Duration = stopwatch.Elapsed,
                    SavedMs = saved,
                },
            };
        }
        finally
        {
            _store.Release(artifact);
        }
    }

    /// <summary>
    /// The step after a run that succeeded (MSBuild does not run it after a failed one): store a passing run with its
    /// result files, or compare a verified one. Null when there is nothing to report. <paramref name="recorded"/>: a
    /// Microsoft.Testing.Platform run's tests as its recorder wrote them (null when it wrote none), read in place of a TRX.
    /// </summary>
    public CompilationOutcome? AfterRun(TestRunRequest request, TestRunLookup lookup, CancellationToken cancellationToken, RecordedTestResults? recorded = null, string? recordProblem = null)
    {
        if (lookup.State is not (TestRunState.Miss or TestRunState.Verify) || lookup.Key is null || lookup.Before is null)
        {
            return null;
        }

        var stopwatch = Stopwatch.StartNew();
        var runTime = DateTime.UtcNow - lookup.StartedUtc;
        var miss = new CompilationOutcome { Succeeded = true, Result = "miss", Key = lookup.Key, Inputs = lookup.Inputs, Changes = lookup.Changes };
        var written = lookup.Before.WrittenBy(request.TestAssembly, request.SharedResultsDirectory, out var userRun, out var noUserRun);
        // What the run's outcome is read from: the recorder's file for a Microsoft.Testing.Platform run, else a TRX.
        RunOutcome? run;
        string? problem = null;
        if (request.Platform)
        {
            run = recorded is null ? null : RunOutcome.Of(recorded);
            problem = run is null ? $"the test application recorded no results ({recordProblem ?? "no recording"})" : null;
        }
        else if (lookup.OwnTrx is not null)
        {
            var trx = File.Exists(lookup.OwnTrx) ? TrxRun.Read(lookup.OwnTrx, out problem) : null;
            run = trx is null ? null : RunOutcome.Of(trx);
            problem ??= run is null ? "the run wrote no TRX (is the trx logger available?)" : null;
            TryDelete(lookup.OwnTrx);
        }
        else
        {
            run = userRun is null ? null : RunOutcome.Of(userRun);
            problem = run is null ? noUserRun ?? $"no TRX of {Path.GetFileName(request.TestAssembly)} was written in {request.ResultsDirectory}" : null;
        }

        if (run is null)
        {
            return miss with { Reason = $"the run's outcome is unknown ({problem})", Duration = stopwatch.Elapsed };
        }

        if (run.NotAPass is { } notAPass)
        {
            // The run succeeded by its exit code, but its results say otherwise: never store what is not a clean pass.
            return miss with { Reason = $"the run did not pass ({notAPass})", Duration = stopwatch.Elapsed };
        }

        // Read again, not from this build's memo: an edit that kept the length and put the time stamp back looks unchanged to it.
        var after = TestRunKey.Build(request, _hasher.Rereading(), _environment);
        if (after.Value != lookup.Key)
        {
            var changed = KeyDiff.Compare(lookup.Inputs, after.Inputs).FirstOrDefault();
            return miss with { Inputs = after.Inputs, Reason = $"the run changed what it is keyed by{(changed is null ? "" : $" ({changed.Input})")}, so a replay could not promise the same", Duration = stopwatch.Elapsed };
        }

        if (lookup.State == TestRunState.Verify)
        {
            // The run passed, as the entry says it did (only passing runs are stored).
            return new CompilationOutcome
            {
                Succeeded = true,
                Result = "hit",
                Source = lookup.Source,
                Key = lookup.Key,
                Inputs = lookup.Inputs,
                SavedMs = lookup.SavedMs,
                Duration = runTime,
                Verified = true,
            };
        }

        var files = new List<ArtifactFile>();
        foreach (var (relative, path) in written)
        {
            var name = ResultsPrefix + relative;
            if (!ArtifactNames.IsSafe(name))
            {
                return miss with { Reason = $"the result file {path} has a name an artifact cannot hold", Duration = stopwatch.Elapsed };
            }

            files.Add(new ArtifactFile(name, path));
        }

        var summaryPath = Path.Combine(_store.ScratchDirectory, $"summary-{Guid.NewGuid():N}.json");
        var testsPath = Path.Combine(_store.ScratchDirectory, $"tests-{Guid.NewGuid():N}.tsv");
        try
        {
            var durationMs = (long)(run.Duration ?? runTime).TotalMilliseconds;
            new TestRunSummary(run.Total, run.Passed, run.Failed, run.Skipped, durationMs, DateTimeOffset.UtcNow).Write(summaryPath);
            var resultFiles = files.Count;
            files.Add(new ArtifactFile(TestRunSummary.EntryName, summaryPath));
            if (recorded is not null)
            {
                recorded.Write(testsPath);
                files.Add(new ArtifactFile(RecordedTestResults.EntryName, testsPath));
            }

            var stored = _store.WriteAndStore(after, [], runTime, files, [], _log, cancellationToken);
            return miss with { Stored = stored.Stored, Reason = stored.NotStoredReason, Files = resultFiles, Duration = runTime + stopwatch.Elapsed };
        }
        finally
        {
            TryDelete(summaryPath);
            TryDelete(testsPath);
        }
    }

    /// <summary>Where a stored result file goes: under this run's results folder, or nowhere (the artifact is refused).</summary>
    internal static string? Destination(string name, string resultsDirectory)
    {
        if (!name.StartsWith(ResultsPrefix, StringComparison.Ordinal) || !ArtifactNames.IsSafe(name))
        {
            return null;
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(resultsDirectory)) + Path.DirectorySeparatorChar;
        var path = Path.GetFullPath(Path.Combine(root, name[ResultsPrefix.Length..].Replace('/', Path.DirectorySeparatorChar)));
        return PathPolicy.Current.IsUnder(path, root) && path.Length > root.Length ? path : null;
    }

    private bool ShouldVerify() => _settings.VerifyFraction >= 1 || (_settings.VerifyFraction > 0 && _sample() < _settings.VerifyFraction);

    private static CompilationOutcome NotCached(string reason, TimeSpan duration) => new() { Succeeded = true, Result = "miss", Reason = reason, Duration = duration };

    /// <summary>A finished run's counts, and why it is not a clean pass (null when it is), from either source.</summary>
    private sealed record RunOutcome(int Total, int Passed, int Failed, int Skipped, TimeSpan? Duration, string? NotAPass)
    {
        public static RunOutcome Of(TrxRun trx) =>
            new(trx.Total, trx.Passed, trx.Failed, trx.Skipped, trx.Duration, trx.AllPassed ? null : $"outcome {trx.Outcome}, {trx.NotPassed} not passed");

        public static RunOutcome Of(RecordedTestResults recorded) =>
            new(recorded.Total, recorded.Passed, recorded.NotPassed, recorded.Skipped, null,
                recorded.AllPassed ? null : recorded.Total == 0 ? "no test ran" : $"{recorded.NotPassed} not passed");
    }

    /// <summary>What verify mode says when a checked hit's tests fail now.</summary>
    public static string VerifyFailedMessage(string display) =>
        $"Verify: the cache holds a passing run of the tests of {display} for these inputs, but running them now failed. The failure stands; the entry is wrong: the tests read something their key does not see (see the README's \"Test results\": ArtifactCacheTestInput, ArtifactCacheTestEnvironment).";

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A scratch file left behind costs nothing.
        }
    }
}
