namespace ArtifactCache.Build.Remote;

/// <summary>
/// Which CI/CD system (if any) runs this build, for the <c>x-artifact-client-ci</c> and
/// <c>x-artifact-client-interactive</c> headers. Names follow the constants Turborepo sends (e.g. GITHUB_ACTIONS, VERCEL).
/// </summary>
public static class CiEnvironment
{
    /// <summary>The header allows at most 50 characters.</summary>
    public const int MaxNameLength = 50;

    // First match wins; the more specific systems come before the ones that merely set common variables.
    private static readonly (string Name, string Variable)[] Vendors =
    {
        ("VERCEL", "VERCEL"),
        ("GITHUB_ACTIONS", "GITHUB_ACTIONS"),
        ("GITLAB_CI", "GITLAB_CI"),
        ("AZURE_PIPELINES", "TF_BUILD"),
        ("CIRCLE", "CIRCLECI"),
        ("TRAVIS", "TRAVIS"),
        ("BITBUCKET_PIPELINES", "BITBUCKET_BUILD_NUMBER"),
        ("BUILDKITE", "BUILDKITE"),
        ("JENKINS", "JENKINS_URL"),
        ("TEAMCITY", "TEAMCITY_VERSION"),
        ("APPVEYOR", "APPVEYOR"),
        ("CODEBUILD", "CODEBUILD_BUILD_ARN"),
        ("DRONE", "DRONE"),
        ("NETLIFY", "NETLIFY"),
        ("SEMAPHORE", "SEMAPHORE"),
        ("BUDDY", "BUDDY_WORKSPACE_ID"),
        ("RENDER", "RENDER"),
        ("CLOUDFLARE_PAGES", "CF_PAGES"),
        ("GOOGLE_CLOUD_BUILD", "BUILDER_OUTPUT"),
        ("WOODPECKER", "CI_PIPELINE_NUMBER"),
    };

    /// <summary>
    /// The CI name (null when none is recognised) and whether a person is presumably at a terminal:
    /// false under any recognised CI or when the generic <c>CI</c> variable is set to something other than false/0.
    /// </summary>
    public static (string? Name, bool Interactive) Detect(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);

        foreach (var (name, variable) in Vendors)
        {
            if (!string.IsNullOrEmpty(environment(variable)))
            {
                return (name.Length > MaxNameLength ? name[..MaxNameLength] : name, false);
            }
        }

        var ci = environment("CI")?.Trim();
        var genericCi = !string.IsNullOrEmpty(ci) && !ci.Equals("false", StringComparison.OrdinalIgnoreCase) && ci != "0";
        return (null, !genericCi);
    }
}
