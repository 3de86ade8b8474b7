using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Local;

// Usage: CacheWriter <cacheDir> <sourcesDir> <operations> <seed> <maxBytes>
// sourcesDir holds <key>.acb artifacts; every hit must be byte-identical to its source.
// Exit 0: all good; 1: a hit had wrong bytes; 2: the cache logged a warning (e.g. it found a torn entry).
if (args.Length != 5)
{
    Console.Error.WriteLine("usage: CacheWriter <cacheDir> <sourcesDir> <operations> <seed> <maxBytes>");
    return 64;
}

var sources = Directory.GetFiles(args[1], "*.acb").ToDictionary(p => Path.GetFileNameWithoutExtension(p), File.ReadAllBytes);
var keys = sources.Keys.ToArray();
var log = new ConsoleWarningLog();
var cache = new LocalCache(args[0], long.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), log);
var random = new Random(int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
int hits = 0, misses = 0, puts = 0;
for (int i = 0; i < int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture); i++)
{
    var key = keys[random.Next(keys.Length)];
    if (random.Next(10) < 4)
    {
        puts += cache.TryPut(key, Path.Combine(args[1], key + ".acb")) ? 1 : 0;
        cache.EvictIfNeeded();
        continue;
    }

    var hit = cache.TryGet(key);
    byte[]? bytes = null;
    try
    {
        bytes = hit is null ? null : File.ReadAllBytes(hit);
    }
    catch (FileNotFoundException)
    {
        // Evicted by another process between the check and this read: a miss.
    }

    if (bytes is null)
    {
        misses++;
    }
    else if (bytes.AsSpan().SequenceEqual(sources[key]))
    {
        hits++;
    }
    else
    {
        Console.Error.WriteLine($"WRONG BYTES for {key}");
        return 1;
    }
}

Console.WriteLine($"hits={hits} misses={misses} puts={puts} warnings={log.Count}");
return log.Count == 0 ? 0 : 2;

internal sealed class ConsoleWarningLog : ICacheLog
{
    private int _count;

    public int Count => _count;

    public void Warning(string code, string message)
    {
        Interlocked.Increment(ref _count);
        Console.Error.WriteLine($"{code}: {message}");
    }

    public void Info(string message)
    {
    }

    public void Detail(string message)
    {
    }
}
