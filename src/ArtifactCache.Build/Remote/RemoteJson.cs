using System.Text.Json;

namespace ArtifactCache.Build.Remote;

/// <summary>The JSON bodies of the query and events endpoints, written and read without reflection.</summary>
internal static class RemoteJson
{
    public static byte[] HashesQuery(IEnumerable<string> hashes) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("hashes");
        foreach (var hash in hashes)
        {
            writer.WriteStringValue(hash);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    public static byte[] Events(IEnumerable<CacheEvent> events) => Write(writer =>
    {
        writer.WriteStartArray();
        foreach (var e in events)
        {
            writer.WriteStartObject();
            writer.WriteString("sessionId", e.SessionId);
            writer.WriteString("source", e.Remote ? "REMOTE" : "LOCAL");
            writer.WriteString("event", e.Hit ? "HIT" : "MISS");
            writer.WriteString("hash", e.Hash);
            if (e.DurationMs is { } duration)
            {
                writer.WriteNumber("duration", duration);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    /// <summary>
    /// Reads the map hash → info|null|error. A hash exists when its value is an object without "error";
    /// hashes the server left out count as absent. Null when the body is not such a map.
    /// </summary>
    public static IReadOnlyDictionary<string, bool>? ParseQueryAnswer(byte[] body, IEnumerable<string> asked)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var result = new Dictionary<string, bool>(StringComparer.Ordinal);
            foreach (var hash in asked)
            {
                result[hash] = document.RootElement.TryGetProperty(hash, out var info)
                    && info.ValueKind == JsonValueKind.Object
                    && !info.TryGetProperty("error", out _);
            }

            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }

        return stream.ToArray();
    }
}
