// The benchmark, on Windows, macOS and Linux: `dotnet run bench/bench.cs -- [--size quick|full] [--runs N] [--out DIR]
// [--developer] [--peer] [--network] [--latency MS] [--minver] [--keep]`.
// Generates a layered solution, packs the package, and times each scenario several times, interleaved, in one run:
// cold builds with and without the package, the perfect-cache floor, fresh clones on a warm local or remote cache,
// edits low in the graph and no-op builds; with --developer the same with the compiler server and node reuse on, with
// --peer the SDK compiler's own output cache beside ours, with --network the remote behind a delaying proxy (the full
// size runs all of them). Writes results.md and results.json (default: bench/results/).
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;

var options = Options.Parse(args);
if (options is null)
{
    Console.WriteLine("usage: dotnet run bench/bench.cs -- [--size quick|full] [--runs N] [--out DIR] [--developer] [--peer] [--network] [--latency MS] [--minver] [--core] [--only NAME,...] [--keep]");
    return args.Contains("--help") || args.Contains("-h") ? 0 : 2;
}

var repo = Paths.FindRepository(Environment.CurrentDirectory) ?? Paths.FindRepository(AppContext.BaseDirectory);
if (repo is null)
{
    Console.Error.WriteLine("bench: run this from inside the ArtifactCache.Build repository.");
    return 2;
}

var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
var version = $"0.1.0-bench.{stamp}";
// Outside the repository, like a user's checkout: inside it the sample would inherit the repository's own props.
var work = Path.Combine(Path.GetTempPath(), "artifactcache-bench", "run-" + stamp);
var output = Path.GetFullPath(options.Out ?? Path.Combine(repo, "bench", "results"));
Directory.CreateDirectory(work);
Directory.CreateDirectory(output);
var dotnet = new Dotnet(Path.Combine(work, "packages"));
Console.WriteLine($"bench: size {options.Size}, {options.Runs} run(s) of each scenario, package {version}, work folder {work}");

try
{
    var feed = Path.Combine(work, "feed");
    var pack = dotnet.Run(repo, "pack", [Path.Combine(repo, "src", "ArtifactCache.Build"), "-c", "Release", "-o", feed, "-p:Version=" + version, "-nr:false"], new Dictionary<string, string?>());
    if (!pack.Succeeded)
    {
        Console.Error.WriteLine(pack.Output);
        return Fail("dotnet pack failed.");
    }

    var solution = SolutionShape.For(options.Size, options.MinVer);
    var source = Path.Combine(work, "source");
    solution.Write(source, version, feed);
    Git.Run(source, "init", "-q");
    Git.Run(source, "add", "-A");
    Git.Run(source, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "generated");
    Console.WriteLine($"bench: generated {solution.Projects.Count} projects ({solution.Projects.Count(p => p.Language == Language.FSharp)} F#, {solution.Projects.Count(p => p.Language == Language.VisualBasic)} Visual Basic), {solution.SourceFileCount} source files in {source}");

    await using var server = await RemoteServer.StartAsync(repo, Path.Combine(work, "remote-storage"));
    await using var proxy = options.Network ? DelayProxy.Start(server.Url, TimeSpan.FromMilliseconds(options.LatencyMs)) : null;
    // The same delay in front of a TLS endpoint (the server speaks plain HTTP): the handshakes cross the slow network too.
    await using var tls = options.Network ? TlsFront.TryStart(server.Url, Path.Combine(work, "tls")) : null;
    await using var tlsProxy = tls is null ? null : DelayProxy.Start(tls.Url, TimeSpan.FromMilliseconds(options.LatencyMs));
    var bench = new Bench(dotnet, work, source, solution, server, proxy, options, tlsProxy is null ? null : (tlsProxy.Url.Replace("http://", "https://", StringComparison.Ordinal), tls!.TrustFile));
    bench.Prepare();

    var scenarios = bench.Scenarios().Where(s => options.Only is null || options.Only.Contains(s.Name)).ToList();
    if (scenarios.Count == 0)
    {
        return Fail("--only names no scenario of the groups that are on.");
    }

    if (options.UsesBuildServers)
    {
        // Once before the series: no compiler server or MSBuild node from before the benchmark takes part. Then one
        // untimed build starts them, so the first server scenario does not also pay for that.
        dotnet.ShutDownBuildServers(work);
        bench.WarmUpBuildServers();
    }

    for (var run = 0; run < options.Runs; run++)
    {
        // Interleaved, and each round starts one scenario later, so no scenario always runs on a warm or cold machine.
        for (var i = 0; i < scenarios.Count; i++)
        {
            var scenario = scenarios[(i + run) % scenarios.Count];
            var measurement = scenario.Measure(run);
            scenario.Results.Add(measurement);
            Console.WriteLine($"  run {run + 1}/{options.Runs}  {scenario.Name,-20} {measurement.Seconds,7:0.00} s" +
                (measurement.Compiled is { } compiled ? $"  compiled {compiled.Count}" : "") +
                (measurement.TestsRun is { } testsRun ? $"  test projects run {testsRun.Count}, replayed {measurement.TestsReplayed?.Count ?? 0}" : "") +
                (measurement.ServerProcessorSeconds is { } served ? $"  server processor time {served * 1000:0} ms" : ""));
        }
    }

    var report = Report.Create(options, version, solution, scenarios);
    File.WriteAllText(Path.Combine(output, "results.json"), report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    var markdown = Report.Markdown(report);
    File.WriteAllText(Path.Combine(output, "results.md"), markdown);
    Console.WriteLine();
    Console.WriteLine(markdown);
    Console.WriteLine($"bench: results in {output}");
    return 0;
}
catch (BenchException e)
{
    return Fail(e.Message);
}
finally
{
    if (options.UsesBuildServers)
    {
        // Nothing the benchmark started outlives it: the compiler server and the reused MSBuild nodes.
        dotnet.ShutDownBuildServers(work);
    }

    if (!options.Keep)
    {
        Paths.DeleteTree(work);
    }
}

static int Fail(string message)
{
    Console.Error.WriteLine("bench: " + message);
    return 1;
}

/// <summary>
/// The command line. The scenario groups beyond the original nine (--developer, --peer, --network) are on at the full
/// size and off at the quick size unless asked for, so the quick run that CI and BenchSmokeTests use stays short.
/// </summary>
internal sealed record Options(string Size, int Runs, string? Out, bool Keep, bool Developer, bool Peer, bool Network, int LatencyMs, bool MinVer, IReadOnlySet<string>? Only = null, bool Tests = false)
{
    public bool UsesBuildServers => Developer || Peer;

    public static Options? Parse(string[] args)
    {
        var size = "full";
        int? runs = null;
        string? output = null;
        var keep = false;
        bool? developer = null, peer = null, network = null, tests = null;
        var latency = 50;
        var minVer = false;
        HashSet<string>? only = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--size" when i + 1 < args.Length && args[i + 1] is "quick" or "full":
                    size = args[++i];
                    break;
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 50:
                    runs = n;
                    i++;
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--keep":
                    keep = true;
                    break;
                case "--developer":
                    developer = true;
                    break;
                case "--peer":
                    peer = true;
                    break;
                case "--network":
                    network = true;
                    break;
                case "--latency" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var ms) && ms is >= 0 and <= 2000:
                    // One way: 50 ms each way is a 100 ms round trip.
                    latency = ms;
                    network ??= true;
                    i++;
                    break;
                case "--minver":
                    minVer = true;
                    break;
                case "--tests":
                    tests = true;
                    break;
                case "--only" when i + 1 < args.Length:
                    // Named scenarios only (comma-separated), from the groups that are on: for profiling one comparison.
                    only = new HashSet<string>(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
                    break;
                case "--core":
                    // Only the original nine scenarios, e.g. to compare with earlier results without the build servers
                    // of the other groups running in between.
                    developer = false;
                    peer = false;
                    network = false;
                    tests = false;
                    break;
                default:
                    return null;
            }
        }

        var full = size == "full";
        return new Options(size, runs ?? (full ? 3 : 1), output, keep, developer ?? full, peer ?? full, network ?? full, latency, minVer, only, tests ?? full);
    }
}

internal sealed class BenchException(string message) : Exception(message);

/// <summary>
/// One timed build: its wall-clock time and, when the package reported, the projects that compiled; for `dotnet test`,
/// the test projects whose tests ran and those whose passing run was replayed; for a build against the benchmark's
/// remote-cache server, the processor time the server used meanwhile (on loopback it runs on the build's own cores,
/// which a real remote does not).
/// </summary>
internal sealed record Measurement(double Seconds, IReadOnlyList<string>? Compiled, IReadOnlyList<string>? TestsRun = null, IReadOnlyList<string>? TestsReplayed = null, double? ServerProcessorSeconds = null);

internal sealed class Scenario(string name, string description, Func<int, Measurement> measure)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    public List<Measurement> Results { get; } = [];

    public Measurement Measure(int run) => measure(run);

    public double Median => Stats.Median(Results.Select(r => r.Seconds));
}

/// <summary>How one build runs: with or without the package, which caches, and whether the build servers are on.</summary>
/// <param name="Package">The package is referenced (otherwise <c>-p:BenchNoPackage=true</c>).</param>
/// <param name="Cache">The package's local cache folder.</param>
/// <param name="Remote">The remote's URL (the real server, or the delaying proxy in front of it).</param>
/// <param name="Server">The compiler server and MSBuild node reuse on, as on a developer machine; otherwise both off.</param>
/// <param name="RoslynCache">The SDK compiler's own output cache (<c>ROSLYN_CACHE_PATH</c>), with the clone root mapped
/// to <c>/_/</c>, as its documentation tells a user to, so that it can hit across folders.</param>
/// <param name="Extra">More arguments for <c>dotnet build</c>.</param>
/// <param name="Test"><c>dotnet test</c> instead of <c>dotnet build</c>.</param>
/// <param name="TestResults">With <see cref="Test"/>: the test projects opt in to test results (<c>ArtifactCacheTestResults</c>).</param>
/// <param name="TrustFile">The certificates the build trusts (<c>SSL_CERT_FILE</c>), for a remote behind the benchmark's own TLS endpoint.</param>
internal sealed record BuildSettings(bool Package, string? Cache = null, string? Remote = null, bool Server = false, string? RoslynCache = null, string[]? Extra = null, bool Test = false, bool TestResults = false, string? TrustFile = null);

/// <summary>The scenarios and the trees and caches they start from.</summary>
internal sealed class Bench(Dotnet dotnet, string work, string source, SolutionShape solution, RemoteServer server, DelayProxy? proxy, Options options, (string Url, string TrustFile)? tlsRemote = null)
{
    private readonly string _seededCache = Path.Combine(work, "cache-seeded");
    private readonly string _seededVolatileCache = Path.Combine(work, "cache-seeded-volatile");
    private readonly string _seededRoslynCache = Path.Combine(work, "roslyn-cache-seeded");
    private readonly string _seededTestCache = Path.Combine(work, "cache-seeded-tests");
    // Every tree the package builds is a sibling under clones/ with a five-letter name: fsc's outputs depend on the length
    // of the checkout path, so F# entries are shared only between checkouts whose paths are equally long (see the README).
    private readonly string _builtWithout = Path.Combine(work, "clones", "plain");
    private readonly string _builtWith = Path.Combine(work, "clones", "built");
    private int _clones;

    private const string VolatileVersion = "-p:ArtifactCacheVolatileVersion=true";

    /// <summary>
    /// Fills the local cache and the remote from one build of the commit, and builds the two trees that the no-op
    /// scenarios rebuild and the floor copies its compiler outputs from. Restore is warm from here on for every
    /// scenario alike: the benchmark measures compilation and the cache, not NuGet downloads. With --peer, also fills
    /// the SDK compiler's own cache from one build; with --minver, a local cache keyed with volatile versions.
    /// </summary>
    public void Prepare()
    {
        Console.WriteLine("bench: seeding the local cache and the remote, building the reference trees");
        var seed = Clone();
        var seeded = Build(seed, new(Package: true, Cache: _seededCache, Remote: server.Url));
        RequireCompiled(seeded, solution.Projects.Count, "the seeding build");
        Paths.DeleteTree(seed);

        Git.Run(work, "clone", "-q", source, _builtWithout);
        Build(_builtWithout, new(Package: false));
        Git.Run(work, "clone", "-q", source, _builtWith);
        var warm = Build(_builtWith, new(Package: true, Cache: _seededCache));
        RequireCompiled(warm, 0, "the warm build of the no-op tree");

        if (options.Peer)
        {
            Console.WriteLine("bench: seeding the SDK compiler's own output cache (compiler server on)");
            var roslynSeed = Clone();
            RequireCompiled(Build(roslynSeed, new(Package: false, Server: true, RoslynCache: _seededRoslynCache)), solution.RoslynProjectCount, "the Roslyn cache's seeding build");
            Paths.DeleteTree(roslynSeed);
        }

        if (options.Tests)
        {
            Console.WriteLine("bench: seeding a local cache with the commit's builds and passing test runs (dotnet test)");
            var testSeed = Clone();
            var tested = Build(testSeed, new(Package: true, Cache: _seededTestCache, Test: true, TestResults: true));
            if (tested.TestsRun?.Count != TestProjects.Count)
            {
                throw new BenchException($"the seeding test run stored {tested.TestsRun?.Count} test runs, expected {TestProjects.Count}.");
            }

            Paths.DeleteTree(testSeed);
        }

        if (options.MinVer)
        {
            var volatileSeed = Clone();
            RequireCompiled(Build(volatileSeed, new(Package: true, Cache: _seededVolatileCache, Extra: [VolatileVersion])), solution.Projects.Count, "the volatile-version seeding build");
            Paths.DeleteTree(volatileSeed);
        }
    }

    /// <summary>
    /// One untimed build of a fresh clone with the compiler server and node reuse on: it starts them, as the day's first
    /// build does on a developer machine, so every server scenario measures them warm, whichever runs first.
    /// </summary>
    public void WarmUpBuildServers()
    {
        Console.WriteLine("bench: starting the compiler server and MSBuild nodes (one untimed build)");
        _ = Fresh(clone => Build(clone, new(Package: false, Server: true)));
    }

    public List<Scenario> Scenarios()
    {
        List<Scenario> scenarios =
        [
            new("cold", "Fresh clone, no package: every project compiles", _ => Fresh(clone => Build(clone, new(Package: false)))),
            new("cold-store", "Fresh clone, package on an empty local cache: every project compiles and is stored", _ =>
                Fresh(clone => Build(clone, new(Package: true, Cache: NewFolder("cache-empty"))))),
            new("floor", "Fresh clone with every compiler output copied in (only those), compiler skipped, no package: a perfect cache", _ =>
                Fresh(clone => Floor(clone, server: false))),
            new("warm-local", "Fresh clone in another folder, package, warm local cache", _ =>
                Fresh(clone => RunsItsApps(clone, Build(clone, new(Package: true, Cache: _seededCache))))),
            new("warm-remote", "Fresh clone, package, empty local cache, warm remote cache on loopback", _ =>
                Fresh(clone => RunsItsApps(clone, Build(clone, new(Package: true, Cache: NewFolder("cache-empty"), Remote: server.Url))))),
            new("body-edit", "Method-body edit in the bottom library, new commit, fresh clone, warm local cache", run =>
                Fresh(clone => Edited(clone, body: true, 1000 + run, new(Package: true, Cache: _seededCache)))),
            new("api-edit", "Public-API edit in the bottom library, new commit, fresh clone, warm local cache", run =>
                Fresh(clone => Edited(clone, body: false, 1000 + run, new(Package: true, Cache: _seededCache)))),
            new("body-edit-netstandard", "String-literal edit in a method body of the netstandard2.0 library (no reference assembly), new commit, fresh clone, warm local cache", run =>
                Fresh(clone =>
                {
                    solution.EditLiteral(clone, 1000 + run);
                    Commit(clone, "string literal edit");
                    return Build(clone, new(Package: true, Cache: _seededCache));
                })),
            new("noop", "Build again, nothing changed, no package", _ => Build(_builtWithout, new(Package: false))),
            new("noop-cache", "Build again, nothing changed, package", _ => Build(_builtWith, new(Package: true, Cache: _seededCache))),
        ];

        if (options.Developer)
        {
            scenarios.Add(new("cold-server", "As cold, compiler server and node reuse on", _ => Fresh(clone => Build(clone, new(Package: false, Server: true)))));
        }

        if (options.UsesBuildServers)
        {
            scenarios.Add(new("cold-store-server", "As cold-store, compiler server and node reuse on (the package's compile uses the server too)", _ =>
                Fresh(clone => Build(clone, new(Package: true, Cache: NewFolder("cache-empty"), Server: true)))));
        }

        if (options.Developer)
        {
            scenarios.Add(new("floor-server", "As floor, compiler server and node reuse on", _ => Fresh(clone => Floor(clone, server: true))));
        }

        if (options.UsesBuildServers)
        {
            scenarios.Add(new("warm-local-server", "As warm-local, compiler server and node reuse on", _ =>
                Fresh(clone => RunsItsApps(clone, Build(clone, new(Package: true, Cache: _seededCache, Server: true))))));
        }

        if (options.Developer)
        {
            scenarios.Add(new("noop-server", "As noop, compiler server and node reuse on", _ => Build(_builtWithout, new(Package: false, Server: true))));
            scenarios.Add(new("noop-cache-server", "As noop-cache, compiler server and node reuse on", _ => Build(_builtWith, new(Package: true, Cache: _seededCache, Server: true))));
        }

        if (options.Peer)
        {
            scenarios.Add(new("body-edit-server", "As body-edit, compiler server and node reuse on", run =>
                Fresh(clone => Edited(clone, body: true, 2000 + run, new(Package: true, Cache: _seededCache, Server: true)))));
            scenarios.Add(new("roslyn-cold-store", "No package, the SDK compiler's own cache (ROSLYN_CACHE_PATH) empty, clone root mapped to /_/, server on", _ =>
                Fresh(clone => Build(clone, new(Package: false, Server: true, RoslynCache: NewFolder("roslyn-cache-empty"))))));
            scenarios.Add(new("roslyn-fresh-clone", "No package, fresh clone in another folder on the warm Roslyn cache, clone root mapped to /_/, server on", _ =>
                Fresh(clone => RunsItsApps(clone, Build(clone, new(Package: false, Server: true, RoslynCache: _seededRoslynCache))))));
            scenarios.Add(new("roslyn-body-edit", "As body-edit, no package, on the warm Roslyn cache, clone root mapped to /_/, server on", run =>
                Fresh(clone => Edited(clone, body: true, 3000 + run, new(Package: false, Server: true, RoslynCache: _seededRoslynCache)))));
        }

        if (options.Network && proxy is not null)
        {
            scenarios.Add(new($"warm-remote-{2 * options.LatencyMs}ms", $"As warm-remote, through a loopback proxy that delays every read by {options.LatencyMs} ms each way", _ =>
                Fresh(clone => RunsItsApps(clone, Build(clone, new(Package: true, Cache: NewFolder("cache-empty"), Remote: proxy.Url))))));
            if (tlsRemote is { } remote)
            {
                scenarios.Add(new($"warm-remote-{2 * options.LatencyMs}ms-tls", $"As warm-remote-{2 * options.LatencyMs}ms, over TLS (the benchmark's own endpoint and self-signed certificate in front of the server)", _ =>
                    Fresh(clone => RunsItsApps(clone, Build(clone, new(Package: true, Cache: NewFolder("cache-empty"), Remote: remote.Url, TrustFile: remote.TrustFile))))));
            }
        }

        if (options.Tests)
        {
            // Both after the same kind of edit on a warm compile cache, so they differ only in the test runs.
            scenarios.Add(new("test-all", "Body edit at the bottom, new commit, fresh clone, warm local cache, dotnet test: every test project runs", run =>
                Fresh(clone => Edited(clone, body: true, 5000 + run, new(Package: true, Cache: _seededCache, Test: true)) with { TestsRun = TestProjects, TestsReplayed = [] })));
            scenarios.Add(new("test-replay", "As test-all, test projects opted in (ArtifactCacheTestResults) on a cache seeded by dotnet test", run =>
                Fresh(clone => Edited(clone, body: true, 6000 + run, new(Package: true, Cache: _seededTestCache, Test: true, TestResults: true)))));
        }

        if (options.MinVer)
        {
            scenarios.Add(new("body-edit-volatile", "As body-edit, with ArtifactCacheVolatileVersion=true, on a local cache seeded that way", run =>
                Fresh(clone => Edited(clone, body: true, 4000 + run, new(Package: true, Cache: _seededVolatileCache, Extra: [VolatileVersion])))));
        }

        return scenarios;
    }

    private IReadOnlyList<string> TestProjects => [.. solution.Projects.Where(p => p.Kind == ProjectKind.Tests).Select(p => p.Name).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The perfect cache: every compilation free, nothing else. Only the compiler's own outputs are copied in, so restore,
    /// the generated sources and every other target run as in any fresh clone, as issue 7 defined it (a copy of the whole
    /// obj folder also gave the floor restore's outputs and the generated files, which no compilation cache can give).
    /// </summary>
    private Measurement Floor(string clone, bool server)
    {
        foreach (var project in solution.Projects)
        {
            CopyCompilerOutputs(Path.Combine(_builtWithout, project.Folder), Path.Combine(clone, project.Folder), project.Name, project.Framework);
        }

        return RunsItsApps(clone, Build(clone, new(Package: false, Server: server, Extra: ["-p:SkipCompilerExecution=true", "-p:ProvideCommandLineArgs=true"])));
    }

    // What the compiler writes for a project (csc, vbc and fsc alike); a name that matches nothing fails the floor build.
    private static void CopyCompilerOutputs(string builtProject, string cloneProject, string assemblyName, string framework)
    {
        var intermediate = Path.Combine("obj", "Debug", framework);
        string[] outputs = [assemblyName + ".dll", assemblyName + ".pdb", assemblyName + ".xml", Path.Combine("ref", assemblyName + ".dll"), Path.Combine("refint", assemblyName + ".dll")];
        foreach (var output in outputs)
        {
            var source = Path.Combine(builtProject, intermediate, output);
            if (File.Exists(source))
            {
                var destination = Path.Combine(cloneProject, intermediate, output);
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Copy(source, destination, overwrite: true);
            }
        }
    }

    /// <summary>
    /// Edits the bottom library, commits and builds. Each edit scenario uses its own values: scenarios that share a cache
    /// would otherwise hit the entry another one stored for the same edit.
    /// </summary>
    private Measurement Edited(string clone, bool body, int value, BuildSettings settings)
    {
        if (body)
        {
            solution.EditBody(clone, value);
        }
        else
        {
            solution.EditApi(clone, value);
        }

        Commit(clone, body ? "body edit" : "api edit");
        return Build(clone, settings);
    }

    /// <summary>A build that only looks fast is no result: the apps it produced must run (outside the timing).</summary>
    private Measurement RunsItsApps(string tree, Measurement measurement)
    {
        foreach (var app in solution.Projects.Where(p => p.Kind == ProjectKind.App))
        {
            var dll = Path.Combine(tree, app.Folder, "bin", "Debug", "net10.0", app.Name + ".dll");
            var run = dotnet.Run(tree, dll, [], new Dictionary<string, string?>());
            if (!run.Succeeded)
            {
                throw new BenchException($"{dll} did not run after the build:\n{run.Output}");
            }
        }

        return measurement;
    }

    private Measurement Fresh(Func<string, Measurement> build)
    {
        var clone = Clone();
        try
        {
            return build(clone);
        }
        finally
        {
            Paths.DeleteTree(clone);
        }
    }

    private string Clone()
    {
        // A new folder each time, as a second machine or a second checkout would have; as long as every other (c0001...).
        var clone = Path.Combine(work, "clones", $"c{++_clones:D4}");
        Git.Run(work, "clone", "-q", source, clone);
        return clone;
    }

    private string NewFolder(string name) => Path.Combine(work, "caches", $"{name}-{++_clones}");

    private static void Commit(string clone, string message)
    {
        Git.Run(clone, "add", "-A");
        Git.Run(clone, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", message);
    }

    private Measurement Build(string tree, BuildSettings settings)
    {
        var report = Path.Combine(work, "reports", $"r{++_clones}.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(report)!);
        var environment = new Dictionary<string, string?>();
        if (settings.Cache is not null)
        {
            environment["ARTIFACTCACHE_LOCAL_DIRECTORY"] = settings.Cache;
        }

        if (settings.Remote is not null)
        {
            environment["ARTIFACTCACHE_API"] = settings.Remote;
            environment["ARTIFACTCACHE_TOKEN"] = server.Token;
            environment["ARTIFACTCACHE_TEAM"] = "bench";
        }

        if (settings.TrustFile is not null)
        {
            environment["SSL_CERT_FILE"] = settings.TrustFile;
        }

        // Node reuse off (-nr:false) unless the scenario is a developer machine's build.
        List<string> arguments = [solution.SolutionFile, "-p:ArtifactCacheReportFile=" + report];
        if (!settings.Server)
        {
            arguments.Add("-nr:false");
        }

        if (!settings.Package)
        {
            arguments.Add("-p:BenchNoPackage=true");
        }

        if (settings.RoslynCache is not null)
        {
            Directory.CreateDirectory(settings.RoslynCache);
            environment["ROSLYN_CACHE_PATH"] = settings.RoslynCache;
            // Its documentation's advice, per clone: map the checkout root to one path. (-p:DeterministicSourcePaths=true
            // gave the same cross-folder hits on a small project; the benchmark uses the documented PathMap.)
            arguments.Add("-p:PathMap=" + Path.TrimEndingDirectorySeparator(tree) + Path.DirectorySeparatorChar + "=/_/");
        }

        if (settings.TestResults)
        {
            arguments.Add("-p:ArtifactCacheTestResults=true");
        }

        arguments.AddRange(settings.Extra ?? []);
        var command = settings.Test ? "test" : "build";
        var started = DateTimeOffset.UtcNow;
        var serverBefore = settings.Remote is null ? (TimeSpan?)null : server.ProcessorTime;
        var clock = Stopwatch.StartNew();
        var result = dotnet.Run(tree, command, arguments, environment, settings.Server);
        clock.Stop();
        var serverSeconds = serverBefore is { } before ? (server.ProcessorTime - before).TotalSeconds : (double?)null;
        if (!result.Succeeded)
        {
            throw new BenchException($"dotnet {command} failed in {tree}:\n{result.Output}");
        }

        IReadOnlyList<string>? compiled = null;
        IReadOnlyList<string>? testsRun = null, testsReplayed = null;
        if (settings.Package)
        {
            // No line at all is a no-op build: CoreCompile was up to date, so the package was not even asked. That the
            // package is active is checked once, by the seeding build.
            var lines = File.Exists(report) ? File.ReadAllLines(report).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!).ToList() : [];
            List<string> Projects(Func<JsonNode, bool> which) =>
                [.. lines.Where(which).Select(n => Path.GetFileNameWithoutExtension((string)n["project"]!)).Order(StringComparer.Ordinal)];
            compiled = Projects(n => (string?)n["target"] != "VSTest" && (string?)n["result"] == "miss");
            if (settings.TestResults)
            {
                testsRun = Projects(n => (string?)n["target"] == "VSTest" && (string?)n["result"] == "miss");
                testsReplayed = Projects(n => (string?)n["target"] == "VSTest" && (string?)n["result"] == "hit");
            }
        }
        else if (settings.RoslynCache is not null)
        {
            compiled = RoslynCacheStores(settings.RoslynCache, started);
        }

        return new Measurement(clock.Elapsed.TotalSeconds, compiled, testsRun, testsReplayed, serverSeconds);
    }

    /// <summary>
    /// The projects the SDK compiler's cache compiled in one build: its entries (<c>&lt;dll name&gt;/&lt;sha-256&gt;/</c>,
    /// each with round-trip UTC times in <c>created</c> and <c>last-used</c>) created since the build started. Every
    /// compilation (the scenarios that use it all build fresh clones) goes through the server and leaves either a new entry or a used one; if the counts
    /// do not add up, the compiler did not use the cache (no server, say), and the numbers would be wrong.
    /// </summary>
    private List<string> RoslynCacheStores(string cache, DateTimeOffset started)
    {
        List<string> stored = [];
        var used = 0;
        foreach (var entry in Directory.EnumerateDirectories(cache).SelectMany(Directory.EnumerateDirectories))
        {
            DateTimeOffset? Read(string name) =>
                File.Exists(Path.Combine(entry, name)) && DateTimeOffset.TryParse(File.ReadAllText(Path.Combine(entry, name)).Trim(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time)
                    ? time : null;
            if (Read("created") >= started)
            {
                stored.Add(Path.GetFileNameWithoutExtension(Path.GetFileName(Path.GetDirectoryName(entry))!));
            }
            else if (Read("last-used") >= started)
            {
                used++;
            }
        }

        if (stored.Count + used != solution.RoslynProjectCount)
        {
            throw new BenchException($"the SDK compiler's cache in {cache} stored {stored.Count} and reused {used} entries in a build of {solution.RoslynProjectCount} C# and VB projects: it was not used for every compilation.");
        }

        return [.. stored.Order(StringComparer.Ordinal)];
    }

    private static void RequireCompiled(Measurement measurement, int expected, string what)
    {
        if (measurement.Compiled?.Count != expected)
        {
            throw new BenchException($"{what} compiled {measurement.Compiled?.Count} projects, expected {expected}.");
        }
    }
}

/// <summary>The generated solution: a layered graph of libraries, services, apps and xunit test projects.</summary>
internal sealed class SolutionShape
{
    public const string BottomLibrary = "Foundation.Primitives";

    /// <summary>
    /// A netstandard2.0 library at the bottom beside it: the SDK makes no reference assembly for it, so the projects above
    /// are handed its implementation assembly.
    /// </summary>
    public const string NetStandardLibrary = "Foundation.Compat";

    private SolutionShape(string size, List<ProjectShape> projects, int filesPerLibrary, bool minVer)
    {
        Size = size;
        Projects = projects;
        FilesPerLibrary = filesPerLibrary;
        MinVer = minVer;
    }

    /// <summary>MinVer in every project: its versions change with every commit (the git height), as in many real repositories.</summary>
    public bool MinVer { get; }

    public string Size { get; }

    public List<ProjectShape> Projects { get; }

    public int FilesPerLibrary { get; }

    public string SolutionFile => "Bench.slnx";

    public int SourceFileCount => Projects.Sum(p => p.Kind != ProjectKind.Library || p.Name == NetStandardLibrary ? 2 : p.Language == Language.CSharp ? FilesPerLibrary + 1 : OtherLanguageFiles + 1);

    /// <summary>Feature files of the F# and the Visual Basic library: a quarter of a C# library's.</summary>
    public int OtherLanguageFiles => FilesPerLibrary / 4;

    /// <summary>The projects the SDK's Roslyn compiles (C# and Visual Basic): what its own output cache can hold.</summary>
    public int RoslynProjectCount => Projects.Count(p => p.Language != Language.FSharp);

    public static SolutionShape For(string size, bool minVer)
    {
        var projects = new List<ProjectShape>();
        void Add(string name, ProjectKind kind, params string[] references) => projects.Add(new ProjectShape(name, kind, references));
        void AddIn(Language language, string name, params string[] references) => projects.Add(new ProjectShape(name, ProjectKind.Library, references, language));
        projects.Add(new ProjectShape(NetStandardLibrary, ProjectKind.Library, [], Framework: "netstandard2.0"));

        if (size == "quick")
        {
            Add(BottomLibrary, ProjectKind.Library);
            Add("Foundation.Data", ProjectKind.Library, NetStandardLibrary);
            Add("Domain.Orders", ProjectKind.Library, BottomLibrary, NetStandardLibrary);
            // An F# library on the bottom one (so the API edit reaches it) and a VB library beside it (so it does not),
            // each used by a C# project above.
            AddIn(Language.FSharp, "Domain.Rates", BottomLibrary);
            AddIn(Language.VisualBasic, "Domain.Ledger", "Foundation.Data");
            Add("Services.Orders", ProjectKind.Library, "Domain.Orders", "Domain.Rates");
            Add("Apps.Api", ProjectKind.App, "Services.Orders", "Domain.Ledger");
            Add("Domain.Orders.Tests", ProjectKind.Tests, "Domain.Orders");
            return new SolutionShape(size, projects, filesPerLibrary: 12, minVer);
        }

        // 4 foundation (one netstandard2.0), 8 domain, 10 service libraries, 2 apps, 7 test projects: 31 C# projects; and an
        // F# and a VB library.
        Add(BottomLibrary, ProjectKind.Library);
        Add("Foundation.Text", ProjectKind.Library, BottomLibrary, NetStandardLibrary);
        Add("Foundation.Data", ProjectKind.Library, NetStandardLibrary);
        string[] domains = ["Catalog", "Orders", "Billing", "Shipping", "Customers", "Inventory", "Pricing", "Identity"];
        for (var i = 0; i < domains.Length; i++)
        {
            // Half the domains build on Text (and so see the bottom library), half on Data (which does not).
            Add("Domain." + domains[i], ProjectKind.Library, i % 2 == 0 ? "Foundation.Text" : "Foundation.Data");
        }

        // An F# library on Text (it sees the bottom library) used by Pricing, a VB library on Data (it does not) used by Billing.
        AddIn(Language.FSharp, "Domain.Rates", "Foundation.Text");
        AddIn(Language.VisualBasic, "Domain.Ledger", "Foundation.Data");

        string[] services = ["Catalog", "Orders", "Billing", "Shipping", "Customers", "Inventory", "Pricing", "Identity", "Search", "Notifications"];
        for (var i = 0; i < services.Length; i++)
        {
            // Services use two domains: even-odd pairs see the bottom library, the last two use only Data domains.
            var first = i < 8 ? i : (4 * (i - 8)) + 1;
            var second = i < 8 ? (i + 3) % domains.Length : first + 2;
            string[] extra = services[i] switch { "Pricing" => ["Domain.Rates"], "Billing" => ["Domain.Ledger"], _ => [] };
            Add("Services." + services[i], ProjectKind.Library, ["Domain." + domains[first], "Domain." + domains[second], .. extra]);
        }

        Add("Apps.Api", ProjectKind.App, [.. services.Take(6).Select(s => "Services." + s)]);
        Add("Apps.Worker", ProjectKind.App, [.. services.Skip(5).Select(s => "Services." + s)]);
        foreach (var tested in new[] { "Foundation.Text", "Domain.Orders", "Domain.Billing", "Domain.Pricing", "Services.Orders", "Services.Search", "Services.Identity" })
        {
            Add(tested + ".Tests", ProjectKind.Tests, tested);
        }

        return new SolutionShape(size, projects, filesPerLibrary: 120, minVer);
    }

    /// <summary>Every project that sees the bottom library's API: itself and all that reference it, directly or not.</summary>
    public IReadOnlyList<string> ProjectsSeeingTheBottomApi()
    {
        var byName = Projects.ToDictionary(p => p.Name, StringComparer.Ordinal);
        bool Reaches(ProjectShape project) => project.Name == BottomLibrary || project.References.Any(r => Reaches(byName[r]));
        return [.. Projects.Where(Reaches).Select(p => p.Name).Order(StringComparer.Ordinal)];
    }

    public void Write(string root, string packageVersion, string feed)
    {
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), $"""
            <Project>
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <LangVersion>latest</LangVersion>
                <GenerateDocumentationFile>true</GenerateDocumentationFile>
                <NoWarn>$(NoWarn);CS1591</NoWarn>
              </PropertyGroup>
              <ItemGroup Condition="'$(BenchNoPackage)' != 'true'">
                <PackageReference Include="ArtifactCache.Build" Version="{packageVersion}" PrivateAssets="all" />
              </ItemGroup>
            {(MinVer ? "  <ItemGroup>\n    <PackageReference Include=\"MinVer\" Version=\"8.0.0\" PrivateAssets=\"all\" />\n  </ItemGroup>\n" : "")}</Project>
            """);
        File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="artifactcache-bench" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(root, ".gitignore"), "bin/\nobj/\n");
        File.WriteAllText(Path.Combine(root, SolutionFile),
            "<Solution>\n" + string.Concat(Projects.Select(p => $"  <Project Path=\"{p.Folder}/{p.Name}.{p.Extension}\" />\n")) + "</Solution>\n");

        var byName = Projects.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var project in Projects)
        {
            var folder = Path.Combine(root, project.Folder);
            Directory.CreateDirectory(folder);
            if (project.Language != Language.CSharp)
            {
                OtherLanguages.Write(folder, project, byName, OtherLanguageFiles);
                continue;
            }

            File.WriteAllText(Path.Combine(folder, project.Name + ".csproj"), Code.Project(project, byName));
            File.WriteAllText(Path.Combine(folder, "Api.cs"), Code.Api(project, bodyConstant: 1, extraApi: null));
            switch (project.Kind)
            {
                case ProjectKind.Library when project.Name == NetStandardLibrary:
                    // No feature files: they use records, async streams and the regex generator, which netstandard2.0 lacks.
                    File.WriteAllText(Path.Combine(folder, "Texts.cs"), Code.Texts(project, edition: 1));
                    break;
                case ProjectKind.Library:
                    for (var i = 0; i < FilesPerLibrary; i++)
                    {
                        File.WriteAllText(Path.Combine(folder, $"Feature{i:000}.cs"), Code.Feature(project, i));
                    }

                    break;
                case ProjectKind.App:
                    File.WriteAllText(Path.Combine(folder, "Program.cs"), Code.Program(project));
                    break;
                case ProjectKind.Tests:
                    File.WriteAllText(Path.Combine(folder, "ApiTests.cs"), Code.Tests(project));
                    break;
            }
        }
    }

    /// <summary>A change inside a method body of the bottom library: its reference assembly stays the same.</summary>
    public void EditBody(string root, int value) =>
        File.WriteAllText(ApiFile(root), Code.Api(Bottom, bodyConstant: value, extraApi: null));

    /// <summary>A new public method in the bottom library: its reference assembly changes.</summary>
    public void EditApi(string root, int value) =>
        File.WriteAllText(ApiFile(root), Code.Api(Bottom, bodyConstant: 1, extraApi: value));

    /// <summary>
    /// A change of a string literal inside a method body of the netstandard2.0 library: only its IL and its #US heap
    /// change, none of the metadata a dependent's compiler reads from its implementation assembly.
    /// </summary>
    public void EditLiteral(string root, int edition)
    {
        var project = Projects.Single(p => p.Name == NetStandardLibrary);
        File.WriteAllText(Path.Combine(root, project.Folder, "Texts.cs"), Code.Texts(project, edition));
    }

    private ProjectShape Bottom => Projects.Single(p => p.Name == BottomLibrary);

    private string ApiFile(string root) => Path.Combine(root, Bottom.Folder, "Api.cs");
}

internal enum ProjectKind
{
    Library,
    App,
    Tests,
}

internal enum Language
{
    CSharp,
    FSharp,
    VisualBasic,
}

internal sealed record ProjectShape(string Name, ProjectKind Kind, string[] References, Language Language = Language.CSharp, string Framework = "net10.0")
{
    public string Folder => Path.Combine(Kind == ProjectKind.Tests ? "tests" : "src", Name);

    public string Extension => Language switch { Language.FSharp => "fsproj", Language.VisualBasic => "vbproj", _ => "csproj" };
}

/// <summary>The generated C#: records, interfaces, generics, LINQ, async streams and a source generator (GeneratedRegex).</summary>
internal static class Code
{
    public static string Project(ProjectShape project, IReadOnlyDictionary<string, ProjectShape> byName)
    {
        var references = ProjectReferences(project, byName);
        var properties = project.Kind switch
        {
            ProjectKind.App => "    <OutputType>Exe</OutputType>\n",
            ProjectKind.Tests => "    <IsPackable>false</IsPackable>\n",
            _ when project.Framework != "net10.0" => $"    <TargetFramework>{project.Framework}</TargetFramework>\n",
            _ => "",
        };
        var packages = project.Kind == ProjectKind.Tests
            ? """
                  <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                  <PackageReference Include="xunit" Version="2.9.3" />
                  <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />

              """
            : "";
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
            {properties}  </PropertyGroup>
              <ItemGroup>
            {references}{packages}  </ItemGroup>
            </Project>

            """;
    }

    // Project files use backslashes, which MSBuild accepts on every platform.
    public const string Sep = "\\";

    /// <summary>One ProjectReference line per reference, each to the project file of its language.</summary>
    public static string ProjectReferences(ProjectShape project, IReadOnlyDictionary<string, ProjectShape> byName) =>
        string.Concat(project.References.Select(r =>
            $"    <ProjectReference Include=\"..{Sep}..{Sep}src{Sep}{r}{Sep}{r}.{byName[r].Extension}\" />\n"));

    public static string Api(ProjectShape project, int bodyConstant, int? extraApi)
    {
        var calls = project.References.Length == 0
            ? $"x * 3 + {bodyConstant}"
            : string.Join(" + ", project.References.Select((r, i) => $"global::{r}.Api.Score(x + {i})")) + $" + {bodyConstant}";
        var extra = extraApi is { } n ? $"\n    public static int Extra{n}(int x) => x + {n};\n" : "";
        return $$"""
            namespace {{project.Name}};

            /// <summary>The project's entry point for the projects above it.</summary>
            public static class Api
            {
                public static int Score(int x)
                {
                    return {{calls}};
                }
            {{extra}}}

            """;
    }

    /// <summary>A method whose body builds a string from a literal; the edition changes the literal alone.</summary>
    public static string Texts(ProjectShape project, int edition) => $$"""
        namespace {{project.Name}};

        /// <summary>Texts built inside method bodies.</summary>
        public static class Texts
        {
            public static string Banner(int x)
            {
                return "{{project.Name}} banner, edition {{edition}}: " + x;
            }
        }

        """;

    public static string Feature(ProjectShape project, int i) => $$"""
        using System.Runtime.CompilerServices;
        using System.Text.RegularExpressions;

        namespace {{project.Name}}.Feature{{i:000}};

        public sealed record Item(int Id, string Name, decimal Price, IReadOnlyList<string> Tags)
        {
            public bool IsExpensive => Price > {{i * 7 % 100 + 10}}m;
        }

        public readonly record struct Page<T>(IReadOnlyList<T> Items, int Number, int Total) where T : notnull
        {
            public bool HasNext => Number * Items.Count < Total;
        }

        public interface IRepository
        {
            Task<Item?> FindAsync(int id, CancellationToken cancellationToken = default);

            IAsyncEnumerable<Item> ListAsync(CancellationToken cancellationToken = default);
        }

        public sealed class InMemoryRepository : IRepository
        {
            private readonly Dictionary<int, Item> _items = [];

            public InMemoryRepository(IEnumerable<Item> items)
            {
                foreach (var item in items)
                {
                    _items[item.Id] = item;
                }
            }

            public Task<Item?> FindAsync(int id, CancellationToken cancellationToken = default) =>
                Task.FromResult(_items.TryGetValue(id, out var item) ? item : null);

            public async IAsyncEnumerable<Item> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
            {
                foreach (var item in _items.Values.OrderBy(x => x.Id))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await Task.Yield();
                    yield return item;
                }
            }
        }

        public static partial class Rules
        {
            [GeneratedRegex(@"^[a-z]+-{{i}}(\.[a-z0-9]+)*$", RegexOptions.IgnoreCase)]
            private static partial Regex NamePattern();

            public static bool IsValid(Item item) => NamePattern().IsMatch(item.Name) && item.Tags.All(t => t.Length > 0);

            public static IReadOnlyDictionary<string, decimal> TotalsByTag(IEnumerable<Item> items) =>
                items.SelectMany(x => x.Tags.Select(t => (Tag: t, x.Price)))
                    .GroupBy(x => x.Tag, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Sum(x => x.Price), StringComparer.Ordinal);

            public static Page<Item> PageOf(IEnumerable<Item> items, int number, int size)
            {
                var all = items.Where(IsValid).OrderByDescending(x => x.Price).ThenBy(x => x.Name, StringComparer.Ordinal).ToList();
                return new Page<Item>(all.Skip((number - 1) * size).Take(size).ToList(), number, all.Count);
            }

            public static TResult Fold<TResult>(IEnumerable<Item> items, TResult seed, Func<TResult, Item, TResult> step)
                where TResult : notnull => items.Aggregate(seed, step);
        }

        public sealed class Service<TRepository>(TRepository repository) where TRepository : IRepository
        {
            public async Task<decimal> TotalAsync(CancellationToken cancellationToken = default)
            {
                decimal total = 0;
                await foreach (var item in repository.ListAsync(cancellationToken))
                {
                    total += item.IsExpensive ? item.Price * 0.9m : item.Price;
                }

                return total + global::{{project.Name}}.Api.Score({{i}});
            }

            public async Task<string> DescribeAsync(int id, CancellationToken cancellationToken = default) =>
                await repository.FindAsync(id, cancellationToken) switch
                {
                    null => "missing",
                    { IsExpensive: true } item => $"{item.Name}: expensive ({item.Tags.Count} tags)",
                    var item => $"{item.Name}: {item.Price:0.00}",
                };
        }

        """;

    public static string Program(ProjectShape project) =>
        $"Console.WriteLine({string.Join(" + ", project.References.Select(r => $"global::{r}.Api.Score(1)"))});\n";

    public static string Tests(ProjectShape project) => $$"""
        using Xunit;

        namespace {{project.Name}};

        public class ApiTests
        {
            [Theory]
            [InlineData(1)]
            [InlineData(2)]
            public void Score_is_positive(int x) => Assert.True(global::{{project.References[0]}}.Api.Score(x) > 0);
        }

        """;
}

/// <summary>
/// The F# and the Visual Basic library: the same contract as a C# library (<c>&lt;Name&gt;.Api.Score(int)</c>, calling each
/// reference's), and feature files in each language's own idioms. No F# match is incomplete: fsc writes the absolute
/// source path of one into the assembly, which would tie the entry to one checkout (see the README's limits).
/// </summary>
internal static class OtherLanguages
{
    public static void Write(string folder, ProjectShape project, IReadOnlyDictionary<string, ProjectShape> byName, int features)
    {
        var calls = string.Join(" + ", project.References.Select((r, i) => $"{(project.Language == Language.FSharp ? "global" : "Global")}.{r}.Api.Score(x + {i})"));
        var references = Code.ProjectReferences(project, byName);
        if (project.Language == Language.FSharp)
        {
            // fsc compiles in the order the project lists, so the Api file that uses the features comes last.
            var compile = string.Concat(Enumerable.Range(0, features).Select(i => $"    <Compile Include=\"Feature{i:000}.fs\" />\n")) + "    <Compile Include=\"Api.fs\" />\n";
            File.WriteAllText(Path.Combine(folder, project.Name + ".fsproj"), ProjectFile(compile + references));
            for (var i = 0; i < features; i++)
            {
                File.WriteAllText(Path.Combine(folder, $"Feature{i:000}.fs"), FSharpFeature(project, i));
            }

            File.WriteAllText(Path.Combine(folder, "Api.fs"), $$"""
                namespace {{project.Name}}

                /// <summary>The project's entry point for the projects above it.</summary>
                [<AbstractClass; Sealed>]
                type Api =
                    static member Score(x: int) : int =
                        {{calls}} + {{project.Name}}.Feature000.Rates.total [ x ] % 7 + 1

                """);
            return;
        }

        File.WriteAllText(Path.Combine(folder, project.Name + ".vbproj"), ProjectFile(references));
        for (var i = 0; i < features; i++)
        {
            File.WriteAllText(Path.Combine(folder, $"Feature{i:000}.vb"), VisualBasicFeature(i));
        }

        // The SDK makes the project name the root namespace, so the class is <Name>.Api.
        File.WriteAllText(Path.Combine(folder, "Api.vb"), $$"""
            ' The project's entry point for the projects above it.
            Public NotInheritable Class Api
                Private Sub New()
                End Sub

                Public Shared Function Score(x As Integer) As Integer
                    Return {{calls}} + CInt(Feature000.Ledger.Total({New Feature000.Entry(1, "one", x)})) Mod 7 + 1
                End Function
            End Class

            """);
    }

    private static string ProjectFile(string items) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <ItemGroup>
        {items}  </ItemGroup>
        </Project>

        """;

    private static string FSharpFeature(ProjectShape project, int i) => $$"""
        namespace {{project.Name}}.Feature{{i:000}}

        type Shape =
            | Circle of radius: float
            | Rectangle of width: float * height: float
            | Triangle of a: float * b: float * c: float

        type Rate = { Name: string; Percent: decimal; Tags: string list }

        module Rates =
            let area shape =
                match shape with
                | Circle r -> System.Math.PI * r * r
                | Rectangle (w, h) -> w * h
                | Triangle (a, b, c) ->
                    let s = (a + b + c) / 2.0
                    sqrt (s * (s - a) * (s - b) * (s - c))

            let expensive (rates: Rate list) =
                rates |> List.filter (fun r -> r.Percent > {{i * 7 % 100 + 10}}m) |> List.map (fun r -> r.Name)

            let describe (rate: Rate) =
                match rate.Tags with
                | [] -> sprintf "%s: %M%%" rate.Name rate.Percent
                | tags -> sprintf "%s: %M%% (%d tags)" rate.Name rate.Percent (List.length tags)

            let total (xs: int list) = xs |> List.sumBy (fun x -> x * {{i + 1}} + 1)

            let largest (shapes: Shape list) =
                shapes |> List.map (fun s -> s, area s) |> List.sortByDescending snd |> List.tryHead |> Option.map fst

        """;

    private static string VisualBasicFeature(int i) => $$"""
        Imports System.Collections.Generic
        Imports System.Linq

        Namespace Feature{{i:000}}
            Public NotInheritable Class Entry
                Public Sub New(entryId As Integer, entryName As String, entryAmount As Decimal)
                    Id = entryId
                    Name = entryName
                    Amount = entryAmount
                End Sub

                Public ReadOnly Property Id As Integer
                Public ReadOnly Property Name As String
                Public ReadOnly Property Amount As Decimal

                Public ReadOnly Property IsLarge As Boolean
                    Get
                        Return Amount > {{i * 7 % 100 + 10}}D
                    End Get
                End Property
            End Class

            Public Module Ledger
                Public Function Total(entries As IEnumerable(Of Entry)) As Decimal
                    Return entries.Where(Function(e) e.Amount > 0D).Sum(Function(e) e.Amount * {{i + 1}})
                End Function

                Public Function Describe(entry As Entry) As String
                    Select Case True
                        Case entry.IsLarge
                            Return $"{entry.Name}: large"
                        Case Else
                            Return $"{entry.Name}: {entry.Amount:0.00}"
                    End Select
                End Function

                Public Function Largest(entries As IEnumerable(Of Entry)) As Entry
                    Return entries.OrderByDescending(Function(e) e.Amount).FirstOrDefault()
                End Function
            End Module
        End Namespace

        """;
}

/// <summary>The real turborepo-remote-cache server (tests/remote-server) on a loopback port, for the remote scenario.</summary>
internal sealed class RemoteServer : IAsyncDisposable
{
    private readonly Process _process;

    private RemoteServer(Process process, string url, string token)
    {
        _process = process;
        Url = url;
        Token = token;
    }

    public string Url { get; }

    public string Token { get; }

    /// <summary>The processor time the server has used so far (its user and system time, on every OS).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<RemoteServer> StartAsync(string repo, string storage)
    {
        var folder = Path.Combine(repo, "tests", "remote-server");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "turborepo-remote-cache")))
        {
            Console.WriteLine("bench: installing the remote-cache server (npm ci)");
            var npm = OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
            var install = Process.Start(new ProcessStartInfo(npm, ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = folder })
                ?? throw new BenchException("npm did not start.");
            await install.WaitForExitAsync();
            if (install.ExitCode != 0)
            {
                throw new BenchException("npm ci failed in " + folder);
            }
        }

        var port = FreePort();
        var token = Guid.NewGuid().ToString("N");
        var start = new ProcessStartInfo("node", [Path.Combine("node_modules", "turborepo-remote-cache", "dist", "cli.js")])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["NODE_ENV"] = "production";
        start.Environment["STORAGE_PROVIDER"] = "local";
        start.Environment["STORAGE_PATH"] = storage;
        start.Environment["STORAGE_PATH_USE_TMP_FOLDER"] = "false";
        start.Environment["TURBO_TOKEN"] = token;
        start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        var process = Process.Start(start) ?? throw new BenchException("node did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RemoteServer(process, $"http://127.0.0.1:{port}", token);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(server.Url + "/v8/artifacts/status?slug=bench"));
                if (response.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (process.HasExited)
            {
                break;
            }

            await Task.Delay(200);
        }

        await server.DisposeAsync();
        throw new BenchException("The remote-cache server did not start on " + server.Url);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>
/// A loopback TCP proxy in front of the remote server that delays every chunk it reads by a fixed time in each direction,
/// as a network with that one-way latency would: 50 ms each way is a 100 ms round trip. Chunks are delayed in a pipeline
/// (each is sent its delay after it was read), so the latency does not also throttle bandwidth. Bounded: loopback only,
/// at most 64 connections at once, and at most 64 chunks of 64 KiB in flight per direction.
/// </summary>
internal sealed class DelayProxy : LoopbackRelay
{
    private readonly TimeSpan _delay;

    private DelayProxy(int upstreamPort, TimeSpan delay)
        : base(upstreamPort) => _delay = delay;

    public static DelayProxy Start(string upstreamUrl, TimeSpan delay)
    {
        var proxy = new DelayProxy(new Uri(upstreamUrl).Port, delay);
        proxy.StartAccepting();
        return proxy;
    }

    protected override async Task RelayAsync(TcpClient client, TcpClient upstream, CancellationTokenSource connection)
    {
        var up = PumpAsync(client.GetStream(), upstream, connection.Token);
        var down = PumpAsync(upstream.GetStream(), client, connection.Token);
        await Task.WhenAny(up, down);
        // One side closed: let the other finish what is already in flight, then close both.
        await Task.WhenAny(Task.WhenAll(up, down), Task.Delay(_delay + TimeSpan.FromSeconds(5)));
        await connection.CancelAsync();
    }

    /// <summary>Reads chunks from one side and writes each to the other <see cref="_delay"/> after it was read.</summary>
    private async Task PumpAsync(NetworkStream from, TcpClient to, CancellationToken cancellationToken)
    {
        var delay = (long)(_delay.TotalSeconds * Stopwatch.Frequency);
        var chunks = Channel.CreateBounded<(byte[] Data, int Length, long Due)>(64);
        var writer = Task.Run(async () =>
        {
            var stream = to.GetStream();
            await foreach (var (data, length, due) in chunks.Reader.ReadAllAsync(cancellationToken))
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }

                await stream.WriteAsync(data.AsMemory(0, length), cancellationToken);
            }

            to.Client.Shutdown(SocketShutdown.Send);
        }, cancellationToken);

        try
        {
            while (true)
            {
                var buffer = new byte[64 * 1024];
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    break;
                }

                await chunks.Writer.WriteAsync((buffer, read, Stopwatch.GetTimestamp() + delay), cancellationToken);
            }

            chunks.Writer.TryComplete();
            await writer;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // The connection ended (either side closed it, or the proxy stopped): nothing more to forward.
            chunks.Writer.TryComplete();
        }
    }
}

/// <summary>
/// A loopback TLS endpoint in front of the remote server, which speaks plain HTTP: each connection's TLS is ended here
/// and its bytes forwarded as they are. Its certificate is self-signed for 127.0.0.1, made for this run; the builds
/// that use it trust it through <c>SSL_CERT_FILE</c> (the system's certificates plus this one), which is how .NET on
/// Linux is told of a root. Elsewhere the scenario is left out. Bounded like <see cref="DelayProxy"/>.
/// </summary>
internal sealed class TlsFront : LoopbackRelay
{
    private static readonly string[] SystemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];
    private readonly X509Certificate2 _certificate;

    private TlsFront(int upstreamPort, X509Certificate2 certificate, string trustFile)
        : base(upstreamPort)
    {
        _certificate = certificate;
        TrustFile = trustFile;
    }

    public string TrustFile { get; }

    public static TlsFront? TryStart(string upstreamUrl, string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.WriteLine("bench: the TLS scenario needs Linux (SSL_CERT_FILE); left out");
            return null;
        }

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=artifactcache-bench", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        Directory.CreateDirectory(folder);
        var trustFile = Path.Combine(folder, "trust.pem");
        var system = SystemBundles.FirstOrDefault(File.Exists);
        File.WriteAllText(trustFile, (system is null ? "" : File.ReadAllText(system) + "\n") + certificate.ExportCertificatePem() + "\n");
        var front = new TlsFront(new Uri(upstreamUrl).Port, certificate, trustFile);
        front.StartAccepting();
        return front;
    }

    protected override async Task RelayAsync(TcpClient client, TcpClient upstream, CancellationTokenSource connection)
    {
        using var secure = new SslStream(client.GetStream());
        await secure.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, connection.Token);
        var plain = upstream.GetStream();
        var up = secure.CopyToAsync(plain, connection.Token);
        var down = plain.CopyToAsync(secure, connection.Token);
        await Task.WhenAny(up, down);
        await connection.CancelAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _certificate.Dispose();
    }
}

/// <summary>
/// A loopback listener in front of a port on loopback: each connection, at most 64 at once, is connected upstream and
/// handed to <see cref="RelayAsync"/>; everything stops when it is disposed.
/// </summary>
internal abstract class LoopbackRelay : IAsyncDisposable
{
    private const int MaxConnections = 64;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _connections = new(MaxConnections);
    private Task _accepting = Task.CompletedTask;

    protected LoopbackRelay(int upstreamPort)
    {
        UpstreamPort = upstreamPort;
        _listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        _listener.Start();
        Url = $"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}";
    }

    /// <summary>Where it listens (the scheme is the upstream's business: a relay in front of another takes the port only).</summary>
    public string Url { get; }

    protected int UpstreamPort { get; }

    /// <summary>Called once the subclass is constructed, so that no connection reaches a half-built relay.</summary>
    protected void StartAccepting() => _accepting = AcceptAsync();

    /// <summary>Forwards one connection, both ways, until it ends; <paramref name="connection"/> stops it.</summary>
    protected abstract Task RelayAsync(TcpClient client, TcpClient upstream, CancellationTokenSource connection);

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                client.NoDelay = true;
                upstream.NoDelay = true;
                await upstream.ConnectAsync(System.Net.IPAddress.Loopback, UpstreamPort, _stop.Token);
                using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                await RelayAsync(client, upstream, connection);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
            {
                // The connection ended, failed or was stopped: nothing more to forward.
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                await _connections.WaitAsync(_stop.Token);
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await ForwardAsync(client);
                }
                finally
                {
                    _connections.Release();
                }
            });
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

internal sealed record ProcessResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs dotnet with a private packages folder and none of the caller's cache settings.</summary>
internal sealed class Dotnet(string packages)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Runs one dotnet command. Without <paramref name="server"/> the compiler server, MSBuild node reuse and the MSBuild
    /// server are off, as on this repository's machines and in CI; with it, their switches are left out of the child's
    /// environment altogether, so each takes the SDK's default, as on a developer machine.
    /// </summary>
    public ProcessResult Run(string directory, string command, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, bool server = false)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(command);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only the settings each scenario chooses: no cache settings or secrets from the shell that runs the benchmark,
        // and no CI markers (in CI, GITHUB_STEP_SUMMARY would collect a summary of every benchmark build).
        foreach (var name in start.Environment.Keys.Where(Scrubbed).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["NUGET_PACKAGES"] = packages;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        if (server)
        {
            foreach (var name in start.Environment.Keys.Where(ServerSwitch).ToList())
            {
                start.Environment.Remove(name);
            }
        }
        else
        {
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
            start.Environment["UseSharedCompilation"] = "false";
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return ProcessRunner.Run(start, Limit);
    }

    /// <summary>Stops the compiler server and the reused MSBuild nodes that builds with the server on left running.</summary>
    public void ShutDownBuildServers(string directory)
    {
        var result = Run(directory, "build-server", ["shutdown"], new Dictionary<string, string?>(), server: true);
        if (!result.Succeeded)
        {
            Console.Error.WriteLine("bench: dotnet build-server shutdown failed:\n" + result.Output);
        }
    }

    private static bool ServerSwitch(string name) =>
        name.Equals("MSBUILDDISABLENODEREUSE", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("DOTNET_CLI_USE_MSBUILD_SERVER", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("UseSharedCompilation", StringComparison.OrdinalIgnoreCase);

    private static bool Scrubbed(string name) =>
        name.StartsWith("ARTIFACTCACHE_", StringComparison.OrdinalIgnoreCase) ||
        name.StartsWith("TURBO_", StringComparison.OrdinalIgnoreCase) ||
        name.StartsWith("GITHUB_", StringComparison.OrdinalIgnoreCase) ||
        name.StartsWith("GITLAB_", StringComparison.OrdinalIgnoreCase) ||
        name.StartsWith("SYSTEM_", StringComparison.OrdinalIgnoreCase) ||
        name is "CI" or "TF_BUILD" or "ContinuousIntegrationBuild" or "ROSLYN_CACHE_PATH";
}

internal static class Git
{
    public static void Run(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var result = ProcessRunner.Run(start, TimeSpan.FromMinutes(5));
        if (!result.Succeeded)
        {
            throw new BenchException($"git {string.Join(' ', arguments)} failed:\n{result.Output}");
        }
    }
}

internal static class ProcessRunner
{
    public static ProcessResult Run(ProcessStartInfo start, TimeSpan limit)
    {
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new BenchException($"{start.FileName} {string.Join(' ', start.ArgumentList)} ran past {limit}.");
        }

        process.WaitForExit();
        lock (output)
        {
            return new ProcessResult(process.ExitCode, output.ToString());
        }
    }
}

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

/// <summary>The ratios the issue asks for, with their targets, as JSON and as a Markdown table.</summary>
internal static class Report
{
    public static JsonObject Create(Options options, string version, SolutionShape solution, List<Scenario> scenarios)
    {
        var byName = scenarios.ToDictionary(s => s.Name, StringComparer.Ordinal);
        double Median(string name) => byName[name].Median;
        IReadOnlyList<string> LastCompiled(string name) => byName[name].Results.Last().Compiled ?? [];

        var ratios = new JsonArray();
        // The original nine scenarios' ratios, when they all ran (--only may leave some out).
        if (new[] { "cold", "cold-store", "floor", "warm-local", "warm-remote", "body-edit", "api-edit", "noop", "noop-cache" }.All(byName.ContainsKey))
        {
            var cold = Median("cold");
            var floor = Median("floor");
            var warm = Median("warm-local");
            var speedUp = cold / warm;
            var apiExpected = solution.ProjectsSeeingTheBottomApi();
            var apiCompiled = LastCompiled("api-edit");
            var bodyCompiled = LastCompiled("body-edit");
            foreach (var ratio in new[]
            {
                Ratio("miss overhead", "cold-store / cold", Median("cold-store") / cold, "≤ 1.05", Median("cold-store") / cold <= 1.05),
                Ratio("speed-up", "cold / warm-local", speedUp, $"≥ 0.8 × cold/floor = {0.8 * cold / floor:0.00}", speedUp >= 0.8 * cold / floor),
                Ratio("body edit: projects compiled", "body-edit", bodyCompiled.Count, "1", bodyCompiled.Count == 1 && bodyCompiled.All(p => p == SolutionShape.BottomLibrary)),
                Ratio("API edit: projects compiled", "api-edit", apiCompiled.Count, $"{apiExpected.Count} (the bottom library and every project that references it)", apiCompiled.SequenceEqual(apiExpected)),
                Ratio("no-op overhead", "noop-cache / noop", Median("noop-cache") / Median("noop"), "≤ 1.03", Median("noop-cache") / Median("noop") <= 1.03),
            })
            {
                ratios.Add((JsonNode)ratio);
            }
        }

        // The ratios of scenarios beyond the original nine, each when both of its scenarios ran. Judged by the medians;
        // beside them the ratio within each round, whose two builds ran minutes apart: the machine drifts by more than
        // some targets' margins over a series, and a round's ratio shows how much of a median's difference is drift.
        void Ratio2(string name, string of, string by, double target, string label)
        {
            if (byName.ContainsKey(of) && byName.ContainsKey(by))
            {
                var value = Median(of) / Median(by);
                var ratio = Ratio(name, $"{of} / {by}", value, label, value <= target);
                ratio["runByRun"] = new JsonArray([.. byName[of].Results.Zip(byName[by].Results, (a, b) => (JsonNode)Math.Round(a.Seconds / b.Seconds, 3))]);
                ratios.Add((JsonNode)ratio);
            }
        }

        // The fresh-clone ratios whenever their scenarios ran, so that a series run with --only reports them too.
        Ratio2("hit vs floor", "warm-local", "floor", 1.25, "≤ 1.25");
        Ratio2("remote hit vs floor", "warm-remote", "floor", 1.15, "≤ 1.15");
        Ratio2("miss overhead with the server", "cold-store-server", "cold-server", 1.05, "≤ 1.05");
        Ratio2("hit vs floor with the server", "warm-local-server", "floor-server", 1.2, "≤ 1.2");
        Ratio2("no-op overhead with the server", "noop-cache-server", "noop-server", 1.03, "≤ 1.03");
        Ratio2("fresh clone against the SDK compiler's cache", "warm-local-server", "roslyn-fresh-clone", 0.8, "≤ 0.8");
        foreach (var slow in byName.Keys.Where(n => n.StartsWith("warm-remote-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList())
        {
            Ratio2($"remote hit vs floor, {slow["warm-remote-".Length..]} round trip", slow, "floor", 1.25, "≤ 1.25");
        }

        if (byName.ContainsKey("test-all") && byName.ContainsKey("test-replay"))
        {
            var run = byName["test-replay"].Results.Last().TestsRun ?? [];
            var expected = solution.ProjectsSeeingTheBottomApi().Where(p => solution.Projects.Any(q => q.Name == p && q.Kind == ProjectKind.Tests)).ToList();
            ratios.Add((JsonNode)Ratio("dotnet test after a body edit at the bottom: test projects run", "test-replay", run.Count,
                $"{expected.Count} (those that load the bottom library) of {solution.Projects.Count(p => p.Kind == ProjectKind.Tests)}", run.SequenceEqual(expected)));
            Ratio2("dotnet test, replaying unchanged test projects, against running all", "test-replay", "test-all", 1, "< 1");
        }

        if (byName.ContainsKey("body-edit-netstandard"))
        {
            var compiled = LastCompiled("body-edit-netstandard");
            ratios.Add((JsonNode)Ratio("string-literal body edit in the netstandard2.0 library: projects compiled", "body-edit-netstandard", compiled.Count, "1",
                compiled.Count == 1 && compiled.All(p => p == SolutionShape.NetStandardLibrary)));
        }

        if (byName.ContainsKey("body-edit-volatile"))
        {
            var compiled = LastCompiled("body-edit-volatile");
            ratios.Add((JsonNode)Ratio("body edit with MinVer and volatile versions: projects compiled", "body-edit-volatile", compiled.Count, "1",
                compiled.Count == 1 && compiled.All(p => p == SolutionShape.BottomLibrary)));
        }

        // The SDK compiler's own cache beside ours, compiler server on for both.
        var peer = new JsonArray();
        foreach (var (what, roslyn, ours) in new[]
        {
            ("cold, storing", "roslyn-cold-store", "cold-store-server"),
            ("fresh clone in another folder, warm cache", "roslyn-fresh-clone", "warm-local-server"),
            ("method-body edit at the bottom, committed", "roslyn-body-edit", "body-edit-server"),
        })
        {
            if (byName.ContainsKey(roslyn) && byName.ContainsKey(ours))
            {
                peer.Add((JsonNode)new JsonObject
                {
                    ["case"] = what,
                    ["roslyn"] = roslyn,
                    ["roslynMedian"] = Math.Round(Median(roslyn), 3),
                    ["roslynCompiled"] = LastCompiled(roslyn).Count,
                    ["ours"] = ours,
                    ["oursMedian"] = Math.Round(Median(ours), 3),
                    ["oursCompiled"] = LastCompiled(ours).Count,
                });
            }
        }

        return new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["size"] = options.Size,
            ["runs"] = options.Runs,
            ["package"] = version,
            ["machine"] = new JsonObject
            {
                ["cores"] = Environment.ProcessorCount,
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["sdk"] = SdkVersion(),
            },
            ["solution"] = new JsonObject
            {
                ["projects"] = solution.Projects.Count,
                ["sourceFiles"] = solution.SourceFileCount,
                ["filesPerLibrary"] = solution.FilesPerLibrary,
            },
            ["scenarios"] = new JsonArray([.. scenarios.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["description"] = s.Description,
                ["seconds"] = new JsonArray([.. s.Results.Select(r => (JsonNode)Math.Round(r.Seconds, 3))]),
                ["median"] = Math.Round(s.Median, 3),
                ["min"] = Math.Round(s.Results.Min(r => r.Seconds), 3),
                ["max"] = Math.Round(s.Results.Max(r => r.Seconds), 3),
                ["compiled"] = s.Results.Last().Compiled is { } compiled ? new JsonArray([.. compiled.Select(p => (JsonNode)p)]) : null,
                ["testsRun"] = s.Results.Last().TestsRun is { } run ? new JsonArray([.. run.Select(p => (JsonNode)p)]) : null,
                ["testsReplayed"] = s.Results.Last().TestsReplayed is { } replayed ? new JsonArray([.. replayed.Select(p => (JsonNode)p)]) : null,
                ["serverProcessorMs"] = s.Results.All(r => r.ServerProcessorSeconds is not null)
                    ? new JsonArray([.. s.Results.Select(r => (JsonNode)Math.Round(r.ServerProcessorSeconds!.Value * 1000))])
                    : null,
            })]),
            ["ratios"] = ratios,
            ["peer"] = peer,
            ["options"] = new JsonObject
            {
                ["developer"] = options.Developer,
                ["peer"] = options.Peer,
                ["network"] = options.Network,
                ["latencyMsEachWay"] = options.LatencyMs,
                ["minVer"] = options.MinVer,
                ["tests"] = options.Tests,
            },
        };
    }

    private static JsonObject Ratio(string name, string formula, double value, string target, bool met) => new()
    {
        ["name"] = name,
        ["formula"] = formula,
        ["value"] = Math.Round(value, 3),
        ["target"] = target,
        ["met"] = met,
    };

    public static string Markdown(JsonObject report)
    {
        var text = new StringBuilder();
        var machine = report["machine"]!;
        var solution = report["solution"]!;
        text.AppendLine(CultureInfo.InvariantCulture, $"Benchmark of {report["package"]} on {report["date"]}: size {report["size"]}, {report["runs"]} run(s) of each scenario, interleaved.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine["cores"]} cores, {machine["os"]}, .NET SDK {machine["sdk"]}. Solution: {solution["projects"]} projects, {solution["sourceFiles"]} source files (C#, F# and Visual Basic).");
        text.AppendLine();
        text.AppendLine("| Scenario | Median (s) | Min-max (s) | Projects compiled | What it is |");
        text.AppendLine("|---|---:|---:|---:|---|");
        foreach (var scenario in report["scenarios"]!.AsArray())
        {
            var compiled = scenario!["compiled"] is JsonArray list ? list.Count.ToString(CultureInfo.InvariantCulture) : "n/a";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {scenario["name"]} | {(double)scenario["median"]!:0.00} | {(double)scenario["min"]!:0.00}-{(double)scenario["max"]!:0.00} | {compiled} | {scenario["description"]} |");
        }

        text.AppendLine();
        text.AppendLine("| Ratio | Of | Value | Run by run | Target | Met |");
        text.AppendLine("|---|---|---:|---|---|---|");
        foreach (var ratio in report["ratios"]!.AsArray())
        {
            var runByRun = ratio!["runByRun"] is JsonArray runs ? string.Join(", ", runs.Select(r => ((double)r!).ToString("0.00", CultureInfo.InvariantCulture))) : "";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {ratio["name"]} | {ratio["formula"]} | {(double)ratio["value"]!:0.00} | {runByRun} | {ratio["target"]} | {((bool)ratio["met"]! ? "yes" : "**no**")} |");
        }

        var served = report["scenarios"]!.AsArray().Where(s => s!["serverProcessorMs"] is JsonArray).ToList();
        if (served.Count > 0)
        {
            // On loopback the server's work is on the build's own cores: part of a remote scenario's time that a remote on
            // another machine would not cost.
            text.AppendLine();
            text.AppendLine("Processor time of the benchmark's remote-cache server during each build (median, ms; on loopback it shares the build's cores): " +
                string.Join(", ", served.Select(s => $"{s!["name"]} {Stats.Median(s["serverProcessorMs"]!.AsArray().Select(v => (double)v!)):0}")) + ".");
        }

        if (report["peer"] is JsonArray { Count: > 0 } peer)
        {
            text.AppendLine();
            text.AppendLine("Peer: the SDK compiler's own output cache (`ROSLYN_CACHE_PATH`, clone root mapped to `/_/` with `PathMap`) beside");
            text.AppendLine("ArtifactCache.Build, compiler server and node reuse on for both. The Roslyn cache's compiled projects are the entries it");
            text.AppendLine("created during the build.");
            text.AppendLine();
            text.AppendLine("| Case | Roslyn cache (s) | Compiled | ArtifactCache.Build (s) | Compiled | Scenarios |");
            text.AppendLine("|---|---:|---:|---:|---:|---|");
            foreach (var row in peer)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row!["case"]} | {(double)row["roslynMedian"]!:0.00} | {row["roslynCompiled"]} | {(double)row["oursMedian"]!:0.00} | {row["oursCompiled"]} | `{row["roslyn"]}`, `{row["ours"]}` |");
            }
        }

        return text.ToString();
    }

    private static string SdkVersion()
    {
        var result = ProcessRunner.Run(new ProcessStartInfo("dotnet", ["--version"]) { RedirectStandardOutput = true, RedirectStandardError = true }, TimeSpan.FromMinutes(1));
        return result.Output.Trim();
    }
}

internal static class Paths
{
    public static string? FindRepository(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ArtifactCache.Build.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }

    /// <summary>Deletes a tree, including git's read-only object files (which Windows refuses to delete as they are).</summary>
    public static void DeleteTree(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal);
        }

        Directory.Delete(path, recursive: true);
    }
}
