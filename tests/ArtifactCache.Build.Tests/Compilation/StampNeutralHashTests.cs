using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;
using ArtifactCache.Build.Compilation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;

namespace ArtifactCache.Build.Tests.Compilation;

/// <summary>
/// Real assemblies, emitted in-process the way the SDK emits reference assemblies (a <c>/refout</c> beside the
/// implementation, deterministic, with a Win32 version resource), hashed with and without their stamps changed.
/// Every "equal" case also checks that the plain bytes differ, so it fails if the neutraliser is removed; every
/// "different" case fails if the neutraliser reaches beyond the stamps.
/// </summary>
public sealed class StampNeutralHashTests : IDisposable
{
    private const string Sha1 = "0123456789abcdef0123456789abcdef01234567";
    private const string Sha2 = "89abcdef0123456789abcdef0123456789abcdef";
    private const string Sha256A = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Sha256B = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    private const string Api = """
        namespace Lib;
        public static class Api
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    private static readonly MetadataReference[] References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is "System.Runtime.dll" or "System.Private.CoreLib.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "acb-stamps", Guid.NewGuid().ToString("N"));
    private int _count;

    public StampNeutralHashTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(Sha1, Sha2)]
    [InlineData(Sha256A, Sha256B)]
    public void The_same_library_at_two_commits_hashes_equal(string commit1, string commit2)
    {
        var first = EmitReference(Informational("1.0.0+" + commit1) + Api);
        var second = EmitReference(Informational("1.0.0+" + commit2) + Api);

        AssertProductVersion(first, "1.0.0+" + commit1);
        AssertEqualOnlyNeutralised(first, second);
    }

    [Fact]
    public void A_strong_named_library_at_two_commits_hashes_equal()
    {
        // The signature covers the informational version, so it differs with the commit.
        var key = StrongNameKey();
        var first = EmitReference(Informational("1.0.0+" + Sha1) + Api, keyFile: key);
        var second = EmitReference(Informational("1.0.0+" + Sha2) + Api, keyFile: key);

        using (var pe = new PEReader(File.OpenRead(first)))
        {
            Assert.True(pe.PEHeaders.CorHeader!.StrongNameSignatureDirectory.Size > 0);
            Assert.True(pe.PEHeaders.CorHeader.Flags.HasFlag(CorFlags.StrongNameSigned));
        }

        AssertEqualOnlyNeutralised(first, second);
    }

    [Fact]
    public void A_commit_only_in_the_Win32_ProductVersion_is_neutralised()
    {
        // The attribute is the same; only the resource differs, so this fails if the resource is not parsed.
        var first = EmitReference(Informational("1.0.0") + Api, resourceSource: Informational("1.0.0+" + Sha1) + Api);
        var second = EmitReference(Informational("1.0.0") + Api, resourceSource: Informational("1.0.0+" + Sha2) + Api);

        AssertProductVersion(first, "1.0.0+" + Sha1);
        AssertEqualOnlyNeutralised(first, second);
    }

    [Theory]
    [InlineData("""public static class C { public const string Commit = "+{0}"; }""")]
    [InlineData("""public static class C { public const string Version = "1.0.0+{0}"; }""")]
    [InlineData("""[System.Obsolete("+{0}")] public static class C { }""")]
    [InlineData("""[System.AttributeUsage(System.AttributeTargets.All)] public sealed class TagAttribute(string value) : System.Attribute { public string Value => value; } [Tag("+{0}")] public static class C { }""")]
    [InlineData("""public static class C { public static void M(string s = "+{0}") { } }""")]
    [InlineData("""[assembly: System.Reflection.AssemblyMetadata("Commit", "1.0.0+{0}")] public static class C { }""")]
    [InlineData("""[assembly: System.Reflection.AssemblyTitle("1.0.0+{0}")] public static class C { }""")]
    [InlineData("""[System.AttributeUsage(System.AttributeTargets.All)] public sealed class TagAttribute(string value) : System.Attribute { public string Value => value; } [Tag("1.0.0+{1}")] public static class C { }""")]   // one blob with the version
    [InlineData("""
        [assembly: Other.AssemblyInformationalVersion("2.0.0+{0}")]
        namespace Other { public sealed class AssemblyInformationalVersionAttribute(string v) : System.Attribute { public string V => v; } }
        """)]
    public void Api_that_looks_like_a_commit_is_part_of_the_hash(string template)
    {
        // The informational version is a commit too, so the file is parsed and neutralised, not left plain.
        // {1} is the commit of the informational version itself.
        var first = EmitReference(Informational("1.0.0+" + Sha1) + template.Replace("{0}", Sha1, StringComparison.Ordinal).Replace("{1}", Sha1, StringComparison.Ordinal));
        var second = EmitReference(Informational("1.0.0+" + (template.Contains("{1}", StringComparison.Ordinal) ? Sha2 : Sha1)) +
            template.Replace("{0}", Sha2, StringComparison.Ordinal).Replace("{1}", Sha2, StringComparison.Ordinal));

        AssertDifferent(first, second, VolatileStamps.CommitSuffix);
        AssertDifferent(first, second, VolatileStamps.CommitSuffix | VolatileStamps.Versions);
    }

    [Theory]
    [InlineData("1.0.0+0123456789ABCDEF0123456789ABCDEF01234567", "1.0.0+89ABCDEF0123456789ABCDEF0123456789ABCDEF")]  // uppercase
    [InlineData("1.0.0+0123456789abcdef0123456789abcdef0123456", "1.0.0+89abcdef0123456789abcdef0123456789abcde")]    // 39 digits
    [InlineData("1.0.0+0123456789abcdef0123456789abcdef012345678", "1.0.0+89abcdef0123456789abcdef0123456789abcdef0")]  // 41 digits
    [InlineData("1.0.0+0123456789abcdef0123456789abcdef01234567.1", "1.0.0+89abcdef0123456789abcdef0123456789abcdef.1")]  // not at the end
    [InlineData("1.0.0-0123456789abcdef0123456789abcdef01234567", "1.0.0-89abcdef0123456789abcdef0123456789abcdef")]  // no '+'
    [InlineData("1.0.0+ghijklmnopqrstuvwxyzghijklmnopqrstuvwx", "1.0.0+xwvutsrqponmlkjihgzyxwvutsrqponmlkjihg")]       // not hex
    public void An_informational_version_suffix_that_is_not_a_commit_is_part_of_the_hash(string version1, string version2)
    {
        // In the attribute alone, and in the attribute and the Win32 ProductVersion.
        AssertDifferent(
            EmitReference(Informational(version1) + Api, win32: false),
            EmitReference(Informational(version2) + Api, win32: false),
            VolatileStamps.CommitSuffix);
        AssertDifferent(EmitReference(Informational(version1) + Api), EmitReference(Informational(version2) + Api), VolatileStamps.CommitSuffix);

        // In the Win32 ProductVersion alone: equal. A compiler handed a reference never reads its Win32 resources (nor can
        // an analyzer or generator, which see only symbols), so a dependent compiles the same; the key hashes metadata.
        AssertEqualOnlyNeutralised(
            EmitReference(Informational("1.0.0") + Api, resourceSource: Informational(version1) + Api),
            EmitReference(Informational("1.0.0") + Api, resourceSource: Informational(version2) + Api));
    }

    [Fact]
    public void Without_the_commit_flag_the_commit_is_part_of_the_hash()
    {
        var first = EmitReference(Informational("1.0.0+" + Sha1) + Api);
        var second = EmitReference(Informational("1.0.0+" + Sha2) + Api);

        AssertDifferent(first, second, VolatileStamps.None);
    }

    [Fact]
    public void A_different_mvid_and_time_stamp_alone_hash_equal()
    {
        // A non-deterministic build gets a random MVID (and the current time) every time. (A reference assembly's MVID
        // is a hash of its content even then, so this is the implementation.)
        var first = EmitImplementation(Informational("1.0.0") + Api, deterministic: false);
        var second = EmitImplementation(Informational("1.0.0") + Api, deterministic: false);

        AssertEqualOnlyNeutralised(first, second);
    }

    [Fact]
    public void Ids_derived_from_the_pdb_alone_hash_equal()
    {
        // A comment moves the sequence points: the pdb changes, and with it the pdb id and age (CodeView), the pdb
        // checksum, the content-derived MVID and time stamps of a deterministic build; the IL and metadata do not.
        var first = EmitImplementation(Informational("1.0.0") + Api, pdbPath: "/_/Lib/obj/Lib.pdb");
        var second = EmitImplementation(Informational("1.0.0") + "// a comment\n\n" + Api, pdbPath: "/_/Lib/obj/Lib.pdb");

        Assert.Equal(
            [DebugDirectoryEntryType.CodeView, DebugDirectoryEntryType.PdbChecksum, DebugDirectoryEntryType.Reproducible],
            ReadDebugEntryTypes(first));
        AssertEqualOnlyNeutralised(first, second);
    }

    [Fact]
    public void A_pdb_path_alone_hashes_equal()
    {
        // The pdb path is in the debug directory, which a compiler never reads from a reference: the dependent's output
        // is the same whichever path the reference names. (The byte-level fallback kept it; the metadata hash need not.)
        var first = EmitImplementation(Informational("1.0.0") + Api, pdbPath: "/_/one/Lib.pdb");
        var second = EmitImplementation(Informational("1.0.0") + Api, pdbPath: "/_/two/Lib.pdb");

        AssertMetadataHashed(first, second);
        AssertEqualOnlyNeutralised(first, second);
    }

    [Fact]
    public void A_changed_method_body_in_an_implementation_assembly_hashes_equal()
    {
        // A project without a reference assembly passes its implementation: its IL is never read by a dependent's
        // compiler. The method's RVA is kept only as "has a body", so a longer body moving the next one is no change.
        var first = EmitImplementation(Informational("1.0.0") + Api + "public static class More { public static int M(int x) => x + 1; }");
        var second = EmitImplementation(Informational("1.0.0") + Api.Replace("x * 2", "(x * 2) + (x / 3) - 7", StringComparison.Ordinal) +
            "public static class More { public static int M(int x) => x + 1; }");

        AssertMetadataHashed(first, second);
        AssertEqualOnlyNeutralised(first, second);
    }

    [Fact]
    public void A_changed_string_literal_in_a_method_body_hashes_equal()
    {
        // The literal lives in the #US heap, which only IL reads; a longer body moves the next method's RVA too. Neither
        // is read by a dependent's compiler, in any mode.
        var first = EmitImplementation(Informational("1.0.0") +
            "public static class Text { public static string Greet() => \"hello\"; public static int N(int x) => x + 1; }");
        var second = EmitImplementation(Informational("1.0.0") +
            "public static class Text { public static string Greet() => \"hello, a longer greeting\"; public static int N(int x) => (x * 3) + (x / 5) - 7; }");

        AssertMetadataHashed(first, second);
        Assert.NotEqual(PlainHash(first), PlainHash(second));
        foreach (var stamps in new[] { VolatileStamps.None, VolatileStamps.CommitSuffix, VolatileStamps.Versions | VolatileStamps.CommitSuffix })
        {
            Assert.Equal(ReferenceMetadataHash.TryHash(first, stamps), ReferenceMetadataHash.TryHash(second, stamps));
        }
    }

    [Fact]
    public void A_local_added_to_a_method_body_hashes_equal()
    {
        // Debug code keeps locals: the body's local signature is a StandAloneSig row, which only IL points to.
        var first = EmitImplementation(Informational("1.0.0") + "public static class C { public static int M(int x) => x + 1; }");
        var second = EmitImplementation(Informational("1.0.0") + "public static class C { public static int M(int x) { int y = x * 2; long z = y; return (int)z + 1; } }");

        AssertMetadataHashed(first, second);
        Assert.NotEqual(PlainHash(first), PlainHash(second));
        Assert.NotEqual(StandAloneSignatures(first), StandAloneSignatures(second));
        Assert.Equal(ReferenceMetadataHash.TryHash(first, VolatileStamps.None), ReferenceMetadataHash.TryHash(second, VolatileStamps.None));
    }

    [Theory]
    [InlineData("public static class C { public const string S = \"a\"; }", "public static class C { public const string S = \"b\"; }")]   // Constant: #Blob
    [InlineData("public static class C { public static string M(string s) => \"a\"; }", "public static class C { public static string M(object s) => \"a\"; }")]   // signature
    [InlineData("[System.Obsolete(\"a\")] public static class C { }", "[System.Obsolete(\"b\")] public static class C { }")]   // attribute argument
    [InlineData("public static class C { public static void M(string s = \"a\") { } }", "public static class C { public static void M(string s = \"b\") { } }")]   // default value
    public void A_string_a_compiler_reads_from_an_implementation_assembly_is_part_of_the_hash(string source1, string source2)
    {
        var first = EmitImplementation(Informational("1.0.0") + source1);
        var second = EmitImplementation(Informational("1.0.0") + source2);

        AssertMetadataHashed(first, second);
        AssertDifferent(first, second, VolatileStamps.None);
        AssertDifferent(first, second, VolatileStamps.CommitSuffix | VolatileStamps.Versions);
    }

    [Fact]
    public void A_changed_managed_resource_is_part_of_the_hash()
    {
        // fsc reads an F# reference's signature and optimization data from its managed resources: an inline function's
        // new body changes only those bytes, not a table. Same name, same length, one byte apart: only the content differs.
        const string Name = "FSharpOptimizationCompressedData.Lib";
        var first = EmitImplementation(Informational("1.0.0") + Api, resources: [(Name, [1, 2, 3, 4]), ("Other", [9])]);
        var second = EmitImplementation(Informational("1.0.0") + Api, resources: [(Name, [1, 2, 3, 5]), ("Other", [9])]);
        var same = EmitImplementation(Informational("1.0.0") + Api, resources: [(Name, [1, 2, 3, 4]), ("Other", [9])]);

        AssertMetadataHashed(first, second);
        AssertDifferent(first, second, VolatileStamps.CommitSuffix);
        AssertDifferent(first, second, VolatileStamps.CommitSuffix | VolatileStamps.Versions);
        Assert.Equal(StampNeutralHash.Hash(first), StampNeutralHash.Hash(same));
    }

    [Fact]
    public void The_commit_of_the_informational_version_in_fsharp_signature_data_is_neutralised()
    {
        // fsc pickles each assembly attribute's value into the signature resource's string table: measured, the
        // informational version "1.0.0+<commit>" sits there as a length byte and its UTF-8, Deflate-compressed.
        var first = EmitImplementation(Informational("1.0.0+" + Sha1) + Api, resources: [(Signature, FSharpSignature("1.0.0+" + Sha1))]);
        var second = EmitImplementation(Informational("1.0.0+" + Sha2) + Api, resources: [(Signature, FSharpSignature("1.0.0+" + Sha2))]);

        AssertMetadataHashed(first, second);
        AssertEqualOnlyNeutralised(first, second);
        AssertDifferent(first, second, VolatileStamps.None);
    }

    [Theory]
    [InlineData(Signature, "other+{0}")]                                   // the commit in another string: an ordinary input
    [InlineData("FSharpOptimizationCompressedData.Lib", "1.0.0+{0}")]     // optimization data (inline bodies): as it is
    public void A_commit_elsewhere_in_fsharp_resources_is_part_of_the_hash(string resource, string text)
    {
        var first = EmitImplementation(Informational("1.0.0+" + Sha1) + Api, resources: [(resource, FSharpSignature(string.Format(System.Globalization.CultureInfo.InvariantCulture, text, Sha1)))]);
        var second = EmitImplementation(Informational("1.0.0+" + Sha2) + Api, resources: [(resource, FSharpSignature(string.Format(System.Globalization.CultureInfo.InvariantCulture, text, Sha2)))]);

        AssertMetadataHashed(first, second);
        AssertDifferent(first, second, VolatileStamps.CommitSuffix);
    }

    [Fact]
    public void Volatile_versions_in_fsharp_signature_data_hash_equal_only_with_the_versions_flag()
    {
        var first = EmitImplementation(Informational("0.0.0-alpha.0+" + Sha1) + FileVersion("1.2.1.9") + Api, resources: [(Signature, FSharpSignature("0.0.0-alpha.0+" + Sha1, "1.2.1.9"))]);
        var second = EmitImplementation(Informational("0.0.0-alpha.0.1+" + Sha2) + FileVersion("1.2.1.10") + Api, resources: [(Signature, FSharpSignature("0.0.0-alpha.0.1+" + Sha2, "1.2.1.10"))]);

        AssertMetadataHashed(first, second);
        Assert.Equal(StampNeutralHash.Hash(first, VolatileStamps.Versions | VolatileStamps.CommitSuffix), StampNeutralHash.Hash(second, VolatileStamps.Versions | VolatileStamps.CommitSuffix));
        AssertDifferent(first, second, VolatileStamps.CommitSuffix);
    }

    [Fact]
    public void Fsharp_signature_data_that_does_not_inflate_falls_back_to_the_bytes()
    {
        var path = EmitImplementation(Informational("1.0.0+" + Sha1) + Api, resources: [(Signature, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF])]);

        Assert.Null(ReferenceMetadataHash.TryHash(path, VolatileStamps.CommitSuffix));
        Assert.Equal(BlankedInPlace(path, VolatileStamps.CommitSuffix), StampNeutralHash.Hash(path, VolatileStamps.CommitSuffix));
    }

    [Theory]
    [InlineData("0.0.0-alpha.0+" + Sha1, "0.0.0-alpha.0.1+" + Sha2, "1.2.1.0", "1.2.1.0")]   // MinVer: a longer informational version
    [InlineData("1.2.1", "1.2.1", "1.2.1.45749", "1.2.2.301")]                                // Nerdbank.GitVersioning: a shorter file version
    [InlineData("1.2.1-beta.9", "1.2.1-beta.10+" + Sha256A, "1.2.1.9", "1.2.1.10")]           // both, and a commit that appears
    public void Volatile_versions_of_another_length_hash_equal_only_with_the_versions_flag(
        string informational1, string informational2, string fileVersion1, string fileVersion2)
    {
        var first = EmitReference(Informational(informational1) + FileVersion(fileVersion1) + Api);
        var second = EmitReference(Informational(informational2) + FileVersion(fileVersion2) + Api);

        // The versions change length, which moves the #Blob heap and every blob offset after them: blanking them in
        // place cannot make the bytes equal.
        Assert.NotEqual(BlankedInPlace(first, VolatileStamps.Versions), BlankedInPlace(second, VolatileStamps.Versions));

        AssertMetadataHashed(first, second);
        Assert.Equal(StampNeutralHash.Hash(first, VolatileStamps.Versions), StampNeutralHash.Hash(second, VolatileStamps.Versions));
        Assert.Equal(
            StampNeutralHash.Hash(first, VolatileStamps.Versions | VolatileStamps.CommitSuffix),
            StampNeutralHash.Hash(second, VolatileStamps.Versions | VolatileStamps.CommitSuffix));
        AssertDifferent(first, second, VolatileStamps.CommitSuffix);
        AssertDifferent(first, second, VolatileStamps.None);
    }

    // Each pair differs in one thing a dependent compiles against; each needs a different table, column or heap read
    // by value, so together they fail if a table is skipped, a column misread or a string or blob hashed by offset.
    [Theory]
    [InlineData("public static class C { }", "public static class C { public static void Added() { } }")]                        // MethodDef
    [InlineData("public static class C { public const int Limit = 10; }", "public static class C { public const int Limit = 11; }")]  // Constant
    [InlineData("[System.Obsolete(\"old\")] public static class C { }", "[System.Obsolete(\"new\")] public static class C { }")]      // CustomAttribute value
    [InlineData("public static class C { public static void M<T>() where T : class { } }", "public static class C { public static void M<T>() where T : struct { } }")]   // GenericParam flags
    [InlineData("public interface I { } public interface J { } public static class C { public static void M<T>() where T : I { } }", "public interface I { } public interface J { } public static class C { public static void M<T>() where T : J { } }")]   // GenericParamConstraint
    [InlineData("public static class C { public static void M(int first) { } }", "public static class C { public static void M(int other) { } }")]   // Param name, same length
    [InlineData("public static class C { public static void M(int p1) { } }", "public static class C { public static void M(int p2) { } }")]   // Param name at the same #Strings offset
    [InlineData("public static class C { internal static void M() { } }", "[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"Other\")] public static class C { internal static void M() { } }")]   // InternalsVisibleTo
    [InlineData("public class B { } public class C : B { }", "public class B { } public class C { }")]   // TypeDef extends
    [InlineData("public static class C { public static int P { get; } }", "public static class C { public static int P { get; set; } }")]   // Property, MethodSemantics
    [InlineData("public static class C { public static void M(int x = 1) { } }", "public static class C { public static void M(int x = 2) { } }")]   // default value
    [InlineData("public struct S { public int A; public int B; }", "public struct S { public int B; public int A; }")]   // field order: a struct's layout
    public void A_changed_api_is_part_of_the_hash(string source1, string source2)
    {
        var first = EmitReference(Informational("1.0.0+" + Sha1) + FileVersion("1.0.0.1") + source1);
        var second = EmitReference(Informational("1.0.0+" + Sha2) + FileVersion("1.0.0.2") + source2);

        AssertMetadataHashed(first, second);
        AssertDifferent(first, second, VolatileStamps.CommitSuffix);
        AssertDifferent(first, second, VolatileStamps.CommitSuffix | VolatileStamps.Versions);
    }

    [Fact]
    public void Volatile_versions_hash_equal_only_with_the_versions_flag()
    {
        var first = EmitReference(Informational("1.2.3-alpha.0.5+" + Sha1) + FileVersion("1.2.3.5") + Api);
        var second = EmitReference(Informational("1.2.3-alpha.0.6+" + Sha2) + FileVersion("1.2.3.6") + Api);

        Assert.Equal(StampNeutralHash.Hash(first, VolatileStamps.Versions), StampNeutralHash.Hash(second, VolatileStamps.Versions));
        Assert.Equal(
            StampNeutralHash.Hash(first, VolatileStamps.Versions | VolatileStamps.CommitSuffix),
            StampNeutralHash.Hash(second, VolatileStamps.Versions | VolatileStamps.CommitSuffix));
        AssertDifferent(first, second, VolatileStamps.CommitSuffix);
    }

    [Theory]
    [InlineData("1.2.3.5", "1.2.3.6", "1.2.3", "1.2.3")]   // the fixed file info and the FileVersion string
    [InlineData("1.2.3.5", "1.2.3.5", "1.2.3-a.5", "1.2.3-a.6")]   // the ProductVersion string (and the attribute)
    public void Each_volatile_version_is_neutralised(string fileVersion1, string fileVersion2, string informational1, string informational2)
    {
        var first = EmitReference(Informational(informational1) + FileVersion(fileVersion1) + Api);
        var second = EmitReference(Informational(informational2) + FileVersion(fileVersion2) + Api);

        Assert.Equal(StampNeutralHash.Hash(first, VolatileStamps.Versions), StampNeutralHash.Hash(second, VolatileStamps.Versions));
        AssertDifferent(first, second, VolatileStamps.CommitSuffix);

        // Without the flag, the attributes alone keep their versions too.
        AssertDifferent(
            EmitReference(Informational(informational1) + FileVersion(fileVersion1) + Api, win32: false),
            EmitReference(Informational(informational2) + FileVersion(fileVersion2) + Api, win32: false),
            VolatileStamps.CommitSuffix);
    }

    [Fact]
    public void The_assembly_version_is_never_neutralised()
    {
        var first = EmitReference(Informational("1.2.3") + FileVersion("1.2.3.5") + AssemblyVersion("1.0.0.0") + Api);
        var second = EmitReference(Informational("1.2.3") + FileVersion("1.2.3.5") + AssemblyVersion("2.0.0.0") + Api);

        AssertMetadataHashed(first, second);
        AssertDifferent(first, second, VolatileStamps.Versions | VolatileStamps.CommitSuffix);
        AssertDifferent(first, second, VolatileStamps.Versions);
        AssertDifferent(first, second, VolatileStamps.CommitSuffix);
        AssertDifferent(first, second, VolatileStamps.None);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(4096)]
    public void A_file_that_is_not_an_assembly_hashes_as_its_bytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        if (length >= 2)
        {
            (bytes[0], bytes[1]) = ((byte)'M', (byte)'Z');
        }

        var path = Write(bytes);

        Assert.Null(ReferenceMetadataHash.TryHash(path, VolatileStamps.CommitSuffix | VolatileStamps.Versions));
        Assert.Equal(PlainHash(path), StampNeutralHash.Hash(path, VolatileStamps.CommitSuffix | VolatileStamps.Versions));
    }

    [Fact]
    public void A_truncated_or_damaged_assembly_never_throws()
    {
        var original = File.ReadAllBytes(EmitImplementation(Informational("1.0.0+" + Sha1) + Api, pdbPath: "/_/Lib/obj/Lib.pdb", win32: true));
        int metadataEnd;
        using (var pe = new PEReader(new MemoryStream(original)))
        {
            metadataEnd = pe.PEHeaders.MetadataStartOffset + pe.PEHeaders.MetadataSize;
        }

        var whole = ReferenceMetadataHash.TryHash(Write(original), VolatileStamps.CommitSuffix);
        Assert.NotNull(whole);
        var random = new Random(12345);
        for (var length = 0; length < original.Length; length += 13)
        {
            var path = Write(original[..length]);
            Assert.Equal(64, StampNeutralHash.Hash(path, VolatileStamps.CommitSuffix | VolatileStamps.Versions).Length);
            // Cut anywhere before the end of the metadata, the metadata cannot be read; after it, only what follows is lost.
            Assert.True(length < metadataEnd
                ? ReferenceMetadataHash.TryHash(path, VolatileStamps.CommitSuffix) is null
                : ReferenceMetadataHash.TryHash(path, VolatileStamps.CommitSuffix) == whole);
        }

        // Half the damage goes to the headers, tables and directories in the first 1.5 KB, where parsing decides most.
        for (var i = 0; i < 1000; i++)
        {
            var damaged = original.ToArray();
            for (var j = 0; j <= i % 8; j++)
            {
                damaged[random.Next(i % 2 == 0 ? Math.Min(0x600, damaged.Length) : damaged.Length)] = (byte)random.Next(256);
            }

            var path = Write(damaged);
            Assert.Equal(64, StampNeutralHash.Hash(path, VolatileStamps.CommitSuffix | VolatileStamps.Versions).Length);
            Assert.True(ReferenceMetadataHash.TryHash(path, VolatileStamps.CommitSuffix | VolatileStamps.Versions) is null or { Length: 64 });
        }
    }

    [Theory]
    [InlineData(0x2D)]   // past GenericParamConstraint: no table of ECMA-335
    [InlineData(0x30)]   // a portable pdb table (Document)
    public void An_unknown_table_falls_back_to_the_bytes(int table)
    {
        var path = EmitReference(Informational("1.0.0+" + Sha1) + Api);
        var bytes = File.ReadAllBytes(path);
        int at;
        using (var pe = new PEReader(new MemoryStream(bytes)))
        {
            // The #~ header's mask of present tables, found by its value.
            var reader = pe.GetMetadataReader();
            var present = Enumerable.Range(0, 0x2D).Where(t => reader.GetTableRowCount((TableIndex)t) > 0).Aggregate(0UL, (mask, t) => mask | (1UL << t));
            var mask = BitConverter.GetBytes(present);
            at = pe.PEHeaders.MetadataStartOffset + bytes.AsSpan(pe.PEHeaders.MetadataStartOffset, pe.PEHeaders.MetadataSize).IndexOf(mask);
            Assert.True(at > pe.PEHeaders.MetadataStartOffset);
        }

        bytes[at + (table / 8)] |= (byte)(1 << (table % 8));
        var damaged = Write(bytes);

        Assert.Null(ReferenceMetadataHash.TryHash(damaged, VolatileStamps.CommitSuffix));
        Assert.Equal(BlankedInPlace(damaged, VolatileStamps.CommitSuffix), StampNeutralHash.Hash(damaged, VolatileStamps.CommitSuffix));
    }

    [Fact]
    public void The_single_argument_overload_neutralises_the_commit()
    {
        var first = EmitReference(Informational("1.0.0+" + Sha1) + Api);

        Assert.Equal(StampNeutralHash.Hash(first, VolatileStamps.CommitSuffix), StampNeutralHash.Hash(first));
        Assert.NotEqual(StampNeutralHash.Hash(first, VolatileStamps.None), StampNeutralHash.Hash(first));
    }

    [Fact]
    public void A_references_version_values_are_read_from_its_attributes_with_only_the_commit_suffix_replaced()
    {
        var path = EmitReference(Informational("1.2.3-alpha.0.4+" + Sha1) + FileVersion("1.2.3.4") + AssemblyVersion("1.0.0.0") + Api);

        Assert.Equal(
            "AssemblyInformationalVersionAttribute=1.2.3-alpha.0.4+{revision}\nAssemblyFileVersionAttribute=1.2.3.4",
            AssemblyAttributes.VersionValues(path, withoutCommit: true));
        Assert.Contains("+" + Sha1, AssemblyAttributes.VersionValues(path, withoutCommit: false), StringComparison.Ordinal);
        Assert.Null(AssemblyAttributes.VersionValues(Path.Combine(_folder, "missing.dll"), withoutCommit: true));
    }

    private const string Signature = "FSharpSignatureCompressedData.Lib";

    // A stand-in for fsc's pickled signature: some strings as p_prim_string writes them (a length byte below 0x80, the
    // UTF-8), with the given ones among them, Deflate-compressed as fsc compresses it.
    private static byte[] FSharpSignature(params string[] strings)
    {
        using var raw = new MemoryStream();
        foreach (var text in new[] { "FSharp.Core", "AssemblyInformationalVersionAttribute" }.Concat(strings).Append("Api"))
        {
            var utf8 = Encoding.UTF8.GetBytes(text);
            raw.WriteByte((byte)utf8.Length);
            raw.Write(utf8);
        }

        using var compressed = new MemoryStream();
        using (var deflate = new System.IO.Compression.DeflateStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(raw.ToArray());
        }

        return compressed.ToArray();
    }

    private static string Informational(string version) => $"[assembly: System.Reflection.AssemblyInformationalVersion(\"{version}\")]\n";

    private static string FileVersion(string version) => $"[assembly: System.Reflection.AssemblyFileVersion(\"{version}\")]\n";

    private static string AssemblyVersion(string version) => $"[assembly: System.Reflection.AssemblyVersion(\"{version}\")]\n";

    private static CSharpCompilation Compile(string source, bool deterministic = true, string? keyFile = null)
    {
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, deterministic: deterministic);
        if (keyFile is not null)
        {
            options = options.WithCryptoKeyFile(keyFile).WithStrongNameProvider(new DesktopStrongNameProvider());
        }

        return CSharpCompilation.Create("Lib", [CSharpSyntaxTree.ParseText(source, path: "/_/Lib/Api.cs", encoding: Encoding.UTF8)], References, options);
    }

    // A fresh key pair as an .snk holds it: a CAPI PRIVATEKEYBLOB, every number little-endian.
    private string StrongNameKey()
    {
        using var rsa = RSA.Create(1024);
        var p = rsa.ExportParameters(includePrivateParameters: true);
        using var blob = new MemoryStream();
        using var writer = new BinaryWriter(blob);
        writer.Write([0x07, 0x02, 0x00, 0x00]);   // PRIVATEKEYBLOB, version 2
        writer.Write(0x00002400);                   // CALG_RSA_SIGN
        writer.Write(0x32415352);                   // "RSA2"
        writer.Write(p.Modulus!.Length * 8);
        writer.Write(p.Exponent!.Aggregate(0, (value, b) => (value << 8) | b));
        foreach (var number in new[] { p.Modulus, p.P!, p.Q!, p.DP!, p.DQ!, p.InverseQ!, p.D! })
        {
            writer.Write(number.Reverse().ToArray());
        }

        writer.Flush();
        var path = Path.Combine(_folder, "key.snk");
        File.WriteAllBytes(path, blob.ToArray());
        return path;
    }

    // As csc /refout does: the implementation and its reference assembly in one emit. The compiler builds the version
    // resource from the attributes; another source for it varies the resource alone.
    private string EmitReference(
        string source, bool deterministic = true, string? resourceSource = null, bool win32 = true, string? keyFile = null)
    {
        var compilation = Compile(source, deterministic, keyFile);
        using var implementation = new MemoryStream();
        using var reference = new MemoryStream();
        using var resources = win32 ? Win32Resources(resourceSource is null ? compilation : Compile(resourceSource)) : null;
        var result = compilation.Emit(implementation, metadataPEStream: reference, win32Resources: resources);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return Write(reference.ToArray());
    }

    private string EmitImplementation(string source, bool deterministic = true, string? pdbPath = null, bool win32 = false, (string Name, byte[] Content)[]? resources = null)
    {
        var compilation = Compile(source, deterministic);
        using var pe = new MemoryStream();
        using var pdb = pdbPath is null ? null : new MemoryStream();
        using var win32Resources = win32 ? Win32Resources(compilation) : null;
        var options = new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb, pdbFilePath: pdbPath);
        var managed = resources?.Select(r => new ResourceDescription(r.Name, () => new MemoryStream(r.Content), isPublic: true));
        var result = compilation.Emit(pe, pdb, win32Resources: win32Resources, manifestResources: managed, options: options);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return Write(pe.ToArray());
    }

    private static Stream Win32Resources(CSharpCompilation compilation) =>
        compilation.CreateDefaultWin32Resources(versionResource: true, noManifest: true, manifestContents: null, iconInIcoFormat: null);

    private string Write(byte[] bytes)
    {
        var path = Path.Combine(_folder, $"Lib{++_count}.dll");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string PlainHash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();

    private static void AssertEqualOnlyNeutralised(string first, string second)
    {
        Assert.NotEqual(PlainHash(first), PlainHash(second));
        Assert.Equal(StampNeutralHash.Hash(first), StampNeutralHash.Hash(second));
        Assert.Equal(
            StampNeutralHash.Hash(first, VolatileStamps.CommitSuffix | VolatileStamps.Versions),
            StampNeutralHash.Hash(second, VolatileStamps.CommitSuffix | VolatileStamps.Versions));
        Assert.NotEqual(PlainHash(first), StampNeutralHash.Hash(first));
    }

    private static void AssertDifferent(string first, string second, VolatileStamps stamps)
    {
        Assert.NotEqual(StampNeutralHash.Hash(first, stamps), StampNeutralHash.Hash(second, stamps));
        // Parsed and neutralised, not merely left plain: the content-derived ids are always blanked.
        Assert.NotEqual(PlainHash(first), StampNeutralHash.Hash(first, stamps));
    }

    // Hashed by their metadata, not by the byte-level fallback.
    private static void AssertMetadataHashed(params string[] paths)
    {
        foreach (var path in paths)
        {
            Assert.Equal(ReferenceMetadataHash.TryHash(path, VolatileStamps.CommitSuffix), StampNeutralHash.Hash(path, VolatileStamps.CommitSuffix));
            Assert.NotNull(ReferenceMetadataHash.TryHash(path, VolatileStamps.CommitSuffix));
        }
    }

    // The byte-level hash alone, as StampNeutralHash computed it before it hashed metadata.
    private static string BlankedInPlace(string path, VolatileStamps stamps)
    {
        var bytes = File.ReadAllBytes(path);
        StampNeutralHash.Neutralise(bytes, stamps);
        return Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
    }

    private static string StandAloneSignatures(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var reader = pe.GetMetadataReader();
        return string.Join(",", Enumerable.Range(1, reader.GetTableRowCount(TableIndex.StandAloneSig))
            .Select(row => Convert.ToHexString(reader.GetBlobBytes(reader.GetStandaloneSignature(MetadataTokens.StandaloneSignatureHandle(row)).Signature))));
    }

    private static DebugDirectoryEntryType[] ReadDebugEntryTypes(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        return pe.ReadDebugDirectory().Select(e => e.Type).ToArray();
    }

    // Outside Windows, FileVersionInfo reads the attributes, not the resource: look for the UTF-16 value itself.
    private static void AssertProductVersion(string path, string expected) =>
        Assert.True(File.ReadAllBytes(path).AsSpan().IndexOf(Encoding.Unicode.GetBytes(expected)) >= 0, $"No UTF-16 \"{expected}\" in {path}.");
}
