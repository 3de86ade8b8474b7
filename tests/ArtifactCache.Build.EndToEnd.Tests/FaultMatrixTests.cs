using System.Collections.Concurrent;
using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using System.Text.RegularExpressions;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;
using ArtifactCache.Build.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// A four-project solution, built once through the package with a healthy remote: its outputs are the reference bytes,
/// and its uploads fill the in-memory remote that the faulted builds download from.
/// </summary>
public sealed class FaultMatrixFixture : IAsyncLifetime
{
    public static readonly string[] Projects = ["App", "Core", "Extra", "Lib2"];

    private readonly Workspace _workspace = new();

    public string Template => _workspace.PathOf("template");

    /// <summary>The local cache the reference build filled, for the faults that start from a populated cache.</summary>
    public string ReferenceCache => _workspace.PathOf("reference-cache");

    public ConcurrentDictionary<string, StoredArtifact> Artifacts { get; } = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, byte[]> ReferenceOutputs { get; private set; } = new Dictionary<string, byte[]>();

    public async Task InitializeAsync()
    {
        SampleSolution.WriteChain(Template);
        SampleSolution.WriteProject(Template, "Extra", """<ProjectReference Include="../Core/Core.csproj" />""");
        Workspace.Write(Path.Combine(Template, "Extra", "Extra.cs"), "namespace Extra;\n\n/// <summary>More.</summary>\npublic static class More\n{\n    /// <summary>Value.</summary>\n    public static string Value => Core.Greeter.Hello(\"extra\");\n}\n");
        Assert.True(Dotnet.Run(Template, ReferenceCache, ["new", "sln", "--format", "sln", "-n", "All"]).Succeeded);
        Assert.True(Dotnet.Run(Template, ReferenceCache, ["sln", "All.sln", "add", .. Projects.Select(p => $"{p}/{p}.csproj")]).Succeeded);
        Workspace.Git(Template, "init", "-q");
        Workspace.Git(Template, "add", "-A");
        Workspace.Git(Template, "commit", "-q", "-m", "template");

        await using var server = await ArtifactServer.StartAsync(Artifacts);
        var reference = _workspace.PathOf("reference");
        Workspace.CopyTree(Template, reference);
        var run = Dotnet.Run(reference, ReferenceCache, ["build", "All.sln", "-m"], FaultMatrixTests.RemoteEnvironment(server.Url));
        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(Projects, run.Misses);
        // One artifact per project, and beside them each one's prediction and the commit's index (see Prefetch).
        Assert.Equal(Projects.Length, Artifacts.Values.Count(a => !a.Body.AsSpan().StartsWith("artifactcache-prediction-v1\n"u8) && !a.Body.AsSpan().StartsWith("artifactcache-commit-index-v1\n"u8)));
        Assert.Equal(2 * Projects.Length + 1, Artifacts.Count);
        ReferenceOutputs = FaultMatrixTests.Outputs(reference);
    }

    public Task DisposeAsync()
    {
        _workspace.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Issue 6's fault matrix: a real `dotnet build -m` of a four-project solution under each fault. For every case: the
/// build succeeds, its outputs are the reference bytes, each coded warning appears at most once (not once per project
/// or node) and the expected one does, nothing is left in the temp folder or as a temp file in the cache, and the next
/// build with the fault healed hits. The time each faulted build took is written to the test output.
/// </summary>
public sealed class FaultMatrixTests : IClassFixture<FaultMatrixFixture>, IDisposable
{
    private const string Token = "matrix-token-0123456789";
    private static readonly Regex WarningCode = new(@"warning (ACB\d{4})", RegexOptions.Compiled);

    private readonly FaultMatrixFixture _fixture;
    private readonly ITestOutputHelper _output;
    private readonly Workspace _workspace = new();

    public FaultMatrixTests(FaultMatrixFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    public static TheoryData<string> RemoteFaults => new(RemoteCases.Keys);

    public static TheoryData<string> HostileArchives => new(HostileCases.Keys);

    private string Cache => _workspace.PathOf("cache");

    private string Temp => _workspace.PathOf("tmp");

    public void Dispose() => _workspace.Dispose();

    public static Dictionary<string, string> RemoteEnvironment(Uri url) => new()
    {
        ["TURBO_API"] = url.ToString(),
        ["TURBO_TOKEN"] = Token,
        ["TURBO_TEAM"] = "matrix",
    };

    public static Dictionary<string, byte[]> Outputs(string tree)
    {
        var outputs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var project in FaultMatrixFixture.Projects)
        {
            var folder = Path.Combine(tree, project, "obj", "Debug", SampleSolution.Tfm);
            foreach (var file in new[] { $"{project}.dll", $"{project}.pdb", $"{project}.xml", Path.Combine("ref", $"{project}.dll"), Path.Combine("refint", $"{project}.dll") })
            {
                var path = Path.Combine(folder, file);
                if (File.Exists(path))
                {
                    outputs[Path.Combine(project, file)] = File.ReadAllBytes(path);
                }
            }
        }

        return outputs;
    }

    [Theory]
    [MemberData(nameof(RemoteFaults))]
    public async Task Remote_fault(string name)
    {
        var fault = RemoteCases[name];
        await using var server = await ArtifactServer.StartAsync(_fixture.Artifacts);
        server.Fault = fault.Handler;
        await using var raw = fault.Raw is null ? null : RawHttpServer.Start(head => fault.Raw(head, _fixture.Artifacts));
        var url = fault.Url ?? raw?.Url ?? server.Url;
        var environment = RemoteEnvironment(url);
        foreach (var (key, value) in fault.Environment)
        {
            environment[key] = value;
        }

        await RunCaseAsync(name, environment, fault.Codes, server);
    }

    [Theory]
    [MemberData(nameof(HostileArchives))]
    public async Task Hostile_archive(string name)
    {
        var make = HostileCases[name];
        await using var server = await ArtifactServer.StartAsync(_fixture.Artifacts);
        server.Fault = async (context, self) =>
        {
            if (!ArtifactServer.IsDownload(context) || !self.Artifacts.TryGetValue(ArtifactServer.HashOf(context)!, out var stored))
            {
                return false;
            }

            await ArtifactServer.ServeAsync(context, make(stored.Body), stored);
            return true;
        };

        await RunCaseAsync(name, RemoteEnvironment(server.Url), ["ACB3001"], server, mustNotExist: ["/tmp/acb-escaped", "/acb-escaped"]);
    }

    /// <summary>
    /// Not a fault: the healthy path the faults are measured against, with several nodes and an empty local cache. The
    /// reference build published the commit's index; the fresh copy fetches it when its first project starts, and the
    /// two nodes share the downloads.
    /// </summary>
    [Fact]
    public async Task A_fresh_copy_built_on_several_nodes_downloads_each_artifact_once()
    {
        await using var server = await ArtifactServer.StartAsync(_fixture.Artifacts);
        var tree = _workspace.PathOf("fresh");
        Workspace.CopyTree(_fixture.Template, tree);

        var run = await Task.Run(() => Dotnet.Run(tree, Cache, ["build", "All.sln", "-m"], RemoteEnvironment(server.Url)));

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(FaultMatrixFixture.Projects, run.Hits);
        Assert.All(run.Report, r => Assert.Equal("remote", r.Source));
        Assert.Empty(WarningCodes(run.Output));
        var gets = server.Requests.Where(r => r.Method == "GET").Select(r => r.Path).ToList();
        Assert.All(run.Report, r => Assert.Single(gets, p => p.EndsWith("/" + r.Key, StringComparison.Ordinal)));
        // The index named every project: no project fetched a prediction of its own, and nothing was published.
        Assert.DoesNotContain(gets, p => _fixture.Artifacts.TryGetValue(p[(p.LastIndexOf('/') + 1)..], out var a) && a.Body.AsSpan().StartsWith("artifactcache-prediction-v1\n"u8));
        Assert.DoesNotContain(server.Requests, r => r.Method == "PUT");
        AssertSameBytesAsReference(tree);
    }

    [Fact]
    public async Task Local_entry_truncated()
    {
        Workspace.CopyTree(_fixture.ReferenceCache, Cache);
        foreach (var entry in Directory.GetFiles(Cache, "*.acb", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(entry, FileMode.Open);
            stream.SetLength(stream.Length / 2);
        }

        await using var healthy = await ArtifactServer.StartAsync(_fixture.Artifacts);
        await RunCaseAsync("local entry truncated", [], ["ACB4002"], healthy);
    }

    [Fact]
    public async Task Local_cache_folder_read_only()
    {
        Directory.CreateDirectory(Cache);
        using var mount = Mount.ReadOnly(Cache);
        await using var healthy = await ArtifactServer.StartAsync(_fixture.Artifacts);
        await RunCaseAsync("local cache read-only", [], ["ACB4001", "ACB4003"], healthy, afterFault: mount.Dispose);
    }

    [Fact]
    public async Task Local_disk_full()
    {
        Directory.CreateDirectory(Cache);
        using var mount = Mount.Full(Cache);
        await using var healthy = await ArtifactServer.StartAsync(_fixture.Artifacts);
        await RunCaseAsync("local disk full", [], ["ACB4001", "ACB4003"], healthy, afterFault: mount.Dispose);
    }

    [Fact]
    public async Task Build_killed_while_storing_then_rebuilt()
    {
        var tree = _workspace.PathOf("killed");
        Workspace.CopyTree(_fixture.Template, tree);
        var report = Dotnet.NewReportPath();
        var start = Dotnet.StartInfo(tree, Cache, ["build", "All.sln", "-m"], new Dictionary<string, string> { ["TMPDIR"] = Temp }, report);
        Directory.CreateDirectory(Temp);
        using (var process = Process.Start(start)!)
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            // Kill (SIGKILL, the whole tree) as soon as the first artifact is being or has been stored: bounded wait.
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromMinutes(3) && !process.HasExited &&
                   !(Directory.Exists(Cache) && Directory.EnumerateFiles(Cache, "*", SearchOption.AllDirectories).Any(f => f.EndsWith(".tmp", StringComparison.Ordinal) || f.EndsWith(".acb", StringComparison.Ordinal))))
            {
                await Task.Delay(10);
            }

            Assert.False(process.HasExited, "the build ended before anything was stored; nothing to kill");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        Dotnet.ReadReport(report);

        // The same tree again: whatever the killed build left half-written must neither break nor poison this one. Rebuilt,
        // so every project goes through the cache: a project the killed build compiled but did not get to store is up to
        // date in this tree, and an incremental build would never store it (the healed copy below would then miss it).
        var again = Dotnet.Run(tree, Cache, ["build", "All.sln", "-m", "--no-incremental"], new Dictionary<string, string> { ["TMPDIR"] = Temp });
        Assert.True(again.Succeeded, again.ToString());
        Assert.Empty(WarningCodes(again.Output));
        AssertSameBytesAsReference(tree);
        await AssertHealedBuildHitsAsync(null);
    }

    [Fact]
    public async Task Ctrl_C_during_a_stalled_download_stops_the_build_and_leaves_no_temp_files()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGINT is a Unix signal; Windows' Ctrl+C goes through the console, which a test cannot press.
        }

        LetChildrenReceiveInterrupts();
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ArtifactServer.StartAsync(_fixture.Artifacts);
        server.Fault = Download(async (context, stored) =>
        {
            context.Response.ContentLength = stored.Body.Length;
            await context.Response.Body.WriteAsync(stored.Body.AsMemory(0, stored.Body.Length / 2));
            await context.Response.Body.FlushAsync();
            stalled.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(100), context.RequestAborted);
        });
        var tree = _workspace.PathOf("interrupted");
        Workspace.CopyTree(_fixture.Template, tree);
        Directory.CreateDirectory(Temp);
        var environment = RemoteEnvironment(server.Url);
        environment["TMPDIR"] = Temp;
        var report = Dotnet.NewReportPath();
        var start = Dotnet.StartInfo(tree, Cache, ["build", "All.sln", "-m"], environment, report);
        using (var process = Process.Start(start)!)
        {
            var output = new StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                // Default timeouts (15 s a request): without cancellation the build would sit in the stalled body.
                await stalled.Task.WaitAsync(TimeSpan.FromMinutes(3));
                await Task.Delay(500);
                var nodes = Descendants(process.Id);
                Assert.True(SendInterrupt(process.Id), "could not send SIGINT");
                var clock = Stopwatch.StartNew();
                // Without the task honouring the cancellation, the stalled download alone holds the build for 45 s (three
                // 15 s attempts; measured: 46 s). The entry process may exit before its worker nodes do (and before their
                // last log lines reach it), so the bound covers every process of the build, counted from the SIGINT.
                var bound = TimeSpan.FromSeconds(25);
                var exited = await Task.Run(() => process.WaitForExit(bound));
                var entryStopped = clock.Elapsed;
                var nodesGone = await Task.Run(() => WaitUntilGone(nodes, bound - clock.Elapsed));
                _output.WriteLine($"Ctrl+C: the build stopped {entryStopped.TotalMilliseconds:0} ms after SIGINT (exit code {(exited ? process.ExitCode : -1)}), its {nodes.Count} node process(es) by {clock.Elapsed.TotalMilliseconds:0} ms");
                lock (output)
                {
                    Assert.True(exited, $"the build was still running {bound.TotalSeconds} s after Ctrl+C:\n" + output);
                    Assert.NotEqual(0, process.ExitCode);
                    Assert.True(nodesGone, $"MSBuild nodes were still running {bound.TotalSeconds} s after Ctrl+C:\n" + output);
                }
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }

        Dotnet.ReadReport(report);
        AssertNothingLeftBehind();
        if (Directory.Exists(Cache))
        {
            var partial = Directory.EnumerateFiles(Cache, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".download", StringComparison.Ordinal) || f.EndsWith(".artifact", StringComparison.Ordinal)).ToList();
            Assert.True(partial.Count == 0, "partial files left in the cache: " + string.Join(", ", partial));
        }

        server.Fault = null;
        await AssertHealedBuildHitsAsync(server);
    }

    private const int SigInt = 2;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static extern int SigAction(int signal, IntPtr action, IntPtr oldAction);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "signal", SetLastError = true)]
    private static extern IntPtr Signal(int signal, IntPtr handler);

    private static bool SendInterrupt(int pid) => Kill(pid, SigInt) == 0;

    /// <summary>The processes below <paramref name="pid"/> (MSBuild's worker nodes, the compilers), from /proc; empty elsewhere.</summary>
    private static List<int> Descendants(int pid)
    {
        if (!Directory.Exists("/proc"))
        {
            return [];
        }

        var parents = new Dictionary<int, int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(folder), out var child))
                {
                    // /proc/<pid>/stat: "pid (name) state ppid ..."; the name may hold spaces, so read after the last ')'.
                    var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    parents[child] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                // The process ended while we looked.
            }
        }

        var found = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out var parent))
        {
            foreach (var (child, _) in parents.Where(p => p.Value == parent))
            {
                found.Add(child);
                queue.Enqueue(child);
            }
        }

        return found;
    }

    private static bool WaitUntilGone(List<int> pids, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (pids.Any(pid => Directory.Exists($"/proc/{pid}")))
        {
            if (clock.Elapsed >= limit)
            {
                return false;
            }

            Thread.Sleep(50);
        }

        return true;
    }

    /// <summary>
    /// A process started in the background by a shell without job control (a CI script's <c>cmd &amp;</c>) begins with
    /// SIGINT ignored, children inherit that, and .NET then leaves it ignored: the build would never see the Ctrl+C.
    /// Only when SIGINT is ignored here, set it back to the default, so the build starts with it deliverable; a handler
    /// the runtime installed is never touched.
    /// </summary>
    private static void LetChildrenReceiveInterrupts()
    {
        // struct sigaction begins with the handler on Linux and macOS; 256 bytes covers the rest of it.
        var old = System.Runtime.InteropServices.Marshal.AllocHGlobal(256);
        try
        {
            if (SigAction(SigInt, IntPtr.Zero, old) == 0 && System.Runtime.InteropServices.Marshal.ReadIntPtr(old) == 1 /* SIG_IGN */)
            {
                Signal(SigInt, IntPtr.Zero /* SIG_DFL */);
            }
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeHGlobal(old);
        }
    }

    [Fact]
    public async Task Two_builds_of_the_same_solution_at_once_on_one_cache()
    {
        var first = _workspace.PathOf("first");
        var second = _workspace.PathOf("second");
        Workspace.CopyTree(_fixture.Template, first);
        Workspace.CopyTree(_fixture.Template, second);
        var environment = new Dictionary<string, string> { ["TMPDIR"] = Temp };
        Directory.CreateDirectory(Temp);

        var runs = await Task.WhenAll(
            Task.Run(() => Dotnet.Run(first, Cache, ["build", "All.sln", "-m"], environment)),
            Task.Run(() => Dotnet.Run(second, Cache, ["build", "All.sln", "-m"], environment)));

        foreach (var (run, tree) in runs.Zip([first, second]))
        {
            Assert.True(run.Succeeded, run.ToString());
            Assert.Empty(WarningCodes(run.Output));
            AssertSameBytesAsReference(tree);
        }

        AssertNothingLeftBehind();
        await AssertHealedBuildHitsAsync(null);
    }

    [Fact]
    public async Task Real_server_rejects_the_token()
    {
        await using var server = await TurboRemoteCacheServer.StartAsync(signatureKey: null);
        var environment = RemoteEnvironment(server.Url);
        environment["TURBO_TOKEN"] = "not-the-server-token";
        await using var healthy = await ArtifactServer.StartAsync(_fixture.Artifacts);
        await RunCaseAsync("real server: 401", environment, ["ACB2001"], healthy);
    }

    [Fact]
    public async Task Real_server_serves_artifacts_corrupted_in_its_storage()
    {
        await using var server = await TurboRemoteCacheServer.StartAsync(signatureKey: null);
        var environment = RemoteEnvironment(server.Url);
        environment["TURBO_TOKEN"] = server.Token;
        var filler = _workspace.PathOf("filler");
        Workspace.CopyTree(_fixture.Template, filler);
        var fill = Dotnet.Run(filler, _workspace.PathOf("filler-cache"), ["build", "All.sln", "-m"], environment);
        Assert.True(fill.Succeeded, fill.ToString());
        var stored = Directory.GetFiles(server.StoragePath, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(stored);
        foreach (var file in stored)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            for (var i = bytes.Length / 2; i < bytes.Length / 2 + 32 && i < bytes.Length; i++)
            {
                bytes[i] ^= 0xFF;
            }

            await File.WriteAllBytesAsync(file, bytes);
        }

        await using var healthy = await ArtifactServer.StartAsync(_fixture.Artifacts);
        await RunCaseAsync("real server: corrupt storage", environment, ["ACB2006", "ACB3003"], healthy);
    }

    // The console logger repeats every warning in its end-of-build summary; a warning is one distinct line.
    private static IReadOnlyList<string> WarningCodes(string output) =>
        output.Split('\n').Select(l => l.Trim()).Distinct(StringComparer.Ordinal)
            .Select(l => WarningCode.Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();

    /// <summary>The faulted build, its checks, then the healed build.</summary>
    private async Task RunCaseAsync(string name, Dictionary<string, string> environment, string[] expectedCodes, ArtifactServer healthy, Action? afterFault = null, string[]? mustNotExist = null)
    {
        var tree = _workspace.PathOf("faulted");
        Workspace.CopyTree(_fixture.Template, tree);
        Directory.CreateDirectory(Temp);
        environment["TMPDIR"] = Temp;
        var clock = Stopwatch.StartNew();
        var run = await Task.Run(() => Dotnet.Run(tree, Cache, ["build", "All.sln", "-m"], environment));
        clock.Stop();
        afterFault?.Invoke();
        _output.WriteLine($"{name}: faulted build {clock.Elapsed.TotalSeconds:0.0} s; warnings: {string.Join(", ", WarningCodes(run.Output))}");

        Assert.True(run.Succeeded, run.ToString());
        var codes = WarningCodes(run.Output);
        Assert.All(codes.GroupBy(c => c), g => Assert.True(g.Count() == 1, $"{g.Key} was warned {g.Count()} times:\n{run}"));
        if (expectedCodes.Length == 0)
        {
            Assert.True(codes.Count == 0, $"expected no warning, got [{string.Join(", ", codes)}]:\n{run}");
        }
        else
        {
            Assert.True(codes.Intersect(expectedCodes).Any(), $"expected one of {string.Join(", ", expectedCodes)}, got [{string.Join(", ", codes)}]:\n{run}");

            // No second warning for the same fault under another code; the one allowed follow-up is ACB2003, which says
            // the remote is now skipped for the rest of the build.
            var unexpected = codes.Except(expectedCodes).Where(c => c != "ACB2003").ToList();
            Assert.True(unexpected.Count == 0, $"unexpected warnings [{string.Join(", ", unexpected)}] besides {string.Join(", ", expectedCodes)}:\n{run}");
        }

        Assert.DoesNotMatch(": warning (?!ACB)", run.Output);
        AssertSameBytesAsReference(tree);
        AssertNothingLeftBehind();
        foreach (var path in mustNotExist ?? [])
        {
            Assert.False(File.Exists(path) || Directory.Exists(path), $"{path} was written outside the build");
        }

        await AssertHealedBuildHitsAsync(healthy);
    }

    private void AssertSameBytesAsReference(string tree)
    {
        var outputs = Outputs(tree);
        Assert.Equal(_fixture.ReferenceOutputs.Keys.Order(), outputs.Keys.Order());
        foreach (var (file, bytes) in _fixture.ReferenceOutputs)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(outputs[file]), $"{file} differs from the reference build");
        }
    }

    private void AssertNothingLeftBehind()
    {
        if (Directory.Exists(Temp))
        {
            // Downloads and artifacts being written fall back to <temp>/artifactcache; the build sessions' own folder
            // (artifactcache-sessions, used when the cache folder cannot be written) is kept for a day by design.
            var scratch = Path.Combine(Temp, "artifactcache");
            var ours = Directory.Exists(scratch) ? Directory.GetFiles(scratch, "*", SearchOption.AllDirectories).ToList() : [];
            Assert.True(ours.Count == 0, "left in the temp folder: " + string.Join(", ", ours));
        }

        if (Directory.Exists(Cache))
        {
            var temporary = Directory.EnumerateFiles(Cache, "*.tmp", SearchOption.AllDirectories).ToList();
            Assert.True(temporary.Count == 0, "temp files left in the cache: " + string.Join(", ", temporary));
        }
    }

    /// <summary>A fresh copy, the same cache folder, a healthy remote: every project hits, with no warning.</summary>
    private async Task AssertHealedBuildHitsAsync(ArtifactServer? healthy)
    {
        var tree = _workspace.PathOf("healed");
        Workspace.CopyTree(_fixture.Template, tree);
        var environment = healthy is null ? new Dictionary<string, string>() : RemoteEnvironment(healthy.Url);
        var run = await Task.Run(() => Dotnet.Run(tree, Cache, ["build", "All.sln", "-m"], environment));
        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(FaultMatrixFixture.Projects, run.Hits);
        Assert.Empty(WarningCodes(run.Output));
        AssertSameBytesAsReference(tree);
    }

    private sealed record RemoteCase(
        string[] Codes,
        Func<HttpContext, ArtifactServer, Task<bool>>? Handler = null,
        Func<string, ConcurrentDictionary<string, StoredArtifact>, byte[]>? Raw = null,
        Uri? Url = null)
    {
        public Dictionary<string, string> Environment { get; init; } = [];
    }

    // Short timeouts keep the slow cases quick; one case keeps the defaults to measure the real bound.
    private static readonly Dictionary<string, string> Quick = new() { ["ARTIFACTCACHE_REMOTE_CACHE_TIMEOUT"] = "2", ["ARTIFACTCACHE_REMOTE_RETRIES"] = "1" };

    private static readonly Dictionary<string, RemoteCase> RemoteCases = new(StringComparer.Ordinal)
    {
        ["connection refused"] = new(["ACB2002"], Url: new Uri($"http://127.0.0.1:{ClosedPort()}/")),
        ["unresolvable host"] = new(["ACB2002"], Url: new Uri("https://artifactcache-e2e.invalid/")),
        ["500 on every request"] = new(["ACB2002"], Status(500)) { Environment = Quick },
        ["502 on every request"] = new(["ACB2002"], Status(502)) { Environment = Quick },
        ["503 with Retry-After"] = new(["ACB2002"], Status(503, retryAfter: "1")) { Environment = Quick },
        ["429 with Retry-After"] = new(["ACB2002"], Status(429, retryAfter: "1")) { Environment = Quick },
        ["401 bad token"] = new(["ACB2001"], Status(401)),
        ["403 forbidden"] = new(["ACB2001"], Status(403)),
        ["402 payment required"] = new(["ACB2001"], Status(402)),
        ["response headers slower than the timeout"] = new(["ACB2002"], Delay(TimeSpan.FromSeconds(6))) { Environment = Quick },
        ["hanging remote, default timeouts (measures the bound)"] = new(["ACB2002"], Delay(TimeSpan.FromSeconds(100))),
        ["body stalls half-way"] = new(["ACB2002", "ACB2006"], Download(async (context, stored) =>
        {
            context.Response.ContentLength = stored.Body.Length;
            await context.Response.Body.WriteAsync(stored.Body.AsMemory(0, stored.Body.Length / 2));
            await context.Response.Body.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(6));
        })) { Environment = Quick },
        ["truncated body (connection closed early)"] = new(["ACB2002", "ACB2006"], Download(async (context, stored) =>
        {
            context.Response.ContentLength = stored.Body.Length;
            await context.Response.Body.WriteAsync(stored.Body.AsMemory(0, stored.Body.Length / 2));
            await context.Response.Body.FlushAsync();
            context.Abort();
        })) { Environment = Quick },
        ["corrupt compressed stream"] = new(["ACB3003"], Serve(ArtifactSurgery.CorruptCompression)),
        ["valid compression of a corrupt tar"] = new(["ACB3003"], Serve(ArtifactSurgery.CorruptTar)),
        ["outputs do not match the manifest"] = new(["ACB3003", "ACB3005"], Serve(ArtifactSurgery.OutputsNotMatchingManifest)),
        ["HTML page with status 200"] = new(["ACB3003"], Serve(_ => Encoding.UTF8.GetBytes("<html><body>Sign in to continue</body></html>"))),
        ["missing signature, signing on"] = new(["ACB2005"], Download((context, stored) => ArtifactServer.ServeAsync(context, stored.Body, stored with { Tag = null })))
        {
            Environment = new() { ["TURBO_REMOTE_CACHE_SIGNATURE_KEY"] = "matrix-signature-key-0123456789abcdef" },
        },
        ["wrong signature, signing on"] = new(["ACB2005"], Download((context, stored) => ArtifactServer.ServeAsync(context, stored.Body, stored with { Tag = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" })))
        {
            Environment = new() { ["TURBO_REMOTE_CACHE_SIGNATURE_KEY"] = "matrix-signature-key-0123456789abcdef" },
        },
        ["artifact over the size limit"] = new(["ACB2008"]) { Environment = new() { ["ARTIFACTCACHE_MAX_ARTIFACT_SIZE"] = "1KB" } },
        // Counted in requests, so the prefetch is off: its quiet requests (status, index, downloads) would take the
        // whole outage, and the lookups, which this case is about, would never see it.
        ["server restarted in the middle of the build"] = new(["ACB2002"], Restarting()) { Environment = new(Quick) { ["ARTIFACTCACHE_PREFETCH"] = "false" } },
        ["uploads rejected (403 on PUT)"] = new(["ACB2001", "ACB2007"], Uploads(context =>
        {
            context.Response.StatusCode = 403;
            return Task.CompletedTask;
        })),
        ["uploads time out"] = new(["ACB2002", "ACB2007"], Uploads(_ => Task.Delay(TimeSpan.FromSeconds(6)))) { Environment = Quick },
        // HttpClient reads exactly Content-Length bytes and drops the rest: the artifact is whole, so this is a clean hit.
        ["body longer than its Content-Length"] = new([], Raw: (head, artifacts) =>
            RawArtifact(head, artifacts, (body, length) => RawHttpServer.Response($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\nConnection: close", [.. body, .. new byte[4096]])))
        {
            Environment = new() { ["ARTIFACTCACHE_REMOTE_CACHE_READ_ONLY"] = "true" },
        },
        ["Content-Length shorter than the body"] = new(["ACB2002", "ACB2006", "ACB3003"], Raw: (head, artifacts) =>
            RawArtifact(head, artifacts, (body, length) => RawHttpServer.Response($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {length - 100}\r\nConnection: close", body)))
        {
            Environment = new() { ["ARTIFACTCACHE_REMOTE_CACHE_READ_ONLY"] = "true" },
        },
    };

    private static readonly Dictionary<string, Func<byte[], byte[]>> HostileCases = new(StringComparer.Ordinal)
    {
        ["entry with .."] = a => ArtifactSurgery.WithExtraEntry(a, TarEntryType.RegularFile, "files/../../acb-escaped", data: [1]),
        ["entry with an absolute path"] = a => ArtifactSurgery.WithExtraEntry(a, TarEntryType.RegularFile, "/tmp/acb-escaped", data: [1]),
        ["symbolic link pointing outside"] = a => ArtifactSurgery.WithExtraEntry(a, TarEntryType.SymbolicLink, "files/link", linkName: "/etc/passwd"),
        ["hard link pointing outside"] = a => ArtifactSurgery.WithExtraEntry(a, TarEntryType.HardLink, "files/hard", linkName: "/etc/passwd"),
        ["device entry"] = a => ArtifactSurgery.WithExtraEntry(a, TarEntryType.CharacterDevice, "files/null"),
        ["duplicate entries"] = ArtifactSurgery.WithDuplicateEntry,
    };

    private static Func<HttpContext, ArtifactServer, Task<bool>> Status(int status, string? retryAfter = null) => (context, _) =>
    {
        context.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return Task.FromResult(true);
    };

    private static Func<HttpContext, ArtifactServer, Task<bool>> Delay(TimeSpan delay) => async (context, _) =>
    {
        try
        {
            await Task.Delay(delay, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }

        return true;
    };

    /// <summary>Answers downloads of stored artifacts with <paramref name="answer"/>; everything else as a healthy server.</summary>
    private static Func<HttpContext, ArtifactServer, Task<bool>> Download(Func<HttpContext, StoredArtifact, Task> answer) => async (context, server) =>
    {
        if (!ArtifactServer.IsDownload(context) || !server.Artifacts.TryGetValue(ArtifactServer.HashOf(context)!, out var stored))
        {
            return false;
        }

        context.Response.StatusCode = 200;
        try
        {
            await answer(context, stored);
        }
        catch (OperationCanceledException)
        {
        }

        return true;
    };

    private static Func<HttpContext, ArtifactServer, Task<bool>> Serve(Func<byte[], byte[]> change) =>
        Download((context, stored) => ArtifactServer.ServeAsync(context, change(stored.Body), stored));

    private static Func<HttpContext, ArtifactServer, Task<bool>> Uploads(Func<HttpContext, Task> answer) => async (context, _) =>
    {
        if (context.Request.Method != "PUT")
        {
            if (ArtifactServer.HashOf(context) is not null && context.Request.Method is "GET" or "HEAD")
            {
                // Nothing stored yet as far as this build can tell: every download misses, every project uploads.
                context.Response.StatusCode = 404;
                return true;
            }

            return false;
        }

        try
        {
            await answer(context);
        }
        catch (OperationCanceledException)
        {
        }

        return true;
    };

    // Healthy for the first two requests, then every connection is dropped for a while, then healthy again.
    private static Func<HttpContext, ArtifactServer, Task<bool>> Restarting()
    {
        var requests = 0;
        return (context, _) =>
        {
            var n = Interlocked.Increment(ref requests);
            if (n is > 2 and <= 8)
            {
                context.Abort();
                return Task.FromResult(true);
            }

            return Task.FromResult(false);
        };
    }

    private static byte[] RawArtifact(string head, ConcurrentDictionary<string, StoredArtifact> artifacts, Func<byte[], int, byte[]> respond)
    {
        var requestLine = head.Split("\r\n")[0].Split(' ');
        var hash = requestLine.Length > 1 ? requestLine[1].Split('?')[0].Split('/').Last() : "";
        return requestLine[0] == "GET" && artifacts.TryGetValue(hash, out var stored)
            ? respond(stored.Body, stored.Body.Length)
            : RawHttpServer.Response("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close", []);
    }

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>
    /// A file system over the cache folder that fails writes the real way: a read-only or a tiny tmpfs mount (needs
    /// root, as in CI here). Without root: chmod for read-only (which root ignores), and a file where the cache's
    /// folder must go for a full disk, so every write fails.
    /// </summary>
    private sealed class Mount : IDisposable
    {
        private readonly string _path;
        private readonly bool _mounted;
        private readonly Action? _undo;
        private bool _disposed;

        private Mount(string path, bool mounted, Action? undo)
        {
            _path = path;
            _mounted = mounted;
            _undo = undo;
        }

        public static Mount ReadOnly(string path)
        {
            if (OperatingSystem.IsLinux() && Run("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", path))
            {
                return new Mount(path, mounted: true, null);
            }

            if (OperatingSystem.IsWindows())
            {
                return Full(path);
            }

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            return new Mount(path, mounted: false, () =>
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            });
        }

        public static Mount Full(string path)
        {
            if (OperatingSystem.IsLinux() && Run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", path))
            {
                return new Mount(path, mounted: true, null);
            }

            var blocker = Path.Combine(path, "v1");
            File.WriteAllBytes(blocker, []);
            return new Mount(path, mounted: false, () => File.Delete(blocker));
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_mounted)
            {
                Run("umount", "-l", _path);
            }

            _undo?.Invoke();
        }

        private static bool Run(string command, params string[] arguments)
        {
            try
            {
                var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
                foreach (var argument in arguments)
                {
                    start.ArgumentList.Add(argument);
                }

                using var process = Process.Start(start)!;
                process.WaitForExit(TimeSpan.FromSeconds(30));
                return process.ExitCode == 0;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return false;
            }
        }
    }
}
