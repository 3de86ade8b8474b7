using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ArtifactCache.Build.Reporting;

/// <summary>
/// What the cache did in one build, summed from the report lines of its compilations (<see cref="CompilationReport"/>):
/// the same numbers for the GitHub step summary, the <c>artifactcache summary</c> command and anything else.
/// </summary>
public sealed record BuildSummary
{
    public int HitsLocal { get; init; }

    public int HitsRemote { get; init; }

    public int MissesStored { get; init; }

    /// <summary>Misses whose outputs were not stored (a compile error, a failed store, a read-only remote and no local cache).</summary>
    public int MissesNotStored { get; init; }

    /// <summary>Compilations the cache did not key at all (not cacheable, or an input was missing).</summary>
    public int Skipped { get; init; }

    /// <summary>Hits that verify mode compiled again and found identical.</summary>
    public int Verified { get; init; }

    /// <summary>Hits that verify mode found different from a local compile (the local outputs were used).</summary>
    public int VerifyDifferences { get; init; }

    /// <summary>The coded warnings raised in the build, once each.</summary>
    public IReadOnlyList<string> WarningCodes { get; init; } = [];

    /// <summary>The compile time the hits saved: what the compilations took where they were first done.</summary>
    public TimeSpan Saved { get; init; }

    /// <summary>Time spent in the cache step of hits (restore) and of misses (compile and store).</summary>
    public TimeSpan Spent { get; init; }

    /// <summary>The misses, each with why it missed, in the order they happened.</summary>
    public IReadOnlyList<(string Project, string Why)> Misses { get; init; } = [];

    public int Compilations => HitsLocal + HitsRemote + MissesStored + MissesNotStored + Skipped;

    /// <summary>Test runs (report target VSTest) replayed from the cache instead of run.</summary>
    public int TestRunsReplayed { get; init; }

    /// <summary>Test runs of opted-in projects that ran (a miss, not cacheable, or a checked hit in verify mode).</summary>
    public int TestRunsRun { get; init; }

    /// <summary>The test time the replays saved: what the runs took where they first ran.</summary>
    public TimeSpan TestTimeSaved { get; init; }

    /// <summary>Sums report lines; lines that are not report records are skipped (the file may be shared or cut short).</summary>
    public static BuildSummary FromReportLines(IEnumerable<string> lines, IReadOnlyList<string>? warningCodes = null)
    {
        int hitsLocal = 0, hitsRemote = 0, stored = 0, notStored = 0, skipped = 0, verified = 0, differences = 0, replayed = 0, run = 0;
        long savedMs = 0, spentMs = 0, testSavedMs = 0;
        var misses = new List<(string, string)>();
        foreach (var line in lines)
        {
            if (!TryRead(line, out var record))
            {
                continue;
            }

            spentMs += record.DurationMs;
            if (CompilationReport.IsTestRun(record.Target))
            {
                // A checked hit (verify mode) ran its tests: it saved nothing.
                var wasReplayed = record.Result == "hit" && record.Verified is null;
                replayed += wasReplayed ? 1 : 0;
                run += wasReplayed ? 0 : 1;
                testSavedMs += wasReplayed ? record.SavedMs ?? 0 : 0;
                verified += record.Verified == true ? 1 : 0;
                differences += record.Verified == false ? 1 : 0;
                if (!wasReplayed && record.Result != "hit")
                {
                    misses.Add((record.Project, "tests ran: " + (record.Explanation ?? record.Reason ?? "")));
                }

                continue;
            }

            if (record.Result == "hit")
            {
                if (record.Source == "remote")
                {
                    hitsRemote++;
                }
                else
                {
                    hitsLocal++;
                }

                savedMs += record.SavedMs ?? 0;
                verified += record.Verified == true ? 1 : 0;
                differences += record.Verified == false ? 1 : 0;
            }
            else if (record.Key is null)
            {
                skipped++;
                misses.Add((record.Project, "skipped: " + (record.Reason ?? "not cacheable")));
            }
            else
            {
                if (record.Stored)
                {
                    stored++;
                }
                else
                {
                    notStored++;
                }

                var why = record.Explanation ?? "";
                if (!record.Stored)
                {
                    why = (why.Length == 0 ? "" : why + "; ") + "not stored: " + (record.Reason ?? "unknown reason");
                }

                misses.Add((record.Project, why));
            }
        }

        return new BuildSummary
        {
            HitsLocal = hitsLocal,
            HitsRemote = hitsRemote,
            Verified = verified,
            VerifyDifferences = differences,
            MissesStored = stored,
            MissesNotStored = notStored,
            Skipped = skipped,
            WarningCodes = warningCodes ?? [],
            Saved = TimeSpan.FromMilliseconds(savedMs),
            Spent = TimeSpan.FromMilliseconds(spentMs),
            Misses = misses,
            TestRunsReplayed = replayed,
            TestRunsRun = run,
            TestTimeSaved = TimeSpan.FromMilliseconds(testSavedMs),
        };
    }

    /// <summary>One line a person reads at a glance.</summary>
    public string ToLine() =>
        $"ArtifactCache: {Compilations} compilation{(Compilations == 1 ? "" : "s")}: {HitsLocal} local hit{S(HitsLocal)}, {HitsRemote} remote hit{S(HitsRemote)}, " +
        $"{MissesStored} miss{Es(MissesStored)} stored, {MissesNotStored} not stored, {Skipped} skipped, " +
        $"{(WarningCodes.Count == 0 ? "no warnings" : "warnings " + string.Join(", ", WarningCodes))}; compile time saved {Duration(Saved)}" +
        (Verified + VerifyDifferences > 0 ? $"; verified {Verified} hit{S(Verified)}, {VerifyDifferences} differ{(VerifyDifferences == 1 ? "s" : "")}" : "") +
        (TestRunsReplayed + TestRunsRun > 0 ? $"; test runs: {TestRunsReplayed} replayed, {TestRunsRun} run, test time saved {Duration(TestTimeSaved)}" : "");

    /// <summary>A Markdown section: the counts as a table, then each miss and why (up to <paramref name="maxMisses"/>).</summary>
    public string ToMarkdown(string title = "ArtifactCache", int maxMisses = 20)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"### {title}");
        text.AppendLine();
        text.AppendLine("| Hits (local) | Hits (remote) | Misses stored | Misses not stored | Skipped | Verified hits | Hits that differed | Cache warnings | Compile time saved |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        text.AppendLine(CultureInfo.InvariantCulture, $"| {HitsLocal} | {HitsRemote} | {MissesStored} | {MissesNotStored} | {Skipped} | {Verified} | {VerifyDifferences} | {(WarningCodes.Count == 0 ? "none" : string.Join(", ", WarningCodes))} | {Duration(Saved)} |");
        if (TestRunsReplayed + TestRunsRun > 0)
        {
            text.AppendLine();
            text.AppendLine("| Test runs replayed | Test runs run | Test time saved |");
            text.AppendLine("|---:|---:|---:|");
            text.AppendLine(CultureInfo.InvariantCulture, $"| {TestRunsReplayed} | {TestRunsRun} | {Duration(TestTimeSaved)} |");
        }

        if (Misses.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| Missed | Why |");
            text.AppendLine("|---|---|");
            foreach (var (project, why) in Misses.Take(maxMisses))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {Cell(Path.GetFileName(project))} | {Cell(why)} |");
            }

            if (Misses.Count > maxMisses)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| … | {Misses.Count - maxMisses} more |");
            }
        }

        return text.ToString();
    }

    public void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteNumber("compilations", Compilations);
        json.WriteNumber("hitsLocal", HitsLocal);
        json.WriteNumber("hitsRemote", HitsRemote);
        json.WriteNumber("missesStored", MissesStored);
        json.WriteNumber("missesNotStored", MissesNotStored);
        json.WriteNumber("skipped", Skipped);
        json.WriteNumber("verified", Verified);
        json.WriteNumber("verifyDifferences", VerifyDifferences);
        json.WriteStartArray("warnings");
        foreach (var code in WarningCodes)
        {
            json.WriteStringValue(code);
        }

        json.WriteEndArray();
        json.WriteNumber("savedMs", (long)Saved.TotalMilliseconds);
        json.WriteNumber("spentMs", (long)Spent.TotalMilliseconds);
        json.WriteNumber("testRunsReplayed", TestRunsReplayed);
        json.WriteNumber("testRunsRun", TestRunsRun);
        json.WriteNumber("testSavedMs", (long)TestTimeSaved.TotalMilliseconds);
        json.WriteEndObject();
    }

    internal static string Duration(TimeSpan duration) => duration.TotalMinutes >= 1
        ? $"{(int)duration.TotalMinutes} min {duration.Seconds} s"
        : duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static string S(int count) => count == 1 ? "" : "s";

    private static string Es(int count) => count == 1 ? "" : "es";

    // Table cells: no line breaks, and a pipe would end the cell.
    private static string Cell(string text) => text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);

    private static bool TryRead(string line, out ReportRecord record)
    {
        record = default;
        if (string.IsNullOrWhiteSpace(line))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("result", out var result) || !root.TryGetProperty("project", out var project))
            {
                return false;
            }

            record = new ReportRecord(
                project.GetString() ?? "",
                result.GetString() ?? "",
                String(root, "source"),
                String(root, "key"),
                root.TryGetProperty("stored", out var stored) && stored.ValueKind == JsonValueKind.True,
                String(root, "reason"),
                String(root, "explanation"),
                Number(root, "durationMs") ?? 0,
                Number(root, "savedMs"),
                root.TryGetProperty("verified", out var verified) && verified.ValueKind is JsonValueKind.True or JsonValueKind.False ? verified.GetBoolean() : null,
                String(root, "target"));
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private readonly record struct ReportRecord(string Project, string Result, string? Source, string? Key, bool Stored, string? Reason, string? Explanation, long DurationMs, long? SavedMs, bool? Verified, string? Target);

}
