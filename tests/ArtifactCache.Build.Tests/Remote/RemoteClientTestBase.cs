using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Remote;
using ArtifactCache.Build.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace ArtifactCache.Build.Tests.Remote;

/// <summary>
/// Shared set-up for client tests: a temp folder, a recording log and delay, small timeouts, a scrubbed environment,
/// and a check after every test that no secret reached the log.
/// </summary>
public abstract class RemoteClientTestBase : IDisposable
{
    protected const string Token = "tok-SECRET-4f2a9e";
    protected const string SignatureKey = "sig-SECRET-key-7781";
    protected const string TeamId = "team_1";
    protected const string Hash = "0123456789abcdef";

    protected RemoteClientTestBase()
    {
        Directory.CreateDirectory(TempDir);
    }

    protected string TempDir { get; } = Path.Combine(Path.GetTempPath(), "acb-remote-tests-" + Guid.NewGuid().ToString("N"));

    protected RecordingLog Log { get; } = new();

    protected RecordingDelay Delays { get; } = new();

    protected string Destination => Path.Combine(TempDir, "out", "artifact.bin");

    protected static CacheSettings Settings(Uri url) => new()
    {
        RemoteUrl = url,
        Token = Token,
        TeamId = TeamId,
        RequestTimeout = TimeSpan.FromSeconds(2),
        ConnectTimeout = TimeSpan.FromSeconds(1),
        MaxRetries = 2,
        CircuitBreakerThreshold = 3,
    };

    /// <summary>A client whose environment holds only <paramref name="environment"/> (so the host's CI variables do not leak in).</summary>
    protected RemoteCacheClient Client(CacheSettings settings, params (string Name, string Value)[] environment) =>
        new(settings, Log, delay: Delays.Delay, environment: name => environment.FirstOrDefault(v => v.Name == name).Value);

    protected static Func<HttpContext, Task> Respond(int status, byte[]? body = null, params (string Name, string Value)[] headers) =>
        async context =>
        {
            context.Response.StatusCode = status;
            foreach (var (name, value) in headers)
            {
                context.Response.Headers[name] = value;
            }

            if (body is not null)
            {
                context.Response.ContentLength = body.Length;
                await context.Response.Body.WriteAsync(body);
            }
        };

    /// <summary>No temp files may be left beside the destination, whatever happened.</summary>
    protected void AssertNoTempFiles()
    {
        var folder = Path.GetDirectoryName(Destination)!;
        if (Directory.Exists(folder))
        {
            Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
        }
    }

    public void Dispose()
    {
        Log.AssertNothingContains(Token, SignatureKey);
        try
        {
            Directory.Delete(TempDir, recursive: true);
        }
        catch (IOException)
        {
        }

        GC.SuppressFinalize(this);
    }
}
