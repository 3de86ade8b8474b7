using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Hashes a reference assembly built in this repository with its per-commit stamps neutralised: the
/// <c>+&lt;commit&gt;</c> suffix Source Link puts into <c>AssemblyInformationalVersion</c>, and the values derived from
/// the whole content: the module version id (MVID), the PE time stamp and checksum, and a strong-name signature.
/// Without this, a new commit would change every project's reference assembly and so every dependent's key, though
/// nothing a dependent compiles against changed. Used only outside strict mode (see README, "Across commits").
/// </summary>
internal static class StampNeutralHash
{
    private const int CommitLength = 40;

    public static string Hash(string path)
    {
        var bytes = File.ReadAllBytes(path);
        NeutraliseContentDerivedIds(bytes);
        NeutraliseCommitSuffixes(bytes);
        return Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
    }

    private static void NeutraliseContentDerivedIds(byte[] bytes)
    {
        try
        {
            using var pe = new PEReader(new MemoryStream(bytes, writable: false));
            if (!pe.HasMetadata)
            {
                return;
            }

            var headers = pe.PEHeaders;
            var metadata = pe.GetMetadataReader();
            var mvid = metadata.GetGuid(metadata.GetModuleDefinition().Mvid).ToByteArray();
            Array.Clear(bytes, headers.CoffHeaderStartOffset + 4, 4);
            // The PE checksum and a strong-name signature are computed over everything else.
            Array.Clear(bytes, headers.PEHeaderStartOffset + 64, 4);
            var signature = headers.CorHeader?.StrongNameSignatureDirectory ?? default;
            if (signature.Size > 0 && headers.TryGetDirectoryOffset(signature, out var signatureOffset) &&
                signatureOffset >= 0 && signatureOffset + signature.Size <= bytes.Length)
            {
                Array.Clear(bytes, signatureOffset, signature.Size);
            }

            // The MVID appears in the #GUID heap and again in the debug directory's data.
            for (var at = bytes.AsSpan().IndexOf(mvid); at >= 0; at = bytes.AsSpan().IndexOf(mvid))
            {
                Array.Clear(bytes, at, mvid.Length);
            }
        }
        catch (BadImageFormatException)
        {
            // Not an assembly: its bytes are all it is.
        }
    }

    // "+" followed by a full commit id in lowercase hex, as the SDK appends it to the informational version: in UTF-8
    // in the attribute blob, and in UTF-16 in the Win32 version resource (ProductVersion).
    private static void NeutraliseCommitSuffixes(byte[] bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != (byte)'+')
            {
                continue;
            }

            foreach (var width in (ReadOnlySpan<int>)[1, 2])
            {
                var start = i + width;
                if (start + (CommitLength * width) > bytes.Length || (width == 2 && bytes[i + 1] != 0))
                {
                    continue;
                }

                var isCommit = true;
                for (var c = 0; c < CommitLength && isCommit; c++)
                {
                    var b = bytes[start + (c * width)];
                    isCommit = (b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f') && (width == 1 || bytes[start + (c * width) + 1] == 0);
                }

                if (isCommit)
                {
                    for (var c = 0; c < CommitLength; c++)
                    {
                        bytes[start + (c * width)] = (byte)'0';
                    }
                }
            }
        }
    }
}
