namespace ArtifactCache.Build.Remote;

/// <summary>What to tell the user to check when the remote turns them away; the README's diagnostics table mirrors this.</summary>
internal static class RemoteAdvice
{
    /// <summary>For 400/401/402/403, which Vercel documents as: bad query/header, no authorization, payment, forbidden/limits.</summary>
    public static string ForRejection(int status) => status switch
    {
        400 => "rejected the request as invalid (HTTP 400). Check the team: set ArtifactCacheTeamId (TURBO_TEAMID) or ArtifactCacheTeam (TURBO_TEAM); self-hosted servers require one",
        401 => "refused the token (HTTP 401). Check that ARTIFACTCACHE_TOKEN or TURBO_TOKEN is set and is a valid, unexpired token for this server",
        402 => "refused service because the account needs payment (HTTP 402). Check the team's plan and billing",
        _ => $"forbade access (HTTP {status}). Check that the token may use this team (teamId/slug), and that the team's plan has remote caching enabled and is within its usage or spend limit",
    };

    /// <summary>For a GET /v8/artifacts/status answer other than "enabled".</summary>
    public static string ForStatus(string? status) => status switch
    {
        "disabled" => ": remote caching is turned off for this team; enable it in the team's settings",
        "over_limit" => ": the team is over its usage limit; check its plan",
        "paused" => ": remote caching is paused for this team (for example a spend limit); check its billing",
        _ => "",
    };
}
