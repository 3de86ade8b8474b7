using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.TestPlatform;

/// <summary>
/// The launcher's log: its standard error, in MSBuild's canonical form. `dotnet test` shows a test application's output
/// when the application fails; the report file (ArtifactCacheReportFile) has every outcome.
/// </summary>
internal sealed class ConsoleCacheLog : ICacheLog
{
    public void Warning(string code, string message) => Console.Error.WriteLine($"ArtifactCache : warning {code}: {message}");

    public void Info(string message) => Console.Error.WriteLine(message);

    public void Detail(string message)
    {
    }
}
