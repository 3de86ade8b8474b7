using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Archive;

public sealed class ArtifactRoundTripTests : IDisposable
{
    internal static readonly ArchiveLimits Generous = new(1L << 30, 1L << 30, 1L << 31);
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-archive-");

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Scratch(string name) => Path.Combine(_scratch.FullName, name);

    [Fact]
    public void Restores_real_files_byte_for_byte_with_metadata_and_fresh_timestamps()
    {
        // Real binaries: the runtime's own assemblies.
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var files = new[] { "System.Private.CoreLib.dll", "System.Runtime.dll", "System.Linq.dll" }
            .Select((name, i) => new ArtifactFile(i == 0 ? "out" : $"extra/{name}", Path.Combine(runtime, name)))
            .ToList();
        var diagnostics = new List<ToolDiagnostic> { new("warning", "CS0168", "unused", "{root}/A.cs", 6, 51, 0, 0) };
        var artifact = Scratch("a.acb");
        using (var stream = File.Create(artifact))
        {
            ArtifactWriter.Write(stream, "abc123", [new("/define:X", ""), new("{root}/A.cs", "ff")], diagnostics, 1234, files);
        }

        var destination = Scratch("out");
        var log = new RecordingLog();
        var result = ArtifactReader.Restore(artifact, name => HostileArtifactTests.Contained(destination, name), Generous, log);

        Assert.True(result.Success, log.ToString());
        Assert.Equal(3, result.RestoredFiles.Count);
        foreach (var file in files)
        {
            var restored = Path.Combine(destination, file.Name.Replace('/', Path.DirectorySeparatorChar));
            Assert.Equal(File.ReadAllBytes(file.SourcePath), File.ReadAllBytes(restored));
            Assert.True(File.GetLastWriteTimeUtc(restored) > DateTime.UtcNow.AddMinutes(-1));
        }

        Assert.Equal("abc123", result.Metadata!.Key);
        Assert.Equal(1234, result.Metadata.DurationMs);
        Assert.Equal(diagnostics, result.Metadata.Diagnostics);
        Assert.Equal([new ArtifactInput("/define:X", ""), new ArtifactInput("{root}/A.cs", "ff")], result.Metadata.Inputs);
        Assert.Empty(log.WarningCodes);
        Assert.Empty(Directory.GetFiles(destination, "*.acbtmp", SearchOption.AllDirectories));
        Assert.True(ArtifactFormat.HasExpectedLength(artifact));
        Assert.Equal("abc123", ArtifactReader.ReadMetadata(artifact, Generous, log)!.Key);
    }

    [Fact]
    public void Overwrites_existing_outputs_only_when_everything_verified()
    {
        var source = Scratch("source.bin");
        File.WriteAllBytes(source, [1, 2, 3]);
        var artifact = Scratch("a.acb");
        using (var stream = File.Create(artifact))
        {
            ArtifactWriter.Write(stream, "k", [], [], 1, [new ArtifactFile("out", source)]);
        }

        var existing = Scratch("existing.dll");
        File.WriteAllBytes(existing, [9, 9]);
        Assert.True(ArtifactReader.Restore(artifact, _ => existing, Generous, new RecordingLog()).Success);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(existing));

        // Truncate the artifact: the destination keeps its bytes.
        File.WriteAllBytes(existing, [9, 9]);
        var bytes = File.ReadAllBytes(artifact);
        File.WriteAllBytes(artifact, bytes[..^5]);
        var log = new RecordingLog();
        Assert.False(ArtifactReader.Restore(artifact, _ => existing, Generous, log).Success);
        Assert.Equal([9, 9], File.ReadAllBytes(existing));
        Assert.Equal([DiagnosticCodes.ArchiveCorrupt], log.WarningCodes);
        Assert.False(ArtifactFormat.HasExpectedLength(artifact));
    }
}
