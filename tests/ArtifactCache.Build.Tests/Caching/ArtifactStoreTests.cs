using System.Collections.Concurrent;
using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Local;
using ArtifactCache.Build.Remote;
using ArtifactCache.Build.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace ArtifactCache.Build.Tests.Caching;

/// <summary>The layering: local first, then remote; a remote hit fills the local cache; stores go to both unless read-only.</summary>
public sealed class ArtifactStoreTests : IAsyncLifetime
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-store-");
    private readonly ConcurrentDictionary<string, byte[]> _remoteEntries = new();
    private FaultServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await FaultServer.StartAsync(async context =>
        {
            var path = context.Request.Path.Value ?? "";
            if (path == "/v8/artifacts/status")
            {
                await context.Response.WriteAsJsonAsync(new { status = "enabled" });
                return;
            }

            var key = path["/v8/artifacts/".Length..];
            if (context.Request.Method == "PUT")
            {
                // The fault server has already read the body into its record of the request.
                _remoteEntries[key] = _server.Requests.Last(r => r.Method == "PUT" && r.Path == path).Body;
                context.Response.StatusCode = 202;
            }
            else if (context.Request.Method == "GET" && _remoteEntries.TryGetValue(key, out var bytes))
            {
                context.Response.ContentLength = bytes.Length;
                await context.Response.Body.WriteAsync(bytes);
            }
            else
            {
                context.Response.StatusCode = path.EndsWith("/events", StringComparison.Ordinal) ? 200 : 404;
            }
        });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _scratch.Delete(recursive: true);
    }

    private static string Key(int i) => i.ToString("x64");

    private string Artifact(string key)
    {
        var content = Path.Combine(_scratch.FullName, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(content, [1, 2, 3]);
        var artifact = content + ".acb";
        using (var stream = File.Create(artifact))
        {
            ArtifactWriter.Write(stream, key, [], [], 1, [new ArtifactFile("out", content)]);
        }

        return artifact;
    }

    private (ArtifactStore Store, LocalCache Local) Store(string name, RemoteMode mode = RemoteMode.ReadWrite, bool events = false)
    {
        var log = new RecordingLog();
        var settings = new CacheSettings
        {
            LocalDirectory = Path.Combine(_scratch.FullName, name),
            RemoteUrl = _server.Url,
            RemoteMode = mode,
            Token = "token",
            TeamSlug = "team",
            SendEvents = events,
            RequestTimeout = TimeSpan.FromSeconds(5),
        };
        var local = new LocalCache(settings.LocalDirectory, settings.LocalMaxBytes, log);
        return (new ArtifactStore(settings, local, new RemoteCacheClient(settings, log)), local);
    }

    [Fact]
    public void A_store_goes_to_both_and_a_remote_hit_fills_the_other_machines_local_cache()
    {
        var (machineA, _) = Store("a");
        var stored = machineA.Store(Key(1), Artifact(Key(1)), 100, CancellationToken.None);
        Assert.True(stored.Local);
        Assert.True(stored.Remote);
        Assert.True(_remoteEntries.ContainsKey(Key(1)));

        var (machineB, localB) = Store("b");
        var first = machineB.TryFetch(Key(1), CancellationToken.None);
        Assert.NotNull(first);
        Assert.Equal(CacheSource.Remote, first.Source);
        machineB.Release(first);
        Assert.NotNull(localB.TryGet(Key(1)));

        var second = machineB.TryFetch(Key(1), CancellationToken.None);
        Assert.Equal(CacheSource.Local, second!.Source);
        Assert.Null(machineB.TryFetch(Key(2), CancellationToken.None));
    }

    [Fact]
    public void A_published_prediction_lets_another_machine_download_the_artifact_before_it_knows_the_key()
    {
        var prediction = RemotePrefetch.PredictionKey("{root}/src/Lib/Lib.csproj|net10.0|Debug", "0123456789abcdef0123456789abcdef01234567", strict: false, volatileVersions: false);
        var (machineA, _) = Store("predict-a");
        using (machineA)
        {
            machineA.Store(Key(20), Artifact(Key(20)), 100, CancellationToken.None);
            machineA.PublishPrediction(prediction, Key(20));
        }

        // Disposing waited for the publication: the remote holds the prediction, naming the key.
        Assert.Equal(Key(20), RemotePrefetch.ParseBody(_remoteEntries[prediction]));

        var (machineB, localB) = Store("predict-b");
        using (machineB)
        {
            machineB.StartPrefetch(prediction);
            // At once, as a project at the bottom of the graph looks up: before its prediction has arrived.
            var fetched = machineB.TryFetch(Key(20), CancellationToken.None);

            Assert.NotNull(fetched);
            Assert.Equal(CacheSource.Remote, fetched.Source);
            Assert.NotNull(localB.TryGet(Key(20)));
            // One download of the artifact, by the prefetch; the lookup waited for it rather than starting another.
            Assert.Single(_server.Requests, r => r.Method == "GET" && r.Path.EndsWith(Key(20), StringComparison.Ordinal));

            // The prediction was right: publishing it again would only cost a request.
            machineB.PublishPrediction(prediction, Key(20));
        }

        Assert.Single(_server.Requests, r => r.Method == "PUT" && r.Path.EndsWith(prediction, StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_or_failing_prediction_costs_nothing_but_the_ordinary_lookup()
    {
        var wrong = RemotePrefetch.PredictionKey("{root}/src/Lib/Lib.csproj|net10.0|Debug", "1111111111111111111111111111111111111111", strict: false, volatileVersions: false);
        _remoteEntries[wrong] = RemotePrefetch.Body(Key(21));
        _remoteEntries[Key(21)] = File.ReadAllBytes(Artifact(Key(21)));
        _remoteEntries[Key(22)] = File.ReadAllBytes(Artifact(Key(22)));
        var garbled = RemotePrefetch.PredictionKey("{root}/src/Other/Other.csproj|net10.0|Debug", "1111111111111111111111111111111111111111", strict: false, volatileVersions: false);
        _remoteEntries[garbled] = [1, 2, 3];
        var log = new RecordingLog();
        var settings = new CacheSettings { LocalDirectory = Path.Combine(_scratch.FullName, "wrong"), RemoteUrl = _server.Url, Token = "token", TeamSlug = "team" };
        using var store = new ArtifactStore(settings, new LocalCache(settings.LocalDirectory, settings.LocalMaxBytes, log), new RemoteCacheClient(settings, log));

        store.StartPrefetch(wrong);
        store.StartPrefetch(garbled);
        store.StartPrefetch(RemotePrefetch.PredictionKey("{root}/none.csproj|net10.0|Debug", "2222222222222222222222222222222222222222", strict: false, volatileVersions: false));
        var fetched = store.TryFetch(Key(22), CancellationToken.None);

        Assert.NotNull(fetched);
        Assert.Equal(Key(22), fetched.Key);
        Assert.Equal(CacheSource.Remote, fetched.Source);
        Assert.Empty(log.WarningCodes);
    }

    [Theory]
    [InlineData("artifactcache-prediction-v1\n0123\n")]
    [InlineData("artifactcache-prediction-v2\n0000000000000000000000000000000000000000000000000000000000000000\n")]
    [InlineData("artifactcache-prediction-v1\n0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("artifactcache-prediction-v1\n000000000000000000000000000000000000000000000000000000000000000G\n")]
    public void Only_a_well_formed_prediction_names_a_key(string body)
    {
        Assert.Null(RemotePrefetch.ParseBody(System.Text.Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void A_download_that_is_not_a_whole_artifact_never_enters_the_local_cache()
    {
        var whole = File.ReadAllBytes(Artifact(Key(6)));
        _remoteEntries[Key(6)] = whole[..(whole.Length - 10)];
        var log = new RecordingLog();
        var settings = new CacheSettings { LocalDirectory = Path.Combine(_scratch.FullName, "short"), RemoteUrl = _server.Url, Token = "token", TeamSlug = "team" };
        var local = new LocalCache(settings.LocalDirectory, settings.LocalMaxBytes, log);
        var store = new ArtifactStore(settings, local, new RemoteCacheClient(settings, log));

        var fetched = store.TryFetch(Key(6), CancellationToken.None);

        // Handed to the restore as a temporary download (which rejects it), never stored and served as a local entry.
        Assert.NotNull(fetched);
        Assert.True(fetched.IsTemporary);
        store.Reject(fetched);
        Assert.False(File.Exists(fetched.Path));
        Assert.Null(local.TryGet(Key(6)));
        Assert.Empty(log.WarningCodes);
    }

    [Fact]
    public void A_read_only_remote_is_read_but_never_written()
    {
        _remoteEntries[Key(3)] = File.ReadAllBytes(Artifact(Key(3)));
        var (store, _) = Store("ro", RemoteMode.ReadOnly);

        Assert.Equal(CacheSource.Remote, store.TryFetch(Key(3), CancellationToken.None)!.Source);
        var stored = store.Store(Key(4), Artifact(Key(4)), 1, CancellationToken.None);

        Assert.True(stored.Local);
        Assert.False(stored.Remote);
        Assert.DoesNotContain(_server.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public void Usage_events_are_sent_only_when_enabled()
    {
        var (quiet, _) = Store("quiet");
        quiet.TryFetch(Key(5), CancellationToken.None);
        Assert.DoesNotContain(_server.Requests, r => r.Path.EndsWith("/events", StringComparison.Ordinal));

        var (chatty, _) = Store("chatty", events: true);
        chatty.TryFetch(Key(5), CancellationToken.None);
        var posted = Assert.Single(_server.Requests, r => r.Path.EndsWith("/events", StringComparison.Ordinal));
        var body = System.Text.Encoding.UTF8.GetString(posted.Body);
        Assert.Contains("\"MISS\"", body, StringComparison.Ordinal);
        Assert.Contains(Key(5), body, StringComparison.Ordinal);
    }
}
