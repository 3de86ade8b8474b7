using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

/// <summary>One line of the JSON Lines report the package writes per cached compilation.</summary>
public sealed record ReportEntry(
    string Project,
    string? TargetFramework,
    string? Configuration,
    string Target,
    string? Key,
    string Result,
    string? Source,
    bool Stored,
    string? Reason,
    string? Explanation,
    long DurationMs,
    long? SavedMs,
    int Files,
    bool? Verified = null)
{
    public string ProjectName => Path.GetFileNameWithoutExtension(Project);

    public bool IsHit => Result == "hit";
}

/// <summary>What one `dotnet` run did.</summary>
public sealed record BuildRun(int ExitCode, string Output, IReadOnlyList<ReportEntry> Report)
{
    public bool Succeeded => ExitCode == 0;

    public IReadOnlyList<string> Hits => Report.Where(r => r.IsHit).Select(r => r.ProjectName).Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Misses => Report.Where(r => !r.IsHit).Select(r => r.ProjectName).Order(StringComparer.Ordinal).ToList();

    public override string ToString() => $"exit {ExitCode}\n{string.Join("\n", Report)}\n--- output ---\n{Output}";
}

/// <summary>
/// Runs the dotnet CLI out of process with a scrubbed environment (no CI, TURBO_* or ARTIFACTCACHE_* variables from
/// the machine), no node reuse, its own local cache folder, and a report file it parses.
/// </summary>
public static class Dotnet
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private static readonly string[] ScrubbedPrefixes = ["TURBO_", "ARTIFACTCACHE_", "MSBUILD", "GITHUB_", "TF_BUILD", "GITLAB_", "BUILD_", "SYSTEM_", "VERCEL", "DOTNET_CLI_UI_LANGUAGE"];
    private static readonly string[] ScrubbedNames = ["CI", "CONTINUOUS_INTEGRATION", "TEAMCITY_VERSION", "JENKINS_URL", "BUILDKITE", "CIRCLECI", "TRAVIS", "APPVEYOR", "ContinuousIntegrationBuild"];
    private static int _reports;

    public static BuildRun Run(string workingDirectory, string cacheDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        Run(workingDirectory, cacheDirectory, arguments, environment, testingPlatform: false);

    /// <summary>
    /// `dotnet test` in Microsoft.Testing.Platform mode (a global.json chooses it): it passes options it does not know,
    /// -nr:false and -tl:off among them, on to the test applications, so only the -p: settings are added.
    /// </summary>
    public static BuildRun RunTestingPlatform(string workingDirectory, string cacheDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        Run(workingDirectory, cacheDirectory, arguments, environment, testingPlatform: true);

    private static BuildRun Run(string workingDirectory, string cacheDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, bool testingPlatform)
    {
        var report = NewReportPath();
        var start = StartInfo(workingDirectory, cacheDirectory, arguments, environment, report, testingPlatform);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} ran past {Limit}:\n{output}");
        }

        process.WaitForExit();
        var entries = ReadReport(report);
        lock (output)
        {
            return new BuildRun(process.ExitCode, output.ToString(), entries);
        }
    }

    /// <summary>Stops a server builds leave running (`dotnet build-server shutdown --msbuild`, `--vbcscompiler`).</summary>
    public static void ShutDownBuildServer(string workingDirectory, string server)
    {
        using var shutdown = Process.Start(new ProcessStartInfo("dotnet", ["build-server", "shutdown", server]) { WorkingDirectory = workingDirectory, UseShellExecute = false })!;
        shutdown.WaitForExit(TimeSpan.FromMinutes(1));
    }

    /// <summary>The variables that point a build at a remote cache server on loopback, as team "e2e".</summary>
    public static Dictionary<string, string> RemoteEnvironment(Uri url, string token) => new()
    {
        ["ARTIFACTCACHE_API"] = url.ToString(),
        ["ARTIFACTCACHE_TOKEN"] = token,
        ["ARTIFACTCACHE_TEAM"] = "e2e",
    };

    public static string NewReportPath() => Path.Combine(Path.GetTempPath(), $"acb-report-{Environment.ProcessId}-{Interlocked.Increment(ref _reports)}.jsonl");

    /// <summary>The report's records; deletes the file.</summary>
    public static List<ReportEntry> ReadReport(string report)
    {
        var entries = new List<ReportEntry>();
        if (File.Exists(report))
        {
            var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
            entries.AddRange(File.ReadAllLines(report).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<ReportEntry>(l, options)!));
            File.Delete(report);
        }

        return entries;
    }

    /// <summary>
    /// A `dotnet` command with the scrubbed environment; commands that run MSBuild get no node reuse (unless they ask for
    /// it with -nr:true and MSBUILDDISABLENODEREUSE=0), the classic logger and the report file.
    /// </summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, string cacheDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, string report, bool testingPlatform = false)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (start.ArgumentList.FirstOrDefault() is not ("new" or "sln"))
        {
            if (!testingPlatform && !start.ArgumentList.Any(a => a.StartsWith("-nr:", StringComparison.OrdinalIgnoreCase) || a.StartsWith("-nodeReuse:", StringComparison.OrdinalIgnoreCase)))
            {
                start.ArgumentList.Add("-nr:false");
            }

            if (!testingPlatform)
            {
                start.ArgumentList.Add("-tl:off");
            }

            start.ArgumentList.Add("-p:ArtifactCacheReportFile=" + report);
        }

        foreach (var name in start.Environment.Keys.ToList())
        {
            if (ScrubbedNames.Contains(name, StringComparer.OrdinalIgnoreCase) ||
                ScrubbedPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["ARTIFACTCACHE_LOCAL_DIRECTORY"] = cacheDirectory;
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }
}
