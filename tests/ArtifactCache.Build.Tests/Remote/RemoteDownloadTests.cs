using System.Text;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Remote;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Remote;

public class RemoteDownloadTests : RemoteClientTestBase
{
    private static readonly byte[] Body = Encoding.ASCII.GetBytes("artifact bytes 0123456789");

    [Fact]
    public async Task A_200_with_content_length_is_a_hit_with_the_duration_and_the_exact_bytes()
    {
        await using var server = await FaultServer.StartAsync(Respond(200, Body, ("x-artifact-duration", "1234")));
        using var client = Client(Settings(server.Url));

        var result = await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal(new RemoteDownload(RemoteOutcome.Hit, 1234), result);
        Assert.Equal(Body, await File.ReadAllBytesAsync(Destination));
        Assert.Empty(Log.WarningCodes);
        AssertNoTempFiles();
    }

    [Fact]
    public async Task A_chunked_200_without_content_length_is_a_hit()
    {
        await using var server = await FaultServer.StartAsync(async context =>
        {
            // No ContentLength and two flushed writes: Kestrel frames the body as chunked, as turborepo-remote-cache does.
            await context.Response.Body.WriteAsync(Body.AsMemory(0, 10));
            await context.Response.Body.FlushAsync();
            await context.Response.Body.WriteAsync(Body.AsMemory(10));
        });
        using var client = Client(Settings(server.Url));

        var result = await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal(new RemoteDownload(RemoteOutcome.Hit, null), result);
        Assert.Equal(Body, await File.ReadAllBytesAsync(Destination));
        AssertNoTempFiles();
    }

    [Fact]
    public async Task Every_request_carries_auth_team_user_agent_and_ci_headers()
    {
        await using var server = await FaultServer.StartAsync(Respond(200, Body));
        using var client = Client(Settings(server.Url), ("GITHUB_ACTIONS", "true"));

        await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        var request = Assert.Single(server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/v8/artifacts/" + Hash, request.Path);
        Assert.Equal("?teamId=" + TeamId, request.Query);
        Assert.Equal("Bearer " + Token, request.Header("Authorization"));
        Assert.Matches(@"^ArtifactCache\.Build/\d+\.\d+\.\d+", request.Header("User-Agent"));
        Assert.Equal("GITHUB_ACTIONS", request.Header("x-artifact-client-ci"));
        Assert.Equal("0", request.Header("x-artifact-client-interactive"));
    }

    [Fact]
    public async Task A_person_at_a_terminal_is_interactive_and_sends_no_ci_name()
    {
        await using var server = await FaultServer.StartAsync(Respond(404));
        using var client = Client(Settings(server.Url));

        await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        var request = Assert.Single(server.Requests);
        Assert.Null(request.Header("x-artifact-client-ci"));
        Assert.Equal("1", request.Header("x-artifact-client-interactive"));
    }

    [Theory]
    [InlineData("team_1", "acme", "?teamId=team_1")]
    [InlineData(null, "acme", "?slug=acme")]
    [InlineData(null, null, "")]
    public async Task TeamId_wins_over_the_slug(string? teamId, string? slug, string expectedQuery)
    {
        await using var server = await FaultServer.StartAsync(Respond(404));
        using var client = Client(Settings(server.Url) with { TeamId = teamId, TeamSlug = slug });

        await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal(expectedQuery, Assert.Single(server.Requests).Query);
    }

    [Fact]
    public async Task Without_a_token_no_authorization_header_is_sent()
    {
        await using var server = await FaultServer.StartAsync(Respond(404));
        using var client = Client(Settings(server.Url) with { Token = null });

        await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Null(Assert.Single(server.Requests).Header("Authorization"));
    }

    [Fact]
    public async Task A_base_path_in_the_remote_url_is_kept()
    {
        await using var server = await FaultServer.StartAsync(Respond(404));
        using var client = Client(Settings(new Uri(server.Url, "cache/api/")));

        await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal("/cache/api/v8/artifacts/" + Hash, Assert.Single(server.Requests).Path);
    }

    [Fact]
    public async Task A_404_is_a_quiet_miss_and_leaves_nothing_behind()
    {
        await using var server = await FaultServer.StartAsync(Respond(404));
        using var client = Client(Settings(server.Url));

        var result = await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal(RemoteOutcome.Miss, result.Outcome);
        Assert.Empty(Log.WarningCodes);
        Assert.False(File.Exists(Destination));
        AssertNoTempFiles();
        Assert.True(client.IsUsable);
    }

    [Fact]
    public async Task A_declared_length_over_the_limit_is_a_miss_without_reading_the_body()
    {
        await using var server = await FaultServer.StartAsync(Respond(200, Body));
        using var client = Client(Settings(server.Url) with { MaxArtifactBytes = 10 });

        var result = await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal(RemoteOutcome.Miss, result.Outcome);
        Assert.Equal([DiagnosticCodes.RemoteArtifactTooLarge], Log.WarningCodes);
        Assert.False(File.Exists(Destination));
        AssertNoTempFiles();
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_cut_off_while_streaming()
    {
        var large = new byte[200_000];
        await using var server = await FaultServer.StartAsync(async context =>
        {
            for (var i = 0; i < 4; i++)
            {
                await context.Response.Body.WriteAsync(large.AsMemory(i * 50_000, 50_000), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        });
        using var client = Client(Settings(server.Url) with { MaxArtifactBytes = 100_000 });

        var result = await client.DownloadAsync(Hash, Destination, CancellationToken.None);

        Assert.Equal(RemoteOutcome.Miss, result.Outcome);
        Assert.Equal([DiagnosticCodes.RemoteArtifactTooLarge], Log.WarningCodes);
        Assert.False(File.Exists(Destination));
        AssertNoTempFiles();
    }

    [Fact]
    public async Task An_existing_destination_is_replaced_whole()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Destination)!);
        await File.WriteAllTextAsync(Destination, "an older, much longer artifact than the new one is");
        await using var server = await FaultServer.StartAsync(Respond(200, Body));
        using var client = Client(Settings(server.Url));

        Assert.Equal(RemoteOutcome.Hit, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        Assert.Equal(Body, await File.ReadAllBytesAsync(Destination));
    }

    [Fact]
    public async Task Concurrent_downloads_through_one_client_all_hit()
    {
        await using var server = await FaultServer.StartAsync(async context =>
        {
            var hash = context.Request.Path.Value!.Split('/')[^1];
            var body = Encoding.ASCII.GetBytes("body of " + hash);
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
        using var client = Client(Settings(server.Url));

        var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            client.DownloadAsync($"hash{i:D2}", Path.Combine(TempDir, "out", $"{i}.bin"), CancellationToken.None)));

        Assert.All(results, r => Assert.Equal(RemoteOutcome.Hit, r.Outcome));
        for (var i = 0; i < 24; i++)
        {
            Assert.Equal($"body of hash{i:D2}", await File.ReadAllTextAsync(Path.Combine(TempDir, "out", $"{i}.bin")));
        }
    }

    [Fact]
    public async Task The_callers_cancellation_escapes_as_OperationCanceledException()
    {
        await using var server = await FaultServer.StartAsync(async context => await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted));
        using var client = Client(Settings(server.Url) with { RequestTimeout = TimeSpan.FromSeconds(10) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DownloadAsync(Hash, Destination, cancel.Token));
        AssertNoTempFiles();
    }

    [Fact]
    public async Task Nothing_is_sent_when_the_mode_does_not_allow_reading()
    {
        await using var server = await FaultServer.StartAsync(Respond(200, Body));
        using var client = Client(Settings(server.Url) with { RemoteMode = Configuration.RemoteMode.WriteOnly });

        Assert.Equal(RemoteOutcome.Skipped, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        Assert.Null(await client.ExistsAsync(Hash, CancellationToken.None));
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Without_a_remote_url_everything_is_skipped()
    {
        using var client = Client(new Configuration.CacheSettings());

        Assert.False(client.IsUsable);
        Assert.Equal(RemoteOutcome.Skipped, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        Assert.False(await client.UploadAsync(Hash, Destination, 1, CancellationToken.None));
        Assert.False(await client.CheckStatusAsync(CancellationToken.None));
    }
}
