using System.Text.Json;
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

/// <summary>The one JSON shape of artifact metadata.</summary>
internal static class ArtifactJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        MaxDepth = 16,
    };
}
