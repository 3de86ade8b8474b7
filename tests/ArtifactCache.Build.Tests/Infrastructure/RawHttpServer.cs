using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ArtifactCache.Build.Tests.Infrastructure;

/// <summary>
/// A tiny TCP server on 127.0.0.1 that answers every request with the same raw bytes and closes the connection:
/// for malformed framing (truncated bodies, bodies longer than their Content-Length) that Kestrel will not produce.
/// </summary>
public sealed class RawHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<string, byte[]> _respond;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _connections;

    private RawHttpServer(Func<string, byte[]> respond)
    {
        _respond = respond;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _acceptLoop = AcceptLoopAsync();
    }

    public Uri Url { get; }

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Serves <paramref name="head"/> (status line and headers, "\r\n"-separated, without the blank line) then <paramref name="body"/>.</summary>
    public static RawHttpServer Start(string head, byte[] body) => Start(_ => Response(head, body));

    /// <summary>Answers each request with the raw bytes <paramref name="respond"/> makes of its head (request line and headers).</summary>
    public static RawHttpServer Start(Func<string, byte[]> respond) => new(respond);

    /// <summary>Raw response bytes: <paramref name="head"/> (status line and headers, without the blank line), then <paramref name="body"/>.</summary>
    public static byte[] Response(string head, byte[] body) => [.. Encoding.ASCII.GetBytes(head.TrimEnd() + "\r\n\r\n"), .. body];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            var stream = client.GetStream();
            var head = await ReadRequestHeadAsync(stream, _stop.Token);
            await stream.WriteAsync(_respond(head), _stop.Token);
            await stream.FlushAsync(_stop.Token);
            client.Client.Shutdown(SocketShutdown.Send);
        }
    }

    // Reads up to the blank line that ends the request head (test requests are GETs without a body); bounded at 64 KB.
    private static async Task<string> ReadRequestHeadAsync(NetworkStream stream, CancellationToken ct)
    {
        var seen = new List<byte>();
        var buffer = new byte[4096];
        while (seen.Count < 65536)
        {
            var read = await stream.ReadAsync(buffer, ct);
            if (read == 0)
            {
                break;
            }

            seen.AddRange(buffer.AsSpan(0, read));
            var text = Encoding.ASCII.GetString(seen.ToArray());
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return text;
            }
        }

        return Encoding.ASCII.GetString(seen.ToArray());
    }
}
