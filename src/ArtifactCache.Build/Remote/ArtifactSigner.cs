using System.Text;

namespace ArtifactCache.Build.Remote;

/// <summary>Signs and verifies artifact files with one key and team id, streaming from disk so large bodies stay out of memory.</summary>
internal sealed class ArtifactSigner
{
    private readonly byte[] _key;
    private readonly string _teamId;

    public ArtifactSigner(string signatureKey, string teamId)
    {
        _key = Encoding.UTF8.GetBytes(signatureKey);
        _teamId = teamId;
    }

    public string TagOfFile(string hash, string file)
    {
        using var stream = File.OpenRead(file);
        return ArtifactSignature.ComputeTag(_key, hash, _teamId, stream);
    }

    public bool VerifyFile(string hash, string file, string? tag)
    {
        using var stream = File.OpenRead(file);
        return ArtifactSignature.Verify(_key, hash, _teamId, stream, tag);
    }
}
