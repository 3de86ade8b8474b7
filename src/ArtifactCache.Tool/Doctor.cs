using System.Diagnostics;
using System.Text.Json;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Local;
using ArtifactCache.Build.Remote;

namespace ArtifactCache.Tool;

/// <summary>One finding of <c>artifactcache doctor</c>.</summary>
internal sealed record Check(string Name, string Status, string Message, string? Code = null)
{
    public const string Ok = "ok";
    public const string Warn = "warn";
    public const string Fail = "fail";
    public const string Info = "info";
}

/// <summary>
/// Resolves the settings exactly as the build does (the same <see cref="SettingsResolver"/>, fed with the project's
/// MSBuild properties when a project is given), then checks the local cache folder and the remote cache.
/// </summary>
internal sealed class Doctor(Func<string, string?> environment, TextWriter progress)
{
    public async Task<(CacheSettings Settings, IReadOnlyList<Check> Checks)> RunAsync(string? project, CancellationToken cancellationToken)
    {
        var checks = new List<Check>();
        var properties = project is null ? new Dictionary<string, string>() : ReadProjectProperties(project, checks);
        var settingsLog = new CollectingLog();
        var settings = new SettingsResolver(n => properties.GetValueOrDefault(n), environment, settingsLog).Resolve();
        checks.AddRange(settingsLog.Warnings.Select(w => new Check("settings", Check.Warn, w.Message, w.Code)));
        if (!settings.Enabled)
        {
            checks.Add(new Check("settings", Check.Info, "The cache is switched off (ArtifactCacheEnabled=false)."));
        }

        checks.Add(CheckLocal(settings));
        checks.AddRange(await CheckRemoteAsync(settings, cancellationToken));
        return (settings, checks);
    }

    private static Check CheckLocal(CacheSettings settings)
    {
        if (!settings.LocalEnabled)
        {
            return new Check("local cache", Check.Info, "Off (ArtifactCacheLocalEnabled=false).");
        }

        try
        {
            Directory.CreateDirectory(settings.LocalDirectory);
            var probe = Path.Combine(settings.LocalDirectory, ".doctor-" + Guid.NewGuid().ToString("N"));
            File.WriteAllText(probe, "probe");
            File.Delete(probe);
            var stats = new LocalCache(settings.LocalDirectory, settings.LocalMaxBytes, NullCacheLog.Instance).GetStats();
            return new Check("local cache", Check.Ok, $"{settings.LocalDirectory} is writable: {stats.Entries} entries, {Size(stats.Bytes)} of {Size(settings.LocalMaxBytes)}.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Check("local cache", Check.Fail, $"{settings.LocalDirectory} cannot be written ({e.Message}). Fix its permissions or set ArtifactCacheLocalDirectory.", DiagnosticCodes.LocalCacheUnusable);
        }
    }

    private async Task<IEnumerable<Check>> CheckRemoteAsync(CacheSettings settings, CancellationToken cancellationToken)
    {
        if (settings.RemoteUrl is null)
        {
            return [new Check("remote cache", Check.Info, "None configured (set TURBO_API or ARTIFACTCACHE_API to share a cache between machines).")];
        }

        if (settings.RemoteMode == RemoteMode.Off)
        {
            return [new Check("remote cache", Check.Info, "Configured but off (ArtifactCacheMode=Off).")];
        }

        var log = new CollectingLog();
        using var client = new RemoteCacheClient(settings, log, environment: environment);
        progress.WriteLine($"Asking {settings.RemoteUrl.GetLeftPart(UriPartial.Authority)} ...");
        var checks = new List<Check>();
        if (await client.CheckStatusAsync(cancellationToken))
        {
            // A hash nobody stored: 404 proves the server answers, accepts the token and knows the team.
            var probe = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant() + new string('0', 32);
            var exists = await client.ExistsAsync(probe, cancellationToken);
            if (exists is not null)
            {
                var mode = settings.RemoteMode switch
                {
                    RemoteMode.ReadOnly => "read-only",
                    RemoteMode.WriteOnly => "write-only",
                    _ => "read and write",
                };
                checks.Add(new Check("remote cache", Check.Ok, $"{settings.RemoteUrl.GetLeftPart(UriPartial.Path)} answers, accepts the token and the team ({mode})."));
            }
        }

        checks.AddRange(log.Warnings.Select(w => new Check("remote cache", Check.Fail, w.Message, w.Code)));
        if (checks.Count == 0)
        {
            checks.Add(new Check("remote cache", Check.Fail, "The remote cache could not be used; see the detail log."));
        }

        checks.Add(settings.SigningEnabled
            ? new Check("signing", Check.Info, $"On: artifacts are signed and verified for team id '{settings.SignatureTeamId}'. Every machine sharing the cache needs the same key and team id.")
            : new Check("signing", Check.Info, "Off (set TURBO_REMOTE_CACHE_SIGNATURE_KEY to sign and verify artifacts)."));
        return checks;
    }

    // The build reads its settings from MSBuild properties: ask MSBuild for this project's values.
    private static Dictionary<string, string> ReadProjectProperties(string project, List<Check> checks)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("msbuild");
        start.ArgumentList.Add(project);
        start.ArgumentList.Add("-nologo");
        foreach (var name in SettingsResolver.Names.Properties)
        {
            start.ArgumentList.Add("-getProperty:" + name);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        try
        {
            using var json = JsonDocument.Parse(output);
            return json.RootElement.GetProperty("Properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            checks.Add(new Check("settings", Check.Warn, $"Could not read the properties of {project} (exit {process.ExitCode}); using the environment only."));
            return [];
        }
    }

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MB",
        _ => $"{bytes / 1024.0:0.0} KB",
    };

    private sealed class CollectingLog : ICacheLog
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
}
