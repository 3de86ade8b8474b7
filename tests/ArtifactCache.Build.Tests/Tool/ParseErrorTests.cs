using System.Diagnostics;
using ArtifactCache.Tool;

namespace ArtifactCache.Build.Tests.Tool;

/// <summary>Bad input on the `artifactcache` command line exits 2 and says what is wrong once, for every subcommand.</summary>
public sealed class ParseErrorTests
{
    /// <summary>Runs the built tool (artifactcache.dll, beside the tests) as its own process: parse errors are written by the entry point.</summary>
    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Doctor).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static int Occurrences(string text, string part) => text.Split(part).Length - 1;

    [Fact]
    public async Task Explain_without_its_arguments_says_so_once_and_exits_2()
    {
        var (exitCode, output, error) = await RunAsync("explain");

        Assert.Equal(2, exitCode);
        Assert.Equal(1, Occurrences(error, "Required argument missing"));
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("explain", "only-one")]
    [InlineData("summary")]
    [InlineData("prune", "--max-size")]
    [InlineData("doctor", "--no-such-option")]
    [InlineData("stats", "extra")]
    [InlineData("no-such-command")]
    [InlineData("--json")]
    public async Task Every_parse_error_exits_2_with_each_message_once(params string[] args)
    {
        var (exitCode, output, error) = await RunAsync(args);

        Assert.Equal(2, exitCode);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        Assert.Equal(lines.Distinct(StringComparer.Ordinal), lines);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Help_is_not_an_error()
    {
        var (exitCode, output, error) = await RunAsync("explain", "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("explain <before> <after>", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }
}
