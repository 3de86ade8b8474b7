using System.Buffers;
using System.Globalization;
using System.Net;

namespace ArtifactCache.Build.Remote;

/// <summary>How a GET /v8/artifacts/{hash} response was received into the temp file.</summary>
internal enum ReceiveStatus
{
    Stored,
    NotFound,
    Corrupt,
    TooLarge,
    Unexpected,
}

internal sealed record Received(ReceiveStatus Status, long? TaskDurationMs = null, string? Tag = null, string Detail = "");

/// <summary>A local file could not be written or read; not the remote's fault, so never retried or counted against it.</summary>
internal sealed class LocalFileException : Exception
{
    public LocalFileException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// Streams an artifact response into a file, enforcing the size limit as it goes and the declared length at the end.
/// Framing: with Content-Length the body must be exactly that long; chunked bodies (no length) are accepted as they end.
/// </summary>
internal static class ArtifactReceiver
{
    private const int BufferSize = 81920;

    public static async Task<Received> ReceiveAsync(HttpResponseMessage response, string tempFile, long maxBytes, CancellationToken ct)
    {
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return new Received(ReceiveStatus.NotFound);
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            return new Received(ReceiveStatus.Unexpected, Detail: $"HTTP {(int)response.StatusCode}");
        }

        if (!TryGetDeclaredLength(response, out var declared))
        {
            return new Received(ReceiveStatus.Corrupt, Detail: "its Content-Length header is not one valid number");
        }

        if (declared > maxBytes)
        {
            return new Received(ReceiveStatus.TooLarge, Detail: $"{declared} bytes declared");
        }

        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await using var file = OpenTemp(tempFile);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long total = 0;
            while (true)
            {
                int read;
                try
                {
                    read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), ct);
                }
                catch (HttpIOException ex) when (ex.HttpRequestError == HttpRequestError.ResponseEnded)
                {
                    // The server closed the connection before the body was complete: a truncated artifact.
                    return new Received(ReceiveStatus.Corrupt, Detail: $"the body ended after {total} of {(declared?.ToString(CultureInfo.InvariantCulture) ?? "?")} bytes");
                }

                if (read == 0)
                {
                    break;
                }

                total += read;
                if (total > maxBytes)
                {
                    return new Received(ReceiveStatus.TooLarge, Detail: $"more than {maxBytes} bytes received");
                }

                await WriteAsync(file, buffer.AsMemory(0, read), tempFile, ct);
            }

            if (declared is { } length && total != length)
            {
                return new Received(ReceiveStatus.Corrupt, Detail: $"{total} bytes received, {length} declared");
            }

            await FlushAsync(file, tempFile, ct);
            return new Received(ReceiveStatus.Stored, DurationOf(response), TagOf(response));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The Content-Length the server declared, null when it declared none (chunked or read-to-close).
    /// HttpClient silently ignores an unparsable or contradictory Content-Length and reads to the end of the connection;
    /// a server that gets its own framing wrong is not trusted with an artifact, so that is false.
    /// </summary>
    private static bool TryGetDeclaredLength(HttpResponseMessage response, out long? declared)
    {
        declared = null;
        if (!response.Content.Headers.NonValidated.TryGetValues("Content-Length", out var raw))
        {
            return true;
        }

        foreach (var value in raw)
        {
            if (!long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || (declared is not null && declared != length))
            {
                return false;
            }

            declared = length;
        }

        return declared is null || declared == response.Content.Headers.ContentLength;
    }

    private static FileStream OpenTemp(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LocalFileException($"Cannot create {path}: {ex.Message}", ex);
        }
    }

    private static async Task WriteAsync(FileStream file, ReadOnlyMemory<byte> data, string path, CancellationToken ct)
    {
        try
        {
            await file.WriteAsync(data, ct);
        }
        catch (IOException ex)
        {
            throw new LocalFileException($"Cannot write {path}: {ex.Message}", ex);
        }
    }

    private static async Task FlushAsync(FileStream file, string path, CancellationToken ct)
    {
        try
        {
            await file.FlushAsync(ct);
        }
        catch (IOException ex)
        {
            throw new LocalFileException($"Cannot write {path}: {ex.Message}", ex);
        }
    }

    private static long? DurationOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-artifact-duration", out var values)
        && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? ms
            : null;

    private static string? TagOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-artifact-tag", out var values) ? values.FirstOrDefault() : null;
}
