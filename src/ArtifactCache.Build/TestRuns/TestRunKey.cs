using System.Runtime.InteropServices;
using System.Text.Json;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.TestRuns;

/// <summary>One test project's test run, as the VSTest target is about to start it.</summary>
public sealed record TestRunRequest
{
    /// <summary>The test assembly ($(TargetPath)).</summary>
    public required string TestAssembly { get; init; }

    /// <summary>The folder the run loads from: every file under it is keyed ($(TargetDir)).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Where the run writes result files (TRX, attachments).</summary>
    public required string ResultsDirectory { get; init; }

    /// <summary>The results folder may hold other projects' results of this build (explicit --results-directory, several TFMs).</summary>
    public bool SharedResultsDirectory { get; init; }

    /// <summary>The run has data collectors (--collect, or in its run settings): code coverage reads its source-root maps.</summary>
    public bool CollectsData { get; init; }

    /// <summary>The run settings file the run uses, if any.</summary>
    public string? RunSettingsFile { get; init; }

    /// <summary>The adapter folders the run settings file names (RunConfiguration/TestAdaptersPaths), as full paths.</summary>
    public IReadOnlyList<string> RunSettingsAdapterFolders { get; init; } = [];

    /// <summary>The arguments that decide which tests run and how: name (the VSTest task parameter) and value.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Arguments { get; init; } = [];

    /// <summary>Environment variables the user lists (ArtifactCacheTestEnvironment): their values are keyed.</summary>
    public IReadOnlyList<string> EnvironmentNames { get; init; } = [];

    /// <summary>Files or folders the user lists (ArtifactCacheTestInput): their content is keyed.</summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];

    /// <summary>The checkout, so listed inputs are named relative to it.</summary>
    public string? RepositoryRoot { get; init; }

    /// <summary>The .NET installation the test host runs on ($(NetCoreRoot)).</summary>
    public string? DotnetRoot { get; init; }

    /// <summary>
    /// A Microsoft.Testing.Platform run that `dotnet test` starts itself (through the package's launcher): its outcome
    /// comes from the recorder, not a TRX, and its key says which runner it is.
    /// </summary>
    public bool Platform { get; init; }

    /// <summary>"Tests (net10.0)", as log lines name the run.</summary>
    public string DisplayName { get; init; } = "";

    /// <summary>Names this project's test run across checkouts, for the key history.</summary>
    public string? HistoryIdentity { get; init; }
}

/// <summary>
/// The key of a test run: the bytes it loads (every file in the output folder, by its path there), the run settings
/// file, the arguments that change which tests run or how, the shared frameworks installed for it, the OS and
/// architecture, and what the user lists: environment variables and input files or folders. Not in it: anything else
/// a test reads at run time (network, databases, the clock, files outside the output folder it is not told about);
/// that is why caching test results is opt in (see the README's "Test results").
/// </summary>
public static class TestRunKey
{
    /// <summary>
    /// Changes whenever a fix shows that entries an earlier package stored may be wrong (a check after the step that let
    /// an edit through, inputs the key did not see): those entries must never be looked up again.
    /// </summary>
    public const string KeyFormat = "artifactcache-test-v2";

    /// <summary>How the key names a file the user lists in ArtifactCacheTestInput.</summary>
    public const string InputPrefix = "input: ";

    public static CompilationKey Build(TestRunRequest request, FileHasher hasher, Func<string, string?> environment)
    {
        var inputs = new List<KeyInput>
        {
            new("format", KeyFormat),
            new("platform", $"{OperatingSystemName()} {RuntimeInformation.OSArchitecture}".ToLowerInvariant()),
            new("test assembly", Path.GetFileName(request.TestAssembly)),
        };
        if (request.Platform)
        {
            inputs.Add(new("runner", "Microsoft.Testing.Platform"));
        }


        // The results folder can be inside the output folder (Microsoft.Testing.Platform's default is TestResults beside
        // the application): what earlier runs wrote there is not something a run loads.
        var results = Path.TrimEndingDirectorySeparator(Path.GetFullPath(request.ResultsDirectory)) + Path.DirectorySeparatorChar;
        inputs.AddRange(FolderInputs(
            "output: ",
            request.OutputDirectory,
            hasher,
            f => (!request.CollectsData && IsCoverageSourceRootMap(f)) || PathPolicy.Current.IsUnder(f, results)));
        inputs.Add(new("run settings", request.RunSettingsFile is { } settings ? hasher.Hash(Path.GetFullPath(settings)) ?? CompilationKeyBuilder.MissingFile : "none"));
        inputs.AddRange(request.Arguments
            .Where(a => !string.IsNullOrEmpty(a.Value))
            .Select(a => new KeyInput("argument: " + a.Key, FileHasher.HashText(a.Value)))
            .OrderBy(a => a.Name, StringComparer.Ordinal));
        inputs.AddRange(RuntimeInputs(request));

        // Adapters from --test-adapter-path are loaded by the run: their bytes, not only their folder's name.
        var adapterFolders = request.Arguments.Where(a => a.Key == "VSTestTestAdapterPath").SelectMany(a => a.Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var (folder, index) in adapterFolders.Select((f, i) => (f, i)))
        {
            inputs.AddRange(FolderInputs($"adapter {index}: ", folder, hasher));
        }

        // So are the adapters in the folders the run settings file names; the file's text alone names only the folders.
        foreach (var (folder, index) in request.RunSettingsAdapterFolders.Select((f, i) => (f, i)))
        {
            inputs.AddRange(FolderInputs($"run settings adapter {index}: ", folder, hasher));
        }

        // Roll-forward settings change which runtime the test host picks; they are read from the environment.
        foreach (var name in request.EnvironmentNames.Concat(["DOTNET_ROLL_FORWARD", "DOTNET_ROLL_FORWARD_TO_PRERELEASE"]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var value = environment(name);
            inputs.Add(new("environment: " + name, value is null ? "unset" : FileHasher.HashText(value)));
        }

        foreach (var input in request.Inputs.Select(Path.GetFullPath).Distinct(PathPolicy.Current.Comparer).Order(StringComparer.Ordinal))
        {
            var name = InputPrefix + RelativeName(input, request.RepositoryRoot);
            if (Directory.Exists(input))
            {
                inputs.AddRange(FolderInputs(name + "/", input, hasher));
            }
            else
            {
                inputs.Add(new(name, hasher.Hash(input) ?? CompilationKeyBuilder.MissingFile));
            }
        }

        return CompilationKey.FromInputs(inputs);
    }

    /// <summary>Every file under the folder by its '/'-separated relative path, in ordinal order; an empty or missing folder says so.</summary>
    private static IEnumerable<KeyInput> FolderInputs(string prefix, string folder, FileHasher hasher, Func<string, bool>? unread = null)
    {
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            return [new KeyInput(prefix.TrimEnd('/', ' ', ':'), CompilationKeyBuilder.MissingFile)];
        }

        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0 })
            .Where(f => unread is null || !unread(f))
            .Select(f => (Name: prefix + Path.GetRelativePath(root, f).Replace('\\', '/'), Path: f))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => new KeyInput(f.Name, hasher.Hash(f.Path) ?? CompilationKeyBuilder.MissingFile))
            .ToList();
        return files.Count > 0 ? files : [new KeyInput(prefix + "(empty)", "empty")];
    }

    /// <summary>
    /// The shared frameworks the runtime config names, with every version of each installed in the .NET the test host
    /// starts from: the host picks one of them by its roll-forward rules, so a runtime installed or removed is a change.
    /// </summary>
    private static IEnumerable<KeyInput> RuntimeInputs(TestRunRequest request)
    {
        var config = Path.ChangeExtension(request.TestAssembly, ".runtimeconfig.json");
        var frameworks = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(config));
            if (document.RootElement.TryGetProperty("runtimeOptions", out var options))
            {
                if (options.TryGetProperty("framework", out var framework) && framework.TryGetProperty("name", out var name))
                {
                    frameworks.Add(name.GetString() ?? "");
                }

                if (options.TryGetProperty("frameworks", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    frameworks.AddRange(list.EnumerateArray().Select(f => f.TryGetProperty("name", out var n) ? n.GetString() ?? "" : ""));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // A .NET Framework test assembly, or no runtime config: the output folder's content is all there is to key.
        }

        foreach (var framework in frameworks.Where(f => f.Length > 0 && f.IndexOfAny(Path.GetInvalidFileNameChars()) < 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var folder = request.DotnetRoot is { Length: > 0 } root ? Path.Combine(root, "shared", framework) : null;
            IEnumerable<string?> versions = folder is not null && Directory.Exists(folder)
                ? Directory.EnumerateDirectories(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)
                : [];
            yield return new KeyInput("runtime: " + framework, string.Join(",", versions));
        }
    }

    /// <summary>
    /// The source-root maps coverlet.collector and Microsoft.CodeCoverage write beside the test assembly: the checkout's
    /// paths, for the coverage report. Only those data collectors read them, so a run without data collectors does not
    /// depend on them (and keying them would tie every run to its checkout folder); with collectors they are keyed.
    /// </summary>
    internal static bool IsCoverageSourceRootMap(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith("CoverletSourceRootsMapping_", StringComparison.Ordinal)
            || name.StartsWith(".msCoverageSourceRootsMapping_", StringComparison.Ordinal)
            || name.StartsWith(".msCoverageExtensionSourceRootsMapping_", StringComparison.Ordinal);
    }

    private static string RelativeName(string path, string? root) =>
        root is not null && PathPolicy.Current.IsUnder(path, Path.GetFullPath(root))
            ? Path.GetRelativePath(root, path).Replace('\\', '/')
            : path.Replace('\\', '/');

    private static string OperatingSystemName() =>
        OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : OperatingSystem.IsLinux() ? "linux" : RuntimeInformation.OSDescription;
}
