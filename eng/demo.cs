// The main job, on Windows, macOS and Linux: `dotnet run eng/demo.cs [--fresh-cache] [--check]`.
// Packs the package to a local feed, builds the sample cold in one folder, builds a fresh copy in another folder on
// the same local cache, and prints each project's result and the two timings.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

var freshCache = args.Contains("--fresh-cache");
var check = args.Contains("--check");
var repo = FindRepository(Environment.CurrentDirectory)
    ?? FindRepository(AppContext.BaseDirectory)
    ?? throw new InvalidOperationException("Run this from inside the ArtifactCache.Build repository.");
var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
var version = $"0.1.0-demo.{stamp}";
var demo = Path.Combine(repo, ".demo");
// The two copies live outside the repository, like two checkouts on two machines: inside it they would share its git
// root, and the package would see two different folders of one repository rather than the same repository twice.
var run = Path.Combine(Path.GetTempPath(), "artifactcache-demo", "run-" + stamp);
var feed = Path.Combine(demo, "feed");
var environment = new Dictionary<string, string>
{
    // A private packages folder, so the freshly packed version is what restore picks up.
    ["NUGET_PACKAGES"] = Path.Combine(demo, "packages"),
};
if (freshCache)
{
    environment["ARTIFACTCACHE_LOCAL_DIRECTORY"] = Path.Combine(run, "cache");
}

var cacheFolder = environment.GetValueOrDefault("ARTIFACTCACHE_LOCAL_DIRECTORY")
    ?? Environment.GetEnvironmentVariable("ARTIFACTCACHE_LOCAL_DIRECTORY")
    ?? DefaultCacheFolder();
Console.WriteLine($"ArtifactCache.Build demo: package {version}, local cache {cacheFolder}");

Console.WriteLine("Packing the package to " + feed);
if (Dotnet(repo, environment, "pack", Path.Combine(repo, "src", "ArtifactCache.Build"), "-c", "Release", "-o", feed, "-p:Version=" + version, "-nr:false").ExitCode != 0)
{
    return Fail("dotnet pack failed.");
}

var results = new List<(string Name, TimeSpan Time, List<JsonElement> Report)>();
foreach (var name in new[] { "clone-a", "clone-b" })
{
    var clone = Path.Combine(run, name);
    CopyTree(Path.Combine(repo, "samples", "Contoso.Shop"), clone);
    File.WriteAllText(Path.Combine(clone, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="artifactcache-demo" value="{feed}" />
          </packageSources>
        </configuration>
        """);
    var report = Path.Combine(run, name + ".jsonl");
    Console.WriteLine($"Building {clone}");
    var stopwatch = Stopwatch.StartNew();
    var build = Dotnet(clone, environment, "build", "Contoso.Shop.sln", "-nr:false", "-p:ArtifactCacheVersion=" + version, "-p:ArtifactCacheReportFile=" + report);
    stopwatch.Stop();
    if (build.ExitCode != 0)
    {
        Console.WriteLine(build.Output);
        return Fail($"The build of {name} failed.");
    }

    var lines = File.Exists(report)
        ? File.ReadAllLines(report).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList()
        : [];
    results.Add((name, stopwatch.Elapsed, lines));
}

Console.WriteLine();
foreach (var (name, time, report) in results)
{
    Console.WriteLine($"{name}: {time.TotalSeconds:0.0} s, {report.Count(r => r.GetProperty("result").GetString() == "hit")} hits, {report.Count(r => r.GetProperty("result").GetString() == "miss")} misses (compilations and the declared GenerateClient target)");
    if (report.Count == 0)
    {
        Console.WriteLine("  no cache report: is the package active?");
    }

    foreach (var entry in report.OrderBy(r => r.GetProperty("project").GetString(), StringComparer.Ordinal))
    {
        var result = entry.GetProperty("result").GetString();
        var source = entry.GetProperty("source").ValueKind == JsonValueKind.String ? " " + entry.GetProperty("source").GetString() : "";
        // A declared target (the sample's GenerateClient) is named after its project; a compilation is the project itself.
        var target = entry.TryGetProperty("target", out var t) && t.GetString() is { } targetName && targetName != "CoreCompile" ? " " + targetName : "";
        Console.WriteLine($"  {Path.GetFileNameWithoutExtension(entry.GetProperty("project").GetString()) + target,-33} {result}{source,-7} {entry.GetProperty("durationMs").GetInt64(),6} ms");
    }
}

var (_, first, _) = results[0];
var (_, second, secondReport) = results[1];
Console.WriteLine();
Console.WriteLine($"First build {first.TotalSeconds:0.0} s, fresh copy elsewhere {second.TotalSeconds:0.0} s: {first / second:0.0}x faster.");
if (check && (secondReport.Count == 0 || secondReport.Any(r => r.GetProperty("result").GetString() != "hit")))
{
    return Fail("--check: the second build should have hit for every project and the declared target.");
}

return 0;

static int Fail(string message)
{
    Console.Error.WriteLine("demo: " + message);
    return 1;
}

static string? FindRepository(string start)
{
    for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "ArtifactCache.Build.sln")))
        {
            return directory.FullName;
        }
    }

    return null;
}

// Mirrors the package's default (SettingsResolver.DefaultLocalDirectory), for the message only.
static string DefaultCacheFolder()
{
    if (OperatingSystem.IsWindows())
    {
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "ArtifactCache");
    }

    var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
    return !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
        ? Path.Combine(xdg, "artifactcache")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "artifactcache");
}

static void CopyTree(string from, string to)
{
    foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
    {
        var relative = Path.GetRelativePath(from, file);
        if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
        {
            continue;
        }

        var target = Path.Combine(to, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(file, target);
    }
}

static (int ExitCode, string Output) Dotnet(string directory, Dictionary<string, string> environment, params string[] arguments)
{
    var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var argument in arguments)
    {
        start.ArgumentList.Add(argument);
    }

    foreach (var (name, value) in environment)
    {
        start.Environment[name] = value;
    }

    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEndAsync();
    var errors = process.StandardError.ReadToEndAsync();
    process.WaitForExit();
    return (process.ExitCode, output.Result + errors.Result);
}
