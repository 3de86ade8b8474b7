using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Remote;

/// <summary>
/// A client for the Vercel/Turborepo remote cache API (v8). Safe to share between concurrently building projects.
/// Never throws a remote fault at the caller: every failure becomes a coded warning (at most once per cause) and a
/// miss/false/null; only <see cref="OperationCanceledException"/> for the caller's own token escapes.
/// </summary>
/// <remarks>
/// Worst-case time a dead remote adds to a build (every attempt hangs until its timeout):
/// one operation B ≤ (MaxRetries + 1) × RequestTimeout + MaxRetries × 10 s (the backoff/Retry-After cap);
/// connecting, the response headers and the whole body all run inside the attempt's RequestTimeout.
/// After CircuitBreakerThreshold consecutive failed operations every later call returns at once. A caller's failed
/// operations that completed before that number fewer than the threshold, plus the one it has in flight, so no
/// caller (sequential or one of many concurrent ones) waits longer than CircuitBreakerThreshold × B in total.
/// With the defaults (threshold 3, 2 retries, 15 s) that would be 3 × (45 s + 20 s) = 195 s, so a second bound applies:
/// once failed operations have taken RemoteBudget (default 30 s) in total, the remote is off for the build. A node
/// therefore waits at most RemoteBudget plus the one operation in flight when the budget ran out (at most 30 s + B);
/// and the first node to turn the remote off tells the build's other nodes (<see cref="IBuildFlags"/>), which stop at
/// their next call. A refused connection costs only the backoff (under 1 s per operation). Because RequestTimeout caps a whole transfer, it must also fit the
/// largest artifact on the slowest link.
/// </remarks>
public sealed class RemoteCacheClient : IDisposable
{
    private const string StatusRouteMissing = "(no status route)";
    private readonly CacheSettings _settings;
    private readonly ICacheLog _log;
    private readonly RemoteHealth _health;
    private readonly RemoteTransport? _transport;
    private readonly RemoteRequestFactory? _requests;
    private readonly ArtifactSigner? _signer;
    private readonly IBuildFlags? _buildFlags;
    private int _queryUnsupported;

    /// <param name="settings">The resolved settings; nothing is sent when no remote is configured.</param>
    /// <param name="log">Receives the coded warnings.</param>
    /// <param name="handler">For tests: replaces the default <see cref="SocketsHttpHandler"/> (not disposed by the client).</param>
    /// <param name="delay">For tests: replaces <see cref="Task.Delay(TimeSpan, CancellationToken)"/> between retries.</param>
    /// <param name="environment">Reads environment variables (CI detection); defaults to the process environment.</param>
    /// <param name="buildFlags">Shared with the build's other MSBuild nodes, so that a remote turned off by one is off for all.</param>
    public RemoteCacheClient(
        CacheSettings settings,
        ICacheLog log,
        HttpMessageHandler? handler = null,
        Func<TimeSpan, CancellationToken, Task>? delay = null,
        Func<string, string?>? environment = null,
        IBuildFlags? buildFlags = null)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _health = new RemoteHealth(log, settings.CircuitBreakerThreshold, settings.RemoteBudget, buildFlags);
        _buildFlags = buildFlags;
        if (settings.RemoteEnabled)
        {
            _requests = new RemoteRequestFactory(settings, environment ?? Environment.GetEnvironmentVariable);
            _transport = new RemoteTransport(settings, handler, delay);
            if (settings.Token is { } token && !RemoteRequestFactory.IsValidToken(token))
            {
                // The resolver already turns the remote off for such a token (ACB1006); this guards settings made
                // elsewhere, once, rather than as a header-format exception on every request.
                _health.Disable(
                    DiagnosticCodes.InvalidToken,
                    "The remote cache token contains characters an HTTP header cannot carry (spaces, line breaks or non-ASCII). Check ARTIFACTCACHE_TOKEN or TURBO_TOKEN. The remote cache is off for this build.");
            }
        }

        if (settings.SigningEnabled)
        {
            _signer = new ArtifactSigner(settings.SignatureKey!, settings.SignatureTeamId);
        }
    }

    /// <summary>False when no remote is configured, or once it was disabled (rejected, status not enabled) or its circuit opened.</summary>
    public bool IsUsable => _transport is not null && _health.IsUsable;

    /// <summary>GET /v8/artifacts/status. False when the remote is unusable; a status other than "enabled" disables it with one ACB2004.</summary>
    public async Task<bool> CheckStatusAsync(CancellationToken ct)
    {
        if (!IsUsable)
        {
            return false;
        }

        // Once per build, not once per node: the first node to find the remote enabled tells the others, so each of
        // them saves a round trip before its first hit. A status that is not "enabled" turns the remote off for every
        // node through the health flags instead.
        var enabledFlag = StatusFlag();
        if (_buildFlags?.IsSet(enabledFlag) == true)
        {
            return true;
        }

        var exchange = await SendAsync(
            () => _requests!.Create(HttpMethod.Get, "v8/artifacts/status"),
            async (response, token) => response.StatusCode switch
            {
                HttpStatusCode.OK => await ReadStatusAsync(response, token),
                HttpStatusCode.NotFound => StatusRouteMissing,
                _ => $"HTTP {(int)response.StatusCode}",
            },
            "status check",
            ct);
        if (exchange.Kind != ExchangeKind.Answered)
        {
            return false;
        }

        if (exchange.Value == "enabled")
        {
            _buildFlags?.Set(enabledFlag);
            return true;
        }

        if (exchange.Value == StatusRouteMissing)
        {
            // Some self-hosted servers do not implement the status route; that says nothing about the artifacts routes.
            _log.Detail($"The remote cache at {_requests!.DisplayUrl} has no status route (HTTP 404); assuming it is enabled.");
            _buildFlags?.Set(enabledFlag);
            return true;
        }

        _health.Disable(
            DiagnosticCodes.RemoteStatusNotEnabled,
            $"The remote cache at {_requests!.DisplayUrl} reports its status as '{exchange.Value}', not 'enabled'{RemoteAdvice.ForStatus(exchange.Value)}. The remote cache is off for the rest of this build.");
        return false;
    }

    /// <summary>
    /// GET /v8/artifacts/{hash} into a temp file beside <paramref name="destinationFile"/>, checked (length, size limit,
    /// signature when signing is on) and then moved into place. The destination is only ever written whole.
    /// </summary>
    public async Task<RemoteDownload> DownloadAsync(string hash, string destinationFile, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        ArgumentException.ThrowIfNullOrEmpty(destinationFile);
        if (!_settings.RemoteCanRead || !IsUsable)
        {
            return new RemoteDownload(RemoteOutcome.Skipped, null);
        }

        var destination = Path.GetFullPath(destinationFile);
        var tempFile = $"{destination}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            var exchange = await SendAsync(
                () => _requests!.Artifact(HttpMethod.Get, hash),
                (response, token) => ArtifactReceiver.ReceiveAsync(response, tempFile, _settings.MaxArtifactBytes, token),
                $"download of {hash}",
                ct);
            if (exchange.Kind != ExchangeKind.Answered)
            {
                return new RemoteDownload(RemoteOutcome.Failed, null);
            }

            var received = exchange.Value!;
            switch (received.Status)
            {
                case ReceiveStatus.NotFound:
                    return new RemoteDownload(RemoteOutcome.Miss, null);
                case ReceiveStatus.Corrupt:
                    _log.Warning(DiagnosticCodes.RemoteCorruptDownload, $"The remote cache sent a damaged artifact {hash} ({received.Detail}); it was discarded and counts as a miss. The next upload replaces it.");
                    return new RemoteDownload(RemoteOutcome.Miss, null);
                case ReceiveStatus.TooLarge:
                    _log.Warning(DiagnosticCodes.RemoteArtifactTooLarge, $"The remote artifact {hash} is larger than the {_settings.MaxArtifactBytes}-byte limit ({received.Detail}); it was discarded and counts as a miss. Raise ArtifactCacheMaxArtifactSize if it is expected.");
                    return new RemoteDownload(RemoteOutcome.Miss, null);
                case ReceiveStatus.Unexpected:
                    _log.Info($"The remote cache answered the download of {hash} with {received.Detail}; counted as a miss.");
                    return new RemoteDownload(RemoteOutcome.Miss, null);
            }

            if (_signer is not null && !_signer.VerifyFile(hash, tempFile, received.Tag))
            {
                _log.Warning(
                    DiagnosticCodes.SignatureInvalid,
                    received.Tag is null
                        ? $"The remote artifact {hash} has no signature (x-artifact-tag) but signing is on; it was discarded and counts as a miss. Was it uploaded without the signature key?"
                        : $"The remote artifact {hash} has a signature that does not match its content; it was discarded and counts as a miss. Check that every machine uses the same signature key and team id.");
                return new RemoteDownload(RemoteOutcome.Miss, null);
            }

            File.Move(tempFile, destination, overwrite: true);
            return new RemoteDownload(RemoteOutcome.Hit, received.TaskDurationMs);
        }
        catch (Exception ex) when (ex is LocalFileException or IOException or UnauthorizedAccessException)
        {
            _log.Warning(DiagnosticCodes.LocalWriteFailed, $"The remote artifact {hash} could not be saved to {destination}: {ex.Message}. Counted as a miss.");
            return new RemoteDownload(RemoteOutcome.Failed, null);
        }
        finally
        {
            TryDelete(tempFile);
        }
    }

    /// <summary>PUT /v8/artifacts/{hash} with the file's bytes; true when the server accepted it.</summary>
    public async Task<bool> UploadAsync(string hash, string sourceFile, long taskDurationMs, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        ArgumentException.ThrowIfNullOrEmpty(sourceFile);
        if (!_settings.RemoteCanWrite || !IsUsable)
        {
            return false;
        }

        string? tag;
        long length;
        try
        {
            length = new FileInfo(sourceFile).Length;
            tag = _signer?.TagOfFile(hash, sourceFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.Warning(DiagnosticCodes.RemoteUploadFailed, $"The artifact {hash} was not uploaded: {sourceFile} cannot be read ({ex.Message}).");
            return false;
        }

        if (length > _settings.MaxArtifactBytes)
        {
            // Every reader applies the same limit, so such an upload would only cost bandwidth and storage.
            _log.Warning(DiagnosticCodes.RemoteArtifactTooLarge, $"The artifact {hash} ({length} bytes) is larger than the {_settings.MaxArtifactBytes}-byte limit and was not uploaded. Raise ArtifactCacheMaxArtifactSize if it is expected.");
            return false;
        }

        try
        {
            var exchange = await SendAsync(
                () => CreateUpload(hash, sourceFile, length, taskDurationMs, tag),
                (response, _) => Task.FromResult((int)response.StatusCode),
                $"upload of {hash}",
                ct);
            if (exchange.Kind != ExchangeKind.Answered)
            {
                return false;
            }

            if (exchange.Value is >= 200 and < 300)
            {
                return true;
            }

            _log.Warning(DiagnosticCodes.RemoteUploadFailed, $"The remote cache refused the artifact {hash} ({length} bytes) with HTTP {exchange.Value}; the build goes on without uploading it.");
            return false;
        }
        catch (LocalFileException ex)
        {
            _log.Warning(DiagnosticCodes.RemoteUploadFailed, $"The artifact {hash} was not uploaded: {ex.Message}.");
            return false;
        }
    }

    /// <summary>HEAD /v8/artifacts/{hash}: true/false, or null when that could not be learned.</summary>
    public async Task<bool?> ExistsAsync(string hash, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        if (!_settings.RemoteCanRead || !IsUsable)
        {
            return null;
        }

        var exchange = await SendAsync(
            () => _requests!.Artifact(HttpMethod.Head, hash),
            (response, _) => Task.FromResult(response.StatusCode switch
            {
                HttpStatusCode.OK => true,
                HttpStatusCode.NotFound => false,
                _ => (bool?)null,
            }),
            $"existence check of {hash}",
            ct);
        return exchange.Kind == ExchangeKind.Answered ? exchange.Value : null;
    }

    /// <summary>
    /// POST /v8/artifacts: which of these hashes exist. Null when unknown, including when the server lacks the route
    /// (404; remembered, so later calls do not ask again): the caller then falls back to <see cref="ExistsAsync"/>.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, bool>?> QueryAsync(IReadOnlyCollection<string> hashes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        if (!_settings.RemoteCanRead || !IsUsable || Volatile.Read(ref _queryUnsupported) != 0)
        {
            return null;
        }

        if (hashes.Count == 0)
        {
            return new Dictionary<string, bool>();
        }

        var exchange = await SendAsync(
            () => CreateJsonPost("v8/artifacts", RemoteJson.HashesQuery(hashes)),
            async (response, token) =>
            {
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    Interlocked.Exchange(ref _queryUnsupported, 1);
                    _log.Detail("The remote cache has no batch query (POST /v8/artifacts answered 404); existence is checked one hash at a time.");
                    return null;
                }

                return response.StatusCode == HttpStatusCode.OK
                    ? RemoteJson.ParseQueryAnswer(await response.Content.ReadAsByteArrayAsync(token), hashes)
                    : null;
            },
            "batch existence query",
            ct);
        return exchange.Kind == ExchangeKind.Answered ? exchange.Value : null;
    }

    /// <summary>POST /v8/artifacts/events; does nothing unless events are on (ArtifactCacheRemoteEvents). Best effort.</summary>
    public async Task RecordEventsAsync(IReadOnlyCollection<CacheEvent> events, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (!_settings.SendEvents || events.Count == 0 || !IsUsable)
        {
            return;
        }

        var exchange = await SendAsync(
            () => CreateJsonPost("v8/artifacts/events", RemoteJson.Events(events)),
            (response, _) => Task.FromResult((int)response.StatusCode),
            "event report",
            ct);
        if (exchange.Kind == ExchangeKind.Answered && exchange.Value is not (>= 200 and < 300))
        {
            _log.Detail($"The remote cache answered the event report with HTTP {exchange.Value}.");
        }
    }

    public void Dispose() => _transport?.Dispose();

    // Names the remote and the team asked (the status route's URL, which holds no secret): another remote or team in
    // the same build is asked on its own.
    /// <summary>
    /// The build flag that says this remote answered "enabled" (see <see cref="CheckStatusAsync"/>): a client that
    /// learns it quietly ahead of the first lookup (the prefetch) sets it, so the lookup does not ask again.
    /// </summary>
    internal string StatusFlag()
    {
        using var request = _requests!.Create(HttpMethod.Get, "v8/artifacts/status");
        var url = request.RequestUri!.ToString();
        return "remote-enabled-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(url)), 0, 8).ToLowerInvariant();
    }

    /// <summary>Sends through the transport and turns rejections and unavailability into the shared health state.</summary>
    private async Task<Exchange<T>> SendAsync<T>(
        Func<HttpRequestMessage> createRequest,
        Func<HttpResponseMessage, CancellationToken, Task<T>> readAnswer,
        string operation,
        CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var exchange = await _transport!.SendAsync(createRequest, readAnswer, ct);
        switch (exchange.Kind)
        {
            case ExchangeKind.Answered:
                _health.Answered();
                break;
            case ExchangeKind.Rejected:
                _health.Disable(
                    DiagnosticCodes.RemoteRejected,
                    $"The remote cache at {_requests!.DisplayUrl} {RemoteAdvice.ForRejection(exchange.Status)}. It answered the {operation}; the remote cache is off for the rest of this build.");
                break;
            default:
                _health.Unavailable($"The remote cache at {_requests!.DisplayUrl} did not answer the {operation}: {exchange.Problem}.", System.Diagnostics.Stopwatch.GetElapsedTime(started));
                break;
        }

        return exchange;
    }

    private HttpRequestMessage CreateUpload(string hash, string sourceFile, long length, long taskDurationMs, string? tag)
    {
        var request = _requests!.Artifact(HttpMethod.Put, hash);
        Stream body;
        try
        {
            body = new FileStream(sourceFile, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            request.Dispose();
            throw new LocalFileException($"{sourceFile} cannot be read ({ex.Message})", ex);
        }

        // The content (and with it the file) is disposed with the request after each attempt.
        request.Content = new StreamContent(body, 81920);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentLength = length;
        request.Headers.TryAddWithoutValidation("x-artifact-duration", RemoteRequestFactory.Milliseconds(Math.Max(0, taskDurationMs)));
        if (tag is not null)
        {
            request.Headers.TryAddWithoutValidation("x-artifact-tag", tag);
        }

        return request;
    }

    private HttpRequestMessage CreateJsonPost(string path, byte[] json)
    {
        var request = _requests!.Create(HttpMethod.Post, path);
        request.Content = new ByteArrayContent(json);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return request;
    }

    private static async Task<string> ReadStatusAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
            return document.RootElement.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
                ? status.GetString()!
                : "missing";
        }
        catch (JsonException)
        {
            return "unreadable";
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover *.tmp file is harmless; the caller's result does not depend on it.
        }
    }
}
