using System.Runtime.InteropServices;
using System.Text.Json;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Names the runtime that will run the compiler, and the process architecture, for the key: csc.dll runs on whichever
/// shared framework its runtimeconfig rolls forward to in the dotnet installation that hosts it, and the same compiler
/// on another runtime or architecture is another compiler as far as a cache may assume.
/// </summary>
public static class CompilerRuntime
{
    /// <summary>"Microsoft.NETCore.App 10.0.1 x64", or for a native compiler its architecture alone.</summary>
    /// <remarks>
    /// Read again for every compilation (a small file and a folder listing), not remembered by the process: a reused
    /// MSBuild node may see the runtimeconfig of a compiler outside the .NET installation rebuilt, another
    /// DOTNET_ROLL_FORWARD (each build hands the node its environment) or a runtime installed since.
    /// </remarks>
    public static string Describe(string compilerPath, string? dotnetHostPath) =>
        Resolve(compilerPath, dotnetHostPath) + " " + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    private static string Resolve(string compilerPath, string? dotnetHostPath)
    {
        if (!compilerPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            return "native";
        }

        var config = Path.ChangeExtension(compilerPath, ".runtimeconfig.json");
        // Without a host path, the dotnet that runs this task (<root>/shared/Microsoft.NETCore.App/<version>/).
        var dotnetRoot = dotnetHostPath is null
            ? Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."))
            : Path.GetDirectoryName(dotnetHostPath);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(config));
            var options = document.RootElement.GetProperty("runtimeOptions");
            var framework = options.GetProperty("framework");
            var name = framework.GetProperty("name").GetString()!;
            var requested = Version.Parse(framework.GetProperty("version").GetString()!);
            var rollForward = Environment.GetEnvironmentVariable("DOTNET_ROLL_FORWARD")
                ?? (options.TryGetProperty("rollForward", out var roll) ? roll.GetString() : null)
                ?? "Minor";
            var installed = Installed(dotnetRoot, name);
            return name + " " + (Choose(installed, requested, rollForward)?.ToString() ?? "one of " + string.Join(",", installed));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or FormatException or ArgumentException or InvalidOperationException)
        {
            // Unknown: the runtime running this task stands in for it (the compiler usually shares its dotnet).
            return RuntimeInformation.FrameworkDescription;
        }
    }

    private static List<Version> Installed(string? dotnetRoot, string framework)
    {
        var folder = dotnetRoot is null ? null : Path.Combine(dotnetRoot, "shared", framework);
        if (folder is null || !Directory.Exists(folder))
        {
            return [];
        }

        return Directory.EnumerateDirectories(folder)
            .Select(d => Version.TryParse(Path.GetFileName(d), out var v) ? v : null)
            .OfType<Version>()
            .OrderBy(v => v)
            .ToList();
    }

    /// <summary>The host's roll-forward rule (release versions only): the lowest acceptable major.minor, then its latest patch.</summary>
    internal static Version? Choose(IReadOnlyList<Version> installed, Version requested, string rollForward)
    {
        var acceptable = installed.Where(v => v >= requested && rollForward.ToLowerInvariant() switch
        {
            "disable" => v == requested,
            "latestpatch" => v.Major == requested.Major && v.Minor == requested.Minor,
            "minor" or "latestminor" => v.Major == requested.Major,
            _ => true,
        }).ToList();
        if (acceptable.Count == 0)
        {
            return null;
        }

        var latestFeature = rollForward.Equals("LatestMinor", StringComparison.OrdinalIgnoreCase) || rollForward.Equals("LatestMajor", StringComparison.OrdinalIgnoreCase);
        var band = latestFeature ? acceptable.Max()! : acceptable.Min()!;
        return acceptable.Where(v => v.Major == band.Major && v.Minor == band.Minor).Max();
    }
}
