using System.Collections.Concurrent;
using System.Globalization;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Reporting;
using ArtifactCache.Build.TestRuns;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tasks;

/// <summary>How the test-run tasks read what the user lists: ArtifactCacheTestEnvironment and @(ArtifactCacheTestInput).</summary>
internal static class TestRunInputs
{
    /// <summary>Variable names, ';' or ',' separated.</summary>
    public static IReadOnlyList<string> EnvironmentNames(string? list) =>
        (list ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The items' full paths.</summary>
    public static IReadOnlyList<string> Paths(ITaskItem[] items) =>
        items.Select(i => Path.GetFullPath(i.GetMetadata("FullPath") is { Length: > 0 } full ? full : i.ItemSpec)).ToList();
}

/// <summary>What the two tasks around a test run (the SDK's VSTest target) take from MSBuild.</summary>
public abstract class TestRunTask : TargetStepTask
{
    private protected const string Target = CompilationReport.TestRunTarget;

    private const string PendingKeyName = "ArtifactCache.Build.PendingTestRuns";

    /// <summary>$(TargetPath): the test assembly.</summary>
    [Required]
    public string TestAssembly { get; set; } = "";

    /// <summary>$(TargetDir): the folder the run loads from.</summary>
    [Required]
    public string OutputDirectory { get; set; } = "";

    /// <summary>$(VSTestResultsDirectory) (dotnet test --results-directory); empty: the project's TestResults folder.</summary>
    public string? ResultsDirectory { get; set; }

    /// <summary>$(TargetFrameworks): a project with several shares its results folder between their runs.</summary>
    public string? TargetFrameworks { get; set; }

    private protected override string StepName => "a test run";

    private protected static ConcurrentDictionary<string, (TestRunRequest Request, TestRunLookup Lookup)> Pending(IBuildEngine engine) =>
        BuildState.GetOrCreate(engine, PendingKeyName, () => new ConcurrentDictionary<string, (TestRunRequest, TestRunLookup)>(StringComparer.Ordinal));

    private protected string PendingKey(TargetStep step) => step.PendingKey(Target);

    private protected string Results() => string.IsNullOrWhiteSpace(ResultsDirectory)
        ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ProjectPath))!, "TestResults")
        : Path.GetFullPath(ResultsDirectory);
}

/// <summary>
/// Runs just before the VSTest target of a test project that opted in (ArtifactCacheTestResults=true), after the build:
/// keys the run and looks it up. On a hit it restores the stored run's result files and says so
/// (<see cref="Replayed"/>), and the targets then make VSTest skip the run; on a miss it may name a TRX logger to add
/// (<see cref="Logger"/>) so the step after the run can read the outcome.
/// </summary>
public sealed class CacheTestRunLookup : TestRunTask
{
    /// <summary>$(RunSettingsFilePath) or $(VSTestSetting).</summary>
    public string? RunSettingsFile { get; set; }

    /// <summary>The VSTest task parameters that change which tests run or how: Include = name, metadata Value.</summary>
    public ITaskItem[] Arguments { get; set; } = [];

    /// <summary>$(VSTestLogger): the loggers the user asked for.</summary>
    public string[] Loggers { get; set; } = [];

    /// <summary>$(ArtifactCacheTestEnvironment): environment variable names, ';' or ',' separated.</summary>
    public string? EnvironmentNames { get; set; }

    /// <summary>@(ArtifactCacheTestInput): files or folders the tests read at run time.</summary>
    public ITaskItem[] Inputs { get; set; } = [];

    public string? RepositoryRoot { get; set; }

    /// <summary>$(NetCoreRoot): the .NET installation the test host starts from.</summary>
    public string? DotnetRoot { get; set; }

    /// <summary>The scratch folder for the run's own TRX when the user asked for none ($(IntermediateOutputPath)...).</summary>
    [Required]
    public string ScratchDirectory { get; set; } = "";

    /// <summary>true: the stored run was replayed; the VSTest target must not run the tests.</summary>
    [Output]
    public bool Replayed { get; set; }

    /// <summary>A logger to add to the run's loggers (MSBuild-escaped by the engine), or empty.</summary>
    [Output]
    public string Logger { get; set; } = "";

    /// <summary>true: verify mode checks this hit; the tests run and the outcome is compared with the entry's.</summary>
    [Output]
    public bool Verify { get; set; }

    private protected override void Run(TargetStep step, CancellationToken cancellationToken)
    {
        step.Begin();
        var arguments = Arguments.Select(a => new KeyValuePair<string, string>(a.ItemSpec, a.GetMetadata("Value"))).ToList();
        var settings = RunSettingsFacts.Read(RunSettingsFile);
        var facts = new TestRunArguments(arguments, settings);
        if (facts.Refusal is { } refusal)
        {
            step.Report(Target, new CompilationOutcome { Succeeded = true, Result = "miss", Reason = "not cacheable: " + refusal });
            return;
        }

        var request = new TestRunRequest
        {
            TestAssembly = Path.GetFullPath(TestAssembly),
            OutputDirectory = Path.GetFullPath(OutputDirectory),
            ResultsDirectory = Results(),
            SharedResultsDirectory = !string.IsNullOrWhiteSpace(ResultsDirectory) || !string.IsNullOrWhiteSpace(TargetFrameworks),
            CollectsData = facts.CollectsData,
            RunSettingsFile = string.IsNullOrWhiteSpace(RunSettingsFile) ? null : Path.GetFullPath(RunSettingsFile),
            RunSettingsAdapterFolders = settings.AdapterFolders,
            Arguments = arguments,
            EnvironmentNames = TestRunInputs.EnvironmentNames(EnvironmentNames),
            Inputs = TestRunInputs.Paths(Inputs),
            RepositoryRoot = string.IsNullOrWhiteSpace(RepositoryRoot) ? null : RepositoryRoot,
            DotnetRoot = DotnetRoot,
            DisplayName = $"{step.Project.Display} tests",
            HistoryIdentity = KeyHistory.ProjectIdentity(step.Project.ProjectPath, RepositoryRoot, TargetFramework, Configuration) + "|target:" + Target,
        };

        TestRunLookup lookup;
        try
        {
            var userTrx = Loggers.Any(RunSettingsFacts.IsTrxLogger) || settings.HasTrxLogger;
            lookup = step.TestRun().Lookup(request, userTrx, Path.GetFullPath(ScratchDirectory), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            step.Log.Warning(DiagnosticCodes.CacheStepFailed, $"The cache step before the tests of {step.Project.Display} failed ({e.GetType().Name}: {e.Message}); the tests run without the cache. Please report this.");
            return;
        }

        if (lookup.State == TestRunState.Replayed && lookup.Replayed is { } run && lookup.Outcome is { } outcome)
        {
            Replayed = true;
            step.Report(Target, outcome, string.Create(CultureInfo.InvariantCulture, $": {run.ResultLine(request.TestAssembly, TargetFramework)}, replayed from the run of {run.RanAt:yyyy-MM-dd HH:mm} UTC"));
            return;
        }

        if (lookup.Outcome is { } notCached)
        {
            step.Report(Target, notCached);
            return;
        }

        if (lookup.State is TestRunState.Miss or TestRunState.Verify)
        {
            Logger = lookup.OwnLogger ?? "";
            Verify = lookup.State == TestRunState.Verify;
            Pending(BuildEngine)[PendingKey(step)] = (request, lookup);
        }

        Log.LogMessage(MessageImportance.Low, $"ArtifactCache: {request.DisplayName}: {lookup.State}{(lookup.Key is null ? "" : ", key " + lookup.Key)}");
    }
}

/// <summary>
/// Runs just after the VSTest target, which MSBuild reaches only when the run succeeded: stores a run in which every
/// test passed or was skipped, with the result files it wrote; in verify mode reports the checked entry as verified.
/// </summary>
public sealed class CacheTestRunStore : TestRunTask
{
    /// <summary>Verify mode: the checked run failed (the targets run it before VSTest, so they can tell).</summary>
    public bool RunFailed { get; set; }

    private protected override void Run(TargetStep step, CancellationToken cancellationToken)
    {
        if (!Pending(BuildEngine).TryRemove(PendingKey(step), out var entry))
        {
            return;
        }

        step.Begin();
        var (request, lookup) = entry;
        try
        {
            if (RunFailed && lookup.State == TestRunState.Verify)
            {
                step.Log.Warning(DiagnosticCodes.VerifyMismatch, CachedTestRun.VerifyFailedMessage(step.Project.Display));
                step.Report(Target, new CompilationOutcome { Succeeded = false, Result = "hit", Source = lookup.Source, Key = lookup.Key, Inputs = lookup.Inputs, SavedMs = lookup.SavedMs, Verified = false });
            }
            else if (step.TestRun().AfterRun(request, lookup, cancellationToken) is { } outcome)
            {
                step.Report(Target, outcome);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            step.Log.Warning(DiagnosticCodes.CacheStepFailed, $"The cache step after the tests of {step.Project.Display} failed ({e.GetType().Name}: {e.Message}); the run was not stored. Please report this.");
        }
    }
}
