using System.Text;
using System.Text.RegularExpressions;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// Builds on reused MSBuild nodes, as on every developer machine: a reused node outlives the build that started it, so
/// whatever it remembers must be told apart by build. Each build gets its own warnings and summary, and an edit made
/// between two builds is seen even when it keeps the file's length and time stamp.
/// </summary>
public sealed class NodeReuseTests : IDisposable
{
    private const string SharedFile = "Stamp.cs";
    private static readonly Regex RemoteWarning = new(@"warning ACB2002\b", RegexOptions.Compiled);

    private readonly Workspace _workspace = new();

    public void Dispose()
    {
        // Nothing this test started outlives it.
        Dotnet.ShutDownBuildServer(_workspace.Root, "--msbuild");
        _workspace.Dispose();
    }

    [Fact]
    public void Builds_in_a_row_on_reused_nodes_each_get_one_warning_one_summary_and_see_a_same_size_edit()
    {
        var tree = _workspace.PathOf("tree");
        SampleSolution.WriteChain(tree);
        foreach (var project in SampleSolution.ChainProjects)
        {
            SampleSolution.AddToProject(Path.Combine(tree, project, project + ".csproj"), $"""<ItemGroup><Compile Include="../{SharedFile}" /></ItemGroup>""");
        }

        var stamp = Path.Combine(tree, SharedFile);
        File.WriteAllText(stamp, Stamp("one"));
        var summary = _workspace.PathOf("step_summary.md");
        var environment = new Dictionary<string, string>
        {
            // Two worker nodes build every project (none is built in the entry process, which each build starts anew),
            // and they stay for the next build.
            ["MSBUILDDISABLENODEREUSE"] = "0",
            ["MSBUILDNOINPROCNODE"] = "1",
            ["GITHUB_STEP_SUMMARY"] = summary,
            // A remote that refuses connections: every build that looks something up warns once (ACB2002).
            ["TURBO_API"] = $"http://127.0.0.1:{ClosedPort()}/",
            ["TURBO_TOKEN"] = "node-reuse-token",
            ["TURBO_TEAM"] = "reuse",
            ["ARTIFACTCACHE_ALLOW_HTTP"] = "true",
        };
        var cache = _workspace.PathOf("cache");

        var words = new[] { "one", "two", "six" };
        var sessions = new List<string>();
        for (var i = 0; i < words.Length; i++)
        {
            if (i > 0)
            {
                // The same length, and the time stamp put back: only the content says the file changed. The compiled
                // outputs are deleted so that CoreCompile runs (MSBuild itself goes by time stamps).
                var written = File.GetLastWriteTimeUtc(stamp);
                File.WriteAllText(stamp, Stamp(words[i]));
                File.SetLastWriteTimeUtc(stamp, written);
                foreach (var project in SampleSolution.ChainProjects)
                {
                    File.Delete(Path.Combine(tree, project, "obj", "Debug", SampleSolution.Tfm, project + ".dll"));
                }
            }

            var run = Dotnet.Run(Path.Combine(tree, "App"), cache, ["build", "-m:2", "-nr:true"], environment);
            Assert.True(run.Succeeded, run.ToString());
            Assert.Equal(SampleSolution.ChainProjects, run.Misses);
            foreach (var project in SampleSolution.ChainProjects)
            {
                var built = File.ReadAllBytes(Path.Combine(tree, project, "obj", "Debug", SampleSolution.Tfm, project + ".dll"));
                Assert.True(Contains(built, Encoding.Unicode.GetBytes("stamp-" + words[i])), $"build {i + 1}: {project}.dll does not hold stamp-{words[i]}\n{run}");
            }

            var warnings = run.Output.Split('\n').Select(l => l.Trim()).Where(l => RemoteWarning.IsMatch(l)).Distinct(StringComparer.Ordinal).ToList();
            Assert.True(warnings.Count == 1, $"build {i + 1}: {warnings.Count} distinct ACB2002 lines\n{run}");

            var sections = Regex.Matches(File.ReadAllText(summary), @"<!-- artifactcache:(?<id>[^ ]+) -->");
            Assert.True(sections.Count == i + 1, $"build {i + 1}: {sections.Count} summary sections\n{File.ReadAllText(summary)}");
            sessions.Add(sections[i].Groups["id"].Value);
        }

        Assert.Equal(words.Length, sessions.Distinct(StringComparer.Ordinal).Count());
    }

    private static string Stamp(string word) => $$"""
        internal static class Stamp
        {
            internal static string Value() => "stamp-{{word}}";
        }
        """;

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
