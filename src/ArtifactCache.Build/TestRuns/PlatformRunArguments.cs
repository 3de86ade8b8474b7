namespace ArtifactCache.Build.TestRuns;

/// <summary>
/// The arguments `dotnet test` (Microsoft.Testing.Platform mode) starts a test application with: the user's own
/// (filters, reports, --results-directory...), then `--server dotnettestcli --dotnet-test-pipe NAME`.
/// </summary>
public sealed class PlatformRunArguments
{
    private static readonly string[] NotCacheable = ["--list-tests", "--help", "-h", "-?", "--info", "--diagnostic", "--diagnostic-output-directory", "--diagnostic-file-prefix", "--diagnostic-verbosity", "--debug", "--no-ansi"];

    private PlatformRunArguments(IReadOnlyList<string> all)
    {
        All = all;
    }

    public IReadOnlyList<string> All { get; }

    /// <summary>Started by `dotnet test` to report to it over its pipe (--server dotnettestcli).</summary>
    public bool FromDotnetTest => Pair("--server") is { } server && server.Equals("dotnettestcli", StringComparison.OrdinalIgnoreCase) && Pair("--dotnet-test-pipe") is not null;

    /// <summary>What a replay passes to the platform: only the server options, so that it reports to the same `dotnet test`.</summary>
    public IReadOnlyList<string> ServerArguments => ["--server", Pair("--server") ?? "", "--dotnet-test-pipe", Pair("--dotnet-test-pipe") ?? ""];

    /// <summary>Every argument but the pipe's name (new each run): what changes which tests run, or how, or what they write.</summary>
    public string KeyText
    {
        get
        {
            var kept = new List<string>();
            for (var i = 0; i < All.Count; i++)
            {
                if (All[i].Equals("--dotnet-test-pipe", StringComparison.OrdinalIgnoreCase))
                {
                    i++;
                    continue;
                }

                kept.Add(All[i]);
            }

            // NUL cannot appear in an argument: the join is unambiguous.
            return string.Join('\0', kept);
        }
    }

    /// <summary>--results-directory's value, or null.</summary>
    public string? ResultsDirectory => Pair("--results-directory");

    /// <summary>Why the run cannot be cached, or null.</summary>
    public string? Refusal =>
        All.FirstOrDefault(a => NotCacheable.Contains(a, StringComparer.OrdinalIgnoreCase)) is { } option ? $"the run was started with {option}" : null;

    public static PlatformRunArguments Parse(IReadOnlyList<string> arguments) => new(arguments);

    private string? Pair(string option)
    {
        for (var i = All.Count - 2; i >= 0; i--)
        {
            if (All[i].Equals(option, StringComparison.OrdinalIgnoreCase))
            {
                return All[i + 1];
            }
        }

        return null;
    }
}
