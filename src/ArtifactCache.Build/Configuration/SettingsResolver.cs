using System.Globalization;
using System.Net;
using System.Text;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Remote;

namespace ArtifactCache.Build.Configuration;

/// <summary>
/// Turns MSBuild properties and environment variables into one <see cref="CacheSettings"/>.
/// Order: the MSBuild property, then the <c>ARTIFACTCACHE_*</c> variable, then the Turborepo <c>TURBO_*</c> variable,
/// then the default. A bad value is a coded warning and the default, never an exception.
/// </summary>
public sealed class SettingsResolver
{
    private readonly Func<string, string?> _property;
    private readonly Func<string, string?> _environment;
    private readonly ICacheLog _log;

    /// <param name="property">Reads an MSBuild property by name (null or empty when unset).</param>
    /// <param name="environment">Reads an environment variable by name.</param>
    /// <param name="log">Receives a coded warning per bad value.</param>
    public SettingsResolver(Func<string, string?> property, Func<string, string?> environment, ICacheLog log)
    {
        _property = property;
        _environment = environment;
        _log = log;
    }

    /// <summary>The names every setting is read from, in precedence order; the README's settings table mirrors this.</summary>
    public static class Names
    {
        public static readonly SettingName Enabled = new("ArtifactCacheEnabled", "ARTIFACTCACHE_ENABLED");
        public static readonly SettingName LocalEnabled = new("ArtifactCacheLocalEnabled", "ARTIFACTCACHE_LOCAL_ENABLED");
        public static readonly SettingName LocalDirectory = new("ArtifactCacheLocalDirectory", "ARTIFACTCACHE_LOCAL_DIRECTORY");
        public static readonly SettingName LocalMaxSize = new("ArtifactCacheLocalMaxSize", "ARTIFACTCACHE_LOCAL_MAX_SIZE");
        public static readonly SettingName RemoteUrl = new("ArtifactCacheRemoteUrl", "ARTIFACTCACHE_API", "TURBO_API");
        public static readonly SettingName Mode = new("ArtifactCacheMode", "ARTIFACTCACHE_MODE");
        public static readonly SettingName ReadOnly = new(null, "ARTIFACTCACHE_REMOTE_CACHE_READ_ONLY", "TURBO_REMOTE_CACHE_READ_ONLY");
        public static readonly SettingName Token = new(null, "ARTIFACTCACHE_TOKEN", "TURBO_TOKEN");
        public static readonly SettingName TeamId = new("ArtifactCacheTeamId", "ARTIFACTCACHE_TEAMID", "TURBO_TEAMID");
        public static readonly SettingName TeamSlug = new("ArtifactCacheTeam", "ARTIFACTCACHE_TEAM", "TURBO_TEAM");
        public static readonly SettingName SignatureKey = new(null, "ARTIFACTCACHE_REMOTE_CACHE_SIGNATURE_KEY", "TURBO_REMOTE_CACHE_SIGNATURE_KEY");
        public static readonly SettingName RequestTimeout = new("ArtifactCacheRemoteTimeout", "ARTIFACTCACHE_REMOTE_CACHE_TIMEOUT", "TURBO_REMOTE_CACHE_TIMEOUT");
        public static readonly SettingName ConnectTimeout = new("ArtifactCacheRemoteConnectTimeout", "ARTIFACTCACHE_REMOTE_CONNECT_TIMEOUT");
        public static readonly SettingName RemoteBudget = new("ArtifactCacheRemoteBudget", "ARTIFACTCACHE_REMOTE_BUDGET");
        public static readonly SettingName Retries = new("ArtifactCacheRemoteRetries", "ARTIFACTCACHE_REMOTE_RETRIES");
        public static readonly SettingName Events = new("ArtifactCacheRemoteEvents", "ARTIFACTCACHE_REMOTE_EVENTS");
        public static readonly SettingName AllowHttp = new("ArtifactCacheAllowHttp", "ARTIFACTCACHE_ALLOW_HTTP");
        public static readonly SettingName MaxArtifactSize = new("ArtifactCacheMaxArtifactSize", "ARTIFACTCACHE_MAX_ARTIFACT_SIZE");
        public static readonly SettingName MaxEntrySize = new("ArtifactCacheMaxEntrySize", "ARTIFACTCACHE_MAX_ENTRY_SIZE");
        public static readonly SettingName MaxExpandedSize = new("ArtifactCacheMaxExpandedSize", "ARTIFACTCACHE_MAX_EXPANDED_SIZE");
        public static readonly SettingName Verify = new("ArtifactCacheVerify", "ARTIFACTCACHE_VERIFY");
        public static readonly SettingName VolatileVersion = new("ArtifactCacheVolatileVersion", "ARTIFACTCACHE_VOLATILE_VERSION");
        public static readonly SettingName Prefetch = new("ArtifactCachePrefetch", "ARTIFACTCACHE_PREFETCH");

        /// <summary>
        /// Every setting the resolver reads, secrets included. A test resolves with recording readers and fails when
        /// the resolver reads a name that is not here, or this holds one it never reads.
        /// </summary>
        public static IReadOnlyList<SettingName> All { get; } =
        [
            Enabled, LocalEnabled, LocalDirectory, LocalMaxSize, RemoteUrl, Mode, ReadOnly, Token, TeamId, TeamSlug,
            SignatureKey, RequestTimeout, ConnectTimeout, RemoteBudget, Retries, Events, AllowHttp, MaxArtifactSize,
            MaxEntrySize, MaxExpandedSize, Verify, VolatileVersion, Prefetch,
        ];

        /// <summary>Every MSBuild property the resolver reads; the targets pass exactly these to the task.</summary>
        public static IEnumerable<string> Properties => All.Where(n => n.Property is not null).Select(n => n.Property!);

        /// <summary>Every environment variable the resolver reads for a setting (not those behind the default folder).</summary>
        public static IEnumerable<string> EnvironmentVariables => All.SelectMany(n => n.Variables);
    }

    public CacheSettings Resolve()
    {
        var defaults = new CacheSettings();
        var (token, tokenSource) = Read(Names.Token);
        var settings = new CacheSettings
        {
            Enabled = Bool(Names.Enabled, defaults.Enabled),
            LocalEnabled = Bool(Names.LocalEnabled, defaults.LocalEnabled),
            LocalDirectory = LocalDirectory(),
            LocalMaxBytes = Size(Names.LocalMaxSize, defaults.LocalMaxBytes),
            RemoteMode = Mode(),
            Token = token,
            TeamId = Read(Names.TeamId).Value,
            TeamSlug = Read(Names.TeamSlug).Value,
            SignatureKey = Read(Names.SignatureKey).Value,
            RequestTimeout = Seconds(Names.RequestTimeout, defaults.RequestTimeout),
            ConnectTimeout = Seconds(Names.ConnectTimeout, defaults.ConnectTimeout),
            RemoteBudget = Seconds(Names.RemoteBudget, defaults.RemoteBudget),
            MaxRetries = Count(Names.Retries, defaults.MaxRetries, max: 10),
            SendEvents = Bool(Names.Events, defaults.SendEvents),
            AllowInsecureHttp = Bool(Names.AllowHttp, defaults.AllowInsecureHttp),
            MaxArtifactBytes = Size(Names.MaxArtifactSize, defaults.MaxArtifactBytes),
            MaxEntryBytes = Size(Names.MaxEntrySize, defaults.MaxEntryBytes),
            MaxExpandedBytes = Size(Names.MaxExpandedSize, defaults.MaxExpandedBytes),
            VerifyFraction = Fraction(Names.Verify),
            VolatileVersions = Bool(Names.VolatileVersion, defaults.VolatileVersions),
            Prefetch = Bool(Names.Prefetch, defaults.Prefetch),
        };
        settings = settings with { RemoteUrl = RemoteUrl(settings.AllowInsecureHttp) };

        if (settings.RemoteEnabled && token is not null && !RemoteRequestFactory.IsValidToken(token))
        {
            // Named by its variable, never shown: even a malformed token is a secret.
            _log.Warning(
                DiagnosticCodes.InvalidToken,
                $"{tokenSource} has characters that cannot be sent in an HTTP header (spaces, line breaks or non-ASCII). Check its value. The remote cache is off for this build.");
            settings = settings with { RemoteUrl = null, Token = null };
        }

        if (settings.RemoteEnabled && settings.Token is null)
        {
            _log.Warning(
                DiagnosticCodes.RemoteWithoutToken,
                $"A remote cache is set ({settings.RemoteUrl!.GetLeftPart(UriPartial.Authority)}) but no token is: set the ARTIFACTCACHE_TOKEN or TURBO_TOKEN environment variable. Requests go without authorization.");
        }

        if (settings.SignatureKey is { } key && Encoding.UTF8.GetByteCount(key) < 32)
        {
            _log.Warning(
                DiagnosticCodes.WeakSignatureKey,
                "The artifact signature key is shorter than 32 bytes; Turborepo recommends at least 32 random bytes. Signing stays on.");
        }

        return settings;
    }

    /// <summary>The default local cache folder: %LOCALAPPDATA%\ArtifactCache on Windows, $XDG_CACHE_HOME/artifactcache or ~/.cache/artifactcache elsewhere.</summary>
    public static string DefaultLocalDirectory(Func<string, string?> environment)
    {
        if (OperatingSystem.IsWindows())
        {
            var localAppData = environment("LOCALAPPDATA");
            if (string.IsNullOrEmpty(localAppData))
            {
                localAppData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            }

            return Path.Combine(localAppData, "ArtifactCache");
        }

        var xdg = environment("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "artifactcache");
        }

        var home = environment("HOME");
        if (string.IsNullOrEmpty(home))
        {
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        return Path.Combine(home, ".cache", "artifactcache");
    }

    private (string? Value, string Source) Read(SettingName name)
    {
        if (name.Property is not null && Trimmed(_property(name.Property)) is { } fromProperty)
        {
            return (fromProperty, name.Property);
        }

        foreach (var variable in name.Variables)
        {
            if (Trimmed(_environment(variable)) is { } fromEnvironment)
            {
                return (fromEnvironment, variable);
            }
        }

        return (null, "");
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private void Invalid(string source, string value, string expected, string fallback) =>
        _log.Warning(DiagnosticCodes.InvalidSetting, $"{source}='{value}' is not valid: expected {expected}. Using {fallback}.");

    private bool Bool(SettingName name, bool fallback)
    {
        var (value, source) = Read(name);
        if (value is null)
        {
            return fallback;
        }

        switch (value.ToUpperInvariant())
        {
            case "TRUE" or "1" or "YES" or "ON":
                return true;
            case "FALSE" or "0" or "NO" or "OFF":
                return false;
            default:
                Invalid(source, value, "true or false", fallback ? "true" : "false");
                return fallback;
        }
    }

    // true (every hit), false, or the share of hits to check, such as 0.1.
    private double Fraction(SettingName name)
    {
        var (value, source) = Read(name);
        if (value is null)
        {
            return 0;
        }

        switch (value.ToUpperInvariant())
        {
            case "TRUE" or "YES" or "ON":
                return 1;
            case "FALSE" or "NO" or "OFF":
                return 0;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) && fraction is >= 0 and <= 1)
        {
            return fraction;
        }

        Invalid(source, value, "true, false or a fraction of hits from 0 to 1 (0.1 checks one hit in ten)", "false");
        return 0;
    }

    private int Count(SettingName name, int fallback, int max)
    {
        var (value, source) = Read(name);
        if (value is null)
        {
            return fallback;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count <= max)
        {
            return count;
        }

        Invalid(source, value, $"a whole number from 0 to {max}", fallback.ToString(CultureInfo.InvariantCulture));
        return fallback;
    }

    private TimeSpan Seconds(SettingName name, TimeSpan fallback)
    {
        var (value, source) = Read(name);
        if (value is null)
        {
            return fallback;
        }

        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) &&
            seconds > 0 && seconds <= 3600)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        Invalid(source, value, "a number of seconds above 0 and at most 3600", $"{fallback.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        return fallback;
    }

    /// <summary>Reads a size in bytes, with an optional KB/MB/GB suffix (powers of 1024).</summary>
    private long Size(SettingName name, long fallback)
    {
        var (value, source) = Read(name);
        if (value is null)
        {
            return fallback;
        }

        if (TryParseSize(value, out var bytes))
        {
            return bytes;
        }

        Invalid(source, value, "a size above 0 such as 5GB, 500MB or a number of bytes", $"{fallback} bytes");
        return fallback;
    }

    /// <summary>Reads a size in bytes with an optional KB/MB/GB suffix (powers of 1024).</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        var trimmed = text.Trim().ToUpperInvariant();
        long multiplier = 1;
        foreach (var (suffix, factor) in new[] { ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10), ("B", 1L) })
        {
            if (trimmed.EndsWith(suffix, StringComparison.Ordinal))
            {
                multiplier = factor;
                trimmed = trimmed[..^suffix.Length].TrimEnd();
                break;
            }
        }

        if (!decimal.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) ||
            number <= 0 || number > long.MaxValue / multiplier)
        {
            return false;
        }

        bytes = (long)(number * multiplier);
        return bytes > 0;
    }

    private string LocalDirectory()
    {
        var (value, source) = Read(Names.LocalDirectory);
        if (value is null)
        {
            return DefaultLocalDirectory(_environment);
        }

        try
        {
            return Path.GetFullPath(value);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            var fallback = DefaultLocalDirectory(_environment);
            Invalid(source, value, "a folder path", fallback);
            return fallback;
        }
    }

    private RemoteMode Mode()
    {
        var (value, source) = Read(Names.Mode);
        if (value is not null)
        {
            if (Enum.TryParse<RemoteMode>(value, ignoreCase: true, out var mode) && Enum.IsDefined(mode) && !int.TryParse(value, out _))
            {
                return mode;
            }

            Invalid(source, value, "ReadWrite, ReadOnly, WriteOnly or Off", "ReadWrite");
        }

        return Bool(Names.ReadOnly, fallback: false) ? RemoteMode.ReadOnly : RemoteMode.ReadWrite;
    }

    private Uri? RemoteUrl(bool allowHttp)
    {
        var (value, source) = Read(Names.RemoteUrl);
        if (value is null)
        {
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            // Not echoed whole: a malformed URL may still carry a password.
            _log.Warning(DiagnosticCodes.InvalidSetting, $"{source} is not an absolute http(s) URL. The remote cache is off for this build.");
            return null;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            _log.Warning(
                DiagnosticCodes.RemoteUrlHasCredentials,
                $"{source} has credentials in it ({uri.Scheme}://***@{uri.Authority}). Put the token in ARTIFACTCACHE_TOKEN or TURBO_TOKEN instead. The remote cache is off for this build.");
            return null;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !allowHttp && !IsLoopback(uri))
        {
            _log.Warning(
                DiagnosticCodes.InsecureRemoteUrl,
                $"{source} uses plain http to {uri.Host}, which would send the token in clear text. Use https, or set ArtifactCacheAllowHttp=true. The remote cache is off for this build.");
            return null;
        }

        // The API paths are appended to the base; keep any path prefix the server is mounted under.
        var builder = new UriBuilder(uri) { Query = "", Fragment = "" };
        if (!builder.Path.EndsWith('/'))
        {
            builder.Path += "/";
        }

        return builder.Uri;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}

/// <summary>One setting's MSBuild property (null for secrets, which are environment-only) and its environment variables, first wins.</summary>
public sealed record SettingName(string? Property, params string[] Variables);
