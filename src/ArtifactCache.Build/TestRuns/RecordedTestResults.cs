using System.Globalization;
using System.Text;

namespace ArtifactCache.Build.TestRuns;

/// <summary>
/// One test's final state in a Microsoft.Testing.Platform run, as the recorder wrote it: its outcome (passed, skipped,
/// failed, error, timeout, cancelled or unknown), the framework's uid and display name, the duration and the state's
/// explanation (a skip reason).
/// </summary>
public sealed record RecordedTest(string Outcome, string Uid, string DisplayName, long DurationTicks, string Explanation)
{
    public bool IsPassed => Outcome == "passed";

    public bool IsSkipped => Outcome == "skipped";
}

/// <summary>
/// The tests of a Microsoft.Testing.Platform run, as the recorder the package compiles into the test application
/// (build/ArtifactCache.Build.TestPlatformRecorder.cs, .fs or .vb) writes them: one line per result, tab-separated
/// (outcome, uid, display name, duration in ticks, explanation), with backslash, tab and line breaks escaped. A test
/// reported more than once (a retry) counts with its last state. Stored with a passing run, and published again, test
/// by test, when the run is replayed.
/// </summary>
public sealed class RecordedTestResults
{
    /// <summary>The artifact entry that holds the tests (not restored to disk, read).</summary>
    public const string EntryName = "run/tests.tsv";

    private RecordedTestResults(IReadOnlyList<RecordedTest> tests)
    {
        Tests = tests;
    }

    public IReadOnlyList<RecordedTest> Tests { get; }

    public int Total => Tests.Count;

    public int Passed => Tests.Count(t => t.IsPassed);

    public int Skipped => Tests.Count(t => t.IsSkipped);

    /// <summary>Tests that neither passed nor were skipped.</summary>
    public int NotPassed => Total - Passed - Skipped;

    /// <summary>At least one test, and every test passed or was skipped.</summary>
    public bool AllPassed => Total > 0 && NotPassed == 0;

    public static RecordedTestResults From(IEnumerable<RecordedTest> results)
    {
        var order = new List<string>();
        var last = new Dictionary<string, RecordedTest>(StringComparer.Ordinal);
        foreach (var test in results)
        {
            if (!last.ContainsKey(test.Uid))
            {
                order.Add(test.Uid);
            }

            last[test.Uid] = test;
        }

        return new RecordedTestResults(order.Select(uid => last[uid]).ToList());
    }

    /// <summary>The recorded run, or null with a reason when the file is missing or not in the recorder's format.</summary>
    public static RecordedTestResults? Read(string path, out string? problem)
    {
        problem = null;
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{e.GetType().Name}: {e.Message}";
            return null;
        }

        var tests = new List<RecordedTest>();
        foreach (var (line, number) in text.Split('\n').Select((l, i) => (l, i + 1)))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split('\t');
            if (fields.Length != 5 || fields[0].Length == 0
                || !long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                || Unescape(fields[1]) is not { Length: > 0 } uid || Unescape(fields[2]) is not { } name || Unescape(fields[4]) is not { } explanation)
            {
                problem = $"line {number} of {path} is not a recorded test result";
                return null;
            }

            tests.Add(new RecordedTest(fields[0], uid, name, ticks, explanation));
        }

        return From(tests);
    }

    public void Write(string path)
    {
        var text = new StringBuilder();
        foreach (var test in Tests)
        {
            text.Append(test.Outcome).Append('\t').Append(Escape(test.Uid)).Append('\t').Append(Escape(test.DisplayName)).Append('\t')
                .Append(test.DurationTicks.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(Escape(test.Explanation)).Append('\n');
        }

        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
    }

    internal static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    /// <summary>The text, or null when an escape is not one the recorder writes.</summary>
    internal static string? Unescape(string text)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                result.Append(text[i]);
                continue;
            }

            if (++i == text.Length)
            {
                return null;
            }

            switch (text[i])
            {
                case '\\': result.Append('\\'); break;
                case 't': result.Append('\t'); break;
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                default: return null;
            }
        }

        return result.ToString();
    }
}
