using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Reporting;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tasks;

/// <summary>
/// Runs after CoreCompile's dry run (C#, Visual Basic or F#): takes the compiler's complete command line, restores the outputs on a hit, or
/// compiles and stores them on a miss. All decisions live in <see cref="CachedCompilation"/>; this task maps MSBuild
/// items to it and logs.
/// </summary>
public sealed class CacheCompile : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>@(CscCommandLineArgs), @(VbcCommandLineArgs) or @(FscCommandLineArgs) from CoreCompile's dry run.</summary>
    [Required]
    public ITaskItem[] CommandLineArgs { get; set; } = [];

    /// <summary>$(Language): C#, VB or F#.</summary>
    public string? Language { get; set; }

    /// <summary>F#: @(IntermediateRefAssembly), which the Fsc task passes but leaves out of the command line it reports.</summary>
    public string? ReferenceAssembly { get; set; }

    [Required]
    public string ProjectPath { get; set; } = "";

    public string? TargetFramework { get; set; }

    public string? Configuration { get; set; }

    /// <summary>The solution's file name when the project is built as part of one (names the commit's index).</summary>
    public string? SolutionFileName { get; set; }

    /// <summary>The folder mapped with PathMap; empty when relocation is off.</summary>
    public string? RepositoryRoot { get; set; }

    /// <summary>$(SourceRevisionId): the commit by default, though a build may set it to anything (a build stamp).</summary>
    public string? SourceRevisionId { get; set; }

    /// <summary>The commit source control found: the RevisionId of the git SourceRoot.</summary>
    public string? SourceControlCommit { get; set; }

    public string? GeneratedAssemblyInfoFile { get; set; }

    /// <summary>$(DeterministicSourcePaths): "false" set by the project keeps local paths although the package relocates.</summary>
    public string? DeterministicSourcePaths { get; set; }

    /// <summary>Keep the commit id in the key (ArtifactCacheStrict).</summary>
    public bool Strict { get; set; }

    [Required]
    public string CompilerPath { get; set; } = "";

    public string? DotnetHostPath { get; set; }

    public bool UseSharedCompilation { get; set; }

    /// <summary>
    /// Folders nothing rewrites in place (the .NET installation, the NuGet package folders): their files' hashes are
    /// remembered for the life of a reused MSBuild node; every other file's for one build.
    /// </summary>
    public string[] ImmutableFolders { get; set; } = [];

    public string? CompilerEnvironment { get; set; }

    /// <summary>The package's settings: Include = MSBuild property name, Value = its value.</summary>
    public ITaskItem[] Settings { get; set; } = [];

    public string? ReportFile { get; set; }

    /// <summary>ArtifactCacheExplain: write each miss's full manifest diff to a file beside the report (or in obj/).</summary>
    public bool Explain { get; set; }

    /// <summary>Where explanation files go when there is no report file.</summary>
    public string? IntermediateDirectory { get; set; }

    public void Cancel() => _cancel.Cancel();

    public override bool Execute()
    {
        var registry = BuildState.Stores(BuildEngine);
        var log = new MSBuildCacheLog(Log, BuildState.WarnedCodes(BuildEngine));
        registry.Log.Current = log;
        try
        {
            var project = new ProjectIdentity(Path.GetFullPath(ProjectPath), NullIfEmpty(TargetFramework), NullIfEmpty(Configuration));
            var request = CreateRequest();
            CompilationOutcome outcome;
            BuildSession? session = null;
            try
            {
                // The session (which dedupes warnings across nodes) lives in the cache folder (else the temp folder), so find the folder first,
                // quietly; the second resolution then warns about bad settings once per build.
                session = BuildState.Sessions(BuildEngine).Get(ResolveSettings(NullCacheLog.Instance).LocalDirectory);
                log.Session = session;
                Log.LogMessage(MessageImportance.Low, session is null
                    ? "ArtifactCache: no build session (neither the cache folder nor the temp folder can be written); warnings are once per node."
                    : $"ArtifactCache: build session {session.Id}{(session.IsShared ? "" : " (this node only)")} (process {Environment.ProcessId}).");
                var settings = ResolveSettings(log);
                request = request with
                {
                    KeyContext = request.KeyContext with
                    {
                        VolatileVersions = settings.VolatileVersions,
                        Extra = [.. request.KeyContext.Extra, new KeyInput("volatile versions", settings.VolatileVersions ? "left out" : "in key")],
                    },
                };
                var store = registry.Get(settings, session);
                var history = settings.LocalEnabled ? new KeyHistory(Path.Combine(settings.LocalDirectory, "history")) : null;
                outcome = new CachedCompilation(store, settings, log, new CompilationKeyBuilder(BuildState.Hasher(BuildEngine, ImmutableFolders), new DerivedHashes(settings.DerivedDirectory)), history, new SdkCompilerTask(BuildEngine, log)).Run(request, _cancel.Token);
                // What this node hashed once and remembers for its life, the next build's warm-up hashes before its first key.
                HitWarmUp.RememberFiles(settings.DerivedDirectory, FileHasher.Shared);
                if (settings.Prefetch && outcome.Key is not null && (outcome.IsHit || outcome.Stored) && CommitStamps.PredictionRevision(SourceRevisionId, SourceControlCommit) is { } commit && request.HistoryIdentity is { } identity)
                {
                    // The next clone of this commit can then fetch this project's artifact before its references are built.
                    store.PublishPrediction(
                        RemotePrefetch.PredictionKey(identity, commit, Strict, settings.VolatileVersions),
                        outcome.Key,
                        RemotePrefetch.IndexKey(commit, NullIfEmpty(Configuration), NullIfEmpty(SolutionFileName), Strict, settings.VolatileVersions));
                }
            }
            catch (Exception e) when (e is not OperationCanceledException && e is not CompilerStartException)
            {
                // A fault of the cache itself must not cost the user their build: compile as CoreCompile would have.
                log.Warning(DiagnosticCodes.CacheStepFailed, $"The cache step failed ({e.GetType().Name}: {e.Message}); compiling without the cache. Please report this.");
                outcome = CachedCompilation.CompileWithoutCache(request, "the cache step failed", _cancel.Token);
            }

            LogCompilerOutput(outcome);
            Log.LogMessage(MessageImportance.High, CompilationReport.SummaryLine(project, outcome));
            if (outcome.Key is not null)
            {
                Log.LogMessage(MessageImportance.Low, $"ArtifactCache: key {outcome.Key} from {outcome.Inputs.Count} inputs");
            }

            foreach (var change in outcome.Changes ?? [])
            {
                Log.LogMessage(MessageImportance.Low, $"ArtifactCache:   changed: {change.Input} ({change.Change})");
            }

            var reportLine = CompilationReport.JsonLine(project, outcome, DateTimeOffset.UtcNow);
            session?.Record(reportLine);
            WriteReport(reportLine, log);
            if (Explain && !outcome.IsHit && outcome.Key is not null)
            {
                WriteExplanation(project, outcome, log);
            }

            return outcome.Succeeded && !Log.HasLoggedErrors;
        }
        catch (OperationCanceledException)
        {
            Log.LogMessage(MessageImportance.High, "ArtifactCache: canceled.");
            return false;
        }
        catch (CompilerStartException e)
        {
            Log.LogError(null, DiagnosticCodes.CompilerNotStarted, null, ProjectPath, 0, 0, 0, 0, "ArtifactCache: " + e.Message);
            return false;
        }
        finally
        {
            registry.Log.Current = NullCacheLog.Instance;
        }
    }

    private CompilationRequest CreateRequest()
    {
        var projectDirectory = Path.GetDirectoryName(Path.GetFullPath(ProjectPath))!;
        var root = NullIfEmpty(RepositoryRoot);
        var language = CompilerLanguages.FromMSBuild(Language);
        IReadOnlyList<string> arguments = CommandLineArgs.Select(a => a.ItemSpec).ToList();
        if (language == CompilerLanguage.FSharp)
        {
            arguments = CompilerCommandLine.WithFSharpReferenceAssembly(arguments, NullIfEmpty(ReferenceAssembly));
        }

        return new CompilationRequest
        {
            HistoryIdentity = KeyHistory.ProjectIdentity(ProjectPath, root, NullIfEmpty(TargetFramework), NullIfEmpty(Configuration)),
            ProjectName = Path.GetFileNameWithoutExtension(ProjectPath) + (NullIfEmpty(TargetFramework) is { } tfm ? $" ({tfm})" : ""),
            CommandLine = CompilerCommandLine.Parse(arguments, projectDirectory, language),
            KeyContext = new KeyContext
            {
                RepositoryRoot = root,
                SourceRevisionId = Strict ? null : CommitStamps.CommitOrNull(NullIfEmpty(SourceRevisionId), NullIfEmpty(SourceControlCommit)),
                SourceControlCommit = Strict ? null : NullIfEmpty(SourceControlCommit),
                GeneratedAssemblyInfoFile = NullIfEmpty(GeneratedAssemblyInfoFile),
                IntermediateDirectory = NullIfEmpty(IntermediateDirectory),
                CompilerFiles = CompilerIdentityFiles(CompilerPath, Language),
                CompilerRuntime = CompilerRuntime.Describe(CompilerPath, NullIfEmpty(DotnetHostPath)),
                CompilerEnvironment = CompilerEnvironment ?? "",
                Extra =
                [
                    new KeyInput("strict", Strict ? "commit in key" : "commit stamps left out"),
                    // Names the project's own setting when another checkout misses on every path (see KeyDiff).
                    .. root is not null && string.Equals(NullIfEmpty(DeterministicSourcePaths), "false", StringComparison.OrdinalIgnoreCase)
                        ? [new KeyInput(KeyDiff.ProjectKeepsAbsolutePaths, "")]
                        : Array.Empty<KeyInput>(),
                ],
            },
            Invocation = new CompilerInvocation
            {
                CompilerPath = CompilerPath,
                DotnetHostPath = NullIfEmpty(DotnetHostPath),
                Language = language,
                UseSharedCompilation = UseSharedCompilation,
                WorkingDirectory = projectDirectory,
                Environment = (CompilerEnvironment ?? "").Split([';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            },
        };
    }

    private CacheSettings ResolveSettings(ICacheLog log) => TaskSettings.Resolve(Settings, log);

    // The compiler is csc.dll (vbc.dll, fsc.dll) plus the compiler assemblies beside it; any change to them is another compiler.
    private static IReadOnlyList<string> CompilerIdentityFiles(string compilerPath, string? language)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(compilerPath))!;
        var files = new List<string> { Path.GetFullPath(compilerPath) };
        foreach (var name in CompilerLanguages.FromMSBuild(language).IdentityFileNames())
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                files.Add(path);
            }
        }

        return files;
    }

    private void LogCompilerOutput(CompilationOutcome outcome)
    {
        foreach (var line in outcome.OtherOutput)
        {
            Log.LogMessage(MessageImportance.Normal, line);
        }

        // A diagnostic the compiler printed without a file ("warning MSTEST0001: ...") is logged by the compiler task,
        // through MSBuild's parsing of tool output, with the task's name in capitals where the file would be
        // ("CSC : warning MSTEST0001: ..."); logged here without one, MSBuild would place it at this task's line in the
        // package's targets file instead.
        var tool = CompilerLanguages.FromMSBuild(Language) switch
        {
            CompilerLanguage.VisualBasic => "VBC",
            CompilerLanguage.FSharp => "FSC",
            _ => "CSC",
        };
        foreach (var d in outcome.Diagnostics)
        {
            var file = string.IsNullOrEmpty(d.File) ? tool : d.File;
            if (d.IsError)
            {
                Log.LogError(null, d.Code, null, file, d.Line, d.Column, d.EndLine, d.EndColumn, d.Message);
            }
            else if (d.IsWarning)
            {
                Log.LogWarning(null, d.Code, null, file, d.Line, d.Column, d.EndLine, d.EndColumn, d.Message);
            }
            else
            {
                Log.LogMessage(null, d.Code, null, file, d.Line, d.Column, d.EndLine, d.EndColumn, MessageImportance.Normal, d.Message);
            }
        }
    }

    private void WriteReport(string reportLine, ICacheLog log)
    {
        if (!string.IsNullOrWhiteSpace(ReportFile))
        {
            ReportFiles.Append(ReportFile, reportLine, log);
        }
    }

    private void WriteExplanation(ProjectIdentity project, CompilationOutcome outcome, ICacheLog log)
    {
        var folder = !string.IsNullOrWhiteSpace(ReportFile)
            ? Path.GetDirectoryName(Path.GetFullPath(ReportFile))!
            : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ProjectPath))!, IntermediateDirectory ?? "obj"));
        var file = Path.Combine(folder, $"{project.Name}.{project.TargetFramework ?? "any"}.{project.Configuration ?? "any"}.artifactcache-explain.txt");
        if (ReportFiles.WriteExplanation(file, CompilationReport.ExplanationFile(project, outcome), log))
        {
            Log.LogMessage(MessageImportance.High, $"ArtifactCache: explanation of the miss written to {file}");
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
