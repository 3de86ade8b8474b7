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
/// the background, while MSBuild builds what it references; the real lookup then finds the artifact local.
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
    private const int Concurrency = 4;

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

    /// <param name="settings">The build's settings; the prefetch client makes one attempt per request.</param>
    /// <param name="local">Where prefetched artifacts go.</param>
    /// <param name="remoteUsable">False once the build's own client turned the remote off: prefetching stops too.</param>
    /// <param name="scratch">A folder for downloads in progress (inside the local cache, so moves are renames).</param>
    /// <param name="handler">For tests: the HTTP handler.</param>
    public RemotePrefetch(CacheSettings settings, LocalCache local, Func<bool> remoteUsable, Func<string> scratch, HttpMessageHandler? handler = null)
    {
        _settings = settings;
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

    /// <summary>True when this build's prefetch put <paramref name="key"/> in the local cache: a hit on it came from the remote.</summary>
    public bool Prefetched(string key) => _filled.ContainsKey(key);

    /// <summary>Starts fetching the prediction and, when it names an artifact the local cache lacks, that artifact.</summary>
    public void Start(string predictionKey)
    {
        if (!_settings.RemoteCanRead || !_remoteUsable())
        {
            return;
        }

        _predictions.GetOrAdd(predictionKey, pk => Task.Run(() => FetchAsync(pk)));
    }

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) for a download of <paramref name="key"/> that a prediction started, so
    /// the caller finds it in the local cache instead of downloading it again. False when none is in flight.
    /// </summary>
    public bool WaitFor(string key, TimeSpan limit, CancellationToken cancellationToken)
    {
        if (!_downloads.TryGetValue(key, out var download))
        {
            return false;
        }

        try
        {
            download.Wait(limit, cancellationToken);
        }
        catch (AggregateException)
        {
            // Quiet by design: the caller's own lookup follows.
        }

        return true;
    }

    /// <summary>
    /// Registers the caller's own download of <paramref name="key"/> until the returned object is disposed, so a
    /// prediction that names the key meanwhile waits for it instead of downloading it a second time. (A project at the
    /// bottom of the graph reaches its lookup before its own prediction has arrived: waiting for the prediction could
    /// queue the lookup behind every other prefetch of the node, so the lookup downloads and the prefetch defers.)
    /// Null when a prefetch download of the key is already in flight: wait for that one instead.
    /// </summary>
    public IDisposable? Claim(string key)
    {
        var own = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _downloads.TryAdd(key, own.Task) ? new Release(own) : null;
    }

    private sealed class Release(TaskCompletionSource download) : IDisposable
    {
        public void Dispose() => download.TrySetResult();
    }

    /// <summary>
    /// Publishes that the project's compilation at this commit has <paramref name="key"/>, in the background, unless
    /// the prediction fetched in this build already said so.
    /// </summary>
    public void Publish(string predictionKey, string key)
    {
        if (!_settings.RemoteCanWrite || !_remoteUsable())
        {
            return;
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

    private async Task<string?> FetchAsync(string predictionKey)
    {
        var key = await WithSlot(async token =>
        {
            var file = NewScratchFile(predictionKey, ".prediction");
            try
            {
                var result = await _client.DownloadAsync(predictionKey, file, token);
                return result.Outcome == RemoteOutcome.Hit && new FileInfo(file).Length < 1024 ? ParseBody(await File.ReadAllBytesAsync(file, token)) : null;
            }
            finally
            {
                TryDelete(file);
            }
        });

        if (key is not null && _local.TryGet(key) is null)
        {
            var download = _downloads.GetOrAdd(key, k => Task.Run(() => DownloadAsync(k)));
            await download;
        }

        return key;
    }

    private Task DownloadAsync(string key) => WithSlot(async token =>
    {
        var file = NewScratchFile(key, ".download");
        try
        {
            if ((await _client.DownloadAsync(key, file, token)).Outcome == RemoteOutcome.Hit)
            {
                // Only a whole artifact enters the local cache (TryPut checks it); its key is checked again on restore.
                if (_local.TryPut(key, file))
                {
                    _filled[key] = true;
                }
            }

            return true;
        }
        finally
        {
            TryDelete(file);
        }
    });

    private Task PublishAsync(string predictionKey, string key) => WithSlot(async token =>
    {
        var file = NewScratchFile(predictionKey, ".prediction");
        try
        {
            await File.WriteAllBytesAsync(file, Body(key), token);
            return await _client.UploadAsync(predictionKey, file, 0, token);
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

        _stop.Cancel();
        try
        {
            Task.WaitAll([.. _downloads.Values, .. _predictions.Values], PublishWait);
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
