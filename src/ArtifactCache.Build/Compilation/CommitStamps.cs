using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// The two places the SDK writes the commit id into a compilation's inputs on every commit, found by parsing those
/// generated files and nowhere else: the <c>+&lt;commit&gt;</c> suffix of <c>AssemblyInformationalVersion</c> in the
/// generated AssemblyInfo source (its value comes from <see cref="VersionStamps"/>), and the commit inside the Source
/// Link map's URLs. Outside strict mode the key reads
/// them with the commit replaced by a placeholder; the same commit anywhere else (a user's own attribute, a constant)
/// stays in the key.
/// </summary>
internal static class CommitStamps
{
    private const string Placeholder = "{revision}";

    /// <summary>
    /// <c>$(SourceRevisionId)</c> when it is the commit source control found (<paramref name="sourceControlCommit"/>, the
    /// <c>RevisionId</c> of the git <c>SourceRoot</c>): a full SHA-1 or SHA-256 in hex, equal but for case. Null for
    /// anything else (a build stamp such as <c>build42</c>, a short SHA, a value with no commit to check it against):
    /// such a value is an ordinary input, since two builds of the same inputs with another stamp give other outputs.
    /// </summary>
    public static string? CommitOrNull(string? sourceRevisionId, string? sourceControlCommit) =>
        IsFullSha(sourceRevisionId) && IsFullSha(sourceControlCommit) &&
        string.Equals(sourceRevisionId, sourceControlCommit, StringComparison.OrdinalIgnoreCase)
            ? sourceRevisionId
            : null;

    /// <summary>
    /// What a remote prediction for this build is named by, so that it names the key's own inputs: the commit when
    /// <c>$(SourceRevisionId)</c> is the commit; else the commit and the stamp together (the stamp is then in the key);
    /// else whichever is known; null when neither is.
    /// </summary>
    public static string? PredictionRevision(string? sourceRevisionId, string? sourceControlCommit)
    {
        var stamp = string.IsNullOrWhiteSpace(sourceRevisionId) ? null : sourceRevisionId;
        var commit = string.IsNullOrWhiteSpace(sourceControlCommit) ? null : sourceControlCommit;
        return CommitOrNull(stamp, commit) ?? (stamp is not null && commit is not null ? commit + "+" + stamp : stamp ?? commit);
    }

    private static bool IsFullSha(string? value) =>
        value is { Length: 40 or 64 } && !value.AsSpan().ContainsAnyExcept("0123456789abcdefABCDEF");

    /// <summary>An informational version with the commit suffix the SDK appends replaced; any other value as it is.</summary>
    public static string WithoutCommitSuffix(string informationalVersion, string revision)
    {
        // The SDK appends "+<commit>", or ".<commit>" when the version already has build metadata (MinVer's does).
        var value = informationalVersion;
        return value.Contains('+', StringComparison.Ordinal) && value.EndsWith(revision, StringComparison.Ordinal) &&
               value.Length > revision.Length && value[^(revision.Length + 1)] is '+' or '.'
            ? value[..^revision.Length] + Placeholder
            : value;
    }

    /// <summary>
    /// How many characters of <paramref name="value"/> are the SDK's "+&lt;commit&gt;" suffix as a compiled assembly
    /// carries it, where the commit is not known: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits after a '+', at the
    /// very end; 0 when there is none (anything else is an ordinary part of the version).
    /// </summary>
    public static int SuffixLength(ReadOnlySpan<char> value)
    {
        foreach (var length in (ReadOnlySpan<int>)[40, 64])
        {
            if (value.Length > length && value[value.Length - length - 1] == '+' && !value[^length..].ContainsAnyExcept("0123456789abcdef"))
            {
                return length;
            }
        }

        return 0;
    }

    /// <summary>The Source Link json with the commit replaced inside its URLs only; the text as it is when it is not json.</summary>
    public static string WithoutSourceLinkCommit(string sourceLink, string revision)
    {
        try
        {
            if (JsonNode.Parse(sourceLink) is not JsonObject map || map["documents"] is not JsonObject documents)
            {
                return sourceLink;
            }

            foreach (var (local, url) in documents.ToList())
            {
                if (url is JsonValue value && value.TryGetValue<string>(out var text))
                {
                    documents[local] = text.Replace(revision, Placeholder, StringComparison.OrdinalIgnoreCase);
                }
            }

            return map.ToJsonString();
        }
        catch (JsonException)
        {
            return sourceLink;
        }
    }
}
