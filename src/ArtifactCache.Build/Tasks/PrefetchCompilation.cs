using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Diagnostics;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tasks;

/// <summary>
/// Runs when a project starts building, before its project references are built: starts the background download of
/// the artifact its prediction names (<see cref="RemotePrefetch"/>). Quiet and never failing: a prefetch is only a head
/// start for the real lookup in <see cref="CacheCompile"/>.
/// </summary>
public sealed class PrefetchCompilation : Microsoft.Build.Utilities.Task
{
    [Required]
    public string ProjectPath { get; set; } = "";

    public string? TargetFramework { get; set; }

    public string? Configuration { get; set; }

    /// <summary>The solution's file name when the project is built as part of one (names the commit's index).</summary>
    public string? SolutionFileName { get; set; }

    /// <summary>The folder mapped with PathMap; empty when relocation is off.</summary>
    public string? RepositoryRoot { get; set; }

    /// <summary>$(SourceRevisionId): the commit by default, though a build may set it to a stamp.</summary>
    public string? SourceRevisionId { get; set; }

    /// <summary>The commit source control found. Without it or <see cref="SourceRevisionId"/> there is no prediction.</summary>
    public string? SourceControlCommit { get; set; }

    public bool Strict { get; set; }

    /// <summary>The package's settings: Include = MSBuild property name, Value = its value.</summary>
    public ITaskItem[] Settings { get; set; } = [];

    public override bool Execute()
    {
        // Named as CacheCompile names the prediction it publishes, by what the key holds of the commit and the stamp.
        if (CommitStamps.PredictionRevision(SourceRevisionId, SourceControlCommit) is not { } revision)
        {
            return true;
        }

        try
        {
            // Quietly: CacheCompile resolves the same settings later and warns about them once.
            var settings = TaskSettings.Resolve(Settings, NullCacheLog.Instance);
            if (!settings.Enabled || !settings.Prefetch || !settings.LocalEnabled || !settings.RemoteCanRead)
            {
                return true;
            }

            var session = BuildState.Sessions(BuildEngine).Get(settings.LocalDirectory);
            var identity = KeyHistory.ProjectIdentity(ProjectPath, NullIfEmpty(RepositoryRoot), NullIfEmpty(TargetFramework), NullIfEmpty(Configuration));
            BuildState.Stores(BuildEngine).Get(settings, session).StartPrefetch(
                RemotePrefetch.PredictionKey(identity, revision, Strict, settings.VolatileVersions),
                RemotePrefetch.IndexKey(revision, NullIfEmpty(Configuration), NullIfEmpty(SolutionFileName), Strict, settings.VolatileVersions));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            Log.LogMessage(MessageImportance.Low, $"ArtifactCache: no prefetch ({e.GetType().Name}: {e.Message}).");
        }

        return true;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
