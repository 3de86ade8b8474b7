using System.Security.Cryptography;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Remote;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Remote;

/// <summary>The client against the real npm server turborepo-remote-cache (chunked GETs, no batch query route).</summary>
[Collection(TurboRemoteCacheCollection.Name)]
public class RealServerTests : IDisposable
{
    private readonly TurboRemoteCacheFixture _servers;
    private readonly RecordingLog _log = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "acb-real-remote-" + Guid.NewGuid().ToString("N"));

    public RealServerTests(TurboRemoteCacheFixture servers)
    {
        _servers = servers;
        Directory.CreateDirectory(_dir);
    }

    private static string NewHash() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static CacheSettings Settings(TurboRemoteCacheServer server) => new()
    {
        RemoteUrl = server.Url,
        Token = server.Token,
        TeamId = "team_real",
        RequestTimeout = TimeSpan.FromSeconds(10),
        ConnectTimeout = TimeSpan.FromSeconds(2),
        MaxRetries = 1,
    };

    private RemoteCacheClient Client(CacheSettings settings) =>
        new(settings, _log, delay: (_, _) => Task.CompletedTask, environment: _ => null);

    private string File(string name, byte[]? content = null)
    {
        var path = Path.Combine(_dir, name);
        if (content is not null)
        {
            System.IO.File.WriteAllBytes(path, content);
        }

        return path;
    }

    [Fact]
    public async Task Status_is_enabled()
    {
        using var client = Client(Settings(_servers.Plain));

        Assert.True(await client.CheckStatusAsync(CancellationToken.None), _log.ToString());
    }

    [Fact]
    public async Task Put_then_get_round_trips_the_exact_bytes_over_a_chunked_response()
    {
        var body = RandomNumberGenerator.GetBytes(300_000);
        var hash = NewHash();
        using var client = Client(Settings(_servers.Plain));

        Assert.True(await client.UploadAsync(hash, File("up.bin", body), 2500, CancellationToken.None), _log.ToString());
        var result = await client.DownloadAsync(hash, File("down.bin"), CancellationToken.None);

        Assert.Equal(RemoteOutcome.Hit, result.Outcome);
        Assert.Equal(body, await System.IO.File.ReadAllBytesAsync(File("down.bin")));
        Assert.Empty(_log.WarningCodes);
        _log.AssertNothingContains(_servers.Plain.Token);

        // The point of this test: the server really frames the download as chunked, without a Content-Length.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_servers.Plain.Url, $"v8/artifacts/{hash}?teamId=team_real"));
        request.Headers.Authorization = new("Bearer", _servers.Plain.Token);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Null(response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task An_unknown_hash_is_a_miss()
    {
        using var client = Client(Settings(_servers.Plain));

        Assert.Equal(RemoteOutcome.Miss, (await client.DownloadAsync(NewHash(), File("down.bin"), CancellationToken.None)).Outcome);
        Assert.Empty(_log.WarningCodes);
        Assert.False(System.IO.File.Exists(File("down.bin")));
    }

    [Fact]
    public async Task Head_tells_whether_an_artifact_exists()
    {
        var hash = NewHash();
        using var client = Client(Settings(_servers.Plain));
        Assert.True(await client.UploadAsync(hash, File("up.bin", [1, 2, 3]), 1, CancellationToken.None));

        Assert.True(await client.ExistsAsync(hash, CancellationToken.None));
        Assert.False(await client.ExistsAsync(NewHash(), CancellationToken.None));
    }

    [Fact]
    public async Task The_batch_query_is_unknown_so_callers_fall_back_to_head()
    {
        var hash = NewHash();
        using var client = Client(Settings(_servers.Plain));
        Assert.True(await client.UploadAsync(hash, File("up.bin", [1, 2, 3]), 1, CancellationToken.None));

        Assert.Null(await client.QueryAsync([hash], CancellationToken.None));
        Assert.True(client.IsUsable);
        Assert.True(await client.ExistsAsync(hash, CancellationToken.None));
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public async Task A_wrong_token_disables_the_remote_with_ACB2001()
    {
        using var client = Client(Settings(_servers.Plain) with { Token = "wrong-token-value" });

        Assert.Equal(RemoteOutcome.Failed, (await client.DownloadAsync(NewHash(), File("down.bin"), CancellationToken.None)).Outcome);
        Assert.Equal(RemoteOutcome.Skipped, (await client.DownloadAsync(NewHash(), File("down.bin"), CancellationToken.None)).Outcome);

        Assert.False(client.IsUsable);
        Assert.Equal([DiagnosticCodes.RemoteRejected], _log.WarningCodes);
        Assert.Contains("401", _log.Entries.Single(e => e.Code is not null).Message, StringComparison.Ordinal);
        _log.AssertNothingContains("wrong-token-value", _servers.Plain.Token);
    }

    [Fact]
    public async Task A_missing_team_disables_the_remote_with_ACB2001()
    {
        using var client = Client(Settings(_servers.Plain) with { TeamId = null, TeamSlug = null });

        Assert.False(await client.UploadAsync(NewHash(), File("up.bin", [1]), 1, CancellationToken.None));

        Assert.False(client.IsUsable);
        Assert.Equal([DiagnosticCodes.RemoteRejected], _log.WarningCodes);
        Assert.Contains("400", _log.Entries.Single(e => e.Code is not null).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slug_works_as_the_team()
    {
        var hash = NewHash();
        using var client = Client(Settings(_servers.Plain) with { TeamId = null, TeamSlug = "acme" });

        Assert.True(await client.UploadAsync(hash, File("up.bin", [9, 9]), 1, CancellationToken.None), _log.ToString());
        Assert.Equal(RemoteOutcome.Hit, (await client.DownloadAsync(hash, File("down.bin"), CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task Events_are_accepted()
    {
        using var client = Client(Settings(_servers.Plain) with { SendEvents = true });

        await client.RecordEventsAsync(
            [new CacheEvent(Guid.NewGuid().ToString(), true, true, NewHash(), 1200), new CacheEvent(Guid.NewGuid().ToString(), false, false, NewHash(), null)],
            CancellationToken.None);

        Assert.True(client.IsUsable);
        Assert.Empty(_log.Entries);
    }

    [Fact]
    public async Task A_signed_round_trip_verifies_through_a_server_that_echoes_tags()
    {
        var body = RandomNumberGenerator.GetBytes(50_000);
        var hash = NewHash();
        using var client = Client(Settings(_servers.Signed) with { SignatureKey = "client-signature-key-0123456789abcdef" });

        Assert.True(await client.UploadAsync(hash, File("up.bin", body), 10, CancellationToken.None), _log.ToString());
        var result = await client.DownloadAsync(hash, File("down.bin"), CancellationToken.None);

        Assert.Equal(RemoteOutcome.Hit, result.Outcome);
        Assert.Equal(body, await System.IO.File.ReadAllBytesAsync(File("down.bin")));
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public async Task A_signed_download_of_an_artifact_signed_with_another_key_is_ACB2005()
    {
        var hash = NewHash();
        using (var writer = Client(Settings(_servers.Signed) with { SignatureKey = "one-key-0123456789abcdef0123456789" }))
        {
            Assert.True(await writer.UploadAsync(hash, File("up.bin", [1, 2, 3, 4]), 10, CancellationToken.None));
        }

        using var reader = Client(Settings(_servers.Signed) with { SignatureKey = "another-key-0123456789abcdef012345" });
        Assert.Equal(RemoteOutcome.Miss, (await reader.DownloadAsync(hash, File("down.bin"), CancellationToken.None)).Outcome);
        Assert.Equal([DiagnosticCodes.SignatureInvalid], _log.WarningCodes);
        Assert.False(System.IO.File.Exists(File("down.bin")));
    }

    [Fact]
    public async Task A_signing_client_sees_artifacts_of_a_server_that_drops_tags_as_unsigned()
    {
        var hash = NewHash();
        using var client = Client(Settings(_servers.Plain) with { SignatureKey = "client-signature-key-0123456789abcdef" });
        Assert.True(await client.UploadAsync(hash, File("up.bin", [5, 6, 7]), 10, CancellationToken.None));

        Assert.Equal(RemoteOutcome.Miss, (await client.DownloadAsync(hash, File("down.bin"), CancellationToken.None)).Outcome);
        Assert.Equal([DiagnosticCodes.SignatureInvalid], _log.WarningCodes);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }

        GC.SuppressFinalize(this);
    }
}
