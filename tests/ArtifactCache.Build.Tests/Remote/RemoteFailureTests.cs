using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Remote;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Remote;

public class RemoteFailureTests : RemoteClientTestBase
{
    [Theory]
    [InlineData(400, "team")]
    [InlineData(401, "token")]
    [InlineData(402, "plan")]
    [InlineData(403, "token")]
    public async Task A_rejection_disables_the_remote_with_one_warning_that_says_what_to_check(int status, string advice)
    {
        await using var server = await FaultServer.StartAsync(Respond(status));
        using var client = Client(Settings(server.Url));
        var source = Path.Combine(TempDir, "up.bin");
        await File.WriteAllBytesAsync(source, [1, 2, 3]);

        var first = await client.DownloadAsync(Hash, Destination, CancellationToken.None);
        var second = await client.DownloadAsync(Hash, Destination, CancellationToken.None);
        var uploaded = await client.UploadAsync(Hash, source, 5, CancellationToken.None);
        var exists = await client.ExistsAsync(Hash, CancellationToken.None);

        Assert.Equal(RemoteOutcome.Failed, first.Outcome);
        Assert.Equal(RemoteOutcome.Skipped, second.Outcome);
        Assert.False(uploaded);
        Assert.Null(exists);
        Assert.False(client.IsUsable);
        Assert.Single(server.Requests); // never retried, never asked again
        Assert.Empty(Delays.Asked);
        Assert.Equal([DiagnosticCodes.RemoteRejected], Log.WarningCodes);
        Assert.Contains(advice, Log.Entries.Single(e => e.Code == DiagnosticCodes.RemoteRejected).Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Concurrent_rejections_still_warn_once()
    {
        await using var server = await FaultServer.StartAsync(Respond(401));
        using var client = Client(Settings(server.Url));

        await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            client.DownloadAsync(Hash, Path.Combine(TempDir, "out", $"{i}.bin"), CancellationToken.None)));

        Assert.Equal(1, Log.Count(DiagnosticCodes.RemoteRejected));
        Assert.False(client.IsUsable);
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task A_transient_status_is_retried_then_counts_as_failed_with_one_warning(int status)
    {
        await using var server = await FaultServer.StartAsync(Respond(status));
        using var client = Client(Settings(server.Url) with { MaxRetries = 2, CircuitBreakerThreshold = 10 });

        var first = await client.DownloadAsync(Hash, Destination, CancellationToken.None);
        var second = await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal(RemoteOutcome.Failed, first.Outcome);
        Assert.Equal(RemoteOutcome.Failed, second.Outcome);
        Assert.Equal(6, server.Requests.Count); // 2 operations × (1 + 2 retries)
        Assert.Equal(4, Delays.Asked.Count);
        Assert.All(Delays.Asked, d => Assert.InRange(d, TimeSpan.Zero, RetryDelay.Cap));
        Assert.Equal([DiagnosticCodes.RemoteUnavailable], Log.WarningCodes);
        Assert.True(client.IsUsable);
        AssertNoTempFiles();
    }

    [Fact]
    public async Task A_transient_failure_that_clears_up_on_retry_is_a_hit()
    {
        var calls = 0;
        await using var server = await FaultServer.StartAsync(context =>
            Interlocked.Increment(ref calls) == 1 ? Respond(502)(context) : Respond(200, [42])(context));
        using var client = Client(Settings(server.Url));

        Assert.Equal(RemoteOutcome.Hit, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        Assert.Empty(Log.WarningCodes);
        Assert.Single(Delays.Asked);
    }

    [Theory]
    [InlineData("3", 3)]
    [InlineData("120", 10)] // capped
    public async Task Retry_after_seconds_are_honoured_and_capped(string retryAfter, int expectedSeconds)
    {
        var calls = 0;
        await using var server = await FaultServer.StartAsync(context =>
            Interlocked.Increment(ref calls) == 1 ? Respond(503, null, ("Retry-After", retryAfter))(context) : Respond(200, [42])(context));
        using var client = Client(Settings(server.Url));

        Assert.Equal(RemoteOutcome.Hit, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        Assert.Equal([TimeSpan.FromSeconds(expectedSeconds)], Delays.Asked);
    }

    [Fact]
    public async Task A_retry_after_date_is_honoured_and_capped()
    {
        var calls = 0;
        var date = DateTimeOffset.UtcNow.AddHours(1).ToString("r");
        await using var server = await FaultServer.StartAsync(context =>
            Interlocked.Increment(ref calls) == 1 ? Respond(429, null, ("Retry-After", date))(context) : Respond(200, [42])(context));
        using var client = Client(Settings(server.Url));

        Assert.Equal(RemoteOutcome.Hit, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        Assert.Equal([RetryDelay.Cap], Delays.Asked);
    }

    [Fact]
    public async Task Slow_response_headers_time_out()
    {
        await using var server = await FaultServer.StartAsync(async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
        });
        using var client = Client(Settings(server.Url) with { RequestTimeout = TimeSpan.FromMilliseconds(500), MaxRetries = 1 });
        var clock = Stopwatch.StartNew();

        var result = await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal(RemoteOutcome.Failed, result.Outcome);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(5));
        // The retry was sent before the client gave up; on a loaded machine the server may only dispatch it after that.
        SpinWait.SpinUntil(() => server.Requests.Count >= 2, TimeSpan.FromSeconds(3));
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal([DiagnosticCodes.RemoteUnavailable], Log.WarningCodes);
    }

    [Fact]
    public async Task A_body_that_stalls_midway_times_out_and_leaves_no_file()
    {
        await using var server = await FaultServer.StartAsync(async context =>
        {
            context.Response.ContentLength = 1000;
            await context.Response.Body.WriteAsync(new byte[100], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
        });
        using var client = Client(Settings(server.Url) with { RequestTimeout = TimeSpan.FromMilliseconds(500), MaxRetries = 0 });
        var clock = Stopwatch.StartNew();

        var result = await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal(RemoteOutcome.Failed, result.Outcome);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
        Assert.Equal([DiagnosticCodes.RemoteUnavailable], Log.WarningCodes);
        Assert.False(File.Exists(Destination));
        AssertNoTempFiles();
    }

    [Fact]
    public async Task A_refused_connection_is_retried_then_failed()
    {
        using var client = Client(Settings(new Uri($"http://127.0.0.1:{ClosedPort()}/")) with { MaxRetries = 2 });

        var result = await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal(RemoteOutcome.Failed, result.Outcome);
        Assert.Equal(2, Delays.Asked.Count);
        Assert.Equal([DiagnosticCodes.RemoteUnavailable], Log.WarningCodes);
        AssertNoTempFiles();
    }

    [Fact]
    public async Task The_circuit_opens_after_the_threshold_of_consecutive_failed_operations()
    {
        await using var server = await FaultServer.StartAsync(Respond(500));
        using var client = Client(Settings(server.Url) with { MaxRetries = 0, CircuitBreakerThreshold = 3 });

        var outcomes = new List<RemoteOutcome>();
        for (var i = 0; i < 5; i++)
        {
            outcomes.Add((await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        }

        Assert.Equal([RemoteOutcome.Failed, RemoteOutcome.Failed, RemoteOutcome.Failed, RemoteOutcome.Skipped, RemoteOutcome.Skipped], outcomes);
        Assert.Equal(3, server.Requests.Count);
        Assert.False(client.IsUsable);
        Assert.Equal([DiagnosticCodes.RemoteUnavailable, DiagnosticCodes.RemoteCircuitOpen], Log.WarningCodes);
    }

    [Fact]
    public async Task Concurrent_failures_open_the_circuit_once()
    {
        await using var server = await FaultServer.StartAsync(Respond(503));
        using var client = Client(Settings(server.Url) with { MaxRetries = 1, CircuitBreakerThreshold = 3 });

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            client.DownloadAsync($"h{i}", Path.Combine(TempDir, "out", $"{i}.bin"), CancellationToken.None)));

        Assert.False(client.IsUsable);
        Assert.Equal(1, Log.Count(DiagnosticCodes.RemoteCircuitOpen));
        Assert.Equal(1, Log.Count(DiagnosticCodes.RemoteUnavailable));
        Assert.Equal(RemoteOutcome.Skipped, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        AssertNoTempFiles();
    }

    [Fact]
    public async Task An_answer_between_failures_resets_the_streak()
    {
        var calls = 0;
        await using var server = await FaultServer.StartAsync(context =>
            Interlocked.Increment(ref calls) == 3 ? Respond(404)(context) : Respond(503)(context));
        using var client = Client(Settings(server.Url) with { MaxRetries = 0, CircuitBreakerThreshold = 3 });

        for (var i = 0; i < 5; i++)
        {
            await client.DownloadAsync(Hash, Destination, CancellationToken.None);
        }

        // fail, fail, miss (answered), fail, fail: never 3 in a row.
        Assert.True(client.IsUsable);
        Assert.Equal(0, Log.Count(DiagnosticCodes.RemoteCircuitOpen));
        Assert.Equal(5, server.Requests.Count);
    }

    [Fact]
    public async Task A_dead_remote_costs_a_bounded_time_then_nothing()
    {
        // Every attempt hangs; the bound is Threshold × (1 + MaxRetries) × RequestTimeout (+ injected delays, here 0).
        await using var server = await FaultServer.StartAsync(async context => await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted));
        using var client = Client(Settings(server.Url) with { RequestTimeout = TimeSpan.FromMilliseconds(300), MaxRetries = 1, CircuitBreakerThreshold = 2 });
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < 10; i++)
        {
            await client.DownloadAsync(Hash, Destination, CancellationToken.None);
        }

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(1100), TimeSpan.FromSeconds(6));
        // Each attempt was sent before the client gave up on it; a loaded machine may dispatch the last one after that.
        SpinWait.SpinUntil(() => server.Requests.Count >= 4, TimeSpan.FromSeconds(3));
        Assert.Equal(4, server.Requests.Count);
        Assert.Equal([DiagnosticCodes.RemoteUnavailable, DiagnosticCodes.RemoteCircuitOpen], Log.WarningCodes);
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

public class RemoteClientSetupTests : RemoteClientTestBase
{
    [Fact]
    public void The_connect_timeout_comes_from_the_settings()
    {
        using var handler = RemoteTransport.CreateHandler(Settings(new Uri("http://127.0.0.1/")) with { ConnectTimeout = TimeSpan.FromMilliseconds(1234) });

        Assert.Equal(TimeSpan.FromMilliseconds(1234), handler.ConnectTimeout);
    }

    [Fact]
    public async Task A_token_that_cannot_be_a_header_disables_the_remote_without_showing_it()
    {
        await using var server = await FaultServer.StartAsync(Respond(200, [1]));
        using var client = Client(Settings(server.Url) with { Token = "tok-SECRET-4f2a9e\nX-Injected: 1" });

        Assert.False(client.IsUsable);
        Assert.Equal(RemoteOutcome.Skipped, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        Assert.Empty(server.Requests);
        Assert.Equal([DiagnosticCodes.InvalidToken], Log.WarningCodes);
        Log.AssertNothingContains("SECRET-4f2a9e");
    }
}
