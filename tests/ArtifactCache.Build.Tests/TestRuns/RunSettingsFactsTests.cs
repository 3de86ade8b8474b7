using ArtifactCache.Build.TestRuns;

namespace ArtifactCache.Build.Tests.TestRuns;

public sealed class RunSettingsFactsTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-rs-");

    public void Dispose() => _scratch.Delete(recursive: true);

    [Theory]
    [InlineData("trx", true)]
    [InlineData("TRX;LogFileName=results.trx", true)]
    [InlineData("logger://Microsoft/TestPlatform/TrxLogger/v1", true)]
    [InlineData("Microsoft.VisualStudio.TestPlatform.Extensions.TrxLogger.TrxLogger", true)]
    [InlineData("console;verbosity=detailed", false)]
    [InlineData("html", false)]
    [InlineData("trxx", false)]
    [InlineData("", false)]
    public void The_TRX_logger_is_recognised_by_name_uri_or_type(string logger, bool expected) =>
        Assert.Equal(expected, RunSettingsFacts.IsTrxLogger(logger));

    [Fact]
    public void A_settings_file_naming_a_results_folder_and_a_TRX_logger_says_both()
    {
        var path = Path.Combine(_scratch.FullName, "test.runsettings");
        File.WriteAllText(path, """
            <RunSettings>
              <RunConfiguration><ResultsDirectory>./out</ResultsDirectory></RunConfiguration>
              <LoggerRunSettings><Loggers><Logger friendlyName="trx" enabled="True" /></Loggers></LoggerRunSettings>
            </RunSettings>
            """);

        Assert.Equal(new RunSettingsFacts(true, true, null), RunSettingsFacts.Read(path));
    }

    [Fact]
    public void A_settings_file_with_a_data_collector_says_so()
    {
        var path = Path.Combine(_scratch.FullName, "coverage.runsettings");
        File.WriteAllText(path, """
            <RunSettings>
              <DataCollectionRunSettings><DataCollectors><DataCollector friendlyName="XPlat code coverage" /></DataCollectors></DataCollectionRunSettings>
            </RunSettings>
            """);

        Assert.True(RunSettingsFacts.Read(path).HasDataCollectors);
    }

    [Fact]
    public void The_adapter_folders_a_settings_file_names_are_resolved_as_vstest_resolves_them_and_the_elements_after_them_are_still_read()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_scratch.FullName, "settings")).FullName;
        var path = Path.Combine(folder, "adapters.runsettings");
        var absolute = Path.Combine(_scratch.FullName, "absolute");
        Environment.SetEnvironmentVariable("ACB_TEST_ADAPTERS", absolute);
        try
        {
            // No whitespace between the elements: reading the folder list must not skip the element after it.
            File.WriteAllText(path, "<RunSettings><RunConfiguration><TestAdaptersPaths>../adapters; %ACB_TEST_ADAPTERS%/more</TestAdaptersPaths><ResultsDirectory>out</ResultsDirectory></RunConfiguration></RunSettings>");

            var facts = RunSettingsFacts.Read(path);

            Assert.Equal([Path.Combine(_scratch.FullName, "adapters"), Path.Combine(absolute, "more")], facts.AdapterFolders);
            Assert.True(facts.NamesResultsDirectory);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ACB_TEST_ADAPTERS", null);
        }
    }

    [Fact]
    public void A_plain_settings_file_says_neither_and_a_broken_one_says_why()
    {
        var plain = Path.Combine(_scratch.FullName, "plain.runsettings");
        File.WriteAllText(plain, "<RunSettings><RunConfiguration><MaxCpuCount>2</MaxCpuCount></RunConfiguration></RunSettings>");
        var broken = Path.Combine(_scratch.FullName, "broken.runsettings");
        File.WriteAllText(broken, "<RunSettings><RunConfiguration>");

        Assert.Equal(RunSettingsFacts.None, RunSettingsFacts.Read(plain));
        Assert.Equal(RunSettingsFacts.None, RunSettingsFacts.Read(null));
        Assert.NotNull(RunSettingsFacts.Read(broken).Problem);
    }
}
