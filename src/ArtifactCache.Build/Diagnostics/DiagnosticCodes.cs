namespace ArtifactCache.Build.Diagnostics;

/// <summary>
/// Every diagnostic the package raises. Codes are stable: tests assert them and the README documents each one.
/// Ranges: ACB1xxx settings, ACB2xxx remote cache, ACB3xxx artifact format, ACB4xxx local cache, ACB5xxx compilation and declared targets.
/// </summary>
public static class DiagnosticCodes
{
    // Settings
    public const string InvalidSetting = "ACB1001";
    public const string RemoteUrlHasCredentials = "ACB1002";
    public const string InsecureRemoteUrl = "ACB1003";
    public const string WeakSignatureKey = "ACB1004";
    public const string RemoteWithoutToken = "ACB1005";
    public const string InvalidToken = "ACB1006";

    // Remote cache
    public const string RemoteRejected = "ACB2001";
    public const string RemoteUnavailable = "ACB2002";
    public const string RemoteCircuitOpen = "ACB2003";
    public const string RemoteStatusNotEnabled = "ACB2004";
    public const string SignatureInvalid = "ACB2005";
    public const string RemoteCorruptDownload = "ACB2006";
    public const string RemoteUploadFailed = "ACB2007";
    public const string RemoteArtifactTooLarge = "ACB2008";

    // Artifact format
    public const string ArchiveUnsafeEntry = "ACB3001";
    public const string ArchiveTooLarge = "ACB3002";
    public const string ArchiveCorrupt = "ACB3003";
    public const string ArchiveUnsupportedVersion = "ACB3004";
    public const string ArchiveManifestMismatch = "ACB3005";

    // Local cache
    public const string LocalCacheUnusable = "ACB4001";
    public const string LocalEntryCorrupt = "ACB4002";
    public const string LocalWriteFailed = "ACB4003";

    // Compilation caching
    public const string CacheStepFailed = "ACB5001";
    public const string CompilerNotStarted = "ACB5002";
    public const string ReportWriteFailed = "ACB5003";
    public const string VerifyMismatch = "ACB5004";

    // Declared targets (ArtifactCacheTarget items)
    public const string TargetDeclarationRefused = "ACB5005";
    public const string TargetRanAfterRestore = "ACB5006";
    public const string TestInputMissing = "ACB5007";

    /// <summary>Raised by the targets (build/ArtifactCache.Build.TestRuns.targets): an opted-in test application the launcher cannot record.</summary>
    public const string TestPlatformNotCached = "ACB5008";

    /// <summary>A restored output could not replace the build's file (held open, or read-only and not made writable): the step runs instead.</summary>
    public const string OutputInUse = "ACB5009";
}
