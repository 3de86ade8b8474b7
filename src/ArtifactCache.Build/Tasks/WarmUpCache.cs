using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Diagnostics;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tasks;

/// <summary>
/// Runs when a project whose compiled assembly does not exist yet starts building (a fresh clone, a clean): starts
/// <see cref="HitWarmUp"/> in the background, once per MSBuild node, and returns at once. Quiet and never failing.
/// </summary>
public sealed class WarmUpCache : Microsoft.Build.Utilities.Task
{
    /// <summary>The package's settings: Include = MSBuild property name, Value = its value.</summary>
    public ITaskItem[] Settings { get; set; } = [];

    public override bool Execute()
    {
        try
        {
            // Quietly: CacheCompile resolves the same settings later and warns about them once.
            var settings = TaskSettings.Resolve(Settings, NullCacheLog.Instance);
            if (settings.Enabled)
            {
                HitWarmUp.Start(settings.DerivedDirectory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            Log.LogMessage(MessageImportance.Low, $"ArtifactCache: no warm-up ({e.GetType().Name}: {e.Message}).");
        }

        return true;
    }
}
