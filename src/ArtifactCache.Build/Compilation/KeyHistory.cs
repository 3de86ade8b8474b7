using System.Security.Cryptography;
using System.Text.Json.Serialization;
using System.Text.Json;
using System.Text;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// The most recent key manifest of each project (by repository-relative path, framework and configuration), kept in the
/// local cache folder so a miss can say which inputs changed since the last build of that project on this machine.
/// Bounded: at most <see cref="MaxProjects"/> projects are remembered, the least recently built are forgotten.
/// </summary>
public sealed class KeyHistory
{
    public const int MaxProjects = 2000;

    private readonly string _directory;

    public KeyHistory(string directory)
    {
        _directory = directory;
    }

    /// <summary>The identity of a project's compilations across checkouts: its path under the repository root.</summary>
    public static string ProjectIdentity(string projectPath, string? repositoryRoot, string? targetFramework, string? configuration)
    {
        var path = Path.GetFullPath(projectPath);
        if (repositoryRoot is not null)
        {
            var root = Path.GetFullPath(repositoryRoot).TrimEnd('/', '\\') + Path.DirectorySeparatorChar;
            if (PathPolicy.Current.IsUnder(path, root) && path.Length > root.Length)
            {
                path = "{root}/" + path[root.Length..].Replace('\\', '/');
            }
        }

        return $"{path}|{targetFramework}|{configuration}";
    }

    public IReadOnlyList<KeyInput>? Previous(string projectIdentity)
    {
        try
        {
            var file = FileFor(projectIdentity);
            if (!File.Exists(file))
            {
                return null;
            }

            return JsonSerializer.Deserialize(File.ReadAllBytes(file), KeyHistoryJson.Default.IReadOnlyListKeyInput);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Remembers this key's manifest; best effort, since it only serves explanations. The manifest the project already
    /// has (a hit, as a rule) is not written again: its file is only marked recently used, for the trim.
    /// </summary>
    public void Record(string projectIdentity, IReadOnlyList<KeyInput> inputs)
    {
        try
        {
            var file = FileFor(projectIdentity);
            var manifest = JsonSerializer.SerializeToUtf8Bytes(inputs, KeyHistoryJson.Default.IReadOnlyListKeyInput);
            if (File.Exists(file) && File.ReadAllBytes(file).AsSpan().SequenceEqual(manifest))
            {
                File.SetLastWriteTimeUtc(file, DateTime.UtcNow);
                return;
            }

            Directory.CreateDirectory(_directory);
            var temporary = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllBytes(temporary, manifest);
            File.Move(temporary, file, overwrite: true);
            TrimOccasionally();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private string FileFor(string projectIdentity) =>
        Path.Combine(_directory, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(projectIdentity)))[..32].ToLowerInvariant() + ".json");

    // Listing the folder on every build would cost more than it saves: trim on about one write in fifty.
    private void TrimOccasionally()
    {
        if (Random.Shared.Next(50) != 0)
        {
            return;
        }

        var files = new DirectoryInfo(_directory).GetFiles("*.json");
        foreach (var stale in files.OrderByDescending(f => f.LastWriteTimeUtc).Skip(MaxProjects))
        {
            stale.Delete();
        }
    }
}

/// <summary>The history's JSON (property names as the reflection-based serializer wrote them), source-generated for the same reason as <c>ArtifactJson</c>.</summary>
[JsonSerializable(typeof(IReadOnlyList<KeyInput>))]
internal sealed partial class KeyHistoryJson : JsonSerializerContext;
