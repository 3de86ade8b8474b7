using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ArtifactCache.Build.Remote;

/// <summary>
/// Turborepo's "artifact-signature:v2" tag, so artifacts signed here verify in <c>turbo</c> and the other way round.
/// tag = Base64(HMAC-SHA256(key = UTF-8 signature key,
///                          len‖"artifact-signature:v2" ‖ len‖hash ‖ len‖teamId ‖ len‖body)),
/// each len a little-endian uint64 byte count. The length prefixes make the field boundaries unambiguous,
/// which the older "hash + team + body" concatenation was not.
/// </summary>
public static class ArtifactSignature
{
    private static readonly byte[] SchemeName = Encoding.ASCII.GetBytes("artifact-signature:v2");

    /// <summary>Computes the tag, streaming the body from its current position (bodies can be large). The stream must be seekable or have a known length.</summary>
    public static string ComputeTag(byte[] key, string hash, string teamId, Stream body)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(hash);
        ArgumentNullException.ThrowIfNull(teamId);
        ArgumentNullException.ThrowIfNull(body);

        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        AppendField(hmac, SchemeName);
        AppendField(hmac, Encoding.UTF8.GetBytes(hash));
        AppendField(hmac, Encoding.UTF8.GetBytes(teamId));

        // The body's length prefix comes before the body, so it has to be known up front.
        AppendLength(hmac, body.Length - body.Position);
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = body.Read(buffer, 0, buffer.Length)) > 0)
            {
                hmac.AppendData(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToBase64String(hmac.GetHashAndReset());
    }

    /// <summary>True when <paramref name="tag"/> is the tag of this body. Missing or malformed tags are false; the compare is constant-time.</summary>
    public static bool Verify(byte[] key, string hash, string teamId, Stream body, string? tag)
    {
        if (string.IsNullOrEmpty(tag))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(ComputeTag(key, hash, teamId, body));
        var actual = Encoding.UTF8.GetBytes(tag.Trim());
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private static void AppendField(IncrementalHash hmac, byte[] field)
    {
        AppendLength(hmac, field.Length);
        hmac.AppendData(field);
    }

    private static void AppendLength(IncrementalHash hmac, long length)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, checked((ulong)length));
        hmac.AppendData(prefix);
    }
}
