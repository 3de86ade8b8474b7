using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// The token and the signature key never reach a log or a binary log: on the good path, the 401 path and the path where
/// the HTTP client itself throws (a server that does not speak HTTP).
/// </summary>
public sealed class SecretsTests : IDisposable
{
    private readonly Workspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Token_and_signature_key_are_in_no_log_and_no_binlog()
    {
        await using var server = await TurboRemoteCacheServer.StartAsync(signatureKey: "server-echoes-tags");
        var signatureKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var wrongToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var a = _workspace.PathOf("a");
        SampleSolution.WriteChain(a);

        await using var broken = RawHttpServer.Start(_ => Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.6\r\nnot http at all\r\n\r\n"));
        var runs = new List<(string Output, string Binlog)>();
        foreach (var (url, token, name) in new[] { (server.Url, server.Token, "good"), (server.Url, wrongToken, "rejected"), (broken.Url, server.Token, "client-throws") })
        {
            var binlog = _workspace.PathOf(name + ".binlog");
            var run = Dotnet.Run(Path.Combine(a, "App"), _workspace.PathOf("cache-" + name), ["build", "-v:diag", "-bl:" + binlog, "--no-incremental"], new Dictionary<string, string>
            {
                ["TURBO_API"] = url.ToString(),
                ["TURBO_TOKEN"] = token,
                ["TURBO_TEAM"] = "secrets",
                ["TURBO_REMOTE_CACHE_SIGNATURE_KEY"] = signatureKey,
                ["ARTIFACTCACHE_REMOTE_RETRIES"] = "0",
            });
            Assert.True(run.Succeeded, run.ToString());
            runs.Add((run.Output, binlog));
            switch (name)
            {
                case "rejected":
                    Assert.Contains("warning ACB2001", run.Output, StringComparison.Ordinal);
                    break;
                case "client-throws":
                    Assert.Contains("warning ACB2002", run.Output, StringComparison.Ordinal);
                    Assert.True(broken.Connections > 0, "the build never reached the broken server");
                    break;
                default:
                    Assert.All(run.Report, r => Assert.True(r.Stored));
                    break;
            }
        }

        foreach (var (output, binlog) in runs)
        {
            var raw = await File.ReadAllBytesAsync(binlog);
            byte[] expanded;
            await using (var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress))
            using (var buffer = new MemoryStream())
            {
                await gzip.CopyToAsync(buffer);
                expanded = buffer.ToArray();
            }

            // The binlog embeds the project files it read as a zip (deflated again inside the gzip): search those too.
            var embedded = EmbeddedZipEntries(expanded);
            Assert.NotEmpty(embedded);
            foreach (var secret in new[] { server.Token, wrongToken, signatureKey })
            {
                Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
                foreach (var encoding in new Encoding[] { Encoding.UTF8, Encoding.Unicode })
                {
                    var bytes = encoding.GetBytes(secret);
                    Assert.True(raw.AsSpan().IndexOf(bytes) < 0, "secret in the binlog's raw bytes");
                    Assert.True(expanded.AsSpan().IndexOf(bytes) < 0, "secret in the binlog's content");
                    Assert.All(embedded, entry => Assert.True(entry.AsSpan().IndexOf(bytes) < 0, "secret in a file embedded in the binlog"));
                }
            }

            Assert.True(expanded.Length > 10_000, "the binlog should hold the build");
            // Proof that the search reached the package's own imports, not only unrelated files.
            Assert.Contains(embedded, entry => entry.AsSpan().IndexOf("CacheCompile"u8) >= 0);
        }
    }

    /// <summary>The contents of every entry of every zip archive found inside <paramref name="data"/>.</summary>
    private static List<byte[]> EmbeddedZipEntries(byte[] data)
    {
        var entries = new List<byte[]>();
        ReadOnlySpan<byte> endOfDirectory = [0x50, 0x4B, 0x05, 0x06];
        for (var at = data.AsSpan().IndexOf(endOfDirectory); at >= 0 && at + 22 <= data.Length;)
        {
            // End-of-central-directory record: the directory's size and offset place the archive's first byte.
            var directorySize = BitConverter.ToUInt32(data, at + 12);
            var directoryOffset = BitConverter.ToUInt32(data, at + 16);
            var commentLength = BitConverter.ToUInt16(data, at + 20);
            var start = at - (long)directorySize - directoryOffset;
            var end = at + 22 + commentLength;
            if (start >= 0 && end <= data.Length)
            {
                using var archive = new ZipArchive(new MemoryStream(data, (int)start, (int)(end - start)), ZipArchiveMode.Read);
                foreach (var entry in archive.Entries)
                {
                    using var stream = entry.Open();
                    using var buffer = new MemoryStream();
                    stream.CopyTo(buffer);
                    entries.Add(buffer.ToArray());
                }
            }

            var next = data.AsSpan(at + 4).IndexOf(endOfDirectory);
            at = next < 0 ? -1 : at + 4 + next;
        }

        return entries;
    }
}
