using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Reporting;

/// <summary>The project a compilation belongs to, for reports and log lines.</summary>
public sealed record ProjectIdentity(string ProjectPath, string? TargetFramework, string? Configuration)
{
    public string Name => Path.GetFileNameWithoutExtension(ProjectPath);

    public string Display => string.IsNullOrEmpty(TargetFramework) ? Name : $"{Name} ({TargetFramework})";
}

/// <summary>
/// The one line per cached compilation: the console summary and the JSON Lines report record
/// (schema in the README: project, targetFramework, configuration, target, key, result, source, stored, reason,
/// durationMs, savedMs, verified, files, timestamp).
/// </summary>
public static class CompilationReport
{
    public const string Target = "CoreCompile";

    /// <summary>The target a test run's records name (the SDK's VSTest target, around which the cache works).</summary>
    public const string TestRunTarget = "VSTest";

    /// <summary>The report's target for a Microsoft.Testing.Platform application that `dotnet test` starts itself (no MSBuild target runs it).</summary>
    public const string TestPlatformTarget = "TestingPlatform";

    public static bool IsTestRun(string? target) => target is TestRunTarget or TestPlatformTarget;

    /// <param name="project">The project.</param>
    /// <param name="outcome">What happened.</param>
    /// <param name="target">A declared target's name; null for the compilation.</param>
    public static string SummaryLine(ProjectIdentity project, CompilationOutcome outcome, string? target = null)
    {
        var display = target is null ? project.Display : project.Display + " " + target;
        var time = FormatDuration(outcome.Duration);
        if (outcome.IsHit)
        {
            var saved = outcome.SavedMs is { } ms ? $" (saved {FormatDuration(TimeSpan.FromMilliseconds(ms))})" : "";
            var local = target switch { null => "local compile", TestRunTarget or TestPlatformTarget => "the run's own outcome", _ => "the target's own outputs" };
            var verified = outcome.Verified switch { true => ", verified", false => $", verify found a difference: {local} used", _ => "" };
            return $"ArtifactCache: {display} hit {SourceName(outcome.Source)} in {time}{saved}{verified}";
        }

        var why = Explanation(outcome) is { } explanation ? ": " + explanation : "";

        if (outcome.Stored)
        {
            return $"ArtifactCache: {display} miss{why}; stored in {time}";
        }

        return $"ArtifactCache: {display} miss{why}; not stored: {outcome.Reason ?? "unknown reason"} ({time})";
    }

    /// <summary>Why a miss missed, from the project's key history; null on a hit or when no key was made.</summary>
    public static string? Explanation(CompilationOutcome outcome) => outcome.IsHit || outcome.Key is null
        ? null
        : outcome.Changes switch
        {
            null => "no earlier build of this project is recorded on this machine",
            { Count: 0 } => "same inputs as the last build here, but in no cache",
            var changes => $"{changes.Count} input{(changes.Count == 1 ? "" : "s")} changed since the last build: {KeyDiff.Summarise(changes, 5)}",
        };

    /// <summary>The full story of a miss: the key, and every input that changed, or the whole manifest when none was recorded.</summary>
    public static string ExplanationFile(ProjectIdentity project, CompilationOutcome outcome)
    {
        var text = new StringBuilder();
        text.AppendLine($"{project.ProjectPath} ({project.TargetFramework}, {project.Configuration}): {outcome.Result}, key {outcome.Key}");
        text.AppendLine(Explanation(outcome));
        foreach (var change in outcome.Changes ?? [])
        {
            text.AppendLine($"  {change.Change,-8} {change.Input}");
        }

        if (outcome.Changes is null)
        {
            text.AppendLine("Inputs of this key:");
            foreach (var input in outcome.Inputs)
            {
                text.AppendLine($"  {input.Name} {input.Hash}");
            }
        }

        return text.ToString();
    }

    /// <param name="project">The project.</param>
    /// <param name="outcome">What happened.</param>
    /// <param name="timestamp">When.</param>
    /// <param name="target">The cached target: <see cref="Target"/> for the compilation, else a declared target's name.</param>
    public static string JsonLine(ProjectIdentity project, CompilationOutcome outcome, DateTimeOffset timestamp, string target = Target)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps paths and reasons readable; the output is a file, never HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("project", project.ProjectPath);
            WriteNullable(json, "targetFramework", project.TargetFramework);
            WriteNullable(json, "configuration", project.Configuration);
            json.WriteString("target", target);
            WriteNullable(json, "key", outcome.Key);
            json.WriteString("result", outcome.Result);
            WriteNullable(json, "source", outcome.Source is null ? null : SourceName(outcome.Source));
            json.WriteBoolean("stored", outcome.Stored);
            WriteNullable(json, "reason", outcome.Reason);
            WriteNullable(json, "explanation", Explanation(outcome));
            json.WriteNumber("durationMs", (long)outcome.Duration.TotalMilliseconds);
            if (outcome.SavedMs is { } saved)
            {
                json.WriteNumber("savedMs", saved);
            }
            else
            {
                json.WriteNull("savedMs");
            }

            if (outcome.Verified is { } verifiedHit)
            {
                json.WriteBoolean("verified", verifiedHit);
            }
            else
            {
                json.WriteNull("verified");
            }

            json.WriteNumber("files", outcome.Files);
            json.WriteString("timestamp", timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Appends one line under an exclusive lock (.NET takes an advisory lock for FileShare.None on Unix too), so parallel
    /// MSBuild nodes never interleave lines. Bounded: after about five seconds of contention it gives up.
    /// </summary>
    public static bool TryAppend(string reportFile, string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        var directory = Path.GetDirectoryName(Path.GetFullPath(reportFile));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        for (var attempt = 0; attempt < 250; attempt++)
        {
            try
            {
                using var stream = new FileStream(reportFile, FileMode.Append, FileAccess.Write, FileShare.None);
                stream.Write(bytes);
                return true;
            }
            catch (IOException) when (attempt < 249)
            {
                Thread.Sleep(20);
            }
        }

        return false;
    }

    internal static string SourceName(CacheSource? source) => source switch
    {
        CacheSource.Local => "local",
        CacheSource.Remote => "remote",
        _ => "none",
    };

    private static string FormatDuration(TimeSpan duration) =>
        duration.TotalSeconds >= 1
            ? duration.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s"
            : ((long)duration.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) + " ms";

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
