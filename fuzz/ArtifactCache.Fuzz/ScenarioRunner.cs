using System.Diagnostics;
using System.Text.RegularExpressions;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Fuzz;

/// <summary>What one scenario found.</summary>
public sealed class ScenarioResult
{
    public required FuzzCase Case { get; init; }

    /// <summary>Why the scenario could not be judged (A did not build, an operator did not apply); null when it was.</summary>
    public string? Skipped { get; set; }

    public int Builds { get; set; }

    public List<string> Hits { get; } = [];

    public List<FileComparison> Comparisons { get; } = [];

    /// <summary>Differences in behaviour: build result, warnings, what the app printed.</summary>
    public List<string> BehaviourDifferences { get; } = [];

    public TimeSpan Duration { get; set; }

    public string? WorkFolder { get; set; }

    public bool Different => Comparisons.Any(c => !c.Equal) || BehaviourDifferences.Count > 0;

    /// <summary>A difference found with an operator the README lists as outside the key's reach.</summary>
    public bool InvolvesKnownLimit => Case.Operators.Any(o => Operators.Get(o.Name).KnownLimit);

    public IEnumerable<string> Differences =>
        Comparisons.Where(c => !c.Equal).Select(c => $"{c.Project}: {c.File}: {c.Difference}").Concat(BehaviourDifferences);
}

/// <summary>
/// Runs one scenario: A built on a fresh cache, B derived by the operators and built on the same cache, then B built
/// again from clean on an empty cache (the oracle); every hit of B's first build is compared with the oracle.
/// </summary>
public sealed partial class ScenarioRunner
{
    private readonly string _repoRoot;
    private readonly string _taskAssembly;
    private readonly bool _keep;
    private readonly Action<string> _log;

    public ScenarioRunner(string repoRoot, string taskAssembly, bool keep, Action<string> log)
    {
        _repoRoot = repoRoot;
        _taskAssembly = taskAssembly;
        _keep = keep;
        _log = log;
    }

    public ScenarioResult Run(FuzzCase fuzzCase)
    {
        var clock = Stopwatch.StartNew();
        var result = new ScenarioResult { Case = fuzzCase };
        var work = Directory.CreateTempSubdirectory("acb-fuzz-").FullName;
        result.WorkFolder = work;
        try
        {
            RunIn(work, fuzzCase, result);
        }
        catch (NotApplicableHereException e)
        {
            result.Skipped = e.Message;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            // An operator that cannot act on what earlier operators left (or a git or file error) voids this scenario
            // only; the run goes on, and the report counts it as skipped.
            result.Skipped = "could not set the scenario up: " + e.Message;
        }
        finally
        {
            result.Duration = clock.Elapsed;
            if (!_keep)
            {
                Files.DeleteQuietly(work);
            }
        }

        return result;
    }

    private void RunIn(string work, FuzzCase fuzzCase, ScenarioResult result)
    {
        var a = Path.Combine(work, "a", "repo");
        var b = Path.Combine(work, "b", fuzzCase.SamePathLength ? "repo" : "repo-elsewhere");
        Directory.CreateDirectory(Path.GetDirectoryName(b)!);
        var shape = Repositories.Write(fuzzCase, a, _repoRoot, _taskAssembly);
        var checkouts = new Checkouts(work, shape, a, b);
        var steps = fuzzCase.Operators.Select(s => (Operator: Operators.Get(s.Name), s.Parameter)).ToList();
        if (steps.FirstOrDefault(s => !s.Operator.AppliesTo(fuzzCase, shape)) is { Operator: not null } misfit)
        {
            result.Skipped = $"{misfit.Operator.Name} does not apply to this repository or file system";
            return;
        }

        foreach (var (op, parameter) in steps)
        {
            op.OnA(checkouts, parameter);
        }

        Git.Run(a, "init", "-q");
        Git.Run(a, "remote", "add", "origin", Repositories.Origin);
        Git.Run(a, "add", "-A");
        Git.Run(a, "commit", "-q", "-m", "checkout A");
        var commitA = Git.Head(a);

        var cache = Path.Combine(work, "cache");
        var buildA = Build(a, cache, shape, checkouts.ArgumentsA, checkouts.EnvironmentA, result, "A");
        if (!buildA.Succeeded)
        {
            result.Skipped = "checkout A does not build:\n" + Tail(buildA.Output);
            return;
        }

        Derive(fuzzCase.Derivation, a, b);
        foreach (var (op, parameter) in steps)
        {
            op.OnB(checkouts, parameter);
        }

        var commitB = Git.Head(b);
        var first = Build(b, cache, shape, checkouts.ArgumentsB, checkouts.EnvironmentB, result, "B");
        var hits = first.Report.Where(r => r.IsHit && r.Target == "CoreCompile").ToList();
        result.Hits.AddRange(hits.Select(h => h.ProjectName));
        if (hits.Count == 0)
        {
            // Nothing was restored: B's build is a plain compile, and there is nothing to hold against the oracle.
            return;
        }

        var restored = hits.ToDictionary(h => h, h => Snapshot(h));
        var firstApp = RunApp(b, shape, checkouts.EnvironmentB, first.Succeeded);
        var firstWarnings = Warnings(first.Output, a, b);

        Files.DeleteBuildOutputs(b);
        var oracle = Build(b, Path.Combine(work, "empty-cache"), shape, checkouts.ArgumentsB, checkouts.EnvironmentB, result, "oracle");
        var oracleApp = RunApp(b, shape, checkouts.EnvironmentB, oracle.Succeeded);
        var oracleWarnings = Warnings(oracle.Output, a, b);

        var repositoryAssemblies = first.Report.Concat(oracle.Report).Select(r => r.ProjectName).ToHashSet(StringComparer.Ordinal);
        foreach (var (hit, files) in restored)
        {
            var folder = Path.GetDirectoryName(hit.Project)!;
            foreach (var (file, bytes) in files)
            {
                var path = Path.Combine(folder, file);
                result.Comparisons.Add(OutputComparer.Compare(hit.ProjectName, file.Replace('\\', '/'), bytes, File.Exists(path) ? File.ReadAllBytes(path) : null, commitA, commitB, repositoryAssemblies));
            }
        }

        if (first.Succeeded != oracle.Succeeded)
        {
            result.BehaviourDifferences.Add($"build result: with hits {(first.Succeeded ? "succeeded" : "failed")}, local compile {(oracle.Succeeded ? "succeeded" : "failed")}");
        }

        foreach (var extra in firstWarnings.Except(oracleWarnings))
        {
            result.BehaviourDifferences.Add($"warning only with hits: {extra}");
        }

        foreach (var missing in oracleWarnings.Except(firstWarnings))
        {
            result.BehaviourDifferences.Add($"warning only in the local compile: {missing}");
        }

        // An app that prints something new on every run (the sample prints a random order id) says nothing here.
        var deterministicApp = string.Equals(oracleApp, RunApp(b, shape, checkouts.EnvironmentB, oracle.Succeeded), StringComparison.Ordinal);
        if (deterministicApp && !string.Equals(firstApp, oracleApp, StringComparison.Ordinal))
        {
            result.BehaviourDifferences.Add($"the app printed, with hits:\n{Indent(firstApp)}\n      the local compile's app printed:\n{Indent(oracleApp)}");
        }
    }

    private BuildRun Build(string root, string cache, RepoShape shape, List<string> arguments, Dictionary<string, string> environment, ScenarioResult result, string label)
    {
        var clock = Stopwatch.StartNew();
        var run = Dotnet.Run(root, cache, ["build", shape.Solution, "-nr:false", .. arguments], environment);
        result.Builds++;
        _log($"    build {label}: exit {run.ExitCode}, {clock.Elapsed.TotalSeconds:0.0}s, hits [{string.Join(", ", run.Hits)}], misses [{string.Join(", ", run.Misses)}]");
        return run;
    }

    private static void Derive(string derivation, string a, string b)
    {
        switch (derivation)
        {
            case "clone":
                Git.Run(Path.GetDirectoryName(b)!, "clone", "-q", a, b);
                Git.Run(b, "remote", "set-url", "origin", Repositories.Origin);
                break;
            case "copy":
                Files.CopyTreeKeepingTimes(a, b);
                break;
            case "worktree":
                Git.Run(a, "worktree", "add", "-q", "--detach", b);
                break;
            default:
                throw new ArgumentException($"Unknown derivation '{derivation}'.");
        }
    }

    private static Dictionary<string, byte[]?> Snapshot(ReportEntry hit)
    {
        var folder = Path.GetDirectoryName(hit.Project)!;
        var name = Path.GetFileNameWithoutExtension(hit.Project);
        return OutputComparer.OutputFiles(name, hit.TargetFramework ?? Repositories.Tfm, hit.Configuration ?? "Debug")
            .ToDictionary(f => f, f => File.Exists(Path.Combine(folder, f)) ? File.ReadAllBytes(Path.Combine(folder, f)) : null);
    }

    private static string RunApp(string root, RepoShape shape, Dictionary<string, string> environment, bool built)
    {
        if (shape.App is null || !built)
        {
            return "";
        }

        var dll = Path.Combine(root, shape.App, "bin", "Debug", Repositories.Tfm, Path.GetFileName(shape.App) + ".dll");
        if (!File.Exists(dll))
        {
            return "(no app)";
        }

        var start = new ProcessStartInfo("dotnet", ["exec", dll]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = root };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return $"exit {process.ExitCode}\n{output}{error.Result}".Trim();
    }

    /// <summary>Distinct warnings as "code file", the file relative to B (a path under A says so).</summary>
    private static HashSet<string> Warnings(string output, string a, string b)
    {
        var warnings = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in WarningLine().Matches(output))
        {
            var code = match.Groups["code"].Value;
            if (code.StartsWith("ACB", StringComparison.Ordinal))
            {
                continue;
            }

            var file = match.Groups["file"].Value.Trim();
            file = file.StartsWith(b + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? Path.GetRelativePath(b, file)
                : file.StartsWith(a + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? "<checkout A>/" + Path.GetRelativePath(a, file)
                : file;
            warnings.Add($"{code} {file.Replace('\\', '/')}");
        }

        return warnings;
    }

    private static string Tail(string output) => string.Join("\n", output.Split('\n').TakeLast(30));

    private static string Indent(string text) => string.Join("\n", text.Split('\n').Select(l => "        " + l));

    [GeneratedRegex(@"^\s*(?<file>[^\r\n]*?)(\(\d+(,\d+)*\))?\s*:\s*warning\s+(?<code>[A-Za-z]+\d+)\s*:", RegexOptions.Multiline)]
    private static partial Regex WarningLine();
}
