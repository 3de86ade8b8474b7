using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// The two places the SDK writes the commit id into a compilation's inputs on every commit, found by parsing those
/// generated files and nowhere else: the <c>+&lt;commit&gt;</c> suffix of <c>AssemblyInformationalVersion</c> in the
/// generated AssemblyInfo source, and the commit inside the Source Link map's URLs. Outside strict mode the key reads
/// them with the commit replaced by a placeholder; the same commit anywhere else (a user's own attribute, a constant)
/// stays in the key.
/// </summary>
internal static class CommitStamps
{
    private const string Placeholder = "{revision}";
    private const string InformationalVersionLine = "[assembly: System.Reflection.AssemblyInformationalVersionAttribute(\"";
    private const string LineEnd = "\")]";

    /// <summary>The generated AssemblyInfo text with only the informational version's commit suffix replaced.</summary>
    public static string WithoutInformationalVersionCommit(string assemblyInfo, string revision)
    {
        var lines = assemblyInfo.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (!line.StartsWith(InformationalVersionLine, StringComparison.Ordinal) || !line.EndsWith(LineEnd, StringComparison.Ordinal))
            {
                continue;
            }

            var value = line[InformationalVersionLine.Length..^LineEnd.Length];
            // The SDK appends "+<commit>", or ".<commit>" when the version already has build metadata (MinVer's does).
            var plus = value.IndexOf('+', StringComparison.Ordinal);
            if (plus >= 0 && value.EndsWith(revision, StringComparison.Ordinal) && value.Length > revision.Length &&
                value[^(revision.Length + 1)] is '+' or '.')
            {
                lines[i] = InformationalVersionLine + value[..^revision.Length] + Placeholder + LineEnd + lines[i][line.Length..];
            }
        }

        return string.Join('\n', lines);
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
