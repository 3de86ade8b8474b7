using System.CommandLine;
using System.CommandLine.Help;
using System.Text.Json;
using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Local;
using ArtifactCache.Build.Reporting;
using ArtifactCache.Tool;

// artifactcache: doctor | summary | stats | prune | explain. Exit codes: 0 fine, 1 a problem was found, 2 bad input.
var json = new Option<bool>("--json") { Description = "Write machine-readable JSON to standard output.", Recursive = true };
var root = new RootCommand("Checks and maintains an ArtifactCache.Build setup.") { json };

var project = new Option<FileInfo?>("--project") { Description = "Read the cache settings of this project, as its build would (default: the environment only)." };
var doctor = new Command("doctor", "Resolve the settings as the build does, check the local cache folder and the remote cache, and say what to fix.") { project };
doctor.SetAction(async (parse, cancellationToken) =>
{
    var asJson = parse.GetValue(json);
    var (settings, checks) = await new Doctor(Environment.GetEnvironmentVariable, asJson ? TextWriter.Null : Console.Out)
        .RunAsync(parse.GetValue(project)?.FullName, cancellationToken);
    if (asJson)
    {
        Output.Json(new { settings = settings.ToString(), checks });
    }
    else
    {
        Console.WriteLine("Settings: " + settings);
        foreach (var check in checks)
        {
            Console.WriteLine($"{check.Status.ToUpperInvariant(),-5} {check.Name}: {check.Message}{(check.Code is null ? "" : $" ({check.Code})")}");
        }
    }

    return checks.Any(c => c.Status == Check.Fail) ? 1 : 0;
});

var stats = new Command("stats", "Show the local cache folder, its entries and size.");
stats.SetAction(parse =>
{
    var settings = Output.Settings();
    var result = new LocalCache(settings.LocalDirectory, settings.LocalMaxBytes, NullCacheLog.Instance).GetStats();
    if (parse.GetValue(json))
    {
        Output.Json(new { directory = result.Directory, entries = result.Entries, bytes = result.Bytes, maxBytes = settings.LocalMaxBytes });
    }
    else
    {
        Console.WriteLine($"{result.Directory}: {result.Entries} entries, {Doctor.Size(result.Bytes)} of {Doctor.Size(settings.LocalMaxBytes)}");
    }

    return 0;
});

var maxSize = new Option<string?>("--max-size") { Description = "Keep at most this much (e.g. 2GB, 500MB); default: the configured cap." };
var prune = new Command("prune", "Delete the least recently used local cache entries down to a size.") { maxSize };
prune.SetAction(parse =>
{
    var settings = Output.Settings();
    var target = settings.LocalMaxBytes;
    if (parse.GetValue(maxSize) is { } text && !SettingsResolver.TryParseSize(text, out target))
    {
        Console.Error.WriteLine($"artifactcache: '{text}' is not a size such as 2GB, 500MB or a number of bytes.");
        return 2;
    }

    var cache = new LocalCache(settings.LocalDirectory, settings.LocalMaxBytes, NullCacheLog.Instance);
    var deleted = cache.TrimTo(target);
    var after = cache.GetStats();
    if (parse.GetValue(json))
    {
        Output.Json(new { directory = after.Directory, deleted, entries = after.Entries, bytes = after.Bytes });
    }
    else
    {
        Console.WriteLine($"Deleted {deleted} entries; {after.Entries} entries, {Doctor.Size(after.Bytes)} left in {after.Directory}.");
    }

    return 0;
});

var before = new Argument<FileInfo>("before") { Description = "A key manifest: an artifact (.acb) or a history file from the local cache's history folder." };
var after = new Argument<FileInfo>("after") { Description = "The manifest to compare it with." };
var explain = new Command("explain", "Say which inputs differ between two keys.") { before, after };
explain.SetAction(parse =>
{
    var first = Manifests.Load(parse.GetValue(before)!);
    var second = Manifests.Load(parse.GetValue(after)!);
    if (first is null || second is null)
    {
        return 2;
    }

    var changes = KeyDiff.Compare(first, second);
    if (parse.GetValue(json))
    {
        Output.Json(new { changed = changes.Count, changes });
    }
    else
    {
        Console.WriteLine(changes.Count == 0 ? "Same inputs: the keys are equal." : $"{changes.Count} input(s) differ:");
        foreach (var change in changes)
        {
            Console.WriteLine($"  {change.Input} ({change.Change})");
        }
    }

    return changes.Count == 0 ? 0 : 1;
});

var reports = new Argument<FileInfo[]>("reports") { Description = "Report files (ArtifactCacheReportFile, JSON Lines) of the build to sum up.", Arity = ArgumentArity.OneOrMore };
var markdown = new Option<bool>("--markdown") { Description = "Write a Markdown table (for GITHUB_STEP_SUMMARY or a pull request comment)." };
var summary = new Command("summary", "Sum up what the cache did in a build, from its report file.") { reports, markdown };
summary.SetAction(parse =>
{
    var lines = new List<string>();
    foreach (var file in parse.GetValue(reports)!)
    {
        if (!file.Exists)
        {
            Console.Error.WriteLine($"artifactcache: {file.FullName} does not exist.");
            return 2;
        }

        lines.AddRange(File.ReadAllLines(file.FullName));
    }

    var result = BuildSummary.FromReportLines(lines);
    if (parse.GetValue(json))
    {
        using var output = Console.OpenStandardOutput();
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        result.WriteJson(writer);
        writer.Flush();
        Console.WriteLine();
    }
    else
    {
        Console.WriteLine(parse.GetValue(markdown) ? result.ToMarkdown() : result.ToLine());
    }

    return result.Compilations == 0 ? 1 : 0;
});

root.Subcommands.Add(doctor);
root.Subcommands.Add(summary);
root.Subcommands.Add(stats);
root.Subcommands.Add(prune);
root.Subcommands.Add(explain);
// A parse error is bad input: exit 2, each message once (System.CommandLine would exit 1 and print a message once per
// occurrence, e.g. twice for the two missing arguments of explain).
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
{
    foreach (var message in parsed.Errors.Select(e => e.Message).Distinct(StringComparer.Ordinal))
    {
        Console.Error.WriteLine("artifactcache: " + message);
    }

    var command = parsed.CommandResult.Command == root ? "artifactcache" : "artifactcache " + parsed.CommandResult.Command.Name;
    Console.Error.WriteLine($"Run '{command} --help' for usage.");
    return 2;
}

return await parsed.InvokeAsync();

namespace ArtifactCache.Tool
{
    internal static class Output
    {
        private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

        public static void Json(object value) => Console.WriteLine(JsonSerializer.Serialize(value, Options));

        /// <summary>The settings from the environment, as a build without project overrides resolves them.</summary>
        public static CacheSettings Settings() =>
            new SettingsResolver(_ => null, Environment.GetEnvironmentVariable, NullCacheLog.Instance).Resolve();
    }

    internal static class Manifests
    {
        /// <summary>The key inputs recorded in an artifact or a key history file; null (with a message) when unreadable.</summary>
        public static IReadOnlyList<KeyInput>? Load(FileInfo file)
        {
            if (!file.Exists)
            {
                Console.Error.WriteLine($"artifactcache: {file.FullName} does not exist.");
                return null;
            }

            try
            {
                if (ArtifactFormat.HasExpectedLength(file.FullName))
                {
                    var metadata = ArtifactReader.ReadMetadata(file.FullName, new ArchiveLimits(long.MaxValue, long.MaxValue, long.MaxValue), NullCacheLog.Instance);
                    return metadata?.Inputs.Select(i => new KeyInput(i.Name, i.Hash)).ToList();
                }

                return JsonSerializer.Deserialize<List<KeyInput>>(File.ReadAllBytes(file.FullName), new JsonSerializerOptions { PropertyNameCaseInsensitive = true });
            }
            catch (JsonException)
            {
                Console.Error.WriteLine($"artifactcache: {file.FullName} is neither an artifact nor a key history file.");
                return null;
            }
        }
    }
}
