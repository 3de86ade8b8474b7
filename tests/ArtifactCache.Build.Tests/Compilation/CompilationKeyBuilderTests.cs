using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class CompilationKeyBuilderTests : IDisposable
{
    private const string Sha1 = "0123456789abcdef0123456789abcdef01234567";
    private const string Sha2 = "fedcba9876543210fedcba9876543210fedcba98";
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-key-");

    public void Dispose() => _scratch.Delete(recursive: true);

    /// <summary>A small checkout: a project with a source, generated AssemblyInfo and editorconfig, plus a reference outside it.</summary>
    private sealed record Checkout(string Root, string Project, string Reference, string Compiler);

    private Checkout CreateCheckout(string name, string revision = Sha1, string referenceFolder = "refs", string source = "class A {}")
    {
        var root = Path.Combine(_scratch.FullName, name);
        var project = Path.Combine(root, "src", "Lib");
        var obj = Path.Combine(project, "obj");
        Directory.CreateDirectory(obj);
        File.WriteAllText(Path.Combine(project, "A.cs"), source);
        File.WriteAllText(Path.Combine(obj, "Lib.AssemblyInfo.cs"), $"[assembly: System.Reflection.AssemblyInformationalVersion(\"1.0.0+{revision}\")]");
        File.WriteAllText(Path.Combine(obj, "Lib.editorconfig"), $"is_global = true\nbuild_property.ProjectDir = {project}{Path.DirectorySeparatorChar}\n[{Path.Combine(project, "A.cs")}]\n");
        File.WriteAllText(Path.Combine(obj, "Lib.sourcelink.json"), $"{{\"documents\":{{\"{root}/*\":\"https://raw.example.com/org/repo/{revision}/*\"}}}}");
        var references = Path.Combine(_scratch.FullName, name + "-" + referenceFolder);
        Directory.CreateDirectory(references);
        var reference = Path.Combine(references, "System.Runtime.dll");
        File.WriteAllBytes(reference, [1, 2, 3, 4]);
        var compiler = Path.Combine(_scratch.FullName, "compiler", "csc.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(compiler)!);
        if (!File.Exists(compiler))
        {
            File.WriteAllBytes(compiler, [9, 9, 9]);
        }

        return new Checkout(root, project, reference, compiler);
    }

    private static string[] Arguments(Checkout c, params string[] extra) =>
    [
        "/noconfig", "/nullable:enable", $"/reference:{c.Reference}", "/out:obj/Lib.dll", "/refout:obj/refint/Lib.dll",
        "/analyzerconfig:obj/Lib.editorconfig", "/sourcelink:obj/Lib.sourcelink.json", $"/pathmap:{c.Root}{Path.DirectorySeparatorChar}=/_/",
        "A.cs", "obj/Lib.AssemblyInfo.cs", .. extra,
    ];

    private static CompilationKey Key(Checkout c, bool relocatable = true, string? revision = Sha1, string[]? extra = null, IEnumerable<string>? arguments = null)
    {
        var line = CompilerCommandLine.Parse(arguments ?? Arguments(c, extra ?? []), c.Project);
        return new CompilationKeyBuilder(new FileHasher()).Build(line, new KeyContext
        {
            RepositoryRoot = relocatable ? c.Root : null,
            SourceRevisionId = revision,
            GeneratedAssemblyInfoFile = "obj/Lib.AssemblyInfo.cs",
            CompilerFiles = [c.Compiler],
        });
    }

    [Fact]
    public void Same_inputs_in_another_folder_with_references_elsewhere_give_the_same_key()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b", referenceFolder: "other-nuget-folder");

        Assert.Equal(Key(a).Value, Key(b).Value);
        Assert.Matches("^[0-9a-f]{64}$", Key(a).Value);
    }

    [Fact]
    public void Without_relocation_the_folder_is_part_of_the_key()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b");

        Assert.NotEqual(Key(a, relocatable: false).Value, Key(b, relocatable: false).Value);
    }

    [Fact]
    public void Source_content_is_part_of_the_key()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b", source: "class A { int x; }");

        Assert.NotEqual(Key(a).Value, Key(b).Value);
    }

    [Fact]
    public void Reference_content_is_part_of_the_key_but_not_its_timestamp()
    {
        var c = CreateCheckout("a");
        var before = Key(c).Value;

        File.SetLastWriteTimeUtc(c.Reference, DateTime.UtcNow.AddHours(1));
        Assert.Equal(before, Key(c).Value);

        File.WriteAllBytes(c.Reference, [1, 2, 3, 5]);
        Assert.NotEqual(before, Key(c).Value);
    }

    [Fact]
    public void A_new_commit_alone_does_not_change_the_key_unless_strict()
    {
        var a = CreateCheckout("a", revision: Sha1);
        var b = CreateCheckout("b", revision: Sha2);

        Assert.Equal(Key(a, revision: Sha1).Value, Key(b, revision: Sha2).Value);
        // Strict mode passes no revision, so the stamps stay in the key.
        Assert.NotEqual(Key(a, revision: null).Value, Key(b, revision: null).Value);
    }

    [Fact]
    public void Options_order_and_compiler_are_part_of_the_key()
    {
        var c = CreateCheckout("a");
        var plain = Key(c).Value;

        Assert.NotEqual(plain, Key(c, extra: ["/define:EXTRA"]).Value);

        var reordered = Arguments(c).ToList();
        var source = reordered.IndexOf("A.cs");
        (reordered[source], reordered[source + 1]) = (reordered[source + 1], reordered[source]);
        Assert.NotEqual(plain, Key(c, arguments: reordered).Value);

        File.WriteAllBytes(c.Compiler, [9, 9, 8]);
        Assert.NotEqual(plain, Key(c).Value);
    }

    [Fact]
    public void A_source_outside_the_root_keeps_its_absolute_path()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b");
        var outsideA = Path.Combine(_scratch.FullName, "outside-a.cs");
        var outsideB = Path.Combine(_scratch.FullName, "outside-b.cs");
        File.WriteAllText(outsideA, "class O {}");
        File.WriteAllText(outsideB, "class O {}");

        Assert.NotEqual(Key(a, extra: [outsideA]).Value, Key(b, extra: [outsideB]).Value);
    }

    [Fact]
    public void A_missing_input_is_marked_so_the_key_is_never_used()
    {
        var c = CreateCheckout("a");
        var key = Key(c, extra: ["Missing.cs"]);

        Assert.Contains(key.Inputs, i => i.Name == "{root}/src/Lib/Missing.cs" && i.Hash == CompilationKeyBuilder.MissingFile);
    }

    [Fact]
    public void The_manifest_names_each_input_with_machine_paths_normalised()
    {
        var c = CreateCheckout("a");
        var key = Key(c);

        Assert.Contains(key.Inputs, i => i.Name == "{root}/src/Lib/A.cs" && i.Hash.Length == 64);
        Assert.Contains(key.Inputs, i => i.Name == "/reference:{any}/System.Runtime.dll");
        Assert.Contains(key.Inputs, i => i.Name == "/nullable:enable");
        Assert.DoesNotContain(key.Inputs, i => i.Name.Contains(c.Root, StringComparison.Ordinal));
    }
}
