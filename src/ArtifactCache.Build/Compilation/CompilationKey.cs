using System.Security.Cryptography;
using System.Text;

namespace ArtifactCache.Build.Compilation;

/// <summary>One named input of a key and the hash of its value or content; the list of them is the key's manifest.</summary>
public sealed record KeyInput(string Name, string Hash);

/// <summary>A cache key: the hex SHA-256 of its manifest, and the manifest itself (kept so a miss can be explained).</summary>
public sealed record CompilationKey(string Value, IReadOnlyList<KeyInput> Inputs)
{
    public static CompilationKey FromInputs(IReadOnlyList<KeyInput> inputs)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var input in inputs)
        {
            // Length-prefixed so that no two different manifests serialise to the same bytes.
            Append(hash, input.Name);
            Append(hash, input.Hash);
        }

        return new CompilationKey(Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), inputs);
    }

    private static void Append(IncrementalHash hash, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        hash.AppendData(BitConverter.GetBytes((long)bytes.Length));
        hash.AppendData(bytes);
    }
}

/// <summary>What, besides the command line, the key of one compilation depends on.</summary>
public sealed record KeyContext
{
    /// <summary>The checkout folder, which may differ between machines; null when relocation is off (absolute paths are then part of the key).</summary>
    public string? RepositoryRoot { get; init; }

    /// <summary>
    /// The commit id the SDK appends to the informational version in the generated AssemblyInfo; null in strict mode,
    /// and when <c>$(SourceRevisionId)</c> is not the commit (see <see cref="CommitStamps.CommitOrNull"/>), so the value
    /// stays in the key.
    /// </summary>
    public string? SourceRevisionId { get; init; }

    /// <summary>
    /// The commit source control found, which Source Link writes into its map's URLs whatever <c>$(SourceRevisionId)</c>
    /// says; null in strict mode. When null, <see cref="SourceRevisionId"/> stands for it.
    /// </summary>
    public string? SourceControlCommit { get; init; }

    /// <summary>Leave the version stamps git-height tools write per commit out of the key (ArtifactCacheVolatileVersion).</summary>
    public bool VolatileVersions { get; init; }

    /// <summary>The generated AssemblyInfo source, where the commit id is stamped.</summary>
    public string? GeneratedAssemblyInfoFile { get; init; }

    /// <summary>The project's intermediate folder (obj/...), where generated sources live; relative to the project folder.</summary>
    public string? IntermediateDirectory { get; init; }

    /// <summary>The runtime that runs the compiler and the process architecture (see <see cref="CompilerRuntime"/>).</summary>
    public string CompilerRuntime { get; init; } = "";

    /// <summary>The compiler's own files: their content is the compiler's identity.</summary>
    public IReadOnlyList<string> CompilerFiles { get; init; } = [];

    /// <summary>Environment variables CoreCompile hands the compiler (<c>$(CscEnvironment)</c>).</summary>
    public string CompilerEnvironment { get; init; } = "";

    /// <summary>Anything else that must split keys, such as the artifact format version.</summary>
    public IReadOnlyList<KeyInput> Extra { get; init; } = [];
}
