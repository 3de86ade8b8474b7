using System.Collections.Concurrent;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Tasks;

/// <summary>
/// One <see cref="ArtifactStore"/> per distinct settings per build on this node; MSBuild disposes it when the build ends.
/// The stores outlive the task that created them, so they log through <see cref="Log"/>, which each task points at its
/// own logger while it runs (a node runs one task at a time; this task never yields).
/// </summary>
internal sealed class StoreRegistry : IDisposable
{
    private readonly ConcurrentDictionary<CacheSettings, Lazy<ArtifactStore>> _stores = new();

    public CurrentTaskLog Log { get; } = new();

    /// <param name="settings">The resolved settings; one store per distinct settings.</param>
    /// <param name="buildFlags">The build's session, shared with the other nodes; null when there is none.</param>
    public ArtifactStore Get(CacheSettings settings, IBuildFlags? buildFlags) =>
        _stores.GetOrAdd(settings, s => new Lazy<ArtifactStore>(() => ArtifactStore.Create(s, Log, buildFlags))).Value;

    public void Dispose()
    {
        foreach (var store in _stores.Values.Where(s => s.IsValueCreated))
        {
            store.Value.Dispose();
        }
    }
}

/// <summary>Forwards to the log of the task that is running now.</summary>
internal sealed class CurrentTaskLog : ICacheLog
{
    private volatile ICacheLog _current = NullCacheLog.Instance;

    public ICacheLog Current
    {
        get => _current;
        set => _current = value;
    }

    public void Warning(string code, string message) => _current.Warning(code, message);

    public void Info(string message) => _current.Info(message);

    public void Detail(string message) => _current.Detail(message);
}
