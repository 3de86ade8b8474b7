using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using ArtifactCache.Build.Diagnostics;

namespace ArtifactCache.Build.Archive;

/// <summary>Writes an artifact (see <see cref="ArtifactFormat"/>) of output files and their metadata.</summary>
public static class ArtifactWriter
{
    /// <summary>
    /// Writes the artifact to <paramref name="destination"/>, which must be seekable (the header is written last).
    /// Each file is read once into memory, so the bytes archived are exactly the bytes its manifest entry describes.
    /// </summary>
    public static ArtifactMetadata Write(
        Stream destination,
        string key,
        IReadOnlyList<ArtifactInput> inputs,
        IReadOnlyList<ToolDiagnostic> diagnostics,
        long durationMs,
        IReadOnlyList<ArtifactFile> files,
        IReadOnlyList<ArtifactInput>? reads = null,
        IReadOnlyList<ArtifactDerivedHash>? derived = null)
    {
        var contents = new List<byte[]>(files.Count);
        var outputs = new List<ArtifactOutput>(files.Count);
        foreach (var file in files)
        {
            if (!ArtifactNames.IsSafe(file.Name))
            {
                throw new ArgumentException($"'{file.Name}' is not a valid artifact entry name.", nameof(files));
            }

            var bytes = File.ReadAllBytes(file.SourcePath);
            contents.Add(bytes);
            outputs.Add(new ArtifactOutput(file.Name, bytes.LongLength, Hex(SHA256.HashData(bytes))));
        }

        var metadata = new ArtifactMetadata(ArtifactFormat.Version, ArtifactFormat.ProducerVersion, key, inputs, diagnostics, durationMs, outputs) { Reads = reads ?? [], Derived = derived ?? [] };

        var start = destination.Position;
        destination.Write(new byte[ArtifactFormat.HeaderLength]);
        var payloadStart = destination.Position;
        using var payloadHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var hashing = new HashingWriteStream(destination, payloadHash))
        using (var compressed = new BrotliStream(hashing, ArtifactFormat.Compression, leaveOpen: true))
        using (var tar = new TarWriter(compressed, TarEntryFormat.Pax, leaveOpen: true))
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(metadata, ArtifactJson.Default.ArtifactMetadata);
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, ArtifactFormat.MetadataEntry) { DataStream = new MemoryStream(json) });
            for (var i = 0; i < files.Count; i++)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, ArtifactFormat.FilePrefix + files[i].Name) { DataStream = new MemoryStream(contents[i]) });
            }
        }

        var end = destination.Position;
        Span<byte> header = stackalloc byte[ArtifactFormat.HeaderLength];
        ArtifactFormat.WriteHeader(header, end - payloadStart, payloadHash.GetHashAndReset());
        destination.Position = start;
        destination.Write(header);
        destination.Position = end;
        return metadata;
    }

    internal static string Hex(byte[] hash) => Convert.ToHexString(hash).ToLowerInvariant();

    /// <summary>Hashes what is written on its way to the destination.</summary>
    private sealed class HashingWriteStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
