using System.Net.Http.Headers;

namespace ArtifactCache.Build.Remote;

/// <summary>How long to wait before retrying a request that failed in a way that may pass (408, 429, 5xx, network).</summary>
internal static class RetryDelay
{
    /// <summary>No wait is ever longer than this, whatever a server's Retry-After asks: a build must not stall on a busy cache.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(10);

    /// <summary>The first backoff step; it doubles per retry.</summary>
    public static readonly TimeSpan Base = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The server's Retry-After when it sent one, else exponential backoff (Base · 2^retry) with "equal jitter"
    /// (half fixed, half random) so parallel builds hitting the same cache do not retry in lockstep. Always ≤ <see cref="Cap"/>.
    /// </summary>
    /// <param name="retry">0 for the first retry.</param>
    /// <param name="retryAfter">The response's Retry-After header, if any.</param>
    /// <param name="now">The current time, for Retry-After dates.</param>
    /// <param name="random">A value in [0, 1) for the jitter.</param>
    public static TimeSpan For(int retry, RetryConditionHeaderValue? retryAfter, DateTimeOffset now, double random)
    {
        if (FromRetryAfter(retryAfter, now) is { } asked)
        {
            return asked > Cap ? Cap : asked;
        }

        var backoffMs = Math.Min(Cap.TotalMilliseconds, Base.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 16)));
        return TimeSpan.FromMilliseconds((backoffMs / 2) + (backoffMs / 2 * random));
    }

    private static TimeSpan? FromRetryAfter(RetryConditionHeaderValue? retryAfter, DateTimeOffset now)
    {
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }
}
