using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using ArtifactCache.Build.Configuration;

namespace ArtifactCache.Build.Remote;

/// <summary>Builds requests with what every request carries: the team query, the bearer token, the user agent and the CI headers.</summary>
internal sealed class RemoteRequestFactory
{
    public static readonly string UserAgent = "ArtifactCache.Build/" + PackageVersion();

    private readonly Uri _baseUrl;
    private readonly string _teamQuery;
    private readonly string? _token;
    private readonly string? _ciName;
    private readonly bool _interactive;

    public RemoteRequestFactory(CacheSettings settings, Func<string, string?> environment)
    {
        var url = settings.RemoteUrl ?? throw new ArgumentException("No remote URL is set.", nameof(settings));
        // A base path (https://host/cache/) must survive relative resolution, which needs the trailing slash.
        _baseUrl = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");

        // teamId wins when both are set: it is the stable identifier, a slug can be renamed.
        _teamQuery = !string.IsNullOrEmpty(settings.TeamId) ? "?teamId=" + Uri.EscapeDataString(settings.TeamId)
            : !string.IsNullOrEmpty(settings.TeamSlug) ? "?slug=" + Uri.EscapeDataString(settings.TeamSlug)
            : "";
        _token = string.IsNullOrEmpty(settings.Token) ? null : settings.Token;
        (_ciName, _interactive) = CiEnvironment.Detect(environment);
    }

    /// <summary>The base URL without query, safe for messages.</summary>
    public string DisplayUrl => _baseUrl.GetLeftPart(UriPartial.Path);

    public HttpRequestMessage Artifact(HttpMethod method, string hash) => Create(method, "v8/artifacts/" + Uri.EscapeDataString(hash));

    public HttpRequestMessage Create(HttpMethod method, string relativePath)
    {
        var request = new HttpRequestMessage(method, new Uri(_baseUrl, relativePath + _teamQuery));
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        request.Headers.UserAgent.ParseAdd(UserAgent);
        if (_ciName is not null)
        {
            request.Headers.TryAddWithoutValidation("x-artifact-client-ci", _ciName);
        }

        request.Headers.TryAddWithoutValidation("x-artifact-client-interactive", _interactive ? "1" : "0");
        return request;
    }

    private static string PackageVersion()
    {
        var informational = typeof(RemoteRequestFactory).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrEmpty(informational))
        {
            // Drop the "+<commit>" build metadata: the user agent names the release, not the commit.
            var plus = informational.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? informational : informational[..plus];
        }

        return typeof(RemoteRequestFactory).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }

    /// <summary>A bearer token must be visible ASCII without spaces to be sent as a header value.</summary>
    public static bool IsValidToken(string token) => token.All(c => c is > ' ' and < (char)0x7F);

    public static string Milliseconds(long value) => value.ToString(CultureInfo.InvariantCulture);
}
