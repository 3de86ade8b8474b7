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
