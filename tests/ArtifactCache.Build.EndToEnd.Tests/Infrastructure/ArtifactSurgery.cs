using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Rewrites real artifacts into broken or hostile ones that still carry a valid header checksum, so the reader's
/// later defences (decompression, tar parsing, entry names and types, the manifest) are what rejects them. Works on
/// bytes only: nothing here ever writes a file.
/// </summary>
public static class ArtifactSurgery
{
    private const int HeaderLength = 44;

    public static byte[] Payload(byte[] artifact) => artifact[HeaderLength..];

    /// <summary>Wraps <paramref name="payload"/> in a header with its true length and SHA-256.</summary>
    public static byte[] WithHeader(byte[] original, byte[] payload)
    {
        var result = new byte[HeaderLength + payload.Length];
        original.AsSpan(0, 4).CopyTo(result);
        BinaryPrimitives.WriteInt64LittleEndian(result.AsSpan(4, 8), payload.Length);
        SHA256.HashData(payload).CopyTo(result.AsSpan(12, 32));
        payload.CopyTo(result.AsSpan(HeaderLength));
        return result;
    }

    /// <summary>Flips bytes in the middle of the Brotli stream, then fixes the header checksum.</summary>
    public static byte[] CorruptCompression(byte[] artifact)
    {
        var payload = Payload(artifact);
        for (var i = payload.Length / 3; i < payload.Length / 3 + 64 && i < payload.Length; i++)
        {
            payload[i] ^= 0x5A;
        }

        return WithHeader(artifact, payload);
    }

    /// <summary>A valid Brotli stream whose tar is garbage after the first block.</summary>
    public static byte[] CorruptTar(byte[] artifact)
    {
        var tar = Decompress(Payload(artifact));
        for (var i = 600; i < Math.Min(tar.Length, 1600); i++)
        {
            tar[i] = 0xFF;
        }

        return WithHeader(artifact, Compress(tar));
    }

    /// <summary>Keeps the manifest but changes the bytes of every output it lists.</summary>
    public static byte[] OutputsNotMatchingManifest(byte[] artifact) =>
        Rewrite(artifact, entries => entries.Select(e => e.Name.StartsWith("files/", StringComparison.Ordinal)
            ? e with { Data = [.. e.Data.Select(b => (byte)(b ^ 0x01))] }
            : e).ToList());

    /// <summary>The artifact with one more entry of the given kind appended after the real ones.</summary>
    public static byte[] WithExtraEntry(byte[] artifact, TarEntryType type, string name, string? linkName = null, byte[]? data = null) =>
        Rewrite(artifact, entries => [.. entries, new Entry(type, name, linkName, data ?? [])]);

    /// <summary>The artifact with its first output entry repeated (same name, other bytes).</summary>
    public static byte[] WithDuplicateEntry(byte[] artifact) =>
        Rewrite(artifact, entries =>
        {
            var first = entries.First(e => e.Name.StartsWith("files/", StringComparison.Ordinal));
            return [.. entries, first with { Data = [1, 2, 3] }];
        });

    private static byte[] Rewrite(byte[] artifact, Func<List<Entry>, List<Entry>> change)
    {
        var entries = new List<Entry>();
        using (var reader = new TarReader(new MemoryStream(Decompress(Payload(artifact)))))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                using var data = new MemoryStream();
                entry.DataStream?.CopyTo(data);
                entries.Add(new Entry(entry.EntryType, entry.Name, entry.LinkName, data.ToArray()));
            }
        }

        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in change(entries))
            {
                var written = new PaxTarEntry(entry.Type, entry.Name);
                if (entry.LinkName is { Length: > 0 })
                {
                    written.LinkName = entry.LinkName;
                }

                if (entry.Type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
                {
                    written.DeviceMajor = 1;
                    written.DeviceMinor = 3;
                }

                if (entry.Type == TarEntryType.RegularFile)
                {
                    written.DataStream = new MemoryStream(entry.Data);
                }

                writer.WriteEntry(written);
            }
        }

        return WithHeader(artifact, Compress(tar.ToArray()));
    }

    private static byte[] Decompress(byte[] payload)
    {
        using var input = new BrotliStream(new MemoryStream(payload), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            brotli.Write(data);
        }

        return output.ToArray();
    }

    private sealed record Entry(TarEntryType Type, string Name, string? LinkName, byte[] Data);
}
