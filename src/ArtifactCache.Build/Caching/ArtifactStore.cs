using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Local;
using ArtifactCache.Build.Remote;

namespace ArtifactCache.Build.Caching;

/// <summary>Where a hit came from.</summary>
public enum CacheSource
{
    Local,
    Remote,
}

/// <summary>An artifact found in a cache: a file to read, and whether it is a download to delete after use.</summary>
public sealed record FetchedArtifact(string Key, string Path, CacheSource Source, bool IsTemporary, long? TaskDurationMs);

/// <summary>Where a stored artifact went; <see cref="NotStoredReason"/> says why when it went nowhere.</summary>
public sealed record StoreOutcome(bool Local, bool Remote, string? NotStoredReason)
{
    public bool Stored => Local || Remote;
}

/// <summary>
/// The caches in order: the local folder first, then the remote. A remote hit fills the local cache; a store goes to the
/// local cache and, unless the remote is read-only, to the remote. One instance serves every project an MSBuild node
/// builds, so the remote's circuit breaker and "disabled" state last for the whole build.
/// </summary>
public sealed class ArtifactStore : IDisposable
{
    private readonly CacheSettings _settings;
    private readonly LocalCache? _local;
    private readonly RemoteCacheClient? _remote;
    private readonly Lazy<bool> _remoteReady;
    private readonly RemotePrefetch? _prefetch;
    private readonly string _sessionId = Guid.NewGuid().ToString();

    /// <param name="settings">The build's settings.</param>
    /// <param name="local">The local cache; null when it is off.</param>
    /// <param name="remote">The remote cache's client; null when there is none.</param>
    /// <param name="buildFlags">Shared with the build's other MSBuild nodes (see <see cref="RemotePrefetch"/>).</param>
    /// <param name="prefetchHandler">For tests: the prefetch's HTTP handler.</param>
    public ArtifactStore(CacheSettings settings, LocalCache? local, RemoteCacheClient? remote, IBuildFlags? buildFlags = null, HttpMessageHandler? prefetchHandler = null)
    {
        _settings = settings;
        _local = local;
        _remote = remote;
        // The status endpoint is asked once per build, on first use, so builds that never miss or hit pay nothing.
        _remoteReady = new Lazy<bool>(() => _remote is not null && _remote.CheckStatusAsync(CancellationToken.None).GetAwaiter().GetResult());
        // Prefetched artifacts land in the local cache; without one there is nowhere to put them ahead of time.
        _prefetch = settings.Prefetch && local is not null && remote is not null
            ? new RemotePrefetch(settings, local, () => remote.IsUsable, () => ScratchDirectory, buildFlags, prefetchHandler)
            : null;
    }

    public static ArtifactStore Create(CacheSettings settings, ICacheLog log, IBuildFlags? buildFlags = null)
    {
        var local = settings.LocalEnabled ? new LocalCache(settings.LocalDirectory, settings.LocalMaxBytes, log) : null;
        var remote = settings.RemoteEnabled ? new RemoteCacheClient(settings, log, buildFlags: buildFlags) : null;
        return new ArtifactStore(settings, local, remote, buildFlags);
    }

    /// <summary>
    /// Starts fetching, in the background, the artifact a project's prediction names, and on the build's first call for
    /// <paramref name="indexKey"/> every artifact the commit's index names (see <see cref="RemotePrefetch"/>).
    /// </summary>
    public void StartPrefetch(string predictionKey, string indexKey) => _prefetch?.Start(predictionKey, indexKey);

    /// <summary>
    /// Publishes, in the background, that the compilation named by <paramref name="predictionKey"/> has
    /// <paramref name="key"/>, and adds it to the commit's index published when the build ends.
    /// </summary>
    public void PublishPrediction(string predictionKey, string key, string indexKey) => _prefetch?.Publish(predictionKey, key, indexKey);

    public bool HasLocal => _local is not null;

    public bool HasRemote => _remote is not null;

    /// <summary>A folder for downloads and artifacts being written: inside the local cache when there is one, so moves are renames.</summary>
    public string ScratchDirectory
    {
        get
        {
            // A read-only or full cache folder turns the local cache off (ACB4001) and scratch moves to the temp folder.
            if (_local is not null && _local.TryEnsureScratchFolder() is { } inCache)
            {
                return inCache;
            }

            var directory = Path.Combine(Path.GetTempPath(), "artifactcache");
            Directory.CreateDirectory(directory);
            return directory;
        }
    }

    public FetchedArtifact? TryFetch(string key, CancellationToken cancellationToken)
    {
        var fetched = Fetch(key, cancellationToken);
        RecordEvent(key, fetched, cancellationToken);
        return fetched;
    }

    private FetchedArtifact? Fetch(string key, CancellationToken cancellationToken)
    {
        if (_local is not null && _local.TryGet(key) is { } localPath)
        {
            var source = _prefetch?.Prefetched(key) == true ? CacheSource.Remote : CacheSource.Local;
            return new FetchedArtifact(key, localPath, source, IsTemporary: false, TaskDurationMs: null);
        }

        if (!_settings.RemoteCanRead || !RemoteUsable())
        {
            return null;
        }

        // A download a prefetch started for this key, or another node's: wait for it rather than start another. Else this
        // lookup downloads, and says so, so that a prefetch naming the key meanwhile does not download it again.
        // Looked for again once claimed or waited for: a download on this node or another may have filled it since.
        using var claim = _prefetch?.Claim(key);
        if (_prefetch is not null && claim is null)
        {
            _prefetch.WaitFor(key, _settings.RequestTimeout, cancellationToken);
        }

        if (_prefetch is not null && _local!.TryGet(key) is { } prefetched)
        {
            return new FetchedArtifact(key, prefetched, CacheSource.Remote, IsTemporary: false, TaskDurationMs: null);
        }

        var download = Path.Combine(ScratchDirectory, key + "." + Guid.NewGuid().ToString("N") + ".download");
        var result = _remote!.DownloadAsync(key, download, cancellationToken).GetAwaiter().GetResult();
        if (result.Outcome != RemoteOutcome.Hit)
        {
            TryDelete(download);
            return null;
        }

        // Fill the local cache so the next build on this machine does not go to the network. A download that is not a
        // whole artifact stays out of it (TryPut refuses it): the restore then rejects it with its own warning.
        if (_local is not null && _local.TryPut(key, download, move: true) && _local.TryGet(key) is { } filled)
        {
            TryDelete(download);
            return new FetchedArtifact(key, filled, CacheSource.Remote, IsTemporary: false, result.TaskDurationMs);
        }

        return new FetchedArtifact(key, download, CacheSource.Remote, IsTemporary: true, result.TaskDurationMs);
    }

    /// <summary>The artifact could not be restored (corrupt, hostile): make sure it is not served again from the local cache.</summary>
    public void Reject(FetchedArtifact artifact)
    {
        if (artifact.IsTemporary)
        {
            TryDelete(artifact.Path);
        }
        else
        {
            _local?.Invalidate(artifact.Key);
        }
    }

    public void Release(FetchedArtifact artifact)
    {
        if (artifact.IsTemporary)
        {
            TryDelete(artifact.Path);
        }
    }

    /// <param name="key">The artifact's key.</param>
    /// <param name="artifactFile">The artifact.</param>
    /// <param name="taskDurationMs">What the compile took, for the remote's metadata.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    /// <param name="moveIntoLocal">The file is the caller's scratch copy: moved into the local cache (a rename) after the upload rather than copied.</param>
    public StoreOutcome Store(string key, string artifactFile, long taskDurationMs, CancellationToken cancellationToken, bool moveIntoLocal = false)
    {
        var remote = false;
        string? reason = null;
        if (_settings.RemoteCanWrite)
        {
            remote = RemoteUsable() && _remote!.UploadAsync(key, artifactFile, taskDurationMs, cancellationToken).GetAwaiter().GetResult();
        }

        var local = _local is not null && _local.TryPut(key, artifactFile, moveIntoLocal);

        if (!local && !remote)
        {
            reason = _local is null && _remote is null ? "no cache is enabled"
                : _local is null && !_settings.RemoteCanWrite ? "the remote cache is read-only and the local cache is off"
                : "the cache could not be written (see the warning above)";
        }

        _local?.EvictIfNeeded();
        return new StoreOutcome(local, remote, reason);
    }

    /// <summary>
    /// Writes an artifact of <paramref name="outputs"/> for <paramref name="key"/> in the scratch folder and stores it
    /// (see <see cref="Store"/>). A write that fails is warning ACB4003 and "not stored"; the build goes on.
    /// </summary>
    public StoreOutcome WriteAndStore(CompilationKey key, IReadOnlyList<ToolDiagnostic> diagnostics, TimeSpan duration, IReadOnlyList<ArtifactFile> outputs, IReadOnlyList<ArtifactInput> reads, ICacheLog log, CancellationToken cancellationToken, IReadOnlyList<ArtifactDerivedHash>? derived = null)
    {
        var temporary = Path.Combine(ScratchDirectory, key.Value + "." + Guid.NewGuid().ToString("N") + ".artifact");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                ArtifactWriter.Write(
                    stream,
                    key.Value,
                    key.Inputs.Select(i => new ArtifactInput(i.Name, i.Hash)).ToList(),
                    diagnostics,
                    (long)duration.TotalMilliseconds,
                    outputs,
                    reads,
                    derived);
            }

            return Store(key.Value, temporary, (long)duration.TotalMilliseconds, cancellationToken, moveIntoLocal: true);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Warning(DiagnosticCodes.LocalWriteFailed, $"Could not write the artifact ({e.GetType().Name}: {e.Message}); the build goes on without storing it.");
            return new StoreOutcome(false, false, "the artifact could not be written");
        }
        finally
        {
            TryDelete(temporary);
        }
    }

    // Usage events (POST /v8/artifacts/events), only when ArtifactCacheRemoteEvents is on; one per lookup, like turbo.
    private void RecordEvent(string key, FetchedArtifact? fetched, CancellationToken cancellationToken)
    {
        if (!_settings.SendEvents || !RemoteUsable())
        {
            return;
        }

        var remote = fetched?.Source == CacheSource.Remote || (fetched is null && _settings.RemoteCanRead);
        var cacheEvent = new CacheEvent(_sessionId, Hit: fetched is not null, Remote: remote, key, fetched?.TaskDurationMs);
        _remote!.RecordEventsAsync([cacheEvent], cancellationToken).GetAwaiter().GetResult();
    }

    private bool RemoteUsable() => _remote is not null && _remoteReady.Value && _remote.IsUsable;

    public void Dispose()
    {
        _prefetch?.Dispose();
        _remote?.Dispose();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
