using System.Diagnostics;
using System.Globalization;
using System.Text;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Reporting;

namespace ArtifactCache.Build.TestRuns;

/// <summary>
/// A Microsoft.Testing.Platform test application that `dotnet test` starts, through the package's launcher: keyed with
/// the arguments `dotnet test` gave it (only the launcher sees those), looked up, and then either replayed (the stored
/// tests published to `dotnet test` again, by the caller's <c>replay</c>, which speaks through the platform itself) or
/// run as it would have been, with the recorder told where to write, and stored when every test passed or was skipped.
/// Every cache fault is a warning and the application running as without the package.
/// </summary>
public sealed class PlatformTestRun
{
    /// <summary>The variable the recorder compiled into the test application reads (see build/ArtifactCache.Build.TestPlatformRecorder.cs).</summary>
    public const string RecordVariable = "ARTIFACTCACHE_TEST_RECORD";

    private const string Target = CompilationReport.TestPlatformTarget;

    private readonly PlatformRunDescription _description;
    private readonly ICacheLog _log;
    private readonly Func<string, string?> _environment;

    public PlatformTestRun(PlatformRunDescription description, ICacheLog log, Func<string, string?>? environment = null)
    {
        _description = description;
        _log = log;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    /// <param name="arguments">What `dotnet test` passed to the application.</param>
    /// <param name="replay">Publishes the stored tests to `dotnet test` with the given server arguments; the exit code.</param>
    /// <param name="runApplication">Runs the real application with the given arguments and, when not null, the recorder's file; the exit code.</param>
    /// <param name="cancellationToken">Stops the cache's own work (not the application).</param>
    public async Task<int> RunAsync(
        IReadOnlyList<string> arguments,
        Func<RecordedTestResults, IReadOnlyList<string>, Task<int>> replay,
        Func<IReadOnlyList<string>, string?, int> runApplication,
        CancellationToken cancellationToken)
    {
        // The application runs at most once, whatever the cache does: a fault before it started runs it as without the
        // package; a fault after it ran (while storing) keeps its exit code.
        int? exitCode = null;
        int Run(IReadOnlyList<string> args, string? record) => exitCode ??= runApplication(args, record);
        try
        {
            return await RunThroughCacheAsync(arguments, replay, Run, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Warning(DiagnosticCodes.CacheStepFailed, $"The cache step around the tests of {new ProjectIdentity(_description.ProjectPath, _description.TargetFramework, _description.Configuration).Display} failed ({e.GetType().Name}: {e.Message}); the tests run without the cache. Please report this.");
            return Run(arguments, null);
        }
    }

    private async Task<int> RunThroughCacheAsync(
        IReadOnlyList<string> arguments,
        Func<RecordedTestResults, IReadOnlyList<string>, Task<int>> replay,
        Func<IReadOnlyList<string>, string?, int> runApplication,
        CancellationToken cancellationToken)
    {
        var parsed = PlatformRunArguments.Parse(arguments);
        if (!parsed.FromDotnetTest)
        {
            // `dotnet run` of the test project, or the application started by hand: exactly as without the package.
            return runApplication(arguments, null);
        }

        var settings = new SettingsResolver(name => _description.Settings.TryGetValue(name, out var value) ? value : null, _environment, _log).Resolve();
        if (!settings.Enabled)
        {
            return runApplication(arguments, null);
        }

        var project = new ProjectIdentity(_description.ProjectPath, _description.TargetFramework, _description.Configuration);
        if (parsed.Refusal is { } refusal)
        {
            Report(project, new CompilationOutcome { Succeeded = true, Result = "miss", Reason = "not cacheable: " + refusal });
            return runApplication(arguments, null);
        }

        var workingDirectory = _description.WorkingDirectory is { Length: > 0 } directory ? directory : Environment.CurrentDirectory;
        var request = new TestRunRequest
        {
            TestAssembly = Path.GetFullPath(_description.TestAssembly),
            OutputDirectory = Path.GetFullPath(_description.OutputDirectory),
            // The platform's default results folder is TestResults beside the application.
            ResultsDirectory = parsed.ResultsDirectory is { Length: > 0 } results
                ? Path.GetFullPath(results, workingDirectory)
                : Path.Combine(Path.GetFullPath(_description.OutputDirectory), "TestResults"),
            SharedResultsDirectory = parsed.ResultsDirectory is { Length: > 0 },
            Arguments = [new("arguments", parsed.KeyText)],
            EnvironmentNames = _description.EnvironmentNames,
            Inputs = _description.Inputs,
            RepositoryRoot = _description.RepositoryRoot,
            DotnetRoot = _description.DotnetRoot,
            DisplayName = $"{project.Display} tests",
            HistoryIdentity = KeyHistory.ProjectIdentity(_description.ProjectPath, _description.RepositoryRoot, _description.TargetFramework, _description.Configuration) + "|target:" + Target,
            Platform = true,
        };

        using var store = ArtifactStore.Create(settings, _log);
        var history = settings.LocalEnabled ? new KeyHistory(Path.Combine(settings.LocalDirectory, "history")) : null;
        var cache = new CachedTestRun(store, settings, _log, new FileHasher(), history, _environment);
        var lookup = cache.Lookup(request, userTrx: false, _description.ScratchDirectory, cancellationToken);

        if (lookup.State == TestRunState.Replayed && lookup.ReplayedTests is { } tests && lookup.Outcome is { } hit && lookup.Replayed is { } summary)
        {
            var exitCode = await replay(tests, parsed.ServerArguments).ConfigureAwait(false);
            Report(project, hit, string.Create(CultureInfo.InvariantCulture, $": {summary.Passed} passed, {summary.Skipped} skipped, replayed from the run of {summary.RanAt:yyyy-MM-dd HH:mm} UTC"));
            return exitCode;
        }

        if (lookup.State is not (TestRunState.Miss or TestRunState.Verify))
        {
            if (lookup.Outcome is { } notCached)
            {
                Report(project, notCached);
            }

            return runApplication(arguments, null);
        }

        var record = Path.Combine(_description.ScratchDirectory, $"record-{Guid.NewGuid():N}.tsv");
        try
        {
            var exitCode = runApplication(arguments, record);
            if (exitCode != 0)
            {
                if (lookup.State == TestRunState.Verify)
                {
                    _log.Warning(DiagnosticCodes.VerifyMismatch, CachedTestRun.VerifyFailedMessage(project.Display));
                    Report(project, new CompilationOutcome { Succeeded = false, Result = "hit", Source = lookup.Source, Key = lookup.Key, Inputs = lookup.Inputs, SavedMs = lookup.SavedMs, Verified = false });
                }
                else
                {
                    Report(project, new CompilationOutcome { Succeeded = false, Result = "miss", Key = lookup.Key, Inputs = lookup.Inputs, Changes = lookup.Changes, Reason = $"the test application exited with code {exitCode}" });
                }

                return exitCode;
            }

            string? problem = null;
            var recorded = File.Exists(record) ? RecordedTestResults.Read(record, out problem) : null;
            problem ??= recorded is null ? "it wrote nothing: is the package's recorder compiled in (a C#, F# or Visual Basic project whose entry point registers the platform's self-registered extensions)?" : null;
            if (cache.AfterRun(request, lookup, cancellationToken, recorded, problem) is { } outcome)
            {
                Report(project, outcome);
            }

            return exitCode;
        }
        finally
        {
            CachedTestRun.TryDelete(record);
        }
    }

    /// <summary>
    /// The real application, as `dotnet test` would have started it: its RunCommand and RunArguments, then the arguments
    /// it was given; the recorder's file in its environment when there is one. Its output goes where the launcher's goes.
    /// </summary>
    public static int RunApplication(PlatformRunDescription description, IReadOnlyList<string> arguments, string? recordFile)
    {
        var start = new ProcessStartInfo(description.Command)
        {
            Arguments = string.Join(' ', new[] { description.Arguments.Trim() }.Where(a => a.Length > 0).Concat(arguments.Select(Quote))),
            UseShellExecute = false,
        };
        if (description.WorkingDirectory is { Length: > 0 } directory)
        {
            start.WorkingDirectory = directory;
        }

        if (recordFile is not null)
        {
            start.Environment[RecordVariable] = recordFile;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{description.Command} did not start");
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>One argument for a command line the runtime splits as Windows does (on every OS): quoted when it must be.</summary>
    public static string Quote(string argument)
    {
        if (argument.Length > 0 && argument.IndexOfAny([' ', '\t', '\n', '\v', '"']) < 0)
        {
            return argument;
        }

        var quoted = new StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in argument)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }

            // Backslashes before a quote are doubled, and the quote escaped; elsewhere they are literal.
            quoted.Append('\\', c == '"' ? (backslashes * 2) + 1 : backslashes).Append(c);
            backslashes = 0;
        }

        return quoted.Append('\\', backslashes * 2).Append('"').ToString();
    }

    private void Report(ProjectIdentity project, CompilationOutcome outcome, string? detail = null)
    {
        _log.Info(CompilationReport.SummaryLine(project, outcome, Target) + detail);
        if (_description.ReportFile is { Length: > 0 } reportFile)
        {
            ReportFiles.Append(reportFile, CompilationReport.JsonLine(project, outcome, DateTimeOffset.UtcNow, Target), _log);
        }
    }
}
