namespace ArtifactCache.Build.TestRuns;

/// <summary>What the VSTest target's arguments (and its run settings) say about caching a run.</summary>
public sealed class TestRunArguments
{
    private readonly IReadOnlyList<KeyValuePair<string, string>> _arguments;
    private readonly RunSettingsFacts _settings;

    /// <param name="arguments">Name (the VSTest task parameter) and value, as the targets pass them.</param>
    /// <param name="settings">What the run settings file says.</param>
    public TestRunArguments(IReadOnlyList<KeyValuePair<string, string>> arguments, RunSettingsFacts settings)
    {
        _arguments = arguments;
        _settings = settings;
    }

    /// <summary>Why the run cannot be cached, or null.</summary>
    public string? Refusal =>
        Value("VSTestListTests").Equals("true", StringComparison.OrdinalIgnoreCase) ? "the run only lists tests"
        : Value("VSTestDiag").Length > 0 ? "a diagnostic log was asked for (--diag)"
        // coverlet.msbuild instruments the assemblies in the output folder around the run and writes its report beside
        // the project: neither is a result file a replay could give back.
        : Value("CollectCoverage").Equals("true", StringComparison.OrdinalIgnoreCase) ? "coverlet.msbuild collects coverage (CollectCoverage=true)"
        // A results folder the run settings choose is one the package would have to resolve as VSTest does.
        : Value("VSTestCLIRunSettings").Contains("ResultsDirectory", StringComparison.OrdinalIgnoreCase) || _settings.NamesResultsDirectory
            ? "the run settings name a results folder, which the package does not follow"
        : _settings.Problem;

    /// <summary>The run has data collectors: --collect, or in the run settings file or the inline run settings.</summary>
    public bool CollectsData =>
        Value("VSTestCollect").Length > 0 || _settings.HasDataCollectors || Value("VSTestCLIRunSettings").Contains("DataCollect", StringComparison.OrdinalIgnoreCase);

    private string Value(string name) => _arguments.FirstOrDefault(a => a.Key == name).Value ?? "";
}
