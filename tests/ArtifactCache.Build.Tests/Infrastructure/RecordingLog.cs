using System.Collections.Concurrent;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Tests.Infrastructure;

/// <summary>Keeps every log line so tests can assert diagnostic codes (not wording) and that no secret was written.</summary>
public sealed class RecordingLog : ICacheLog
{
    private readonly ConcurrentQueue<(string Level, string? Code, string Message)> _entries = new();

    public IReadOnlyList<(string Level, string? Code, string Message)> Entries => _entries.ToArray();

    public IReadOnlyList<string> WarningCodes => _entries.Where(e => e.Level == "warning").Select(e => e.Code!).ToArray();

    public void Warning(string code, string message) => _entries.Enqueue(("warning", code, message));

    public void Info(string message) => _entries.Enqueue(("info", null, message));

    public void Detail(string message) => _entries.Enqueue(("detail", null, message));

    public int Count(string code) => WarningCodes.Count(c => c == code);

    public void AssertNothingContains(params string[] secrets)
    {
        foreach (var (_, _, message) in _entries)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, message, StringComparison.Ordinal);
            }
        }
    }

    public override string ToString() => string.Join(Environment.NewLine, _entries.Select(e => $"{e.Level} {e.Code}: {e.Message}"));
}

/// <summary>Stands in for Task.Delay between retries: records what was asked and returns at once.</summary>
public sealed class RecordingDelay
{
    private readonly ConcurrentQueue<TimeSpan> _asked = new();

    public IReadOnlyList<TimeSpan> Asked => _asked.ToArray();

    public Task Delay(TimeSpan wait, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        _asked.Enqueue(wait);
        return Task.CompletedTask;
    }
}
