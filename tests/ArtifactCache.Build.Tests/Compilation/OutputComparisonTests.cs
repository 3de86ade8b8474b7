using System.Reflection.PortableExecutable;
using System.Text;
using ArtifactCache.Build.Compilation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class OutputComparisonTests : IDisposable
{
    private const string Source = """
        namespace Demo;

        /// <summary>Adds numbers.</summary>
        public static class Calculator
        {
            // Mapped field data: its place moves when the debug directory grows.
            private static readonly int[] Primes = new int[] { 2, 3, 5, 7, 11, 13, 17, 19 };

            /// <summary>Returns the answer.</summary>
            public static int Answer() => 42;

            /// <summary>The nth prime.</summary>
            public static int Prime(int n) => Primes[n];
        }
        """;

    private static readonly MetadataReference[] References = [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "ac-compare-" + Guid.NewGuid().ToString("N"));

    public OutputComparisonTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Identical_outputs_have_no_difference()
    {
        var local = Write("local", Emit(new Build()));
        var restored = Write("restored", Emit(new Build()));

        Assert.Empty(OutputComparison.Compare(local, restored));
    }

    [Fact]
    public void A_different_method_body_is_a_content_difference_naming_the_method()
    {
        var local = Write("local", Emit(new Build()));
        var restored = Write("restored", Emit(new Build { Source = Source.Replace("=> 42", "=> 43", StringComparison.Ordinal) }));

        var assembly = Single(OutputComparison.Compare(local, restored), OutputComparison.AssemblyRole);

        Assert.Equal(OutputComparison.ContentKind, assembly.Kind);
        Assert.Contains("method bodies", assembly.Detail, StringComparison.Ordinal);
        Assert.Contains("Demo.Calculator.Answer", assembly.Detail, StringComparison.Ordinal);
        Assert.Equal("A.dll", assembly.File);
    }

    [Fact]
    public void A_different_array_initialiser_is_a_content_difference_even_when_the_debug_directory_moves_it()
    {
        var local = Write("local", Emit(new Build()));
        var restored = Write("restored", Emit(new Build
        {
            Source = Source.Replace("17, 19", "17, 23", StringComparison.Ordinal),
            PdbPath = "/a/much/longer/checkout/root/obj/A.pdb",
        }));

        var assembly = Single(OutputComparison.Compare(local, restored), OutputComparison.AssemblyRole);

        Assert.Equal(OutputComparison.ContentKind, assembly.Kind);
        Assert.Contains("mapped field data", assembly.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_a_different_document_path_is_debug_information_naming_the_document()
    {
        var local = Write("local", Emit(new Build { SourcePath = "/a/X.cs" }));
        var restored = Write("restored", Emit(new Build { SourcePath = "/b/X.cs" }));

        var differences = OutputComparison.Compare(local, restored);

        var assembly = Single(differences, OutputComparison.AssemblyRole);
        Assert.Equal(OutputComparison.DebugKind, assembly.Kind);
        Assert.Contains("pdb id/CodeView", assembly.Detail, StringComparison.Ordinal);
        var pdb = Single(differences, OutputComparison.PdbRole);
        Assert.Equal(OutputComparison.DebugKind, pdb.Kind);
        Assert.Equal("document path: '/a/X.cs' vs '/b/X.cs'", pdb.Detail);
    }

    [Fact]
    public void A_comment_change_with_embedded_source_is_debug_information_naming_the_embedded_source()
    {
        var local = Write("local", Emit(new Build { EmbedSource = true }));
        var restored = Write("restored", Emit(new Build { EmbedSource = true, Source = Source.Replace("Mapped field data", "Mapped field bytes", StringComparison.Ordinal) }));

        var differences = OutputComparison.Compare(local, restored);

        Assert.Equal(OutputComparison.DebugKind, Single(differences, OutputComparison.AssemblyRole).Kind);
        var pdb = Single(differences, OutputComparison.PdbRole);
        Assert.Equal(OutputComparison.DebugKind, pdb.Kind);
        Assert.Contains("document /src/X.cs: checksum differs", pdb.Detail, StringComparison.Ordinal);
        Assert.Contains("embedded source of /src/X.cs differs", pdb.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("method debug information", pdb.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_embedded_pdb_is_described_from_inside_the_assembly()
    {
        var local = Write("local", Emit(new Build { EmbedSource = true, Format = DebugInformationFormat.Embedded }));
        var restored = Write("restored", Emit(new Build
        {
            EmbedSource = true,
            Format = DebugInformationFormat.Embedded,
            Source = Source.Replace("Mapped field data", "Mapped field bytes", StringComparison.Ordinal),
        }));

        var assembly = Assert.Single(OutputComparison.Compare(local, restored), d => d.Role != OutputComparison.DocumentationRole);

        Assert.Equal(OutputComparison.AssemblyRole, assembly.Role);
        Assert.Equal(OutputComparison.DebugKind, assembly.Kind);
        Assert.Contains("embedded pdb: ", assembly.Detail, StringComparison.Ordinal);
        Assert.Contains("embedded source of /src/X.cs differs", assembly.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_larger_embedded_pdb_is_debug_information_although_it_moves_the_sections_after_it()
    {
        // Letters that do not compress, so the embedded pdb grows past the next section boundary.
        var random = new Random(1);
        var comment = new string([.. Enumerable.Range(0, 20_000).Select(_ => (char)('a' + random.Next(26)))]);
        var local = Write("local", Emit(new Build { EmbedSource = true, Format = DebugInformationFormat.Embedded }));
        var restored = Write("restored", Emit(new Build
        {
            EmbedSource = true,
            Format = DebugInformationFormat.Embedded,
            Source = Source.Replace("Mapped field data", "Mapped field data " + comment, StringComparison.Ordinal),
        }));
        Assert.NotEqual(ResourceSectionAddress(local), ResourceSectionAddress(restored));

        var assembly = Assert.Single(OutputComparison.Compare(local, restored), d => d.Role != OutputComparison.DocumentationRole);

        Assert.Equal(OutputComparison.DebugKind, assembly.Kind);
        Assert.Contains("embedded source of /src/X.cs differs", assembly.Detail, StringComparison.Ordinal);

        static int ResourceSectionAddress(Dictionary<string, string> files)
        {
            using var reader = new PEReader(File.OpenRead(files[OutputComparison.AssemblyRole]));
            return reader.PEHeaders.PEHeader!.ResourceTableDirectory.RelativeVirtualAddress;
        }
    }

    [Fact]
    public void A_different_source_link_map_names_the_differing_entry()
    {
        var local = Write("local", Emit(new Build { SourceLink = """{"documents":{"/_/*":"https://raw.example.com/a/*"}}""" }));
        var restored = Write("restored", Emit(new Build { SourceLink = """{"documents":{"/_/*":"https://raw.example.com/b/*"}}""" }));

        var differences = OutputComparison.Compare(local, restored);

        Assert.Equal(OutputComparison.DebugKind, Single(differences, OutputComparison.AssemblyRole).Kind);
        var pdb = Single(differences, OutputComparison.PdbRole);
        Assert.Equal(OutputComparison.DebugKind, pdb.Kind);
        Assert.Equal("Source Link map differs: '/_/*': 'https://raw.example.com/a/*' vs 'https://raw.example.com/b/*'", pdb.Detail);
    }

    [Fact]
    public void An_unused_define_is_debug_information_naming_the_compilation_option()
    {
        var local = Write("local", Emit(new Build { Defines = ["TRACE"] }));
        var restored = Write("restored", Emit(new Build { Defines = ["TRACE", "EXTRA"] }));

        var differences = OutputComparison.Compare(local, restored);

        Assert.Equal(OutputComparison.DebugKind, Single(differences, OutputComparison.AssemblyRole).Kind);
        var pdb = Single(differences, OutputComparison.PdbRole);
        Assert.Equal("compilation options differ: define 'TRACE' vs 'TRACE,EXTRA'", pdb.Detail);
    }

    [Theory]
    [InlineData("/x/obj/A.pdb")]
    [InlineData("/home/someone/a/much/longer/checkout/obj/A.pdb")]
    public void A_different_pdb_path_is_debug_information_naming_the_path(string restoredPdbPath)
    {
        var local = Write("local", Emit(new Build { PdbPath = "/_/obj/A.pdb" }));
        var restored = Write("restored", Emit(new Build { PdbPath = restoredPdbPath }));

        var assembly = Assert.Single(OutputComparison.Compare(local, restored));

        Assert.Equal(OutputComparison.AssemblyRole, assembly.Role);
        Assert.Equal(OutputComparison.DebugKind, assembly.Kind);
        Assert.Contains($"pdb path in the debug directory: '/_/obj/A.pdb' vs '{restoredPdbPath}'", assembly.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_documentation_difference_names_the_line()
    {
        var local = Write("local", Emit(new Build()));
        var restored = Write("restored", Emit(new Build { Source = Source.Replace("Returns the answer.", "Returns the question.", StringComparison.Ordinal) }));

        var documentation = Single(OutputComparison.Compare(local, restored), OutputComparison.DocumentationRole);

        Assert.Equal(OutputComparison.DocumentationKind, documentation.Kind);
        Assert.Equal("A.xml", documentation.File);
        Assert.Matches(@"^line \d+: '.*Returns the answer\..*' vs '.*Returns the question\..*'$", documentation.Detail);
    }

    [Fact]
    public void A_role_on_one_side_only_is_missing()
    {
        var local = Write("local", Emit(new Build()));
        var restored = Write("restored", Emit(new Build()));
        restored.Remove(OutputComparison.DocumentationRole);
        File.Delete(restored[OutputComparison.PdbRole]);

        var differences = OutputComparison.Compare(local, restored);

        Assert.Equal(
            [(OutputComparison.PdbRole, OutputComparison.MissingKind), (OutputComparison.DocumentationRole, OutputComparison.MissingKind)],
            differences.Select(d => (d.Role, d.Kind)));
        Assert.Contains("does not exist", differences[0].Detail, StringComparison.Ordinal);
        Assert.Contains("only the local compile", differences[1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_is_compared_byte_wise_without_throwing()
    {
        var local = Write("local", Emit(new Build()));
        var restored = Write("restored", Emit(new Build()));
        var garbage = new byte[300];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(restored[OutputComparison.AssemblyRole], garbage);
        File.WriteAllBytes(restored[OutputComparison.PdbRole], [.. "BSJB"u8, .. garbage]);
        // A truncated assembly: valid headers, metadata cut off.
        var truncated = File.ReadAllBytes(local[OutputComparison.AssemblyRole])[..600];
        local[OutputComparison.ReferenceAssemblyRole] = WriteFile("local", "ref.dll", File.ReadAllBytes(local[OutputComparison.AssemblyRole]));
        restored[OutputComparison.ReferenceAssemblyRole] = WriteFile("restored", "ref.dll", truncated);

        var differences = OutputComparison.Compare(local, restored);

        var assembly = Single(differences, OutputComparison.AssemblyRole);
        Assert.Equal(OutputComparison.ContentKind, assembly.Kind);
        Assert.StartsWith("not a valid assembly (the restored file); bytes differ at offset 0", assembly.Detail, StringComparison.Ordinal);
        Assert.Equal(OutputComparison.ContentKind, Single(differences, OutputComparison.ReferenceAssemblyRole).Kind);
        var pdb = Single(differences, OutputComparison.PdbRole);
        Assert.Equal(OutputComparison.DebugKind, pdb.Kind);
        Assert.StartsWith("not a valid portable pdb; bytes differ at offset 4", pdb.Detail, StringComparison.Ordinal);
    }

    private static OutputDifference Single(IReadOnlyList<OutputDifference> differences, string role) =>
        Assert.Single(differences, d => d.Role == role);

    private Dictionary<string, string> Write(string side, Outputs outputs)
    {
        var files = new Dictionary<string, string>
        {
            [OutputComparison.AssemblyRole] = WriteFile(side, "A.dll", outputs.Assembly),
            [OutputComparison.DocumentationRole] = WriteFile(side, "A.xml", outputs.Documentation),
        };
        if (outputs.Pdb is not null)
        {
            files[OutputComparison.PdbRole] = WriteFile(side, "A.pdb", outputs.Pdb);
        }

        return files;
    }

    private string WriteFile(string side, string name, byte[] bytes)
    {
        var path = Path.Combine(_root, side, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static Outputs Emit(Build build)
    {
        var text = SourceText.From(build.Source, Encoding.UTF8);
        var tree = CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(documentationMode: DocumentationMode.Diagnose, preprocessorSymbols: build.Defines), build.SourcePath);
        var compilation = CSharpCompilation.Create(
            "A",
            [tree],
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, deterministic: true));
        using var assembly = new MemoryStream();
        using var pdb = new MemoryStream();
        using var documentation = new MemoryStream();
        using var sourceLink = build.SourceLink is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(build.SourceLink));
        // csc gives every assembly a version resource, in a section after the code and the debug directory.
        using var win32Resources = compilation.CreateDefaultWin32Resources(versionResource: true, noManifest: true, manifestContents: null, iconInIcoFormat: null);
        var separatePdb = build.Format == DebugInformationFormat.PortablePdb;
        var result = compilation.Emit(
            assembly,
            separatePdb ? pdb : null,
            documentation,
            options: new EmitOptions(debugInformationFormat: build.Format, pdbFilePath: build.PdbPath),
            sourceLinkStream: sourceLink,
            win32Resources: win32Resources,
            embeddedTexts: build.EmbedSource ? [EmbeddedText.FromSource(build.SourcePath, text)] : null);
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Diagnostics));
        return new Outputs(assembly.ToArray(), separatePdb ? pdb.ToArray() : null, documentation.ToArray());
    }

    private sealed record Outputs(byte[] Assembly, byte[]? Pdb, byte[] Documentation);

    private sealed record Build
    {
        public string Source { get; init; } = OutputComparisonTests.Source;

        public string SourcePath { get; init; } = "/src/X.cs";

        public string PdbPath { get; init; } = "/_/obj/A.pdb";

        public DebugInformationFormat Format { get; init; } = DebugInformationFormat.PortablePdb;

        public bool EmbedSource { get; init; }

        public string? SourceLink { get; init; }

        public string[] Defines { get; init; } = [];
    }
}
