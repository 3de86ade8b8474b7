using System.Diagnostics;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

/// <summary>A temporary folder for one test: source trees, cache folders, package folders. Deleted on dispose.</summary>
public sealed class Workspace : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("acb-e2e-");

    public string Root => _root.FullName;

    public string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public void Dispose()
    {
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The folder of ArtifactCache.Build.dll beside this test assembly.</summary>
    public static string TaskAssembly => Path.Combine(AppContext.BaseDirectory, "ArtifactCache.Build.dll");

    /// <summary>The test launcher as this repository built it (the test project references it, so it is built first), in the tests' configuration.</summary>
    public static string TestPlatformLauncher => Path.Combine(
        RepoRoot.Find(), "src", "ArtifactCache.Build.TestPlatform", "bin", Path.GetFileName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory))!), "net8.0", "ArtifactCache.Build.TestPlatform.dll");

    /// <summary>Imports the repo's build/ files with the task assembly pointed at the fresh build, as MSBuildSdks tests do.</summary>
    public static void ImportPackageFromRepo(string tree)
    {
        var repo = RepoRoot.Find();
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "Directory.Build.props"), $"""
            <Project>
              <PropertyGroup>
                <ArtifactCacheTaskAssembly>{TaskAssembly}</ArtifactCacheTaskAssembly>
                <ArtifactCacheTestPlatformLauncher>{TestPlatformLauncher}</ArtifactCacheTestPlatformLauncher>
              </PropertyGroup>
              <Import Project="{Path.Combine(repo, "build", "ArtifactCache.Build.props")}" />
            </Project>
            """);
        File.WriteAllText(Path.Combine(tree, "Directory.Build.targets"), $"""
            <Project>
              <Import Project="{Path.Combine(repo, "build", "ArtifactCache.Build.targets")}" />
            </Project>
            """);
    }

    public static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>Copies a source tree, without bin/ and obj/, like a fresh checkout in another folder.</summary>
    public static void CopyTree(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            if (!IsBuildOutput(from, directory))
            {
                Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
            }
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            if (!IsBuildOutput(from, file))
            {
                File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
            }
        }
    }

    private static bool IsBuildOutput(string root, string path) =>
        Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar).Any(s => s is "bin" or "obj");

    public static void Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main" }.Concat(arguments))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {output}");
        }
    }
}
