using System.Globalization;
using System.Xml;

namespace ArtifactCache.Build.TestRuns;

/// <summary>
/// What a VSTest TRX file says about one run: its counts, whether every test passed or was skipped, the test assemblies
/// it ran (to tell which project wrote a TRX in a results folder several projects share) and its deployment folder
/// (where data collectors put their attachments). Read with an XML reader, never by pattern.
/// </summary>
public sealed record TrxRun
{
    public int Total { get; init; }

    public int Executed { get; init; }

    public int Passed { get; init; }

    public int Failed { get; init; }

    /// <summary>Tests discovered but not run: skipped ones (the console line's "Skipped").</summary>
    public int Skipped => Math.Max(0, Total - Executed);

    /// <summary>The run summary's outcome: Completed, Passed, Failed, Aborted, Error, Timeout...</summary>
    public string Outcome { get; init; } = "";

    /// <summary>The counters that mean some test did not pass: failed, error, timeout, aborted, passed but run aborted, disconnected.</summary>
    public int NotPassed { get; init; }

    /// <summary>The run took from its first start to its finish, as the TRX times it.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>The test assemblies the run's tests came from (TestDefinitions' storage; VSTest writes them lower-cased).</summary>
    public IReadOnlyList<string> Storages { get; init; } = [];

    /// <summary>The run's deployment folder name, relative to the results folder (TestSettings/Deployment/@runDeploymentRoot).</summary>
    public string? DeploymentRoot { get; init; }

    /// <summary>Every test passed or was skipped, and the run itself completed.</summary>
    public bool AllPassed => NotPassed == 0 && Outcome is "Completed" or "Passed" or "Warning";

    /// <summary>The run, or null when the file is not a TRX this parser understands (a reason is given).</summary>
    public static TrxRun? Read(string path, out string? problem)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Read(stream, out problem);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    public static TrxRun? Read(Stream stream, out string? problem)
    {
        problem = null;
        var storages = new List<string>();
        string? deploymentRoot = null;
        string? outcome = null;
        int? total = null;
        int executed = 0, passed = 0, failed = 0, notPassed = 0;
        DateTimeOffset? start = null, finish = null;
        var sawRun = false;
        try
        {
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true });
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                switch (reader.LocalName)
                {
                    case "TestRun" when reader.Depth == 0:
                        sawRun = true;
                        break;
                    case "Times" when reader.Depth == 1:
                        start = Time(reader.GetAttribute("start"));
                        finish = Time(reader.GetAttribute("finish"));
                        break;
                    case "Deployment":
                        deploymentRoot = reader.GetAttribute("runDeploymentRoot");
                        break;
                    case "UnitTest" when reader.GetAttribute("storage") is { Length: > 0 } storage:
                        storages.Add(storage);
                        break;
                    case "ResultSummary":
                        outcome = reader.GetAttribute("outcome");
                        break;
                    case "Counters":
                        total = Count(reader, "total");
                        executed = Count(reader, "executed");
                        passed = Count(reader, "passed");
                        failed = Count(reader, "failed");
                        notPassed = failed + Count(reader, "error") + Count(reader, "timeout") + Count(reader, "aborted")
                            + Count(reader, "passedButRunAborted") + Count(reader, "disconnected");
                        break;
                }
            }
        }
        catch (XmlException e)
        {
            problem = "not well-formed XML: " + e.Message;
            return null;
        }

        if (!sawRun || outcome is null || total is null)
        {
            problem = "no TestRun with a ResultSummary and Counters";
            return null;
        }

        return new TrxRun
        {
            Total = total.Value,
            Executed = executed,
            Passed = passed,
            Failed = failed,
            NotPassed = notPassed,
            Outcome = outcome,
            Duration = start is { } s && finish is { } f && f >= s ? f - s : null,
            Storages = storages.Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
            DeploymentRoot = string.IsNullOrWhiteSpace(deploymentRoot) ? null : deploymentRoot,
        };
    }

    /// <summary>Every test in the TRX came from <paramref name="testAssembly"/> (compared as VSTest writes it: ignoring case).</summary>
    public bool IsRunOf(string testAssembly) =>
        Storages.Count > 0 && Storages.All(s => string.Equals(Path.GetFullPath(s), Path.GetFullPath(testAssembly), StringComparison.OrdinalIgnoreCase));

    private static int Count(XmlReader reader, string name) =>
        int.TryParse(reader.GetAttribute(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;

    private static DateTimeOffset? Time(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null;
}
