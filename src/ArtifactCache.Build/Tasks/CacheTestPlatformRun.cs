using ArtifactCache.Build.TestRuns;
using Microsoft.Build.Framework;

namespace ArtifactCache.Build.Tasks;

/// <summary>
/// Runs after ComputeRunArguments in a Microsoft.Testing.Platform test application that opted in to test results: the
/// target `dotnet test` (Microsoft.Testing.Platform mode) builds, in its own process, to learn how to start the
/// application. Writes what the package's launcher needs into the project's scratch folder and points RunCommand and
/// RunArguments at the launcher, which starts the application itself on a miss (with the same arguments) and replays a
/// stored run on a hit. Anything wrong here leaves RunCommand and RunArguments as they were: the tests then run as
/// without the package.
/// </summary>
public sealed class CacheTestPlatformRun : Microsoft.Build.Utilities.Task
{
    [Required]
    public string ProjectPath { get; set; } = "";

    public string? TargetFramework { get; set; }

    public string? TargetFrameworks { get; set; }

    public string? Configuration { get; set; }

    public ITaskItem[] Settings { get; set; } = [];

    public string? ReportFile { get; set; }

    [Required]
    public string TestAssembly { get; set; } = "";

    [Required]
    public string OutputDirectory { get; set; } = "";

    public string? EnvironmentNames { get; set; }

    public ITaskItem[] Inputs { get; set; } = [];

    public string? RepositoryRoot { get; set; }

    public string? DotnetRoot { get; set; }

    [Required]
    public string ScratchDirectory { get; set; } = "";

    /// <summary>The launcher (ArtifactCache.Build.TestPlatform.dll).</summary>
    [Required]
    public string Launcher { get; set; } = "";

    /// <summary>The dotnet host that runs the launcher.</summary>
    [Required]
    public string DotnetHost { get; set; } = "";

    /// <summary>In: the application's RunCommand. Out: the launcher's, when the run goes through it.</summary>
    [Required]
    [Output]
    public string RunCommand { get; set; } = "";

    /// <summary>In: the application's RunArguments. Out: the launcher's.</summary>
    [Output]
    public string RunArguments { get; set; } = "";

    public string? RunWorkingDirectory { get; set; }

    public override bool Execute()
    {
        if (!File.Exists(Launcher) || !File.Exists(DotnetHost))
        {
            Log.LogMessage(MessageImportance.Low, $"ArtifactCache: the test launcher {Launcher} or the dotnet host {DotnetHost} is missing; the tests of {ProjectPath} run as without the package.");
            return true;
        }

        try
        {
            var description = new PlatformRunDescription
            {
                Command = RunCommand,
                Arguments = RunArguments,
                WorkingDirectory = string.IsNullOrWhiteSpace(RunWorkingDirectory) ? null : RunWorkingDirectory,
                ProjectPath = Path.GetFullPath(ProjectPath),
                TargetFramework = TargetFramework,
                TargetFrameworks = TargetFrameworks,
                Configuration = Configuration,
                TestAssembly = Path.GetFullPath(TestAssembly),
                OutputDirectory = Path.GetFullPath(OutputDirectory),
                Settings = Settings.GroupBy(s => s.ItemSpec, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last().GetMetadata("Value"), StringComparer.OrdinalIgnoreCase),
                ReportFile = string.IsNullOrWhiteSpace(ReportFile) ? null : Path.GetFullPath(ReportFile),
                RepositoryRoot = string.IsNullOrWhiteSpace(RepositoryRoot) ? null : RepositoryRoot,
                DotnetRoot = DotnetRoot,
                EnvironmentNames = TestRunInputs.EnvironmentNames(EnvironmentNames),
                Inputs = TestRunInputs.Paths(Inputs),
                ScratchDirectory = Path.GetFullPath(ScratchDirectory),
            };
            var file = Path.Combine(description.ScratchDirectory, "test-platform-run.json");
            description.Write(file);
            RunArguments = $"exec {PlatformTestRun.Quote(Path.GetFullPath(Launcher))} --artifactcache-run {PlatformTestRun.Quote(file)}";
            RunCommand = Path.GetFullPath(DotnetHost);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            Log.LogMessage(MessageImportance.Low, $"ArtifactCache: the test launcher could not be prepared for {ProjectPath} ({e.Message}); the tests run as without the package.");
        }

        return true;
    }
}
