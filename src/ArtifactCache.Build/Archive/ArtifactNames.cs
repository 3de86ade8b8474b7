using System.Text.Json.Serialization;

namespace ArtifactCache.Build.Archive;

/// <summary>What an entry name inside an artifact may look like: relative, forward slashes, nothing that could escape.</summary>
internal static class ArtifactNames
{
    public const int MaxLength = 260;

    public static bool IsSafe(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || name[0] == '/' || name.Contains('\\') || name.Contains(':'))
        {
            return false;
        }

        foreach (var character in name)
        {
            if (char.IsControl(character))
            {
                return false;
            }
        }

        return name.Split('/').All(segment => segment.Length > 0 && segment != "." && segment != "..");
    }
}

/// <summary>
/// The one JSON shape of artifact metadata. Source-generated, because the reflection-based serializer builds its
/// contracts on first use in every MSBuild node: measured at about 30 ms before a node's first restore.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never, MaxDepth = 16)]
[JsonSerializable(typeof(ArtifactMetadata))]
internal sealed partial class ArtifactJson : JsonSerializerContext;
