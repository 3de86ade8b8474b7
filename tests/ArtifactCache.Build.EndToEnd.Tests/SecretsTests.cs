using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>The token and the signature key never reach a log or a binary log, on the good path or the 401 path.</summary>
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

        var runs = new List<(string Output, string Binlog)>();
        foreach (var (token, name) in new[] { (server.Token, "good"), (wrongToken, "rejected") })
        {
            var binlog = _workspace.PathOf(name + ".binlog");
            var run = Dotnet.Run(Path.Combine(a, "App"), _workspace.PathOf("cache-" + name), ["build", "-v:diag", "-bl:" + binlog, "--no-incremental"], new Dictionary<string, string>
            {
                ["TURBO_API"] = server.Url.ToString(),
                ["TURBO_TOKEN"] = token,
                ["TURBO_TEAM"] = "secrets",
                ["TURBO_REMOTE_CACHE_SIGNATURE_KEY"] = signatureKey,
            });
            Assert.True(run.Succeeded, run.ToString());
            runs.Add((run.Output, binlog));
            if (name == "rejected")
            {
                Assert.Contains("warning ACB2001", run.Output, StringComparison.Ordinal);
            }
            else
            {
                Assert.All(run.Report, r => Assert.True(r.Stored));
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

            foreach (var secret in new[] { server.Token, wrongToken, signatureKey })
            {
                Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
                foreach (var encoding in new Encoding[] { Encoding.UTF8, Encoding.Unicode })
                {
                    var bytes = encoding.GetBytes(secret);
                    Assert.True(raw.AsSpan().IndexOf(bytes) < 0, "secret in the binlog's raw bytes");
                    Assert.True(expanded.AsSpan().IndexOf(bytes) < 0, "secret in the binlog's content");
                }
            }

            Assert.True(expanded.Length > 10_000, "the binlog should hold the build");
        }
    }
}
