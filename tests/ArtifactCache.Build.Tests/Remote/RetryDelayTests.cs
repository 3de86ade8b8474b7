using System.Net.Http.Headers;
using ArtifactCache.Build.Remote;

namespace ArtifactCache.Build.Tests.Remote;

public class RetryDelayTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 125, 250)]
    [InlineData(1, 250, 500)]
    [InlineData(2, 500, 1000)]
    [InlineData(10, 5000, 10000)]
    public void Backoff_doubles_with_jitter_and_stays_under_the_cap(int retry, double minMs, double maxMs)
    {
        Assert.Equal(minMs, RetryDelay.For(retry, null, Now, 0).TotalMilliseconds, 3);
        Assert.Equal(maxMs, RetryDelay.For(retry, null, Now, 1).TotalMilliseconds, 3);
    }

    [Fact]
    public void Retry_after_seconds_are_honoured_up_to_the_cap()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), RetryDelay.For(0, new RetryConditionHeaderValue(TimeSpan.FromSeconds(3)), Now, 0.5));
        Assert.Equal(RetryDelay.Cap, RetryDelay.For(0, new RetryConditionHeaderValue(TimeSpan.FromHours(1)), Now, 0.5));
    }

    [Fact]
    public void Retry_after_dates_are_honoured_up_to_the_cap()
    {
        Assert.Equal(TimeSpan.FromSeconds(4), RetryDelay.For(0, new RetryConditionHeaderValue(Now.AddSeconds(4)), Now, 0.5));
        Assert.Equal(RetryDelay.Cap, RetryDelay.For(0, new RetryConditionHeaderValue(Now.AddDays(1)), Now, 0.5));
        Assert.Equal(TimeSpan.Zero, RetryDelay.For(0, new RetryConditionHeaderValue(Now.AddSeconds(-30)), Now, 0.5));
    }
}
