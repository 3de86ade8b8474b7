using ArtifactCache.Build.TestRuns;

namespace ArtifactCache.Build.Tests.TestRuns;

public sealed class RecordedTestResultsTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-rtr-");

    public void Dispose() => _scratch.Delete(recursive: true);

    [Fact]
    public void Names_with_tabs_line_breaks_and_backslashes_survive_a_write_and_a_read()
    {
        var path = Path.Combine(_scratch.FullName, "tests.tsv");
        var original = RecordedTestResults.From([new RecordedTest("passed", "uid\\1", "Name(\"a\\tb\", \n)", 42, ""), new RecordedTest("skipped", "uid2", "Other", 0, "because\r\nreasons")]);
        original.Write(path);

        var read = RecordedTestResults.Read(path, out var problem);

        Assert.Null(problem);
        Assert.Equal(original.Tests, read!.Tests);
        Assert.True(read.AllPassed);
        Assert.Equal((2, 1, 1, 0), (read.Total, read.Passed, read.Skipped, read.NotPassed));
    }

    [Fact]
    public void A_test_reported_again_counts_with_its_last_state()
    {
        var results = RecordedTestResults.From([new RecordedTest("failed", "t", "T", 1, "first try"), new RecordedTest("passed", "t", "T", 2, "")]);

        Assert.True(results.AllPassed);
        Assert.Equal(1, results.Total);
    }

    [Theory]
    [InlineData("failed")]
    [InlineData("error")]
    [InlineData("timeout")]
    [InlineData("cancelled")]
    [InlineData("unknown")]
    public void Anything_but_passed_or_skipped_is_not_a_pass(string outcome) =>
        Assert.False(RecordedTestResults.From([new RecordedTest("passed", "a", "A", 0, ""), new RecordedTest(outcome, "b", "B", 0, "")]).AllPassed);

    [Fact]
    public void No_tests_is_not_a_pass() => Assert.False(RecordedTestResults.From([]).AllPassed);

    [Theory]
    [InlineData("passed\tt\tT\t1\n")]
    [InlineData("passed\tt\tT\t-1\t\n")]
    [InlineData("passed\t\tT\t1\t\n")]
    [InlineData("passed\tt\\x\tT\t1\t\n")]
    [InlineData("passed\tt\tT\\\t1\t\n")]
    public void A_line_not_in_the_recorder_format_is_a_problem_not_a_result(string text)
    {
        var path = Path.Combine(_scratch.FullName, "bad.tsv");
        File.WriteAllText(path, text);

        Assert.Null(RecordedTestResults.Read(path, out var problem));
        Assert.Contains("line 1", problem, StringComparison.Ordinal);
    }
}
