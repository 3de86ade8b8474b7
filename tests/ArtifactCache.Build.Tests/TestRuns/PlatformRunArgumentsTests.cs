using ArtifactCache.Build.TestRuns;

namespace ArtifactCache.Build.Tests.TestRuns;

public sealed class PlatformRunArgumentsTests
{
    [Fact]
    public void The_pipe_name_is_not_keyed_and_everything_else_is_in_order()
    {
        var one = PlatformRunArguments.Parse(["--report-trx", "--filter-class", "A", "--server", "dotnettestcli", "--dotnet-test-pipe", "/tmp/a"]);
        var two = PlatformRunArguments.Parse(["--report-trx", "--filter-class", "A", "--server", "dotnettestcli", "--dotnet-test-pipe", "/tmp/b"]);
        var reordered = PlatformRunArguments.Parse(["--filter-class", "A", "--report-trx", "--server", "dotnettestcli", "--dotnet-test-pipe", "/tmp/a"]);

        Assert.True(one.FromDotnetTest);
        Assert.Equal(one.KeyText, two.KeyText);
        Assert.NotEqual(one.KeyText, reordered.KeyText);
        Assert.Equal(["--server", "dotnettestcli", "--dotnet-test-pipe", "/tmp/b"], two.ServerArguments);
    }

    [Fact]
    public void Started_without_dotnet_test_s_pipe_it_is_not_a_dotnet_test_run()
    {
        Assert.False(PlatformRunArguments.Parse(["--filter-class", "A"]).FromDotnetTest);
        Assert.False(PlatformRunArguments.Parse(["--server", "jsonrpc", "--dotnet-test-pipe", "x"]).FromDotnetTest);
    }

    [Fact]
    public void The_results_folder_and_refusals_are_read()
    {
        Assert.Equal("out", PlatformRunArguments.Parse(["--results-directory", "out"]).ResultsDirectory);
        Assert.Null(PlatformRunArguments.Parse(["--report-trx"]).Refusal);
        Assert.Equal("the run was started with --list-tests", PlatformRunArguments.Parse(["--list-tests"]).Refusal);
    }
}
