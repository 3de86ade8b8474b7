using System.Text.Json;

namespace ArtifactCache.Build.TestRuns;

/// <summary>
/// What the package's test launcher needs to know about a Microsoft.Testing.Platform test application that `dotnet
/// test` is about to start: written by the step after ComputeRunArguments (which then points RunCommand at the
/// launcher), read by the launcher. No secret is in it: the token is read from the environment, which `dotnet test`
/// passes on to the application it starts.
/// </summary>
public sealed record PlatformRunDescription
{
    /// <summary>The application's own RunCommand and RunArguments, as ComputeRunArguments gave them.</summary>
    public required string Command { get; init; }

    public string Arguments { get; init; } = "";

    public string? WorkingDirectory { get; init; }

    public required string ProjectPath { get; init; }

    public string? TargetFramework { get; init; }

    public string? TargetFrameworks { get; init; }

    public string? Configuration { get; init; }

    public required string TestAssembly { get; init; }

    public required string OutputDirectory { get; init; }

    /// <summary>The package's settings as MSBuild properties (name, value), resolved by the launcher as a task would.</summary>
    public Dictionary<string, string> Settings { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public string? ReportFile { get; init; }

    public string? RepositoryRoot { get; init; }

    public string? DotnetRoot { get; init; }

    public IReadOnlyList<string> EnvironmentNames { get; init; } = [];

    public IReadOnlyList<string> Inputs { get; init; } = [];

    /// <summary>The project's scratch folder (obj/.../artifactcache).</summary>
    public required string ScratchDirectory { get; init; }

    public static PlatformRunDescription? Read(string path, out string? problem)
    {
        problem = null;
        try
        {
            return JsonSerializer.Deserialize<PlatformRunDescription>(File.ReadAllBytes(path)) ?? throw new JsonException("empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            problem = $"{path}: {e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, path, overwrite: true);
    }
}
