using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Archive;

/// <summary>
/// Artifacts built by hand, with a valid header and checksum, so that each rejection is for the entry itself.
/// Every case must fail with its code, leave the destination folder empty and leave no temporary file.
/// </summary>
public sealed class HostileArtifactTests : IDisposable
{
    private static readonly byte[] Content = [1, 2, 3, 4];
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-hostile-");

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Destination => Path.Combine(_scratch.FullName, "dest");

    private static ArtifactOutput Output(string name, byte[]? content = null) =>
        new(name, (content ?? Content).Length, Convert.ToHexString(SHA256.HashData(content ?? Content)).ToLowerInvariant());

    private static byte[] Metadata(params ArtifactOutput[] outputs) => Metadata(1, outputs);

    private static byte[] Metadata(int version, params ArtifactOutput[] outputs) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new ArtifactMetadata(version, "test", "k", [], [], 1, outputs),
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase });

    /// <summary>Header + Brotli(tar) with the given entries, checksummed correctly.</summary>
    private string Build(Action<TarWriter> entries, Func<byte[], byte[]>? payloadTransform = null)
    {
        var payload = new MemoryStream();
        using (var brotli = new BrotliStream(payload, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(brotli, TarEntryFormat.Pax, leaveOpen: true))
        {
            entries(tar);
        }

        var bytes = payloadTransform is null ? payload.ToArray() : payloadTransform(payload.ToArray());
        return WithHeader(bytes);
    }

    private string WithHeader(byte[] payload, byte version = 1)
    {
        var header = new byte[44];
        "ACB"u8.CopyTo(header);
        header[3] = version;
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(4), payload.Length);
        SHA256.HashData(payload).CopyTo(header, 12);
        var path = Path.Combine(_scratch.FullName, Guid.NewGuid().ToString("N") + ".acb");
        File.WriteAllBytes(path, [.. header, .. payload]);
        return path;
    }

    private static void Add(TarWriter tar, string name, byte[] content) =>
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });

    private static void Meta(TarWriter tar, params ArtifactOutput[] outputs) => Add(tar, ArtifactFormat.MetadataEntry, Metadata(outputs));

    /// <summary>
    /// Maps a name into the destination folder and never outside it, whatever the name, so that even a reader with its
    /// own checks broken cannot make this test write anywhere else (Path.Join, unlike Path.Combine, never lets an
    /// absolute second part replace the first).
    /// </summary>
    internal static string? Contained(string folder, string name)
    {
        var full = Path.GetFullPath(Path.Join(folder, name));
        return full.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    private void AssertRejected(string artifact, string code, ArchiveLimits? limits = null, Func<string, string?>? destinationFor = null)
    {
        var log = new RecordingLog();
        var result = ArtifactReader.Restore(
            artifact,
            destinationFor ?? (name => Contained(Destination, name)),
            limits ?? ArtifactRoundTripTests.Generous,
            log);

        Assert.False(result.Success);
        Assert.Equal(code, result.FailureCode);
        Assert.Equal([code], log.WarningCodes);
        Assert.True(!Directory.Exists(Destination) || Directory.GetFiles(Destination, "*", SearchOption.AllDirectories).Length == 0, "nothing may be written");
        Assert.Empty(Directory.GetFiles(_scratch.FullName, "*.acbtmp", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[null]")]
    [InlineData("[{}]")]
    [InlineData("[{\"output\":\"out\",\"kind\":\"stamp-neutral-3\",\"codeVersion\":null,\"content\":null,\"value\":null}]")]
    [InlineData("[{\"output\":\"out\",\"kind\":\"type-provider\",\"codeVersion\":\"CODE\",\"content\":\"SHA\",\"value\":\"SHA\"}]")]
    public void Malformed_or_unasked_derived_hashes_leave_the_restore_whole_and_are_ignored(string derived)
    {
        var json = Encoding.UTF8.GetString(Metadata(Output("out")));
        Assert.Contains("\"derived\":[]", json, StringComparison.Ordinal);
        json = json.Replace("\"derived\":[]", "\"derived\":" + derived.Replace("CODE", DerivedHashes.CodeVersion, StringComparison.Ordinal)
            .Replace("SHA", Output("out").Sha256, StringComparison.Ordinal), StringComparison.Ordinal);
        var artifact = Build(tar =>
        {
            Add(tar, ArtifactFormat.MetadataEntry, Encoding.UTF8.GetBytes(json));
            Add(tar, "files/out", Content);
        });
        var log = new RecordingLog();

        var result = ArtifactReader.Restore(artifact, name => Contained(Destination, name), ArtifactRoundTripTests.Generous, log);

        Assert.True(result.Success);
        Assert.Empty(log.WarningCodes);
        var remembered = Path.Combine(_scratch.FullName, "derived");
        new CompilationKeyBuilder(new FileHasher(), new DerivedHashes(remembered, new ConcurrentDictionary<string, string>())).RememberDerived(result.Metadata!);
        Assert.False(Directory.Exists(remembered));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("C:/Windows/evil.dll")]
    [InlineData("../escape.dll")]
    [InlineData("a/../../escape.dll")]
    [InlineData("a\\..\\escape.dll")]
    [InlineData("./out")]
    [InlineData("a//b")]
    public void Unsafe_names_are_rejected(string name)
    {
        var artifact = Build(tar =>
        {
            Meta(tar, Output(name));
            Add(tar, "files/" + name, Content);
        });

        AssertRejected(artifact, DiagnosticCodes.ArchiveUnsafeEntry);
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink)]
    [InlineData(TarEntryType.HardLink)]
    [InlineData(TarEntryType.CharacterDevice)]
    [InlineData(TarEntryType.BlockDevice)]
    [InlineData(TarEntryType.Fifo)]
    [InlineData(TarEntryType.Directory)]
    public void Links_devices_and_directories_are_rejected(TarEntryType type)
    {
        var artifact = Build(tar =>
        {
            Meta(tar, Output("out"));
            var entry = new PaxTarEntry(type, "files/out");
            if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink)
            {
                entry.LinkName = "/etc/passwd";
            }

            tar.WriteEntry(entry);
        });

        AssertRejected(artifact, DiagnosticCodes.ArchiveUnsafeEntry);
    }

    [Fact]
    public void Duplicate_entries_are_rejected_even_when_they_differ_only_in_case()
    {
        AssertRejected(Build(tar =>
        {
            Meta(tar, Output("out"));
            Add(tar, "files/out", Content);
            Add(tar, "files/out", Content);
        }), DiagnosticCodes.ArchiveUnsafeEntry);

        AssertRejected(Build(tar =>
        {
            Meta(tar, Output("out"), Output("OUT"));
            Add(tar, "files/out", Content);
            Add(tar, "files/OUT", Content);
        }), DiagnosticCodes.ArchiveUnsafeEntry);
    }

    [Fact]
    public void Entries_that_do_not_match_the_manifest_are_rejected()
    {
        AssertRejected(Build(tar =>
        {
            Meta(tar, Output("out"));
            Add(tar, "files/out", [1, 2, 3, 5]);
        }), DiagnosticCodes.ArchiveManifestMismatch);

        AssertRejected(Build(tar =>
        {
            Meta(tar, Output("out"));
            Add(tar, "files/out", [1, 2, 3]);
        }), DiagnosticCodes.ArchiveManifestMismatch);

        AssertRejected(Build(tar =>
        {
            Meta(tar, Output("out"), Output("pdb"));
            Add(tar, "files/out", Content);
        }), DiagnosticCodes.ArchiveManifestMismatch);

        AssertRejected(Build(tar =>
        {
            Meta(tar, Output("out"));
            Add(tar, "files/out", Content);
            Add(tar, "files/extra", Content);
        }), DiagnosticCodes.ArchiveManifestMismatch);
    }

    [Fact]
    public void Size_limits_are_enforced()
    {
        var big = new byte[10_000];
        var artifact = Build(tar =>
        {
            Meta(tar, Output("out", big), Output("pdb", big));
            Add(tar, "files/out", big);
            Add(tar, "files/pdb", big);
        });

        AssertRejected(artifact, DiagnosticCodes.ArchiveTooLarge, new ArchiveLimits(1 << 20, 5_000, 1 << 20));
        AssertRejected(artifact, DiagnosticCodes.ArchiveTooLarge, new ArchiveLimits(1 << 20, 1 << 20, 15_000));
        AssertRejected(artifact, DiagnosticCodes.ArchiveTooLarge, new ArchiveLimits(100, 1 << 20, 1 << 20));
    }

    [Fact]
    public void An_entry_with_no_place_in_this_build_is_rejected()
    {
        var artifact = Build(tar =>
        {
            Meta(tar, Output("out"));
            Add(tar, "files/out", Content);
        });

        AssertRejected(artifact, DiagnosticCodes.ArchiveUnsafeEntry, destinationFor: _ => null);
        AssertRejected(artifact, DiagnosticCodes.ArchiveUnsafeEntry, destinationFor: _ => "relative/out.dll");
    }

    [Fact]
    public void Other_format_versions_are_unsupported()
    {
        AssertRejected(WithHeader([1, 2, 3], version: 2), DiagnosticCodes.ArchiveUnsupportedVersion);
        AssertRejected(Build(tar => Add(tar, ArtifactFormat.MetadataEntry, Metadata(7, Output("out")))), DiagnosticCodes.ArchiveUnsupportedVersion);
    }

    [Fact]
    public void Garbage_is_corrupt_not_a_crash()
    {
        var random = new byte[4096];
        new Random(42).NextBytes(random);
        var garbage = Path.Combine(_scratch.FullName, "garbage.acb");
        File.WriteAllBytes(garbage, random);
        AssertRejected(garbage, DiagnosticCodes.ArchiveCorrupt);

        // A zstd frame, as a Turborepo artifact stored under the same hash would start.
        var zstd = Path.Combine(_scratch.FullName, "zstd.acb");
        File.WriteAllBytes(zstd, [0x28, 0xB5, 0x2F, 0xFD, 0, 0, 0, 0]);
        AssertRejected(zstd, DiagnosticCodes.ArchiveCorrupt);

        // A valid header over a corrupt compressed stream.
        AssertRejected(WithHeader(random), DiagnosticCodes.ArchiveCorrupt);

        // A valid compressed stream of something that is not a tar.
        var notTar = new MemoryStream();
        using (var brotli = new BrotliStream(notTar, CompressionLevel.Fastest, leaveOpen: true))
        {
            brotli.Write(Encoding.UTF8.GetBytes(new string('x', 3000)));
        }

        AssertRejected(WithHeader(notTar.ToArray()), DiagnosticCodes.ArchiveCorrupt);

        // Metadata that is not JSON.
        AssertRejected(Build(tar => Add(tar, ArtifactFormat.MetadataEntry, "{not json"u8.ToArray())), DiagnosticCodes.ArchiveCorrupt);

        // No metadata first.
        AssertRejected(Build(tar => Add(tar, "files/out", Content)), DiagnosticCodes.ArchiveCorrupt);
    }

    [Fact]
    public void A_flipped_byte_fails_the_checksum()
    {
        var artifact = Build(tar =>
        {
            Meta(tar, Output("out"));
            Add(tar, "files/out", Content);
        });
        var bytes = File.ReadAllBytes(artifact);
        bytes[^3] ^= 0x40;
        File.WriteAllBytes(artifact, bytes);

        AssertRejected(artifact, DiagnosticCodes.ArchiveCorrupt);
    }
}
