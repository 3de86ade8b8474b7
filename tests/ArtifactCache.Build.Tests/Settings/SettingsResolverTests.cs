using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Tests.Settings;

public sealed class SettingsResolverTests
{
    private sealed class RecordingLog : ICacheLog
    {
        public List<(string Code, string Message)> Warnings { get; } = [];

        public void Warning(string code, string message) => Warnings.Add((code, message));

        public void Info(string message)
        {
        }

        public void Detail(string message)
        {
        }
    }

    private static (CacheSettings Settings, RecordingLog Log) Resolve(
        Dictionary<string, string>? properties = null, Dictionary<string, string>? environment = null)
    {
        properties ??= [];
        environment ??= new() { ["HOME"] = "/home/u" };
        var log = new RecordingLog();
        var settings = new SettingsResolver(
            n => properties.TryGetValue(n, out var v) ? v : null,
            n => environment.TryGetValue(n, out var v) ? v : null,
            log).Resolve();
        return (settings, log);
    }

    [Fact]
    public void Defaults_need_no_configuration()
    {
        var (settings, log) = Resolve();

        Assert.True(settings.Enabled);
        Assert.True(settings.LocalEnabled);
        Assert.Null(settings.RemoteUrl);
        Assert.False(settings.RemoteEnabled);
        Assert.Equal(RemoteMode.ReadWrite, settings.RemoteMode);
        Assert.Equal(CacheSettings.DefaultLocalMaxBytes, settings.LocalMaxBytes);
        Assert.Empty(log.Warnings);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(Path.Combine("/home/u", ".cache", "artifactcache"), settings.LocalDirectory);
        }
    }

    [Fact]
    public void Xdg_cache_home_is_honoured_on_unix()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var (settings, _) = Resolve(environment: new() { ["HOME"] = "/home/u", ["XDG_CACHE_HOME"] = "/var/cache/u" });
        Assert.Equal(Path.Combine("/var/cache/u", "artifactcache"), settings.LocalDirectory);
    }

    [Fact]
    public void Property_wins_over_artifactcache_variable_which_wins_over_turbo_variable()
    {
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = "/home/u",
            ["ARTIFACTCACHE_API"] = "https://twin.example.com",
            ["TURBO_API"] = "https://turbo.example.com",
            ["TURBO_TEAM"] = "turbo-team",
            ["ARTIFACTCACHE_TEAM"] = "twin-team",
        };

        var (fromTwin, _) = Resolve(environment: environment);
        Assert.Equal("https://twin.example.com/", fromTwin.RemoteUrl!.ToString());
        Assert.Equal("twin-team", fromTwin.TeamSlug);

        var (fromProperty, _) = Resolve(new() { ["ArtifactCacheRemoteUrl"] = "https://prop.example.com/cache" }, environment);
        Assert.Equal("https://prop.example.com/cache/", fromProperty.RemoteUrl!.ToString());

        environment.Remove("ARTIFACTCACHE_API");
        var (fromTurbo, _) = Resolve(environment: environment);
        Assert.Equal("https://turbo.example.com/", fromTurbo.RemoteUrl!.ToString());
    }

    [Fact]
    public void Secrets_come_from_the_environment_only()
    {
        var (settings, _) = Resolve(
            new() { ["ArtifactCacheToken"] = "from-property", ["TURBO_TOKEN"] = "from-property-too" },
            new() { ["HOME"] = "/h", ["TURBO_TOKEN"] = "env-token", ["TURBO_REMOTE_CACHE_SIGNATURE_KEY"] = new string('k', 40) });

        Assert.Equal("env-token", settings.Token);
        Assert.Equal(new string('k', 40), settings.SignatureKey);
        Assert.DoesNotContain("env-token", settings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Turbo_read_only_variable_makes_the_remote_read_only_unless_a_mode_is_set()
    {
        var environment = new Dictionary<string, string> { ["HOME"] = "/h", ["TURBO_API"] = "https://c.example.com", ["TURBO_TOKEN"] = "t", ["TURBO_REMOTE_CACHE_READ_ONLY"] = "true" };
        var (readOnly, _) = Resolve(environment: environment);
        Assert.Equal(RemoteMode.ReadOnly, readOnly.RemoteMode);
        Assert.True(readOnly.RemoteCanRead);
        Assert.False(readOnly.RemoteCanWrite);

        var (explicitMode, _) = Resolve(new() { ["ArtifactCacheMode"] = "writeonly" }, environment);
        Assert.Equal(RemoteMode.WriteOnly, explicitMode.RemoteMode);
        Assert.False(explicitMode.RemoteCanRead);
    }

    [Theory]
    [InlineData("ArtifactCacheRemoteTimeout", "-5")]
    [InlineData("ArtifactCacheRemoteTimeout", "soon")]
    [InlineData("ArtifactCacheEnabled", "maybe")]
    [InlineData("ArtifactCacheMode", "Sometimes")]
    [InlineData("ArtifactCacheMode", "1")]
    [InlineData("ArtifactCacheLocalMaxSize", "-1GB")]
    [InlineData("ArtifactCacheLocalMaxSize", "lots")]
    [InlineData("ArtifactCacheRemoteRetries", "100")]
    public void A_bad_value_is_a_coded_warning_and_the_default(string property, string value)
    {
        var (settings, log) = Resolve(new() { [property] = value });

        var warning = Assert.Single(log.Warnings);
        Assert.Equal(DiagnosticCodes.InvalidSetting, warning.Code);
        Assert.Contains(property, warning.Message, StringComparison.Ordinal);
        var defaults = new CacheSettings();
        Assert.Equal(defaults.RequestTimeout, settings.RequestTimeout);
        Assert.Equal(defaults.Enabled, settings.Enabled);
        Assert.Equal(defaults.RemoteMode, settings.RemoteMode);
        Assert.Equal(defaults.LocalMaxBytes, settings.LocalMaxBytes);
        Assert.Equal(defaults.MaxRetries, settings.MaxRetries);
    }

    [Theory]
    [InlineData("5GB", 5L * 1024 * 1024 * 1024)]
    [InlineData("500 MB", 500L * 1024 * 1024)]
    [InlineData("1.5kb", 1536L)]
    [InlineData("1024", 1024L)]
    public void Sizes_take_binary_suffixes(string text, long expected)
    {
        Assert.True(SettingsResolver.TryParseSize(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void A_remote_url_with_credentials_is_refused_and_not_logged_whole()
    {
        var (settings, log) = Resolve(new() { ["ArtifactCacheRemoteUrl"] = "https://user:hunter2@cache.example.com" });

        Assert.Null(settings.RemoteUrl);
        var warning = Assert.Single(log.Warnings);
        Assert.Equal(DiagnosticCodes.RemoteUrlHasCredentials, warning.Code);
        Assert.DoesNotContain("hunter2", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_http_is_refused_unless_loopback_or_allowed()
    {
        var (remote, log) = Resolve(new() { ["ArtifactCacheRemoteUrl"] = "http://cache.example.com" }, new() { ["HOME"] = "/h", ["TURBO_TOKEN"] = "t" });
        Assert.Null(remote.RemoteUrl);
        Assert.Equal(DiagnosticCodes.InsecureRemoteUrl, Assert.Single(log.Warnings).Code);

        var (loopback, loopbackLog) = Resolve(new() { ["ArtifactCacheRemoteUrl"] = "http://127.0.0.1:3000" }, new() { ["HOME"] = "/h", ["TURBO_TOKEN"] = "t" });
        Assert.NotNull(loopback.RemoteUrl);
        Assert.Empty(loopbackLog.Warnings);

        var (allowed, _) = Resolve(
            new() { ["ArtifactCacheRemoteUrl"] = "http://cache.example.com", ["ArtifactCacheAllowHttp"] = "true" },
            new() { ["HOME"] = "/h", ["TURBO_TOKEN"] = "t" });
        Assert.NotNull(allowed.RemoteUrl);
    }

    [Fact]
    public void A_malformed_url_switches_the_remote_off_with_a_coded_warning()
    {
        var (settings, log) = Resolve(new() { ["ArtifactCacheRemoteUrl"] = "not a url" });
        Assert.Null(settings.RemoteUrl);
        Assert.Equal(DiagnosticCodes.InvalidSetting, Assert.Single(log.Warnings).Code);
    }

    [Theory]
    [InlineData("tok-SECRET-4f2a9e\nX-Injected: 1")]
    [InlineData("tok SECRET-4f2a9e")]
    [InlineData("tok-SECRET-4f2a9\u00e9")]
    public void A_token_that_cannot_go_into_an_HTTP_header_turns_the_remote_off_without_showing_it(string token)
    {
        var (settings, log) = Resolve(environment: new() { ["HOME"] = "/h", ["TURBO_API"] = "https://c.example.com", ["TURBO_TOKEN"] = token });

        Assert.False(settings.RemoteEnabled);
        Assert.Null(settings.Token);
        var warning = Assert.Single(log.Warnings);
        Assert.Equal(DiagnosticCodes.InvalidToken, warning.Code);
        Assert.Contains("TURBO_TOKEN", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_is_only_checked_when_a_remote_would_use_it()
    {
        var (_, noRemote) = Resolve(environment: new() { ["HOME"] = "/h", ["ARTIFACTCACHE_TOKEN"] = "two words" });
        Assert.Empty(noRemote.Warnings);

        var (_, remoteOff) = Resolve(
            new() { ["ArtifactCacheMode"] = "Off" },
            new() { ["HOME"] = "/h", ["TURBO_API"] = "https://c.example.com", ["ARTIFACTCACHE_TOKEN"] = "two words" });
        Assert.Empty(remoteOff.Warnings);

        var (settings, valid) = Resolve(environment: new() { ["HOME"] = "/h", ["TURBO_API"] = "https://c.example.com", ["TURBO_TOKEN"] = "  tok_9f-A.b/c+d=  " });
        Assert.Empty(valid.Warnings);
        Assert.Equal("tok_9f-A.b/c+d=", settings.Token);
        Assert.True(settings.RemoteEnabled);
    }

    [Fact]
    public void Short_signature_key_and_missing_token_are_warned()
    {
        var (_, log) = Resolve(environment: new() { ["HOME"] = "/h", ["TURBO_API"] = "https://c.example.com", ["TURBO_REMOTE_CACHE_SIGNATURE_KEY"] = "short" });
        Assert.Contains(log.Warnings, w => w.Code == DiagnosticCodes.WeakSignatureKey);
        Assert.Contains(log.Warnings, w => w.Code == DiagnosticCodes.RemoteWithoutToken);
        Assert.DoesNotContain(log.Warnings, w => w.Message.Contains("short", StringComparison.Ordinal) && w.Code == DiagnosticCodes.WeakSignatureKey && w.Message.Contains("'short'", StringComparison.Ordinal));
    }

    [Fact]
    public void Signature_team_id_is_empty_when_only_a_slug_is_set()
    {
        var (slugOnly, _) = Resolve(environment: new() { ["HOME"] = "/h", ["TURBO_TEAM"] = "slug" });
        Assert.Equal("", slugOnly.SignatureTeamId);

        var (withId, _) = Resolve(environment: new() { ["HOME"] = "/h", ["TURBO_TEAM"] = "slug", ["TURBO_TEAMID"] = "team_1" });
        Assert.Equal("team_1", withId.SignatureTeamId);
    }
}
