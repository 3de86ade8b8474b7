namespace ArtifactCache.Build.Diagnostics;

/// <summary>
/// Where the cache library reports what it did. The MSBuild tasks adapt it to the build log; unit tests record it.
/// The library never throws a cache fault at the build: it logs one coded warning and carries on as a miss.
/// </summary>
public interface ICacheLog
{
    /// <summary>A coded warning (see <see cref="DiagnosticCodes"/>); the message says what happened and what to do.</summary>
    void Warning(string code, string message);

    /// <summary>A line a person reads at normal verbosity.</summary>
    void Info(string message);

    /// <summary>Detail for diagnostic verbosity.</summary>
    void Detail(string message);
}

/// <summary>A log that drops everything; for callers that do not care.</summary>
public sealed class NullCacheLog : ICacheLog
{
    public static readonly NullCacheLog Instance = new();

    private NullCacheLog()
    {
    }

    public void Warning(string code, string message)
    {
    }

    public void Info(string message)
    {
    }

    public void Detail(string message)
    {
    }
}
