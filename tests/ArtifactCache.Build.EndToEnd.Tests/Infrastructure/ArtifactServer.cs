using System.Collections.Concurrent;
using System.Text;
using ArtifactCache.Build.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

/// <summary>An artifact as a remote cache keeps it: the bytes and the headers it was uploaded with.</summary>
public sealed record StoredArtifact(byte[] Body, string? Tag, string? Duration);

/// <summary>
/// A remote cache on loopback that speaks the /v8/artifacts API from memory, with a fault the test can switch:
/// <see cref="Fault"/> sees every request first and answers it itself when it returns true. Artifacts uploaded by one
/// build are served to the next, so faults on downloads work on real artifacts.
/// </summary>
public sealed class ArtifactServer : IAsyncDisposable
{
    private readonly FaultServer _server;

    private ArtifactServer(FaultServer server, ConcurrentDictionary<string, StoredArtifact> artifacts)
    {
        _server = server;
        Artifacts = artifacts;
    }

    public Uri Url => _server.Url;

    public ConcurrentDictionary<string, StoredArtifact> Artifacts { get; }

    /// <summary>Answers a request in place of the healthy server when it returns true.</summary>
    public Func<HttpContext, ArtifactServer, Task<bool>>? Fault { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => _server.Requests;

    public static async Task<ArtifactServer> StartAsync(ConcurrentDictionary<string, StoredArtifact>? artifacts = null)
    {
        ArtifactServer? self = null;
        var store = artifacts ?? new ConcurrentDictionary<string, StoredArtifact>(StringComparer.Ordinal);
        var server = await FaultServer.StartAsync(context => self!.HandleAsync(context));
        self = new ArtifactServer(server, store);
        return self;
    }

    /// <summary>The hash a request is for, or null for /v8/artifacts/status and the other routes.</summary>
    public static string? HashOf(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        const string prefix = "/v8/artifacts/";
        return path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length && path[prefix.Length..] is var hash && hash != "status" && hash != "events"
            ? hash
            : null;
    }

    public static bool IsDownload(HttpContext context) => context.Request.Method == "GET" && HashOf(context) is not null;

    /// <summary>Serves <paramref name="body"/> as the artifact (with the stored artifact's headers).</summary>
    public static async Task ServeAsync(HttpContext context, byte[] body, StoredArtifact? like = null)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = body.Length;
        if (like?.Tag is { } tag)
        {
            context.Response.Headers["x-artifact-tag"] = tag;
        }

        if (like?.Duration is { } duration)
        {
            context.Response.Headers["x-artifact-duration"] = duration;
        }

        await context.Response.Body.WriteAsync(body);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        if (Fault is { } fault && await fault(context, this))
        {
            return;
        }

        var path = context.Request.Path.Value ?? "";
        if (path == "/v8/artifacts/status")
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"status\":\"enabled\"}");
            return;
        }

        if (HashOf(context) is not { } hash)
        {
            context.Response.StatusCode = context.Request.Method == "POST" ? 200 : 404;
            if (context.Request.Method == "POST")
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{}");
            }

            return;
        }

        switch (context.Request.Method)
        {
            case "PUT":
                var body = (byte[])context.Items[FaultServer.BodyItem]!;
                Artifacts[hash] = new StoredArtifact(body, context.Request.Headers["x-artifact-tag"].FirstOrDefault(), context.Request.Headers["x-artifact-duration"].FirstOrDefault());
                context.Response.StatusCode = 202;
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("{\"urls\":[]}"));
                return;
            case "GET" or "HEAD" when Artifacts.TryGetValue(hash, out var artifact):
                if (context.Request.Method == "HEAD")
                {
                    context.Response.StatusCode = 200;
                    context.Response.ContentLength = artifact.Body.Length;
                    return;
                }

                await ServeAsync(context, artifact.Body, artifact);
                return;
            default:
                context.Response.StatusCode = 404;
                return;
        }
    }
}
