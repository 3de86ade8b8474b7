using System.Net;
using System.Net.Http.Headers;
using ArtifactCache.Build.Configuration;

namespace ArtifactCache.Build.Remote;

/// <summary>How one request to the remote ended, after retries.</summary>
internal enum ExchangeKind
{
    /// <summary>A response that is neither a rejection nor a transient failure; the reader turned it into a value.</summary>
    Answered,

    /// <summary>400/401/402/403: retrying cannot help, the settings are wrong.</summary>
    Rejected,

    /// <summary>408/429/5xx, a network error or a timeout, on every attempt.</summary>
    Unavailable,
}

internal readonly record struct Exchange<T>(ExchangeKind Kind, T? Value, int Status, string Problem);

/// <summary>
/// Sends one logical request with a per-attempt timeout and retries, and classifies how it ended.
/// Knows nothing of artifacts: the caller builds each attempt's request and reads the answer.
/// </summary>
internal sealed class RemoteTransport : IDisposable
{
    private readonly HttpClient _http;
    private readonly CacheSettings _settings;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;

    public RemoteTransport(CacheSettings settings, HttpMessageHandler? handler, Func<TimeSpan, CancellationToken, Task>? delay)
    {
        _settings = settings;
        _delay = delay ?? Task.Delay;
        _http = handler is null
            ? new HttpClient(CreateHandler(settings), disposeHandler: true)
            : new HttpClient(handler, disposeHandler: false);

        // Timeouts are per attempt (see SendAsync) and cover reading the body too, which HttpClient.Timeout does not
        // once ResponseHeadersRead returns.
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    public static bool IsRejection(int status) => status is 400 or 401 or 402 or 403;

    public static bool IsTransient(int status) => status is 408 or 429 or >= 500;

    /// <summary>
    /// Sends up to 1 + MaxRetries attempts. Each attempt (connect, headers and <paramref name="readAnswer"/> reading the
    /// body) runs under one RequestTimeout. Only the caller's own cancellation escapes as an exception.
    /// </summary>
    public async Task<Exchange<T>> SendAsync<T>(
        Func<HttpRequestMessage> createRequest,
        Func<HttpResponseMessage, CancellationToken, Task<T>> readAnswer,
        CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            string problem;
            RetryConditionHeaderValue? retryAfter = null;
            using (var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                attemptTimeout.CancelAfter(_settings.RequestTimeout);
                try
                {
                    using var request = createRequest();
                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptTimeout.Token);
                    var status = (int)response.StatusCode;
                    if (IsRejection(status))
                    {
                        return new Exchange<T>(ExchangeKind.Rejected, default, status, $"HTTP {status}");
                    }

                    if (!IsTransient(status))
                    {
                        var value = await readAnswer(response, attemptTimeout.Token);
                        return new Exchange<T>(ExchangeKind.Answered, value, status, "");
                    }

                    problem = $"HTTP {status} {response.ReasonPhrase}";
                    retryAfter = response.Headers.RetryAfter;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    problem = $"no complete answer within {_settings.RequestTimeout.TotalSeconds:0.###} s";
                }
                catch (HttpRequestException ex)
                {
                    problem = Describe(ex);
                }
                catch (IOException ex)
                {
                    // The connection broke while the body was read (HttpIOException and socket errors).
                    problem = Describe(ex);
                }
            }

            if (attempt >= _settings.MaxRetries)
            {
                var tries = attempt + 1;
                return new Exchange<T>(ExchangeKind.Unavailable, default, 0, $"{problem} ({tries} attempt{(tries == 1 ? "" : "s")})");
            }

            await _delay(RetryDelay.For(attempt, retryAfter, DateTimeOffset.UtcNow, Random.Shared.NextDouble()), ct);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The production handler: the connect timeout comes from the settings.</summary>
    internal static SocketsHttpHandler CreateHandler(CacheSettings settings) => new()
    {
        ConnectTimeout = settings.ConnectTimeout,
        // Bodies are compressed archives already; asking for gzip would only cost CPU.
        AutomaticDecompression = DecompressionMethods.None,
        // Pick up DNS changes of a long-lived build server.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    };

    // Exception messages name the host at most, never headers: the token cannot leak through them.
    private static string Describe(Exception ex) =>
        ex.InnerException is { } inner && inner.Message != ex.Message ? $"{ex.Message} ({inner.Message})" : ex.Message;
}
