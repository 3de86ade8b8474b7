using System.Collections.Concurrent;
using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Local;
using ArtifactCache.Build.Remote;
using ArtifactCache.Build.Reporting;
using ArtifactCache.Build.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace ArtifactCache.Build.Tests.Caching;

/// <summary>The layering: local first, then remote; a remote hit fills the local cache; stores go to both unless read-only.</summary>
public sealed class ArtifactStoreTests : IAsyncLifetime
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-store-");
    private readonly ConcurrentDictionary<string, byte[]> _remoteEntries = new();
    private FaultServer _server = null!;
    private volatile bool _disabled;

    public async Task InitializeAsync() =>
        _server = await FaultServer.StartAsync(async context =>
        {
            var path = context.Request.Path.Value ?? "";
            if (path == "/v8/artifacts/status")
            {
                await context.Response.WriteAsJsonAsync(new { status = _disabled ? "disabled" : "enabled" });
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

    private const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private static readonly string Index = RemotePrefetch.IndexKey(Commit, "Debug", "App.slnx", strict: false, volatileVersions: false);

    private static string Prediction(string project) => RemotePrefetch.PredictionKey("{root}/src/" + project + "|net10.0|Debug", Commit, strict: false, volatileVersions: false);

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

    private (ArtifactStore Store, LocalCache Local) Store(string name, RemoteMode mode = RemoteMode.ReadWrite, bool events = false, BuildSession? build = null)
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
        return (new ArtifactStore(settings, local, new RemoteCacheClient(settings, log, buildFlags: build), build), local);
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
            machineA.PublishPrediction(prediction, Key(20), Index);
        }

        // Disposing waited for the publication: the remote holds the prediction, naming the key.
        Assert.Equal(Key(20), RemotePrefetch.ParseBody(_remoteEntries[prediction]));

        var (machineB, localB) = Store("predict-b");
        using (machineB)
        {
            machineB.StartPrefetch(prediction, Index);
            // At once, as a project at the bottom of the graph looks up: before its prediction has arrived.
            var fetched = machineB.TryFetch(Key(20), CancellationToken.None);

            Assert.NotNull(fetched);
            Assert.Equal(CacheSource.Remote, fetched.Source);
            Assert.NotNull(localB.TryGet(Key(20)));
            // One download of the artifact, by the prefetch; the lookup waited for it rather than starting another.
            Assert.Single(_server.Requests, r => r.Method == "GET" && r.Path.EndsWith(Key(20), StringComparison.Ordinal));

            // The prediction was right: publishing it again would only cost a request.
            machineB.PublishPrediction(prediction, Key(20), Index);
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

        store.StartPrefetch(wrong, Index);
        store.StartPrefetch(garbled, Index);
        store.StartPrefetch(RemotePrefetch.PredictionKey("{root}/none.csproj|net10.0|Debug", "2222222222222222222222222222222222222222", strict: false, volatileVersions: false), Index);
        var fetched = store.TryFetch(Key(22), CancellationToken.None);

        Assert.NotNull(fetched);
        Assert.Equal(Key(22), fetched.Key);
        Assert.Equal(CacheSource.Remote, fetched.Source);
        Assert.Empty(log.WarningCodes);
    }

    [Fact]
    public void The_first_project_a_build_starts_fetches_every_artifact_the_commits_index_names()
    {
        // Machine A builds three projects of the solution at this commit; its build ends, publishing the index.
        var (machineA, _) = Store("index-a");
        using (machineA)
        {
            foreach (var (project, i) in new[] { ("Core", 30), ("Domain", 31), ("App.Tests", 32) })
            {
                machineA.Store(Key(i), Artifact(Key(i)), 100, CancellationToken.None);
                machineA.PublishPrediction(Prediction(project), Key(i), Index);
            }
        }

        var index = CommitIndex.Parse(_remoteEntries[Index]);
        Assert.NotNull(index);
        Assert.Equal([Key(30), Key(31), Key(32)], index.Entries.Select(e => e.Key));

        // Machine B's build starts only its bottom project: the top project's artifact arrives all the same.
        var (machineB, localB) = Store("index-b");
        using (machineB)
        {
            machineB.StartPrefetch(Prediction("Core"), Index);
            Assert.True(Eventually(() => localB.TryGet(Key(32)) is not null && localB.TryGet(Key(31)) is not null));
            Assert.Equal(CacheSource.Remote, machineB.TryFetch(Key(32), CancellationToken.None)!.Source);

            // Known from the index: the project's own prediction is not fetched.
            Assert.DoesNotContain(_server.Requests, r => r.Method == "GET" && r.Path.EndsWith(Prediction("Core"), StringComparison.Ordinal));
            machineB.PublishPrediction(Prediction("Core"), Key(30), Index);
        }

        // Every entry B's build made was in the index already: nothing is published again.
        Assert.Single(_server.Requests, r => r.Method == "PUT" && r.Path.EndsWith(Index, StringComparison.Ordinal));
    }

    [Fact]
    public void A_build_that_adds_projects_to_the_commit_publishes_the_index_once_with_every_nodes_entries_and_the_earlier_builds()
    {
        _remoteEntries[Index] = new CommitIndex([new IndexEntry(Prediction("Core"), Key(40)), new IndexEntry(Prediction("Old"), Key(41))]).Body();
        var sessions = Path.Combine(_scratch.FullName, "sessions");
        var (node1, _) = Store("index-more", build: BuildSession.OpenNamed(sessions, "build"));
        var (node2, _) = Store("index-more", build: BuildSession.OpenNamed(sessions, "build"));
        node1.StartPrefetch(Prediction("Core"), Index);
        node2.StartPrefetch(Prediction("New"), Index);
        // Built again with another key (an edit not committed) on one node, and a project the index did not have on the other.
        node1.PublishPrediction(Prediction("Core"), Key(42), Index);
        node2.PublishPrediction(Prediction("New"), Key(43), Index);
        // The build ends on both nodes: each sees the whole build's entries, and one of them uploads.
        node1.Dispose();
        node2.Dispose();

        var index = CommitIndex.Parse(_remoteEntries[Index]);
        Assert.NotNull(index);
        Assert.Equal([(Prediction("Core"), Key(42)), (Prediction("New"), Key(43)), (Prediction("Old"), Key(41))], index.Entries.Select(e => (e.PredictionKey, e.Key)));
        Assert.Single(_server.Requests, r => r.Method == "PUT" && r.Path.EndsWith(Index, StringComparison.Ordinal));
    }

    [Fact]
    public void Two_nodes_of_one_build_download_each_artifact_once_and_both_count_it_as_a_remote_hit()
    {
        var entries = Enumerable.Range(50, 6).Select(i => new IndexEntry(Prediction("P" + i), Key(i))).ToList();
        foreach (var entry in entries)
        {
            _remoteEntries[entry.Key] = File.ReadAllBytes(Artifact(entry.Key));
        }

        _remoteEntries[Index] = new CommitIndex(entries).Body();
        var sessions = Path.Combine(_scratch.FullName, "sessions");
        var (node1, local) = Store("two-nodes", build: BuildSession.OpenNamed(sessions, "build"));
        var (node2, _) = Store("two-nodes", build: BuildSession.OpenNamed(sessions, "build"));
        using (node1)
        using (node2)
        {
            node1.StartPrefetch(entries[0].PredictionKey, Index);
            node2.StartPrefetch(entries[1].PredictionKey, Index);
            // Node 2 looks up an artifact at once: node 1 may be downloading it; either way it is fetched once.
            Assert.Equal(CacheSource.Remote, node2.TryFetch(Key(55), CancellationToken.None)!.Source);
            Assert.True(Eventually(() => entries.All(e => local.TryGet(e.Key) is not null)));

            foreach (var entry in entries)
            {
                Assert.Single(_server.Requests, r => r.Method == "GET" && r.Path.EndsWith(entry.Key, StringComparison.Ordinal));
            }

            // What a prefetch brought in, on either node, is a remote hit on both (the one that node 2's lookup
            // downloaded, if it won the race, is a local hit for the lookups after it, as on one node).
            foreach (var entry in entries.Where(e => e.Key != Key(55)))
            {
                Assert.Equal(CacheSource.Remote, node1.TryFetch(entry.Key, CancellationToken.None)!.Source);
                Assert.Equal(CacheSource.Remote, node2.TryFetch(entry.Key, CancellationToken.None)!.Source);
            }
        }

        // The next build on this machine finds them local.
        var (nextBuild, _) = Store("two-nodes", build: BuildSession.OpenNamed(sessions, "next-build"));
        Assert.Equal(CacheSource.Local, nextBuild.TryFetch(Key(50), CancellationToken.None)!.Source);
    }

    [Fact]
    public void The_remotes_status_is_asked_when_the_first_project_starts_not_on_its_lookups_path()
    {
        _remoteEntries[Key(70)] = File.ReadAllBytes(Artifact(Key(70)));
        var session = BuildSession.OpenNamed(Path.Combine(_scratch.FullName, "sessions"), "build");
        var (store, _) = Store("status-early", build: session);
        using (store)
        {
            store.StartPrefetch(Prediction("Core"), Index);
            Assert.True(Eventually(() => _server.Requests.Any(r => r.Path == "/v8/artifacts/status") && Directory.Exists(Path.Combine(session.Directory, "flags"))));

            Assert.Equal(CacheSource.Remote, store.TryFetch(Key(70), CancellationToken.None)!.Source);
        }

        // One status request in the build: the prefetch's, which told the lookup the remote is enabled.
        Assert.Single(_server.Requests, r => r.Path == "/v8/artifacts/status");
    }

    [Fact]
    public void A_remote_whose_status_is_not_enabled_is_found_and_warned_about_by_the_lookup_not_the_prefetch()
    {
        _disabled = true;
        var log = new RecordingLog();
        var settings = new CacheSettings { LocalDirectory = Path.Combine(_scratch.FullName, "disabled"), RemoteUrl = _server.Url, Token = "token", TeamSlug = "team" };
        var session = BuildSession.OpenNamed(Path.Combine(_scratch.FullName, "sessions"), "disabled-build");
        using var store = new ArtifactStore(settings, new LocalCache(settings.LocalDirectory, settings.LocalMaxBytes, log), new RemoteCacheClient(settings, log, buildFlags: session), session);

        store.StartPrefetch(Prediction("Core"), Index);
        Assert.True(Eventually(() => _server.Requests.Any(r => r.Path == "/v8/artifacts/status")));
        Assert.Null(store.TryFetch(Key(71), CancellationToken.None));

        Assert.Equal(["ACB2004"], log.WarningCodes);
    }

    [Fact]
    public void An_index_that_is_not_well_formed_is_not_used_and_costs_nothing_but_the_ordinary_lookup()
    {
        _remoteEntries[Key(60)] = File.ReadAllBytes(Artifact(Key(60)));
        _remoteEntries[Index] = System.Text.Encoding.UTF8.GetBytes(CommitIndex.Format + "\n" + Prediction("Core") + " " + Key(60) + "\n../../etc/passwd\n");
        var (store, local) = Store("bad-index");
        using (store)
        {
            store.StartPrefetch(Prediction("Core"), Index);
            Assert.True(Eventually(() => _server.Requests.Any(r => r.Path.EndsWith(Prediction("Core"), StringComparison.Ordinal))));
            Assert.Null(local.TryGet(Key(60)));
            Assert.Equal(CacheSource.Remote, store.TryFetch(Key(60), CancellationToken.None)!.Source);
        }

        Assert.DoesNotContain(_server.Requests, r => r.Path.Contains("..", StringComparison.Ordinal) || r.Path.Contains("passwd", StringComparison.Ordinal));
    }

    // Background work: bounded, polled.
    private static bool Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            Thread.Sleep(10);
        }

        return condition();
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
