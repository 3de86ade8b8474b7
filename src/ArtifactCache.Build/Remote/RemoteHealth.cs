using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Remote;

/// <summary>
/// Whether the remote is still worth asking, shared by every concurrent caller of one client:
/// a rejection (400/401/402/403) or a "not enabled" status turns it off for good, and
/// <see cref="Configuration.CacheSettings.CircuitBreakerThreshold"/> consecutive unavailable operations open the circuit for good.
/// Each of those says so once (one warning per cause), so a build of 200 projects does not print 200 warnings.
/// The time spent on failed operations is capped by a budget (<see cref="Configuration.CacheSettings.RemoteBudget"/>),
/// and turning the remote off is shared with the build's other MSBuild nodes through <see cref="IBuildFlags"/>.
/// </summary>
internal sealed class RemoteHealth
{
    /// <summary>The build flag that says one node found the remote dead or rejecting: every node stops asking.</summary>
    internal const string RemoteOffFlag = "remote-off";

    private readonly ICacheLog _log;
    private readonly int _circuitBreakerThreshold;
    private readonly long _budgetTicks;
    private readonly IBuildFlags? _buildFlags;
    private int _disabled;
    private int _circuitOpen;
    private int _consecutiveFailures;
    private int _unavailableWarned;
    private long _spentTicks;

    public RemoteHealth(ICacheLog log, int circuitBreakerThreshold, TimeSpan? budget = null, IBuildFlags? buildFlags = null)
    {
        _log = log;
        _circuitBreakerThreshold = circuitBreakerThreshold;
        _budgetTicks = (budget ?? TimeSpan.MaxValue).Ticks;
        _buildFlags = buildFlags;
    }

    public bool IsUsable
    {
        get
        {
            if (Volatile.Read(ref _disabled) != 0 || Volatile.Read(ref _circuitOpen) != 0)
            {
                return false;
            }

            if (_buildFlags?.IsSet(RemoteOffFlag) == true)
            {
                // Another node of this build found the remote unusable and warned; this node follows quietly.
                Interlocked.Exchange(ref _circuitOpen, 1);
                return false;
            }

            return true;
        }
    }

    /// <summary>The remote answered (any status that is not a transient failure): the failure streak ends.</summary>
    public void Answered() => Interlocked.Exchange(ref _consecutiveFailures, 0);

    /// <summary>Turns the remote off for the rest of the client's life; only the first cause is warned about.</summary>
    public void Disable(string code, string message)
    {
        Interlocked.Exchange(ref _consecutiveFailures, 0);
        if (Interlocked.Exchange(ref _disabled, 1) == 0)
        {
            _log.Warning(code, message);
            _buildFlags?.Set(RemoteOffFlag);
        }
        else
        {
            _log.Detail(message);
        }
    }

    /// <summary>
    /// An operation failed after all its retries, having taken <paramref name="spent"/>; warns the first time, and opens
    /// the circuit after the threshold or once failures have used up the budget.
    /// </summary>
    public void Unavailable(string message, TimeSpan spent = default)
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
        var spentTicks = Interlocked.Add(ref _spentTicks, spent.Ticks);
        var overBudget = spentTicks >= _budgetTicks;
        if (((_circuitBreakerThreshold > 0 && failures >= _circuitBreakerThreshold) || overBudget) && Interlocked.Exchange(ref _circuitOpen, 1) == 0)
        {
            var why = overBudget
                ? $"spent {TimeSpan.FromTicks(spentTicks).TotalSeconds:0.#} s on failed operations (ArtifactCacheRemoteBudget is {TimeSpan.FromTicks(_budgetTicks).TotalSeconds:0.#} s)"
                : $"failed {failures} operations in a row";
            _log.Warning(
                DiagnosticCodes.RemoteCircuitOpen,
                $"The remote cache {why}; it is skipped for the rest of this build. Check that the server is up and reachable, or raise ArtifactCacheRemoteTimeout.");
            _buildFlags?.Set(RemoteOffFlag);
        }
    }
}
