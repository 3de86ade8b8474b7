using ArtifactCache.Build.TestRuns;

namespace ArtifactCache.Build.Tests.TestRuns;

public sealed class TrxRunTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-trx-");

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Save(string text)
    {
        var path = Path.Combine(_scratch.FullName, Guid.NewGuid().ToString("N") + ".trx");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_passing_run_with_a_skipped_test_is_read_with_its_counts_assembly_and_deployment_folder()
    {
        var assembly = Path.Combine(_scratch.FullName, "Tests", "bin", "Tests.dll");
        var run = TrxRun.Read(Save(Trx.Text(assembly, passed: 3, skipped: 1)), out var problem);

        Assert.Null(problem);
        Assert.NotNull(run);
        Assert.Equal((4, 3, 0, 1), (run.Total, run.Passed, run.Failed, run.Skipped));
        Assert.True(run.AllPassed);
        Assert.Equal("_vm_2026-11-28_13_57_19", run.DeploymentRoot);
        Assert.Equal(TimeSpan.FromTicks(32890786), run.Duration);
        // VSTest writes the storage lower-cased; the comparison ignores case.
        Assert.True(run.IsRunOf(assembly));
        Assert.False(run.IsRunOf(Path.Combine(_scratch.FullName, "Other", "bin", "Other.dll")));
    }

    [Theory]
    [InlineData(1, null)]
    [InlineData(1, "Completed")]
    [InlineData(0, "Aborted")]
    [InlineData(0, "Failed")]
    public void A_run_with_a_failed_test_or_an_aborted_outcome_is_not_a_pass(int failed, string? outcome)
    {
        var run = TrxRun.Read(Save(Trx.Text("/t/Tests.dll", failed: failed, outcome: outcome)), out _);

        Assert.NotNull(run);
        Assert.False(run.AllPassed);
    }

    [Theory]
    [InlineData("not xml at all")]
    [InlineData("<TestRun xmlns=\"http://microsoft.com/schemas/VisualStudio/TeamTest/2010\"><Results /></TestRun>")]
    [InlineData("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><TestRun>&e;</TestRun>")]
    public void A_file_that_is_not_a_complete_TRX_is_no_run_and_says_why(string text)
    {
        Assert.Null(TrxRun.Read(Save(text), out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void A_missing_file_is_no_run()
    {
        Assert.Null(TrxRun.Read(Path.Combine(_scratch.FullName, "none.trx"), out var problem));
        Assert.Contains("FileNotFoundException", problem, StringComparison.Ordinal);
    }
}
