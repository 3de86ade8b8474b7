using System.Collections.Concurrent;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.DeclaredTargets;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Reporting;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tasks;

/// <summary>What the two tasks around a declared target take from MSBuild, and how they end (cancelled or not).</summary>
public abstract class DeclaredTargetTask : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>@(ArtifactCacheTarget): Include = the target's name; metadata Inputs, Outputs, Properties, Tools.</summary>
    [Required]
    public ITaskItem[] Declarations { get; set; } = [];

    [Required]
    public string ProjectPath { get; set; } = "";

    public string? TargetFramework { get; set; }

    public string? Configuration { get; set; }

    /// <summary>The package's settings: Include = MSBuild property name, Value = its value.</summary>
    public ITaskItem[] Settings { get; set; } = [];

    public string? ReportFile { get; set; }

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        var step = new DeclaredTargetStep(Log, BuildEngine, ProjectPath, TargetFramework, Configuration, Settings, ReportFile);
        try
        {
            Run(step, _cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Log.LogMessage(MessageImportance.High, "ArtifactCache: canceled.");
            return false;
        }
        catch (Exception e)
        {
            // A fault of the cache itself (an unreadable declaration, a session folder that throws) must not cost the
            // user their build: the target runs, or has run, as without the package.
            step.Log.Warning(DiagnosticCodes.CacheStepFailed, $"The cache step around a declared target failed ({e.GetType().Name}: {e.Message}); the target is not cached in this build. Please report this.");
            return true;
        }
        finally
        {
            step.End();
        }
    }

    /// <summary>The step's work; cache faults are warnings inside it, never a failed task.</summary>
    private protected abstract void Run(DeclaredTargetStep step, CancellationToken cancellationToken);
}

/// <summary>
/// Runs just before a declared target (<c>BeforeTargets="@(ArtifactCacheTarget)"</c>): checks the declaration, keys it,
/// and on a hit restores its outputs so MSBuild skips the target as up to date. The decision is kept for
/// <see cref="CacheDeclaredTargetStore"/>, which runs just after the target in the same project build.
/// </summary>
public sealed class CacheDeclaredTargetLookup : DeclaredTargetTask
{
    public string? RepositoryRoot { get; set; }

    private protected override void Run(DeclaredTargetStep step, CancellationToken cancellationToken)
    {
        step.Begin();
        if (step.Request(Declarations, RepositoryRoot) is not { } request)
        {
            return;
        }

        TargetLookup lookup;
        try
        {
            lookup = step.Cache().Lookup(request, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            step.Log.Warning(DiagnosticCodes.CacheStepFailed, $"The cache step before {request.DisplayName} failed ({e.GetType().Name}: {e.Message}); the target runs without the cache. Please report this.");
            lookup = new TargetLookup { State = TargetLookupState.Off, StartedUtc = DateTime.UtcNow, EndedUtc = DateTime.UtcNow };
        }

        DeclaredTargetStep.Pending(BuildEngine)[step.PendingKey(request.Declaration.Name)] = (request, lookup);
        if (lookup.Outcome is { } outcome)
        {
            step.Report(request, outcome);
        }
        else
        {
            Log.LogMessage(MessageImportance.Low, $"ArtifactCache: {request.DisplayName}: {lookup.State}{(lookup.Key is null ? "" : ", key " + lookup.Key)}");
        }
    }
}

/// <summary>
/// Runs just after a declared target (<c>AfterTargets="@(ArtifactCacheTarget)"</c>): on a miss stores the files its
/// Outputs match; in verify mode compares them with the entry; after a restore checks that the target was skipped.
/// </summary>
public sealed class CacheDeclaredTargetStore : DeclaredTargetTask
{
    private protected override void Run(DeclaredTargetStep step, CancellationToken cancellationToken)
    {
        if (Declarations.Length != 1 || !DeclaredTargetStep.Pending(BuildEngine).TryRemove(step.PendingKey(Declarations[0].ItemSpec), out var entry))
        {
            // Refused before the target, or the lookup never ran: nothing to store.
            return;
        }

        step.Begin();
        var (request, lookup) = entry;
        try
        {
            if (step.Cache().AfterTarget(request, lookup, cancellationToken) is { } outcome)
            {
                step.Report(request, outcome);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            step.Log.Warning(DiagnosticCodes.CacheStepFailed, $"The cache step after {request.DisplayName} failed ({e.GetType().Name}: {e.Message}); its outputs were not stored. Please report this.");
        }
    }
}

/// <summary>What both steps around a declared target share: the build's log, session, store, settings and report.</summary>
internal sealed class DeclaredTargetStep
{
    private const string PendingKeyName = "ArtifactCache.Build.PendingTargets";

    private readonly Microsoft.Build.Utilities.TaskLoggingHelper _taskLog;
    private readonly IBuildEngine _engine;
    private readonly ProjectIdentity _project;
    private readonly ITaskItem[] _settings;
    private readonly string? _reportFile;
    private readonly StoreRegistry _registry;
    private BuildSession? _session;
    private CacheSettings? _resolved;

    public DeclaredTargetStep(Microsoft.Build.Utilities.TaskLoggingHelper log, IBuildEngine engine, string projectPath, string? targetFramework, string? configuration, ITaskItem[] settings, string? reportFile)
    {
        _taskLog = log;
        _engine = engine;
        _project = new ProjectIdentity(Path.GetFullPath(projectPath), NullIfEmpty(targetFramework), NullIfEmpty(configuration));
        _settings = settings;
        _reportFile = NullIfEmpty(reportFile);
        _registry = BuildState.Stores(engine);
        Log = new MSBuildCacheLog(log, BuildState.WarnedCodes(engine));
    }

    public MSBuildCacheLog Log { get; }

    /// <summary>The lookups waiting for the step after their target, per project build on this node.</summary>
    public static ConcurrentDictionary<string, (TargetRequest Request, TargetLookup Lookup)> Pending(IBuildEngine engine) =>
        BuildState.GetOrCreate(engine, PendingKeyName, () => new ConcurrentDictionary<string, (TargetRequest, TargetLookup)>(StringComparer.Ordinal));

    /// <summary>
    /// One project build: the project with its global properties (a node may interleave two builds of one project with
    /// other global properties while the first waits on an MSBuild task), and the target.
    /// </summary>
    public string PendingKey(string targetName)
    {
        var globals = _engine is IBuildEngine6 engine6
            ? string.Join(";", engine6.GetGlobalProperties().OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase).Select(p => p.Key + "=" + p.Value))
            : "";
        return $"{_project.ProjectPath}|{globals}|{targetName.Trim()}";
    }

    public void Begin()
    {
        _registry.Log.Current = Log;
        // As for compilations: find the cache folder quietly, open the build's session there (warnings once per build
        // across nodes), then resolve again with the real log so bad settings warn once.
        _session = BuildState.Sessions(_engine).Get(Resolve(NullCacheLog.Instance).LocalDirectory);
        Log.Session = _session;
        _resolved = Resolve(Log);
    }

    public void End() => _registry.Log.Current = NullCacheLog.Instance;

    /// <summary>The checked declaration, or null after a refusal (warned and reported) when the target must run uncached.</summary>
    public TargetRequest? Request(ITaskItem[] declarations, string? repositoryRoot)
    {
        string? refusal;
        var projectDirectory = Path.GetDirectoryName(_project.ProjectPath)!;
        var first = declarations.FirstOrDefault();
        var display = $"{_project.Display} {first?.ItemSpec ?? ""}";
        if (declarations.Length != 1)
        {
            // A target hooked BeforeTargets="@(ArtifactCacheTarget)" runs once per project build, before whichever declared
            // target comes first: it cannot tell which one is about to run, so none is cached.
            refusal = $"the project declares {declarations.Length} ArtifactCacheTarget items ({string.Join(", ", declarations.Select(d => d.ItemSpec))}); one per project is supported";
        }
        else
        {
            var check = TargetDeclarations.Check(
                first!.ItemSpec,
                first.GetMetadata("Inputs"),
                first.GetMetadata("Outputs"),
                first.GetMetadata("Properties"),
                first.GetMetadata("Tools"),
                projectDirectory,
                NullIfEmpty(repositoryRoot));
            if (check.Declaration is { } declaration)
            {
                return new TargetRequest
                {
                    Declaration = declaration,
                    DisplayName = display,
                    HistoryIdentity = KeyHistory.ProjectIdentity(_project.ProjectPath, declaration.RepositoryRoot, _project.TargetFramework, _project.Configuration) + "|target:" + declaration.Name,
                };
            }

            refusal = check.Refusal;
        }

        Log.Warning(DiagnosticCodes.TargetDeclarationRefused, $"{display}: not cached, {refusal}. The target runs as without the package.");
        var outcome = new CompilationOutcome { Succeeded = true, Result = "miss", Reason = "declaration refused: " + refusal };
        Record(CompilationReport.JsonLine(_project, outcome, DateTimeOffset.UtcNow, first?.ItemSpec.Trim() ?? ""));
        return null;
    }

    public CachedTarget Cache()
    {
        var settings = _resolved ?? Resolve(Log);
        var store = _registry.Get(settings, _session);
        var history = settings.LocalEnabled ? new KeyHistory(Path.Combine(settings.LocalDirectory, "history")) : null;
        return new CachedTarget(store, settings, Log, FileHasher.Shared, history);
    }

    public void Report(TargetRequest request, CompilationOutcome outcome)
    {
        _taskLog.LogMessage(MessageImportance.High, CompilationReport.SummaryLine(_project, outcome, request.Declaration.Name));
        Record(CompilationReport.JsonLine(_project, outcome, DateTimeOffset.UtcNow, request.Declaration.Name));
    }

    private void Record(string reportLine)
    {
        _session?.Record(reportLine);
        if (_reportFile is not null)
        {
            ReportFiles.Append(_reportFile, reportLine, Log);
        }
    }

    private CacheSettings Resolve(ICacheLog log) => TaskSettings.Resolve(_settings, log);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
