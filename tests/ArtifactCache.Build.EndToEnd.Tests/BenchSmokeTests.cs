using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// The benchmark's quick size end to end: every scenario produced a number, the hit scenarios compiled nothing and the
/// edits compiled what they must. No duration is asserted; the numbers belong to bench/, not to the test suite.
/// </summary>
public sealed class BenchSmokeTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void Quick_benchmark_measures_every_scenario_and_hits_compile_nothing()
    {
        var output = _workspace.PathOf("results");
        var start = new ProcessStartInfo("dotnet", ["run", Path.Combine("bench", "bench.cs"), "--", "--size", "quick", "--runs", "1", "--out", output])
        {
            WorkingDirectory = RepoRoot.Find(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var log = new StringBuilder();
        using (var process = new Process { StartInfo = start })
        {
            process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(TimeSpan.FromMinutes(15)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("the quick benchmark ran past 15 minutes:\n" + log);
            }

            process.WaitForExit();
            lock (log)
            {
                Assert.True(process.ExitCode == 0, log.ToString());
            }
        }

        Assert.True(File.Exists(Path.Combine(output, "results.md")));
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "results.json")));
        var root = results.RootElement;
        var projects = root.GetProperty("solution").GetProperty("projects").GetInt32();
        var scenarios = root.GetProperty("scenarios").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, StringComparer.Ordinal);
        Assert.Equal(["api-edit", "body-edit", "body-edit-netstandard", "cold", "cold-store", "floor", "noop", "noop-cache", "warm-local", "warm-remote"], scenarios.Keys.Order(StringComparer.Ordinal));
        Assert.All(scenarios.Values, s => Assert.True(s.GetProperty("median").GetDouble() > 0, s.ToString()));

        string[] Compiled(string name) => [.. scenarios[name].GetProperty("compiled").EnumerateArray().Select(p => p.GetString()!)];
        Assert.Equal(projects, Compiled("cold-store").Length);
        // The F# and the VB library are in the graph (so the hit scenarios above also hit them: F# across the clones'
        // equal-length folders).
        Assert.Contains("Domain.Rates", Compiled("cold-store"));
        Assert.Contains("Domain.Ledger", Compiled("cold-store"));
        Assert.Empty(Compiled("warm-local"));
        Assert.Empty(Compiled("warm-remote"));
        Assert.Empty(Compiled("noop-cache"));
        Assert.Equal(["Foundation.Primitives"], Compiled("body-edit"));
        // The netstandard2.0 library has no reference assembly: its dependents read its implementation assembly, whose
        // metadata a string-literal edit in a method body leaves as it was.
        Assert.Contains("Foundation.Compat", Compiled("cold-store"));
        Assert.Equal(["Foundation.Compat"], Compiled("body-edit-netstandard"));

        // A ratio beyond the original nine comes with its value within each round: here the one run's.
        var hitVsFloor = root.GetProperty("ratios").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "hit vs floor");
        double Seconds(string name) => scenarios[name].GetProperty("seconds")[0].GetDouble();
        Assert.Equal(Seconds("warm-local") / Seconds("floor"), Assert.Single(hitVsFloor.GetProperty("runByRun").EnumerateArray()).GetDouble(), tolerance: 0.002);

        // The server's processor time is reported for the builds against it, one value a run, and only for those.
        Assert.All(scenarios["warm-remote"].GetProperty("serverProcessorMs").EnumerateArray(), v => Assert.True(v.GetDouble() >= 0));
        Assert.Equal(root.GetProperty("runs").GetInt32(), scenarios["warm-remote"].GetProperty("serverProcessorMs").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, scenarios["warm-local"].GetProperty("serverProcessorMs").ValueKind);

        // The API edit recompiles the projects that see the bottom library, and not the one beside it that does not.
        var apiEdit = Compiled("api-edit");
        Assert.Contains("Foundation.Primitives", apiEdit);
        Assert.DoesNotContain("Foundation.Data", apiEdit);
        Assert.Contains("Domain.Rates", apiEdit);          // F#, on the bottom library
        Assert.DoesNotContain("Domain.Ledger", apiEdit);   // VB, on Foundation.Data
        Assert.InRange(apiEdit.Length, 2, projects - 1);
        var ratios = root.GetProperty("ratios").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, StringComparer.Ordinal);
        Assert.True(ratios["API edit: projects compiled"].GetProperty("met").GetBoolean(), ratios["API edit: projects compiled"].ToString());
        var literal = ratios["string-literal body edit in the netstandard2.0 library: projects compiled"];
        Assert.True(literal.GetProperty("met").GetBoolean(), literal.ToString());
        Assert.All(ratios.Values, r => Assert.True(double.IsFinite(r.GetProperty("value").GetDouble()), r.ToString()));
    }
}
