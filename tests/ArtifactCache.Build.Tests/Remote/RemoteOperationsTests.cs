using System.Text;
using System.Text.Json;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Remote;
using ArtifactCache.Build.Reporting;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Remote;

/// <summary>Upload, signing, HEAD, the batch query, events and status against the fault server.</summary>
public class RemoteOperationsTests : RemoteClientTestBase
{
    private static readonly byte[] Body = Encoding.ASCII.GetBytes("uploaded artifact body");

    private string Source
    {
        get
        {
            var path = Path.Combine(TempDir, "source.bin");
            if (!File.Exists(path))
            {
                File.WriteAllBytes(path, Body);
            }

            return path;
        }
    }

    private string TagOf(byte[] body, string teamId = TeamId) =>
        ArtifactSignature.ComputeTag(Encoding.UTF8.GetBytes(SignatureKey), Hash, teamId, new MemoryStream(body));

    [Fact]
    public async Task An_upload_sends_the_bytes_and_every_required_header()
    {
        await using var server = await FaultServer.StartAsync(Respond(202, Encoding.UTF8.GetBytes("{\"urls\":[]}")));
        using var client = Client(Settings(server.Url), ("TF_BUILD", "True"));

        Assert.True(await client.UploadAsync(Hash, Source, 4321, CancellationToken.None));

        var request = Assert.Single(server.Requests);
        Assert.Equal("PUT", request.Method);
        Assert.Equal("/v8/artifacts/" + Hash, request.Path);
        Assert.Equal("?teamId=" + TeamId, request.Query);
        Assert.Equal(Body, request.Body);
        Assert.Equal("application/octet-stream", request.Header("Content-Type"));
        Assert.Equal(Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), request.Header("Content-Length"));
        Assert.Equal("4321", request.Header("x-artifact-duration"));
        Assert.Equal("AZURE_PIPELINES", request.Header("x-artifact-client-ci"));
        Assert.Equal("0", request.Header("x-artifact-client-interactive"));
        Assert.Equal("Bearer " + Token, request.Header("Authorization"));
        Assert.StartsWith("ArtifactCache.Build/", request.Header("User-Agent"), StringComparison.Ordinal);
        Assert.Null(request.Header("x-artifact-tag"));
        Assert.Empty(Log.WarningCodes);
    }

    [Fact]
    public async Task A_signed_upload_carries_the_v2_tag()
    {
        await using var server = await FaultServer.StartAsync(Respond(200));
        using var client = Client(Settings(server.Url) with { SignatureKey = SignatureKey });

        Assert.True(await client.UploadAsync(Hash, Source, 1, CancellationToken.None));

        Assert.Equal(TagOf(Body), Assert.Single(server.Requests).Header("x-artifact-tag"));
    }

    [Fact]
    public async Task An_upload_with_a_transient_failure_is_retried_with_the_whole_body()
    {
        var calls = 0;
        await using var server = await FaultServer.StartAsync(context =>
            Interlocked.Increment(ref calls) == 1 ? Respond(503)(context) : Respond(200)(context));
        using var client = Client(Settings(server.Url));

        Assert.True(await client.UploadAsync(Hash, Source, 1, CancellationToken.None));

        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal(Body, r.Body));
    }

    [Fact]
    public async Task An_upload_refused_for_another_reason_warns_and_returns_false()
    {
        await using var server = await FaultServer.StartAsync(Respond(413));
        using var client = Client(Settings(server.Url));

        Assert.False(await client.UploadAsync(Hash, Source, 1, CancellationToken.None));
        Assert.Equal([DiagnosticCodes.RemoteUploadFailed], Log.WarningCodes);
        Assert.True(client.IsUsable);
    }

    [Fact]
    public async Task A_missing_source_file_is_not_the_remotes_fault()
    {
        await using var server = await FaultServer.StartAsync(Respond(200));
        using var client = Client(Settings(server.Url));

        Assert.False(await client.UploadAsync(Hash, Path.Combine(TempDir, "nope.bin"), 1, CancellationToken.None));
        Assert.Equal([DiagnosticCodes.RemoteUploadFailed], Log.WarningCodes);
        Assert.Empty(server.Requests);
        Assert.True(client.IsUsable);
    }

    [Fact]
    public async Task An_artifact_over_the_size_limit_is_not_uploaded()
    {
        await using var server = await FaultServer.StartAsync(Respond(200));
        using var client = Client(Settings(server.Url) with { MaxArtifactBytes = Body.Length - 1 });

        Assert.False(await client.UploadAsync(Hash, Source, 1, CancellationToken.None));
        Assert.Equal([DiagnosticCodes.RemoteArtifactTooLarge], Log.WarningCodes);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_read_only_remote_is_never_written()
    {
        await using var server = await FaultServer.StartAsync(Respond(200));
        using var client = Client(Settings(server.Url) with { RemoteMode = Configuration.RemoteMode.ReadOnly });

        Assert.False(await client.UploadAsync(Hash, Source, 1, CancellationToken.None));
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_signed_download_with_the_right_tag_is_a_hit()
    {
        await using var server = await FaultServer.StartAsync(Respond(200, Body, ("x-artifact-tag", TagOf(Body))));
        using var client = Client(Settings(server.Url) with { SignatureKey = SignatureKey });

        Assert.Equal(RemoteOutcome.Hit, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        Assert.Equal(Body, await File.ReadAllBytesAsync(Destination));
        Assert.Empty(Log.WarningCodes);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("other body")]
    [InlineData("other team")]
    [InlineData("garbage")]
    public async Task A_signed_download_with_a_missing_or_wrong_tag_is_a_miss_and_is_not_kept(string tagKind)
    {
        string? tag = tagKind switch
        {
            "none" => null,
            "other body" => TagOf([.. Body, 0]),
            "other team" => TagOf(Body, "team_2"),
            _ => "AAAA",
        };
        var headers = tag is null ? [] : new[] { ("x-artifact-tag", tag) };
        await using var server = await FaultServer.StartAsync(Respond(200, Body, headers));
        using var client = Client(Settings(server.Url) with { SignatureKey = SignatureKey });

        Assert.Equal(RemoteOutcome.Miss, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
        Assert.Equal([DiagnosticCodes.SignatureInvalid], Log.WarningCodes);
        Assert.False(File.Exists(Destination));
        AssertNoTempFiles();
    }

    [Fact]
    public async Task A_signed_download_verifies_with_an_empty_team_when_only_a_slug_is_set()
    {
        await using var server = await FaultServer.StartAsync(Respond(200, Body, ("x-artifact-tag", TagOf(Body, ""))));
        using var client = Client(Settings(server.Url) with { SignatureKey = SignatureKey, TeamId = null, TeamSlug = "acme" });

        Assert.Equal(RemoteOutcome.Hit, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(404, false)]
    [InlineData(409, null)]
    public async Task Exists_maps_head_answers(int status, bool? expected)
    {
        await using var server = await FaultServer.StartAsync(Respond(status));
        using var client = Client(Settings(server.Url));

        Assert.Equal(expected, await client.ExistsAsync(Hash, CancellationToken.None));
        var request = Assert.Single(server.Requests);
        Assert.Equal("HEAD", request.Method);
        Assert.Equal("?teamId=" + TeamId, request.Query);
        Assert.Equal("Bearer " + Token, request.Header("Authorization"));
    }

    [Fact]
    public async Task Exists_is_unknown_when_the_remote_is_down()
    {
        await using var server = await FaultServer.StartAsync(Respond(500));
        using var client = Client(Settings(server.Url));

        Assert.Null(await client.ExistsAsync(Hash, CancellationToken.None));
        Assert.Equal([DiagnosticCodes.RemoteUnavailable], Log.WarningCodes);
    }

    [Fact]
    public async Task Query_posts_the_hashes_and_reads_the_map()
    {
        var answer = "{\"aa\":{\"size\":10,\"taskDurationMs\":5},\"bb\":null,\"cc\":{\"error\":{\"message\":\"x\"}}}";
        await using var server = await FaultServer.StartAsync(Respond(200, Encoding.UTF8.GetBytes(answer), ("Content-Type", "application/json")));
        using var client = Client(Settings(server.Url));

        var result = await client.QueryAsync(["aa", "bb", "cc", "dd"], CancellationToken.None);

        Assert.NotNull(result);
        Assert.True(result!["aa"]);
        Assert.False(result["bb"]);
        Assert.False(result["cc"]);
        Assert.False(result["dd"]);
        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v8/artifacts", request.Path);
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        using var sent = JsonDocument.Parse(request.Body);
        Assert.Equal(["aa", "bb", "cc", "dd"], sent.RootElement.GetProperty("hashes").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public async Task A_server_without_the_query_route_makes_it_unknown_and_is_not_asked_again()
    {
        await using var server = await FaultServer.StartAsync(Respond(404));
        using var client = Client(Settings(server.Url));

        Assert.Null(await client.QueryAsync(["aa"], CancellationToken.None));
        Assert.Null(await client.QueryAsync(["bb"], CancellationToken.None));

        Assert.Single(server.Requests);
        Assert.Empty(Log.WarningCodes);
        Assert.True(client.IsUsable); // callers fall back to HEAD
    }

    [Fact]
    public async Task Events_are_not_sent_unless_enabled()
    {
        await using var server = await FaultServer.StartAsync(Respond(200));
        using var client = Client(Settings(server.Url));

        await client.RecordEventsAsync([new CacheEvent("s", true, true, Hash, 10)], CancellationToken.None);

        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Events_are_posted_in_the_api_shape()
    {
        await using var server = await FaultServer.StartAsync(Respond(200));
        using var client = Client(Settings(server.Url) with { SendEvents = true }, ("CI", "true"));

        await client.RecordEventsAsync(
            [new CacheEvent("session-1", true, true, "aa", 1500), new CacheEvent("session-1", false, false, "bb", null)],
            CancellationToken.None);

        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v8/artifacts/events", request.Path);
        Assert.Equal("?teamId=" + TeamId, request.Query);
        Assert.Equal("0", request.Header("x-artifact-client-interactive"));
        using var sent = JsonDocument.Parse(request.Body);
        var events = sent.RootElement.EnumerateArray().ToArray();
        Assert.Equal(2, events.Length);
        Assert.Equal("session-1", events[0].GetProperty("sessionId").GetString());
        Assert.Equal("REMOTE", events[0].GetProperty("source").GetString());
        Assert.Equal("HIT", events[0].GetProperty("event").GetString());
        Assert.Equal("aa", events[0].GetProperty("hash").GetString());
        Assert.Equal(1500, events[0].GetProperty("duration").GetInt64());
        Assert.Equal("LOCAL", events[1].GetProperty("source").GetString());
        Assert.Equal("MISS", events[1].GetProperty("event").GetString());
        Assert.False(events[1].TryGetProperty("duration", out _));
    }

    [Fact]
    public async Task Status_enabled_keeps_the_remote()
    {
        await using var server = await FaultServer.StartAsync(Respond(200, Encoding.UTF8.GetBytes("{\"status\":\"enabled\"}")));
        using var client = Client(Settings(server.Url));

        Assert.True(await client.CheckStatusAsync(CancellationToken.None));
        Assert.Equal("/v8/artifacts/status", Assert.Single(server.Requests).Path);
        Assert.True(client.IsUsable);
    }

    [Fact]
    public async Task The_status_is_asked_once_per_build_not_once_per_node()
    {
        await using var server = await FaultServer.StartAsync(Respond(200, Encoding.UTF8.GetBytes("{\"status\":\"enabled\"}")));
        var sessions = Path.Combine(TempDir, "sessions");
        using var firstNode = new RemoteCacheClient(Settings(server.Url), Log, environment: _ => null, buildFlags: BuildSession.OpenNamed(sessions, "build"));
        using var otherNode = new RemoteCacheClient(Settings(server.Url), Log, environment: _ => null, buildFlags: BuildSession.OpenNamed(sessions, "build"));
        using var nextBuild = new RemoteCacheClient(Settings(server.Url), Log, environment: _ => null, buildFlags: BuildSession.OpenNamed(sessions, "next-build"));

        Assert.True(await firstNode.CheckStatusAsync(CancellationToken.None));
        Assert.True(await otherNode.CheckStatusAsync(CancellationToken.None));
        Assert.Single(server.Requests);
        Assert.True(await nextBuild.CheckStatusAsync(CancellationToken.None));
        Assert.Equal(2, server.Requests.Count);
    }

    [Theory]
    [InlineData("disabled")]
    [InlineData("over_limit")]
    [InlineData("paused")]
    public async Task Status_other_than_enabled_disables_with_one_warning_naming_it(string status)
    {
        await using var server = await FaultServer.StartAsync(Respond(200, Encoding.UTF8.GetBytes($"{{\"status\":\"{status}\"}}")));
        using var client = Client(Settings(server.Url));

        Assert.False(await client.CheckStatusAsync(CancellationToken.None));
        Assert.False(await client.CheckStatusAsync(CancellationToken.None));
        Assert.Equal(RemoteOutcome.Skipped, (await client.DownloadAsync(Hash, Destination, CancellationToken.None)).Outcome);

        Assert.Single(server.Requests);
        Assert.False(client.IsUsable);
        Assert.Equal([DiagnosticCodes.RemoteStatusNotEnabled], Log.WarningCodes);
        Assert.Contains(status, Log.Entries.Single(e => e.Code != null).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_without_the_status_route_is_assumed_enabled()
    {
        await using var server = await FaultServer.StartAsync(Respond(404));
        using var client = Client(Settings(server.Url));

        Assert.True(await client.CheckStatusAsync(CancellationToken.None));
        Assert.True(client.IsUsable);
        Assert.Empty(Log.WarningCodes);
    }

    [Fact]
    public async Task A_status_check_rejected_for_the_token_is_ACB2001()
    {
        await using var server = await FaultServer.StartAsync(Respond(401));
        using var client = Client(Settings(server.Url));

        Assert.False(await client.CheckStatusAsync(CancellationToken.None));
        Assert.False(client.IsUsable);
        Assert.Equal([DiagnosticCodes.RemoteRejected], Log.WarningCodes);
    }
}
