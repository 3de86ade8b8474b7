using System.Collections.Concurrent;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Reporting;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ArtifactCache.Build.Tasks;

/// <summary>
/// The cache library's log, written to the MSBuild log of the task that is running. A coded warning is raised once per
/// code per build: once per node (the set of codes already raised lives as long as the build) and, when the build's
/// session is known, once across all nodes. A dead remote gives one warning, not one per project; the repeats are
/// low-importance messages.
/// </summary>
internal sealed class MSBuildCacheLog : ICacheLog
{
    private readonly TaskLoggingHelper _log;
    private readonly ConcurrentDictionary<string, bool> _warned;

    public MSBuildCacheLog(TaskLoggingHelper log, ConcurrentDictionary<string, bool> warnedThisBuild)
    {
        _log = log;
        _warned = warnedThisBuild;
    }

    /// <summary>The build's session once the cache folder is known; before that, warnings are once per node.</summary>
    public BuildSession? Session { get; set; }

    public void Warning(string code, string message)
    {
        if (_warned.TryAdd(code, true) && (Session?.TryClaimWarning(code) ?? true))
        {
            _log.LogWarning(subcategory: null, warningCode: code, helpKeyword: null, file: null, lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: "ArtifactCache: " + message);
        }
        else
        {
            _log.LogMessage(MessageImportance.Low, $"ArtifactCache: {code}: {message}");
        }
    }

    public void Info(string message) => _log.LogMessage(MessageImportance.Normal, message);

    public void Detail(string message) => _log.LogMessage(MessageImportance.Low, message);
}

/// <summary>State shared by every cached compilation of one build on one MSBuild node.</summary>
internal static class BuildState
{
    private const string WarnedKey = "ArtifactCache.Build.WarnedCodes";
    private const string StoresKey = "ArtifactCache.Build.Stores";
    private const string SessionsKey = "ArtifactCache.Build.Sessions";
    private const string HashersKey = "ArtifactCache.Build.FileHashers";

    public static ConcurrentDictionary<string, bool> WarnedCodes(IBuildEngine engine) =>
        GetOrCreate(engine, WarnedKey, () => new ConcurrentDictionary<string, bool>(StringComparer.Ordinal));

    public static StoreRegistry Stores(IBuildEngine engine) => GetOrCreate(engine, StoresKey, () => new StoreRegistry());

    public static SessionRegistry Sessions(IBuildEngine engine) => GetOrCreate(engine, SessionsKey, () => new SessionRegistry());

    /// <summary>This build's file hasher on this node (files under <paramref name="immutableFolders"/> are remembered for the node's life).</summary>
    public static FileHasher Hasher(IBuildEngine engine, IReadOnlyList<string> immutableFolders) =>
        GetOrCreate(engine, HashersKey, () => new ConcurrentDictionary<string, FileHasher>(StringComparer.Ordinal))
            .GetOrAdd(string.Join("\n", immutableFolders), _ => FileHasher.ForBuild(FileHasher.Shared, immutableFolders));

    internal static T GetOrCreate<T>(IBuildEngine engine, string key, Func<T> create)
        where T : class
    {
        if (engine is not IBuildEngine4 engine4)
        {
            return create();
        }

        lock (typeof(BuildState))
        {
            if (engine4.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is T existing)
            {
                return existing;
            }

            var created = create();
            engine4.RegisterTaskObject(key, created, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
            return created;
        }
    }
}
