using System.Collections.Concurrent;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.DeclaredTargets;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Reporting;
using ArtifactCache.Build.TestRuns;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tasks;

/// <summary>
/// What the steps around a target the cache works around (a declared target, a test run) share: the build's log, session,
/// store, settings and report.
/// </summary>
internal sealed class TargetStep
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

    public TargetStep(Microsoft.Build.Utilities.TaskLoggingHelper log, IBuildEngine engine, string projectPath, string? targetFramework, string? configuration, ITaskItem[] settings, string? reportFile)
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
        var (store, settings, hasher, history) = Parts();
        return new CachedTarget(store, settings, Log, hasher, history);
    }

    public CachedTestRun TestRun()
    {
        var (store, settings, hasher, history) = Parts();
        return new CachedTestRun(store, settings, Log, hasher, history);
    }

    private (Caching.ArtifactStore Store, CacheSettings Settings, FileHasher Hasher, KeyHistory? History) Parts()
    {
        var settings = _resolved ?? Resolve(Log);
        var history = settings.LocalEnabled ? new KeyHistory(Path.Combine(settings.LocalDirectory, "history")) : null;
        // Files are remembered for this build only: a reused node must hash a same-size edit with its time stamp put back again.
        return (_registry.Get(settings, _session), settings, BuildState.Hasher(_engine, []), history);
    }

    public ProjectIdentity Project => _project;

    public void Report(TargetRequest request, CompilationOutcome outcome) => Report(request.Declaration.Name, outcome);

    /// <summary>The console line and the report record of <paramref name="target"/>; <paramref name="detail"/> is appended to the line.</summary>
    public void Report(string target, CompilationOutcome outcome, string? detail = null)
    {
        _taskLog.LogMessage(MessageImportance.High, CompilationReport.SummaryLine(_project, outcome, target) + detail);
        Record(CompilationReport.JsonLine(_project, outcome, DateTimeOffset.UtcNow, target));
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
