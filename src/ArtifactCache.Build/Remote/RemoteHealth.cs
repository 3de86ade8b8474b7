using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Remote;

/// <summary>
/// Whether the remote is still worth asking, shared by every concurrent caller of one client:
/// a rejection (400/401/402/403) or a "not enabled" status turns it off for good, and
/// <see cref="Configuration.CacheSettings.CircuitBreakerThreshold"/> consecutive unavailable operations open the circuit for good.
/// Each of those says so once (one warning per cause), so a build of 200 projects does not print 200 warnings.
/// </summary>
internal sealed class RemoteHealth
{
    private readonly ICacheLog _log;
    private readonly int _circuitBreakerThreshold;
    private int _disabled;
    private int _circuitOpen;
    private int _consecutiveFailures;
    private int _unavailableWarned;

    public RemoteHealth(ICacheLog log, int circuitBreakerThreshold)
    {
        _log = log;
        _circuitBreakerThreshold = circuitBreakerThreshold;
    }

    public bool IsUsable => Volatile.Read(ref _disabled) == 0 && Volatile.Read(ref _circuitOpen) == 0;

    /// <summary>The remote answered (any status that is not a transient failure): the failure streak ends.</summary>
    public void Answered() => Interlocked.Exchange(ref _consecutiveFailures, 0);

    /// <summary>Turns the remote off for the rest of the client's life; only the first cause is warned about.</summary>
    public void Disable(string code, string message)
    {
        Interlocked.Exchange(ref _consecutiveFailures, 0);
        if (Interlocked.Exchange(ref _disabled, 1) == 0)
        {
            _log.Warning(code, message);
        }
        else
        {
            _log.Detail(message);
        }
    }

    /// <summary>An operation failed after all its retries; warns the first time, and opens the circuit after the threshold.</summary>
    public void Unavailable(string message)
    {
        if (Interlocked.Exchange(ref _unavailableWarned, 1) == 0)
        {
            _log.Warning(DiagnosticCodes.RemoteUnavailable, message + " Treated as a miss; the build goes on.");
        }
        else
        {
            _log.Detail(message);
        }

        var failures = Interlocked.Increment(ref _consecutiveFailures);
        if (_circuitBreakerThreshold > 0 && failures >= _circuitBreakerThreshold && Interlocked.Exchange(ref _circuitOpen, 1) == 0)
        {
            _log.Warning(
                DiagnosticCodes.RemoteCircuitOpen,
                $"The remote cache failed {failures} operations in a row; it is skipped for the rest of this build. Check that the server is up and reachable, or raise ArtifactCacheRemoteTimeout.");
        }
    }
}
