using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace ArtifactCache.Build.Tests.Local;

/// <summary>Runs tests/ArtifactCache.Build.Tests.CacheWriter as a separate OS process (built by the test project).</summary>
internal sealed class CacheWriterProcess
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private CacheWriterProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static CacheWriterProcess Start(string cacheDir, string sourcesDir, int operations, int seed, long maxBytes)
    {
        var helper = typeof(CacheWriterProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "CacheWriterPath").Value!;
        Assert.True(File.Exists(helper), $"The helper was not built: {helper}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { helper, cacheDir, sourcesDir, operations.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture), maxBytes.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        return new CacheWriterProcess(Process.Start(start)!);
    }

    public (int ExitCode, string Output) WaitForExit()
    {
        if (!_process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            _process.Kill();
            return (-1, "timed out");
        }

        return (_process.ExitCode, _stdout.Result + _stderr.Result);
    }
}
