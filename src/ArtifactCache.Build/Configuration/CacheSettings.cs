namespace ArtifactCache.Build.Configuration;

/// <summary>What the remote cache may be used for in this build.</summary>
public enum RemoteMode
{
    ReadWrite,
    ReadOnly,
    WriteOnly,
    Off,
}

/// <summary>
/// Every setting of the package, resolved once (MSBuild property, then environment, then default) and immutable after.
/// Secrets (<see cref="Token"/>, <see cref="SignatureKey"/>) only ever come from the environment.
/// </summary>
public sealed record CacheSettings
{
    public const long DefaultLocalMaxBytes = 5L * 1024 * 1024 * 1024;
    public const long DefaultMaxArtifactBytes = 1L * 1024 * 1024 * 1024;
    public const long DefaultMaxEntryBytes = 1L * 1024 * 1024 * 1024;
    public const long DefaultMaxExpandedBytes = 2L * 1024 * 1024 * 1024;

    public bool Enabled { get; init; } = true;

    // Local cache
    public bool LocalEnabled { get; init; } = true;
    public string LocalDirectory { get; init; } = "";

    /// <summary>Where values derived on this machine persist between builds (see DerivedHashes); null without a local cache.</summary>
    public string? DerivedDirectory => LocalEnabled ? Path.Combine(LocalDirectory, "derived") : null;
    public long LocalMaxBytes { get; init; } = DefaultLocalMaxBytes;

    // Remote cache
    public Uri? RemoteUrl { get; init; }
    public RemoteMode RemoteMode { get; init; } = RemoteMode.ReadWrite;
    public string? Token { get; init; }
    public string? TeamId { get; init; }
    public string? TeamSlug { get; init; }
    public string? SignatureKey { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The most time one MSBuild node spends on remote operations that failed before it stops using the remote for the
    /// rest of the build: the bound on what a dead or hanging remote can add.
    /// </summary>
    public TimeSpan RemoteBudget { get; init; } = TimeSpan.FromSeconds(30);
    public int MaxRetries { get; init; } = 2;
    public int CircuitBreakerThreshold { get; init; } = 3;
    public bool SendEvents { get; init; }
    public bool AllowInsecureHttp { get; init; }

    // Limits applied when restoring an artifact
    public long MaxArtifactBytes { get; init; } = DefaultMaxArtifactBytes;
    public long MaxEntryBytes { get; init; } = DefaultMaxEntryBytes;
    public long MaxExpandedBytes { get; init; } = DefaultMaxExpandedBytes;

    /// <summary>
    /// Leave the version stamps git-height tools write per commit (informational and file versions, Nerdbank.GitVersioning's
    /// ThisAssembly values) out of keys: a hit may then carry another commit's (ArtifactCacheVolatileVersion).
    /// </summary>
    public bool VolatileVersions { get; init; }

    /// <summary>
    /// Publish each compilation's key under a prediction of its project and commit, and fetch predicted artifacts in
    /// the background when a project starts building (ArtifactCachePrefetch). Only with a remote and a local cache.
    /// </summary>
    public bool Prefetch { get; init; } = true;

    /// <summary>The share of hits also compiled locally and compared (ArtifactCacheVerify): 0 none, 1 every hit.</summary>
    public double VerifyFraction { get; init; }

    /// <summary>True when a remote is configured and may be used at all.</summary>
    public bool RemoteEnabled => Enabled && RemoteUrl is not null && RemoteMode != RemoteMode.Off;

    public bool RemoteCanRead => RemoteEnabled && RemoteMode is RemoteMode.ReadWrite or RemoteMode.ReadOnly;

    public bool RemoteCanWrite => RemoteEnabled && RemoteMode is RemoteMode.ReadWrite or RemoteMode.WriteOnly;

    public bool SigningEnabled => !string.IsNullOrEmpty(SignatureKey);

    /// <summary>The team id that goes into artifact signatures: the teamId setting, empty when only a slug is set.</summary>
    public string SignatureTeamId => TeamId ?? "";

    /// <summary>A one-line description with secrets masked, for logs.</summary>
    public override string ToString() =>
        $"Enabled={Enabled}, Local={(LocalEnabled ? LocalDirectory : "off")}, LocalMaxBytes={LocalMaxBytes}, " +
        $"Remote={(RemoteUrl is null ? "none" : RemoteUrl.GetLeftPart(UriPartial.Path))}, Mode={RemoteMode}, " +
        $"Token={(Token is null ? "unset" : "set")}, TeamId={TeamId ?? "unset"}, Team={TeamSlug ?? "unset"}, " +
        $"Signing={(SigningEnabled ? "on" : "off")}, Timeout={RequestTimeout.TotalSeconds}s, Retries={MaxRetries}";
}
