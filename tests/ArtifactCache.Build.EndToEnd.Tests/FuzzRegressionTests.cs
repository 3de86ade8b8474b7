using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// Runs the differential fuzzer (fuzz/ArtifactCache.Fuzz) against the task assembly beside these tests: every corpus
/// case, and a short fixed-seed run. Each compares the hits of a derived checkout with a local compile on an empty
/// cache, byte for byte; a wrong hit, or a run that compared nothing, fails.
/// </summary>
public sealed partial class FuzzRegressionTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    public static TheoryData<string> CorpusCases()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoRoot.Find(), "fuzz", "corpus"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusCases))]
    public void A_corpus_case_gives_no_wrong_hit(string caseFile)
    {
        using var workspace = new Workspace();
        var corpus = workspace.PathOf("corpus");
        Directory.CreateDirectory(corpus);
        File.Copy(Path.Combine(RepoRoot.Find(), "fuzz", "corpus", caseFile), Path.Combine(corpus, caseFile));

        var (exitCode, output) = Fuzz(workspace, "--corpus", corpus);

        // A corpus case may hit nothing once fixed (a wrong hit becomes a miss): only a wrong hit fails it.
        Assert.True(WrongHits(output) == 0 && exitCode is 0 or 2, output);
    }

    [Fact]
    public void A_fixed_seed_run_compares_hits_and_finds_no_wrong_hit()
    {
        using var workspace = new Workspace();

        var (exitCode, output) = Fuzz(workspace, "--seed", "7", "--scenarios", "1");

        Assert.True(exitCode == 0, output);
        Assert.Equal(0, WrongHits(output));
        Assert.True(FilesCompared(output) > 0, "the run must compare at least one restored file\n" + output);
    }

    private static (int ExitCode, string Output) Fuzz(Workspace workspace, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoRoot.Find(),
        };
        foreach (var argument in new[] { FuzzerAssembly, "--task-assembly", Workspace.TaskAssembly, "--findings", workspace.PathOf("findings"), "--no-shrink" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the fuzzer ran past {Limit}:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    /// <summary>The fuzzer as this repository built it (the test project references it), in the tests' configuration.</summary>
    private static string FuzzerAssembly => Path.Combine(
        RepoRoot.Find(), "fuzz", "ArtifactCache.Fuzz", "bin", Path.GetFileName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory))!), "net10.0", "ArtifactCache.Fuzz.dll");

    private static int WrongHits(string output) => ReportNumber(output, "wrong hits");

    private static int FilesCompared(string output) => ReportNumber(output, "files compared");

    private static int ReportNumber(string output, string label)
    {
        var match = Regex.Match(output, "^" + Regex.Escape(label) + @":\s+(\d+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"no '{label}' line in the fuzzer's report\n{output}");
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
