using ArtifactCache.Build.TestRuns;

namespace ArtifactCache.Build.Tests.TestRuns;

/// <summary>Which files in a results folder a run wrote, alone in it or beside other projects' runs.</summary>
public sealed class ResultFolderTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-rf-");

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Results => Path.Combine(_scratch.FullName, "TestResults");

    private string Assembly => Path.Combine(_scratch.FullName, "Tests", "bin", "Tests.dll");

    private void Write(string relative, string content = "x")
    {
        var path = Path.Combine(Results, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    [Fact]
    public void In_the_projects_own_folder_every_file_the_run_wrote_is_its_and_earlier_files_are_not()
    {
        Write("earlier.trx", Trx.Text(Assembly));
        var before = ResultFolder.Snapshot(Results);
        Trx.Write(Path.Combine(Results, "run.trx"), Assembly, deploymentRoot: "_vm_1");
        Write("0a1b/coverage.cobertura.xml");

        var written = before.WrittenBy(Assembly, sharedFolder: false, out var trx);

        Assert.Equal(["0a1b/coverage.cobertura.xml", "run.trx"], written.Select(w => w.Relative));
        Assert.NotNull(trx);
    }

    [Fact]
    public void A_folder_that_does_not_exist_yet_is_empty_before_the_run()
    {
        var before = ResultFolder.Snapshot(Results);
        Trx.Write(Path.Combine(Results, "run.trx"), Assembly);

        Assert.Equal(["run.trx"], before.WrittenBy(Assembly, sharedFolder: false, out _).Select(w => w.Relative));
    }

    [Fact]
    public void In_a_shared_folder_only_this_assemblys_TRX_and_its_deployment_folder_are_the_runs()
    {
        var before = ResultFolder.Snapshot(Results);
        Trx.Write(Path.Combine(Results, "mine.trx"), Assembly, deploymentRoot: "_vm_mine");
        Write("_vm_mine/In/vm/coverage.cobertura.xml");
        Trx.Write(Path.Combine(Results, "theirs.trx"), Path.Combine(_scratch.FullName, "Other", "bin", "Other.dll"), deploymentRoot: "_vm_theirs");
        Write("_vm_theirs/In/vm/coverage.cobertura.xml");
        Write("9f9f/coverage.cobertura.xml");

        var written = before.WrittenBy(Assembly, sharedFolder: true, out var trx);

        Assert.Equal(["_vm_mine/In/vm/coverage.cobertura.xml", "mine.trx"], written.Select(w => w.Relative));
        Assert.Equal("_vm_mine", trx!.DeploymentRoot);
    }

    [Fact]
    public void Another_projects_TRX_is_never_taken_even_in_the_projects_own_folder()
    {
        var before = ResultFolder.Snapshot(Results);
        Trx.Write(Path.Combine(Results, "theirs.trx"), Path.Combine(_scratch.FullName, "Other", "bin", "Other.dll"));

        Assert.Empty(before.WrittenBy(Assembly, sharedFolder: false, out var trx));
        Assert.Null(trx);
    }

    [Fact]
    public void A_file_the_run_rewrote_counts_as_written()
    {
        Write("results.trx", Trx.Text(Assembly, passed: 1));
        var before = ResultFolder.Snapshot(Results);
        File.WriteAllText(Path.Combine(Results, "results.trx"), Trx.Text(Assembly, passed: 12));

        Assert.Equal(["results.trx"], before.WrittenBy(Assembly, sharedFolder: false, out var trx).Select(w => w.Relative));
        Assert.Equal(12, trx!.Passed);
    }
}
