namespace ArtifactCache.Build.Remote;

/// <summary>What a remote-cache lookup came to.</summary>
public enum RemoteOutcome
{
    /// <summary>The artifact was downloaded, checked and moved into place.</summary>
    Hit,

    /// <summary>The remote answered and has no usable artifact (404, corrupt, too large or badly signed): compile and upload.</summary>
    Miss,

    /// <summary>The remote could not be asked (unavailable after retries, rejected, local write error): compile, treat as a miss.</summary>
    Failed,

    /// <summary>No request was made: remote not configured, not readable/writable in this mode, disabled or circuit open.</summary>
    Skipped,
}

/// <summary>The result of <see cref="RemoteCacheClient.DownloadAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="TaskDurationMs">The <c>x-artifact-duration</c> the uploader recorded (ms the work took), when the server sent it.</param>
public sealed record RemoteDownload(RemoteOutcome Outcome, long? TaskDurationMs);

/// <summary>One cache lookup, reported to <c>POST /v8/artifacts/events</c> when events are on.</summary>
/// <param name="SessionId">One id per build session (the caller picks it, e.g. a GUID).</param>
/// <param name="Hit">True for a hit, false for a miss.</param>
/// <param name="Remote">True when the remote cache answered, false for the local cache.</param>
/// <param name="Hash">The artifact hash.</param>
/// <param name="DurationMs">The time the hit saved (the task duration), when known.</param>
public sealed record CacheEvent(string SessionId, bool Hit, bool Remote, string Hash, long? DurationMs);
