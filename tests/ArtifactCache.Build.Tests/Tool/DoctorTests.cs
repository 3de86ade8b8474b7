using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Tests.Infrastructure;
using ArtifactCache.Tool;

namespace ArtifactCache.Build.Tests.Tool;

/// <summary>`artifactcache doctor` says in plain words what works and what to fix, against the real server.</summary>
[Collection(TurboRemoteCacheCollection.Name)]
public sealed class DoctorTests(TurboRemoteCacheFixture servers) : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-doctor-");

    public void Dispose() => _scratch.Delete(recursive: true);

    private async Task<IReadOnlyList<Check>> Doctor(params (string Name, string Value)[] environment)
    {
        var variables = environment.Append(("ARTIFACTCACHE_LOCAL_DIRECTORY", Path.Combine(_scratch.FullName, "cache"))).ToDictionary(v => v.Item1, v => v.Item2);
        var (_, checks) = await new Doctor(n => variables.GetValueOrDefault(n), TextWriter.Null).RunAsync(null, CancellationToken.None);
        return checks;
    }

    [Fact]
    public async Task A_working_setup_is_all_ok()
    {
        var checks = await Doctor(("TURBO_API", servers.Plain.Url.ToString()), ("TURBO_TOKEN", servers.Plain.Token), ("TURBO_TEAM", "doctor"));

        Assert.DoesNotContain(checks, c => c.Status is Check.Fail or Check.Warn);
        Assert.Contains(checks, c => c.Name == "local cache" && c.Status == Check.Ok);
        Assert.Contains(checks, c => c.Name == "remote cache" && c.Status == Check.Ok);
    }

    [Fact]
    public async Task A_bad_token_and_a_missing_team_are_named()
    {
        var badToken = await Doctor(("TURBO_API", servers.Plain.Url.ToString()), ("TURBO_TOKEN", "wrong-token"), ("TURBO_TEAM", "doctor"));
        var fail = Assert.Single(badToken, c => c.Status == Check.Fail);
        Assert.Equal(DiagnosticCodes.RemoteRejected, fail.Code);
        Assert.Contains("token", fail.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("wrong-token", fail.Message, StringComparison.Ordinal);

        var noTeam = await Doctor(("TURBO_API", servers.Plain.Url.ToString()), ("TURBO_TOKEN", servers.Plain.Token));
        Assert.Contains(noTeam, c => c.Status == Check.Fail && c.Code == DiagnosticCodes.RemoteRejected && c.Message.Contains("team", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task An_unreachable_host_and_an_unwritable_cache_folder_fail()
    {
        var blocked = Path.Combine(_scratch.FullName, "file");
        await File.WriteAllTextAsync(blocked, "not a folder");
        var variables = new Dictionary<string, string>
        {
            ["ARTIFACTCACHE_LOCAL_DIRECTORY"] = blocked,
            ["TURBO_API"] = "http://127.0.0.1:9/",
            ["TURBO_TOKEN"] = "t",
            ["TURBO_TEAM"] = "doctor",
            ["ARTIFACTCACHE_REMOTE_RETRIES"] = "0",
        };

        var (_, checks) = await new Doctor(n => variables.GetValueOrDefault(n), TextWriter.Null).RunAsync(null, CancellationToken.None);

        Assert.Contains(checks, c => c.Name == "local cache" && c.Status == Check.Fail && c.Code == DiagnosticCodes.LocalCacheUnusable);
        Assert.Contains(checks, c => c.Name == "remote cache" && c.Status == Check.Fail && c.Code == DiagnosticCodes.RemoteUnavailable);
    }

    [Fact]
    public async Task No_remote_is_information_not_a_failure()
    {
        var checks = await Doctor();

        Assert.DoesNotContain(checks, c => c.Status == Check.Fail);
        Assert.Contains(checks, c => c.Name == "remote cache" && c.Status == Check.Info);
    }
}
