using System.Diagnostics;

namespace ArtifactCache.Fuzz;

/// <summary>Runs git directly (no shell), with a fixed identity and no signing, so it behaves alike on every machine.</summary>
public static class Git
{
    public static string Run(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-c", "user.name=Fuzz", "-c", "user.email=fuzz@example.com", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} in {directory} failed: {output}{error.Result}");
        }

        return output.Trim();
    }

    public static string Head(string directory) => Run(directory, "rev-parse", "HEAD");
}
