using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ArtifactCache.Build.Tests.Infrastructure;

/// <summary>
/// One running instance of the real npm server turborepo-remote-cache (pinned in tests/remote-server), on a free
/// 127.0.0.1 port, with local storage in its own temp folder and a random token.
/// </summary>
public sealed class TurboRemoteCacheServer : IAsyncDisposable
{
    private static readonly TimeSpan StartupLimit = TimeSpan.FromSeconds(20);
    private readonly Process _process;
    private readonly string _storage;
    private readonly StringBuilder _output = new();

    private TurboRemoteCacheServer(Process process, string storage, Uri url, string token)
    {
        _process = process;
        _storage = storage;
        Url = url;
        Token = token;
    }

    public Uri Url { get; }

    public string Token { get; }

    /// <summary>The folder the server keeps artifacts in (STORAGE_PATH).</summary>
    public string StoragePath => _storage;

    /// <summary>What the server printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="signatureKey">When set, the server keeps and echoes x-artifact-tag (it never verifies it).</param>
    public static async Task<TurboRemoteCacheServer> StartAsync(string? signatureKey)
    {
        var serverFolder = Path.Combine(RepoRoot.Find(), "tests", "remote-server");
        await EnsureInstalledAsync(serverFolder);

        var port = FreeLoopbackPort();
        var storage = Path.Combine(Path.GetTempPath(), "acb-remote-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(storage);
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var start = new ProcessStartInfo("node", ["node_modules/turborepo-remote-cache/dist/cli.js"])
        {
            WorkingDirectory = serverFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["NODE_ENV"] = "production";
        start.Environment["STORAGE_PROVIDER"] = "local";
        start.Environment["STORAGE_PATH"] = storage;
        start.Environment["STORAGE_PATH_USE_TMP_FOLDER"] = "false";
        start.Environment["TURBO_TOKEN"] = token;
        start.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (signatureKey is not null)
        {
            start.Environment["TURBO_REMOTE_CACHE_SIGNATURE_KEY"] = signatureKey;
        }
        else
        {
            start.Environment.Remove("TURBO_REMOTE_CACHE_SIGNATURE_KEY");
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var server = new TurboRemoteCacheServer(process, storage, new Uri($"http://127.0.0.1:{port}/"), token);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilAnsweringAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_storage, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    // Any HTTP answer to the status route means the server listens; the poll is bounded by StartupLimit.
    private async Task WaitUntilAnsweringAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartupLimit)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"turborepo-remote-cache exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Url, "v8/artifacts/status?slug=probe"));
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"turborepo-remote-cache did not answer within {StartupLimit.TotalSeconds} s:\n{Output}");
    }

    private static async Task EnsureInstalledAsync(string serverFolder)
    {
        if (Directory.Exists(Path.Combine(serverFolder, "node_modules", "turborepo-remote-cache")))
        {
            return;
        }

        var npm = OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
        using var process = Process.Start(new ProcessStartInfo(npm, ["ci", "--no-audit", "--no-fund"])
        {
            WorkingDirectory = serverFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("npm did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci failed in {serverFolder}:\n{await stdout}\n{await stderr}");
        }
    }

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>The real server twice: plain, and with a signature key so it stores and echoes tags. Started once per test collection.</summary>
public sealed class TurboRemoteCacheFixture : IAsyncLifetime
{
    public const string SignatureKey = "fixture-signature-key-0123456789abcdef";

    public TurboRemoteCacheServer Plain { get; private set; } = null!;

    public TurboRemoteCacheServer Signed { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var plain = TurboRemoteCacheServer.StartAsync(signatureKey: null);
        var signed = TurboRemoteCacheServer.StartAsync(SignatureKey);
        Plain = await plain;
        Signed = await signed;
    }

    public async Task DisposeAsync()
    {
        if (Plain is not null)
        {
            await Plain.DisposeAsync();
        }

        if (Signed is not null)
        {
            await Signed.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TurboRemoteCacheCollection : ICollectionFixture<TurboRemoteCacheFixture>
{
    public const string Name = "turborepo-remote-cache";
}

/// <summary>Finds the repository root (the folder with ArtifactCache.Build.sln) above the test binaries.</summary>
public static class RepoRoot
{
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ArtifactCache.Build.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No ArtifactCache.Build.sln above {AppContext.BaseDirectory}.");
    }
}
