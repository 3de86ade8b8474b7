using System.Text;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Remote;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Remote;

/// <summary>Malformed HTTP framing, written byte for byte on a raw socket because Kestrel refuses to produce it.</summary>
public class RemoteFramingTests : RemoteClientTestBase
{
    private static readonly byte[] Ten = Encoding.ASCII.GetBytes("0123456789");

    private async Task<RemoteDownload> DownloadFromAsync(string head, byte[] body, string? signatureKey = null, int maxRetries = 0)
    {
        await using var server = RawHttpServer.Start(head, body);
        using var client = Client(Settings(server.Url) with { MaxRetries = maxRetries, SignatureKey = signatureKey });
        return await client.DownloadAsync(Hash, Destination, CancellationToken.None);
    }

    [Fact]
    public async Task A_body_shorter_than_its_content_length_is_corrupt()
    {
        var result = await DownloadFromAsync("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close", Ten[..5]);

        Assert.Equal(RemoteOutcome.Miss, result.Outcome);
        Assert.Equal([DiagnosticCodes.RemoteCorruptDownload], Log.WarningCodes);
        Assert.False(File.Exists(Destination));
        AssertNoTempFiles();
    }

    [Fact]
    public async Task A_chunked_body_cut_off_before_its_last_chunk_is_corrupt()
    {
        var result = await DownloadFromAsync(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close",
            Encoding.ASCII.GetBytes("5\r\nhello\r\n5\r\nwor"));

        Assert.Equal(RemoteOutcome.Miss, result.Outcome);
        Assert.Equal([DiagnosticCodes.RemoteCorruptDownload], Log.WarningCodes);
        Assert.False(File.Exists(Destination));
        AssertNoTempFiles();
    }

    [Fact]
    public async Task A_well_formed_raw_chunked_body_is_a_hit()
    {
        var result = await DownloadFromAsync(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-artifact-duration: 77\r\nConnection: close",
            Encoding.ASCII.GetBytes("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));

        Assert.Equal(new RemoteDownload(RemoteOutcome.Hit, 77), result);
        Assert.Equal("hello world", await File.ReadAllTextAsync(Destination));
    }

    [Fact]
    public async Task A_body_longer_than_its_content_length_is_cut_at_the_declared_length()
    {
        // HTTP/1.1 framing: the body is exactly Content-Length bytes; whatever follows is not part of it, and the
        // connection carrying the stray bytes is dropped instead of reused. So the file never holds the extra bytes.
        var result = await DownloadFromAsync("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close", Ten);

        Assert.Equal(RemoteOutcome.Hit, result.Outcome);
        Assert.Equal(Ten[..5], await File.ReadAllBytesAsync(Destination));
        AssertNoTempFiles();
    }

    [Fact]
    public async Task A_body_longer_than_its_content_length_fails_the_signature_when_signing_is_on()
    {
        // The uploader signed all ten bytes; what arrives within the declared length is a prefix, so the tag does not match.
        var tag = ArtifactSignature.ComputeTag(Encoding.UTF8.GetBytes(SignatureKey), Hash, TeamId, new MemoryStream(Ten));
        var result = await DownloadFromAsync($"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nx-artifact-tag: {tag}\r\nConnection: close", Ten, SignatureKey);

        Assert.Equal(RemoteOutcome.Miss, result.Outcome);
        Assert.Equal([DiagnosticCodes.SignatureInvalid], Log.WarningCodes);
        Assert.False(File.Exists(Destination));
        AssertNoTempFiles();
    }

    [Theory]
    [InlineData("Content-Length: ten")]
    [InlineData("Content-Length: 5\r\nContent-Length: 7")]
    [InlineData("Content-Length: -3")]
    public async Task An_unreadable_or_contradictory_content_length_is_corrupt(string header)
    {
        // HttpClient would ignore such a header and read to the end of the connection; the client does not trust it.
        var result = await DownloadFromAsync($"HTTP/1.1 200 OK\r\n{header}\r\nConnection: close", Ten);

        Assert.Equal(RemoteOutcome.Miss, result.Outcome);
        Assert.Equal([DiagnosticCodes.RemoteCorruptDownload], Log.WarningCodes);
        Assert.False(File.Exists(Destination));
        AssertNoTempFiles();
    }
}
