using System.Diagnostics;
using System.Text;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Compilation;

/// <summary>How to start the compiler the way CoreCompile would.</summary>
public sealed record CompilerInvocation
{
    /// <summary>csc.dll, vbc.dll or fsc.dll (run with the dotnet host), or a native compiler executable.</summary>
    public required string CompilerPath { get; init; }

    /// <summary>The dotnet host that runs the compiler dll (DOTNET_HOST_PATH; for fsc, FscToolPath/FscToolExe).</summary>
    public string? DotnetHostPath { get; init; }

    /// <summary>Which compiler: fsc spells its switches differently and has no compiler server.</summary>
    public CompilerLanguage Language { get; init; }

    /// <summary>Use the compiler server (VBCSCompiler), as the Csc task does unless UseSharedCompilation is false.</summary>
    public bool UseSharedCompilation { get; init; }

    /// <summary>The project folder: csc resolves relative paths against its working directory.</summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>NAME=value pairs from $(CscEnvironment).</summary>
    public IReadOnlyList<string> Environment { get; init; } = [];
}

/// <summary>What a compiler run gave: its exit code, its diagnostics and any other lines it printed.</summary>
public sealed record CompilerResult(int ExitCode, IReadOnlyList<ToolDiagnostic> Diagnostics, IReadOnlyList<string> OtherOutput, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0 && !Diagnostics.Any(d => d.IsError);
}

/// <summary>Runs the compiler with exactly the arguments CoreCompile's dry run produced, through a response file (csc, vbc and fsc all read one).</summary>
public static class CompilerRunner
{
    public static CompilerResult Run(CompilerInvocation invocation, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var fsharp = invocation.Language == CompilerLanguage.FSharp;
        var (responseFile, noConfig) = WriteResponseFile(arguments, fsharp);
        try
        {
            var start = new ProcessStartInfo
            {
                WorkingDirectory = invocation.WorkingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                CreateNoWindow = true,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
            };

            if (invocation.CompilerPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                start.FileName = invocation.DotnetHostPath ?? "dotnet";
                start.ArgumentList.Add("exec");
                start.ArgumentList.Add(invocation.CompilerPath);
            }
            else
            {
                start.FileName = invocation.CompilerPath;
            }

            if (noConfig)
            {
                start.ArgumentList.Add("/noconfig");
            }

            start.ArgumentList.Add(fsharp ? "--nologo" : "/nologo");
            if (invocation.UseSharedCompilation && !fsharp)
            {
                start.ArgumentList.Add("/shared");
            }

            start.ArgumentList.Add("@" + responseFile);
            foreach (var pair in invocation.Environment)
            {
                var equals = pair.IndexOf('=');
                if (equals > 0)
                {
                    start.Environment[pair[..equals]] = pair[(equals + 1)..];
                }
            }

            // Kept in order and read at the end: a vbc diagnostic's column is on a line that follows it.
            var lines = new List<string>();
            void OnLine(string? line)
            {
                if (line is not null)
                {
                    lock (lines)
                    {
                        lines.Add(line);
                    }
                }
            }

            var stopwatch = Stopwatch.StartNew();
            using var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            try
            {
                process.Start();
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                throw new CompilerStartException($"Could not start the compiler '{start.FileName}' ({e.Message}). Set ArtifactCacheEnabled=false to build without the cache, and report this.", e);
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using (cancellationToken.Register(() => TryKill(process)))
            {
                process.WaitForExit();
            }

            cancellationToken.ThrowIfCancellationRequested();
            var (diagnostics, other) = CompilerOutputParser.ParseAll(lines);
            return new CompilerResult(process.ExitCode, diagnostics, other, stopwatch.Elapsed);
        }
        finally
        {
            TryDelete(responseFile);
        }
    }

    /// <summary>
    /// Writes the arguments to a new response file in the temp folder (the caller deletes it), all but /noconfig: csc and
    /// vbc honour that switch only on the command line, never inside a response file (fsc has none).
    /// </summary>
    internal static (string Path, bool NoConfig) WriteResponseFile(IEnumerable<string> arguments, bool fsharp)
    {
        var responseFile = Path.Combine(Path.GetTempPath(), "artifactcache-" + Guid.NewGuid().ToString("N") + ".rsp");
        var all = arguments.ToList();
        var noConfig = !fsharp && all.RemoveAll(a => string.Equals(a, "/noconfig", StringComparison.OrdinalIgnoreCase)) > 0;
        try
        {
            File.WriteAllLines(responseFile, all, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        }
        catch
        {
            // A full disk leaves no half-written file behind; the caller reports the failure.
            TryDelete(responseFile);
            throw;
        }

        return (responseFile, noConfig);
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>The compiler process could not be started at all: the one cache-path failure that must fail the build, since nothing was compiled.</summary>
public sealed class CompilerStartException : Exception
{
    public CompilerStartException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
