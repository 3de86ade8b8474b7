// TEMPORARY STUB - not committed
using ArtifactCache.Build.Diagnostics;
namespace ArtifactCache.Build.Local;
public sealed class LocalCache
{
    public LocalCache(string directory, long maxBytes, ICacheLog log, TimeProvider? time = null) { Directory = directory; }
    public string Directory { get; }
    public bool IsUsable => true;
    public string? TryGet(string key) => null;
    public bool TryPut(string key, string sourceFile) => false;
    public void Invalidate(string key) { }
    public void EvictIfNeeded() { }
}
