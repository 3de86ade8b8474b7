using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tasks;

/// <summary>The package's settings as the tasks receive them: Include = MSBuild property name, Value = its value.</summary>
internal static class TaskSettings
{
    public static CacheSettings Resolve(ITaskItem[] items, ICacheLog log)
    {
        var properties = items.ToDictionary(s => s.ItemSpec, s => s.GetMetadata("Value"), StringComparer.OrdinalIgnoreCase);
        return new SettingsResolver(name => properties.TryGetValue(name, out var value) ? value : null, Environment.GetEnvironmentVariable, log).Resolve();
    }
}
