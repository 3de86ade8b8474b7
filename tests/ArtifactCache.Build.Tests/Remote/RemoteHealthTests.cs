using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Remote;
using ArtifactCache.Build.Reporting;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Remote;

/// <summary>The bounds on what a failing remote costs a build: the failure budget and the flag shared between nodes.</summary>
public sealed class RemoteHealthTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "acb-health-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Failures_that_use_up_the_budget_turn_the_remote_off_before_the_circuit_threshold()
    {
        var log = new RecordingLog();
        var health = new RemoteHealth(log, circuitBreakerThreshold: 10, budget: TimeSpan.FromSeconds(30));

        health.Unavailable("slow", TimeSpan.FromSeconds(20));
        Assert.True(health.IsUsable);
        health.Unavailable("slow", TimeSpan.FromSeconds(11));

        Assert.False(health.IsUsable);
        Assert.Equal([DiagnosticCodes.RemoteUnavailable, DiagnosticCodes.RemoteCircuitOpen], log.WarningCodes);
        Assert.Contains("ArtifactCacheRemoteBudget", log.Entries[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_remote_turned_off_on_one_node_is_off_on_the_others_without_another_warning()
    {
        var session = BuildSession.OpenNamed(_folder, "build");
        var firstLog = new RecordingLog();
        var otherLog = new RecordingLog();
        var first = new RemoteHealth(firstLog, circuitBreakerThreshold: 3, buildFlags: session);
        var other = new RemoteHealth(otherLog, circuitBreakerThreshold: 3, buildFlags: BuildSession.OpenNamed(_folder, "build"));
        var nextBuild = new RemoteHealth(new RecordingLog(), circuitBreakerThreshold: 3, buildFlags: BuildSession.OpenNamed(_folder, "next-build"));

        first.Disable(DiagnosticCodes.RemoteRejected, "401");

        Assert.False(other.IsUsable);
        Assert.Empty(otherLog.Entries);
        Assert.True(nextBuild.IsUsable);
        Assert.Equal([DiagnosticCodes.RemoteRejected], firstLog.WarningCodes);
    }
}
