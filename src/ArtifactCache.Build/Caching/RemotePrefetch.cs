using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Local;
using ArtifactCache.Build.Remote;

namespace ArtifactCache.Build.Caching;

/// <summary>
/// Downloads that start when a project starts building, not when its key is known. A compilation's key depends on its
/// references, so it is known only once every project below it is built: on a remote 100 ms away, a fresh clone then
/// pays a round trip per project, one after another. So each stored compilation also publishes a prediction: under a
/// hash of the project, its target framework and configuration, and the commit (and the settings that shape keys), the
/// key it had. A project that starts building fetches its prediction and the artifact it names into the local cache, in
/// the background, while MSBuild builds what it references; the real lookup then finds the artifact local. And because
/// MSBuild starts the projects at the top of the graph late, every build also publishes its whole list of predictions, a
/// <see cref="CommitIndex"/> for the commit, its configuration and its solution: the first project a build starts fetches
/// it and with it every artifact the commit's builds had, one download per artifact across the build's nodes.
/// </summary>
/// <remarks>
/// A prediction is only a hint: the key is always computed from the inputs, and an artifact prefetched for another key
/// is simply not used. Prefetching is quiet (a failure costs nothing but the real lookup doing the work), never retried,
/// and cancelled when the build ends on the node; publications are waited for at the end of the build, briefly.
/// </remarks>
public sealed class RemotePrefetch : IDisposable
{
    internal const string Format = "artifactcache-prediction-v1";

    /// <summary>How many downloads one node runs at once.</summary>
    private const int Concurrency = 8;

    /// <summary>How long the end of a build waits for predictions still being published.</summary>
    private static readonly TimeSpan PublishWait = TimeSpan.FromSeconds(5);

    private readonly CacheSettings _settings;
    private readonly LocalCache _local;
    private readonly Func<bool> _remoteUsable;
    private readonly Func<string> _scratch;
    private readonly RemoteCacheClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots = new(Concurrency);
    private readonly ConcurrentDictionary<string, Task> _downloads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<string?>> _predictions = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _publications = [];
    private readonly ConcurrentDictionary<string, bool> _filled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<CommitIndex?>> _indexes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _ownIndexLines = new();
    private readonly IBuildFlags? _build;
    private Task? _status;

    /// <summary>The build's shared list of "indexKey predictionKey key" lines, one per compilation that hit or stored.</summary>
    private const string IndexList = "commit-index";

    /// <summary>How often a lookup looks again for an artifact another node is downloading.</summary>
    private static readonly TimeSpan OtherNodePoll = TimeSpan.FromMilliseconds(10);

    /// <param name="settings">The build's settings; the prefetch client makes one attempt per request.</param>
    /// <param name="local">Where prefetched artifacts go.</param>
    /// <param name="remoteUsable">False once the build's own client turned the remote off: prefetching stops too.</param>
    /// <param name="scratch">A folder for downloads in progress (inside the local cache, so moves are renames).</param>
    /// <param name="build">Shared with the build's other nodes: who downloads what, and the predictions made; null when
    /// the build could not be named across nodes (each node then downloads and publishes for itself).</param>
    /// <param name="handler">For tests: the HTTP handler.</param>
    public RemotePrefetch(CacheSettings settings, LocalCache local, Func<bool> remoteUsable, Func<string> scratch, IBuildFlags? build = null, HttpMessageHandler? handler = null)
    {
        _settings = settings;
        _build = build;
        _local = local;
        _remoteUsable = remoteUsable;
        _scratch = scratch;
        // Its own client, with no log and no build flags: a speculative request that fails must not warn, nor count
        // against the remote's health; the real lookup that follows does both.
        _client = new RemoteCacheClient(settings with { MaxRetries = 0 }, NullCacheLog.Instance, handler);
    }

    /// <summary>
    /// The name a prediction is stored under: what identifies a project's compilation at one commit (the project
    /// relative to the repository root, its target framework and configuration), and the settings that shape its key.
    /// </summary>
    public static string PredictionKey(string projectIdentity, string commit, bool strict, bool volatileVersions) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(
            "\n", Format, CompilationKeyBuilder.KeyFormat, projectIdentity, commit, strict ? "strict" : "commit left out", volatileVersions ? "volatile versions" : "versions in key")))).ToLowerInvariant();

    /// <summary>
    /// The name a commit's index is stored under: the commit, the configuration, the solution (its file name; empty when
    /// a project is built on its own) and the settings that shape keys. A Release build does not fetch the Debug
    /// build's artifacts, nor one solution's build the artifacts of every other solution in the repository.
    /// </summary>
    public static string IndexKey(string commit, string? configuration, string? solution, bool strict, bool volatileVersions) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(
            "\n", CommitIndex.Format, CompilationKeyBuilder.KeyFormat, commit, configuration ?? "", solution ?? "", strict ? "strict" : "commit left out", volatileVersions ? "volatile versions" : "versions in key")))).ToLowerInvariant();

    /// <summary>
    /// True when a prefetch of this build, on this node or another, put <paramref name="key"/> in the local cache: a hit
    /// on it came from the remote.
    /// </summary>
    public bool Prefetched(string key) => _filled.ContainsKey(key) || _build?.IsSet(FilledFlag(key)) == true;

    /// <summary>
    /// Starts fetching the project's prediction and, when it names an artifact the local cache lacks, that artifact;
    /// the first project this node starts also fetches the commit's index, and every artifact it names.
    /// </summary>
    public void Start(string predictionKey, string indexKey)
    {
        if (!_settings.RemoteCanRead || !_remoteUsable())
        {
            return;
        }

        // The remote's status is asked once per build before the first lookup, which for a project at the bottom of the
        // graph comes right after it starts: ask it now, quietly, and tell the lookup only that it is enabled (anything
        // else the lookup's own check finds and warns about).
        if (_build is not null && Interlocked.CompareExchange(ref _status, Task.CompletedTask, null) is null)
        {
            _status = Task.Run(AnnounceStatusAsync);
        }

        var index = _indexes.GetOrAdd(indexKey, ik => Task.Run(() => FetchIndexAsync(ik)));
        _predictions.GetOrAdd(predictionKey, pk => Task.Run(() => FetchAsync(pk, index)));
    }

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) for a download of <paramref name="key"/> that a prefetch on this node, or
    /// any download on another node, has in flight, so the caller finds it in the local cache instead of downloading it
    /// again. Returns at once when none is in flight.
    /// </summary>
    public void WaitFor(string key, TimeSpan limit, CancellationToken cancellationToken)
    {
        if (_downloads.TryGetValue(key, out var download))
        {
            try
            {
                download.Wait(limit, cancellationToken);
            }
            catch (AggregateException)
            {
                // Quiet by design: the caller's own lookup follows.
            }
        }

        // Another node's download: it holds the claim until the artifact is in the shared local cache, or it gave up.
        var deadline = DateTime.UtcNow + limit;
        while (_build?.IsClaimed(DownloadClaim(key)) == true && _local.TryGet(key) is null && DateTime.UtcNow < deadline)
        {
            cancellationToken.WaitHandle.WaitOne(OtherNodePoll);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Registers the caller's own download of <paramref name="key"/> until the returned object is disposed, so a
    /// prediction that names the key meanwhile waits for it instead of downloading it a second time. (A project at the
    /// bottom of the graph reaches its lookup before its own prediction has arrived: waiting for the prediction could
    /// queue the lookup behind every other prefetch of the node, so the lookup downloads and the prefetch defers.)
    /// Null when a download of the key is already in flight, on this node or another: wait for that one instead.
    /// </summary>
    public IDisposable? Claim(string key)
    {
        var own = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_build?.IsClaimed(DownloadClaim(key)) == true || !_downloads.TryAdd(key, own.Task))
        {
            return null;
        }

        // The other nodes wait for it too. Another node that claimed it since the check above downloads it: wait for that.
        if (_build?.TryClaim(DownloadClaim(key)) == false)
        {
            own.TrySetResult();
            return null;
        }

        return new Release(own, () => _build?.Release(DownloadClaim(key)));
    }

    private sealed class Release(TaskCompletionSource download, Action releaseAcrossNodes) : IDisposable
    {
        public void Dispose()
        {
            releaseAcrossNodes();
            download.TrySetResult();
        }
    }

    private void MarkFilled(string key)
    {
        _filled[key] = true;
        _build?.Set(FilledFlag(key));
    }

    /// <summary>
    /// Publishes that the project's compilation at this commit has <paramref name="key"/>, in the background, unless
    /// the prediction fetched in this build already said so; and adds it to the build's entries for the commit's index
    /// (published when the build ends).
    /// </summary>
    public void Publish(string predictionKey, string key, string indexKey)
    {
        if (!_settings.RemoteCanWrite || !_remoteUsable())
        {
            return;
        }

        var line = IndexLine(indexKey, predictionKey, key);
        if (_build is null)
        {
            _ownIndexLines.Enqueue(line);
        }
        else
        {
            _build.Append(IndexList, line);
        }

        if (!_predictions.TryGetValue(predictionKey, out var fetched))
        {
            _publications.Add(Task.Run(() => PublishAsync(predictionKey, key)));
            return;
        }

        // The prediction may still be on its way (a lookup no longer waits for it): decide once it has arrived.
        _publications.Add(Task.Run(async () =>
        {
            string? predicted = null;
            try
            {
                predicted = await fetched.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
            {
                // Quiet by design: publish as if nothing had been fetched.
            }

            if (predicted != key)
            {
                await PublishAsync(predictionKey, key).ConfigureAwait(false);
            }
        }));
    }

    internal static byte[] Body(string key) => Encoding.UTF8.GetBytes(Format + "\n" + key + "\n");

    /// <summary>The key a prediction's body names; null for anything else.</summary>
    internal static string? ParseBody(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        var lines = text.Split('\n');
        return lines.Length == 3 && lines[0] == Format && lines[2].Length == 0 && lines[1].Length == 64 && lines[1].All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f')
            ? lines[1]
            : null;
    }

    private async Task<string?> FetchAsync(string predictionKey, Task<CommitIndex?> index)
    {
        // The index is on its way (or here): when it names this project, its own prediction is not needed.
        var key = (await index) is { } fetched && fetched.TryGetKey(predictionKey, out var indexed)
            ? indexed
            : await WithSlot(async token =>
            {
                var bytes = await DownloadSmallAsync(predictionKey, 1024, token);
                return bytes is null ? null : ParseBody(bytes);
            });

        if (key is not null)
        {
            await StartDownload(key);
        }

        return key;
    }

    /// <summary>The commit's index (null when there is none, or it could not be read), and every artifact it names started.</summary>
    private async Task<CommitIndex?> FetchIndexAsync(string indexKey)
    {
        var index = await ReadIndexAsync(indexKey);

        // In the order the commit was built, so the bottom of the graph comes first; each queues for a download slot.
        foreach (var entry in index?.Entries ?? [])
        {
            _ = StartDownload(entry.Key);
        }

        return index;
    }

    private async Task AnnounceStatusAsync()
    {
        try
        {
            var enabled = _client.StatusFlag();
            if (!_build!.IsSet(enabled) && await _client.CheckStatusAsync(_stop.Token))
            {
                _build.Set(enabled);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or UnauthorizedAccessException or ObjectDisposedException or HttpRequestException)
        {
            // Quiet by design: the lookup asks for itself.
        }
    }

    private Task<CommitIndex?> ReadIndexAsync(string indexKey) => WithSlot(async token =>
    {
        var bytes = await DownloadSmallAsync(indexKey, 4 * 1024 * 1024, token);
        return bytes is null ? null : CommitIndex.Parse(bytes);
    });

    private Task StartDownload(string key)
    {
        if (_local.TryGet(key) is not null)
        {
            return Task.CompletedTask;
        }

        // Registered before it starts: GetOrAdd may run a factory whose value it then throws away (another thread won),
        // and a download started that way would be a second one.
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registered = _downloads.GetOrAdd(key, mine.Task);
        if (registered == mine.Task)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await DownloadAsync(key);
                }
                finally
                {
                    mine.TrySetResult();
                }
            });
        }

        return registered;
    }

    private Task DownloadAsync(string key) => WithSlot(async token =>
    {
        // One download per artifact per build, whichever node asks first; the others find it in the local cache they
        // share. Checked again once claimed: the claim may have been released by a node that just filled it.
        if (_local.TryGet(key) is not null || _build?.TryClaim(DownloadClaim(key)) == false)
        {
            return true;
        }

        var file = NewScratchFile(key, ".download");
        try
        {
            if (_local.TryGet(key) is null && (await _client.DownloadAsync(key, file, token)).Outcome == RemoteOutcome.Hit)
            {
                // Only a whole artifact enters the local cache (TryPut checks it); its key is checked again on restore.
                if (_local.TryPut(key, file, move: true))
                {
                    MarkFilled(key);
                }
            }

            return true;
        }
        finally
        {
            _build?.Release(DownloadClaim(key));
            TryDelete(file);
        }
    });

    // A prediction or an index: bytes only when found and no larger than a well-formed one can be.
    private async Task<byte[]?> DownloadSmallAsync(string name, long maxBytes, CancellationToken token)
    {
        var file = NewScratchFile(name, ".hint");
        try
        {
            var result = await _client.DownloadAsync(name, file, token);
            return result.Outcome == RemoteOutcome.Hit && new FileInfo(file).Length <= maxBytes ? await File.ReadAllBytesAsync(file, token) : null;
        }
        finally
        {
            TryDelete(file);
        }
    }

    /// <summary>
    /// Publishes the commit's index when this build made entries it lacks: the index this node fetched, with this
    /// build's entries (from every node) first. Every node computes the same; the first to claim it uploads.
    /// </summary>
    private void PublishIndexes()
    {
        if (!_settings.RemoteCanWrite || !_remoteUsable())
        {
            return;
        }

        var lines = _build?.Read(IndexList) ?? [.. _ownIndexLines];
        var uploads = new List<Task>();
        foreach (var group in lines.Select(ParseIndexLine).OfType<(string IndexKey, IndexEntry Entry)>().GroupBy(l => l.IndexKey, StringComparer.Ordinal))
        {
            // What the index held when the build started, so that the entries of earlier builds are kept; read now when
            // no project of this node asked for it (prefetch off for them), and taken as empty when it cannot be read.
            var fetched = CommitIndex.Empty;
            try
            {
                var fetching = _indexes.GetOrAdd(group.Key, ReadIndexAsync);
                fetched = (fetching.Wait(PublishWait) ? fetching.Result : null) ?? CommitIndex.Empty;
            }
            catch (AggregateException)
            {
                // Quiet by design: this build's entries alone.
            }

            var built = new CommitIndex(group.Select(l => l.Entry));
            if (fetched.Covers(built) || _build?.TryClaim("index-" + group.Key) == false)
            {
                continue;
            }

            var body = fetched.Merge(built.Entries).Body();
            uploads.Add(Task.Run(() => UploadSmallAsync(group.Key, body)));
        }

        try
        {
            Task.WaitAll([.. uploads], PublishWait);
        }
        catch (AggregateException)
        {
            // Quiet by design.
        }
    }

    // The build's shared list: an index entry's line, led by the name of the index it belongs to.
    private static string IndexLine(string indexKey, string predictionKey, string key) => indexKey + " " + predictionKey + " " + key;

    private static (string IndexKey, IndexEntry Entry)? ParseIndexLine(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        return space == 64 && CommitIndex.IsKey(line[..space]) && CommitIndex.ParseEntry(line[(space + 1)..]) is { } entry ? (line[..space], entry) : null;
    }

    private static string DownloadClaim(string key) => "download-" + key;

    private static string FilledFlag(string key) => "prefetched-" + key;

    private Task PublishAsync(string predictionKey, string key) => UploadSmallAsync(predictionKey, Body(key));

    // A prediction or an index, written to a scratch file for the client, which uploads files.
    private Task<bool> UploadSmallAsync(string name, byte[] body) => WithSlot(async token =>
    {
        var file = NewScratchFile(name, ".hint");
        try
        {
            await File.WriteAllBytesAsync(file, body, token);
            return await _client.UploadAsync(name, file, 0, token);
        }
        finally
        {
            TryDelete(file);
        }
    });

    // Every background step: bounded in number, stopped with the build, and never throwing.
    private async Task<T?> WithSlot<T>(Func<CancellationToken, Task<T?>> step)
    {
        try
        {
            await _slots.WaitAsync(_stop.Token);
            try
            {
                return _remoteUsable() ? await step(_stop.Token) : default;
            }
            finally
            {
                _slots.Release();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return default;
        }
    }

    private string NewScratchFile(string name, string extension) => Path.Combine(_scratch(), name + "." + Guid.NewGuid().ToString("N") + extension);

    public void Dispose()
    {
        // Predictions are for the next clone: give them a moment. Downloads were only for this build: stop them.
        try
        {
            Task.WaitAll([.. _publications], PublishWait);
        }
        catch (AggregateException)
        {
            // Quiet by design.
        }

        PublishIndexes();

        _stop.Cancel();
        try
        {
            Task.WaitAll([.. _downloads.Values, .. _predictions.Values, .. _indexes.Values, _status ?? Task.CompletedTask], PublishWait);
        }
        catch (AggregateException)
        {
            // Quiet by design.
        }

        _client.Dispose();
        _slots.Dispose();
        _stop.Dispose();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A scratch file: the local cache sweeps its scratch folder.
        }
    }
}
