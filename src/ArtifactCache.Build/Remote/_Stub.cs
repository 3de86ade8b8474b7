// TEMPORARY STUB - not committed
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
namespace ArtifactCache.Build.Remote;
public enum RemoteOutcome { Hit, Miss, Failed, Skipped }
public sealed record RemoteDownload(RemoteOutcome Outcome, long? TaskDurationMs);
public sealed class RemoteCacheClient : IDisposable
{
    public RemoteCacheClient(CacheSettings settings, ICacheLog log, HttpMessageHandler? handler = null, Func<TimeSpan, CancellationToken, Task>? delay = null, Func<string, string?>? environment = null) { }
    public bool IsUsable => false;
    public Task<bool> CheckStatusAsync(CancellationToken ct) => Task.FromResult(false);
    public Task<RemoteDownload> DownloadAsync(string hash, string destinationFile, CancellationToken ct) => throw new NotImplementedException();
    public Task<bool> UploadAsync(string hash, string sourceFile, long taskDurationMs, CancellationToken ct) => throw new NotImplementedException();
    public void Dispose() { }
}
