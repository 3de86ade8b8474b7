using ArtifactCache.Build.TestRuns;

namespace ArtifactCache.Build.Tests.TestRuns;

public sealed class TestRunArgumentsTests
{
    private static TestRunArguments Of(params (string Name, string Value)[] arguments) =>
        new([.. arguments.Select(a => new KeyValuePair<string, string>(a.Name, a.Value))], RunSettingsFacts.None);

    [Fact]
    public void An_ordinary_run_is_cacheable_and_collects_nothing()
    {
        var run = Of(("VSTestTestCaseFilter", "Category=Fast"), ("VSTestLogger", "trx"), ("VSTestListTests", ""), ("VSTestDiag", ""));

        Assert.Null(run.Refusal);
        Assert.False(run.CollectsData);
    }

    [Theory]
    [InlineData("VSTestListTests", "true", "lists tests")]
    [InlineData("VSTestListTests", "True", "lists tests")]
    [InlineData("VSTestDiag", "diag.log", "--diag")]
    [InlineData("CollectCoverage", "true", "coverlet.msbuild")]
    [InlineData("VSTestCLIRunSettings", "RunConfiguration.ResultsDirectory=out", "results folder")]
    public void Runs_the_package_cannot_replay_faithfully_are_refused_with_a_reason(string name, string value, string reason) =>
        Assert.Contains(reason, Of((name, value)).Refusal, StringComparison.Ordinal);

    [Fact]
    public void Run_settings_that_name_a_results_folder_or_cannot_be_read_are_refused()
    {
        Assert.NotNull(new TestRunArguments([], new RunSettingsFacts(true, false, null)).Refusal);
        Assert.Equal("broken", new TestRunArguments([], new RunSettingsFacts(false, false, "broken")).Refusal);
    }

    [Fact]
    public void A_data_collector_from_the_command_line_inline_settings_or_the_settings_file_is_seen()
    {
        Assert.True(Of(("VSTestCollect", "XPlat Code Coverage")).CollectsData);
        Assert.True(Of(("VSTestCLIRunSettings", "DataCollectionRunSettings.DataCollectors.DataCollector.FriendlyName=x")).CollectsData);
        Assert.True(new TestRunArguments([], new RunSettingsFacts(false, false, null, HasDataCollectors: true)).CollectsData);
    }
}
