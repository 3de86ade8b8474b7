using ArtifactCache.Build.Compilation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class CompilationKeyBuilderTests : IDisposable
{
    private const string Sha1 = "0123456789abcdef0123456789abcdef01234567";
    private const string Sha2 = "fedcba9876543210fedcba9876543210fedcba98";
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-key-");

    public void Dispose() => _scratch.Delete(recursive: true);

    /// <summary>A small checkout: a project with a source, generated AssemblyInfo and editorconfig, plus a reference outside it.</summary>
    private sealed record Checkout(string Root, string Project, string Reference, string Compiler);

    private Checkout CreateCheckout(string name, string revision = Sha1, string referenceFolder = "refs", string source = "class A {}", string extraAttributes = "", string? sourceLinkRoot = null, string? sourceRevisionId = null)
    {
        var root = Path.Combine(_scratch.FullName, name);
        var project = Path.Combine(root, "src", "Lib");
        var obj = Path.Combine(project, "obj");
        Directory.CreateDirectory(obj);
        File.WriteAllText(Path.Combine(project, "A.cs"), source);
        // As the SDK writes it (WriteCodeFragment), with the commit Source Link adds to the informational version.
        File.WriteAllText(Path.Combine(obj, "Lib.AssemblyInfo.cs"), $"using System;\r\n[assembly: System.Reflection.AssemblyCompanyAttribute(\"Lib\")]\r\n[assembly: System.Reflection.AssemblyInformationalVersionAttribute(\"1.0.0+{sourceRevisionId ?? revision}\")]\r\n{extraAttributes}");
        File.WriteAllText(Path.Combine(obj, "Lib.editorconfig"), $"is_global = true\nbuild_property.ProjectDir = {project}{Path.DirectorySeparatorChar}\n[{Path.Combine(project, "A.cs")}]\n");
        // With deterministic source paths the map's keys are the mapped root, the same in every checkout.
        File.WriteAllText(Path.Combine(obj, "Lib.sourcelink.json"), $"{{\"documents\":{{\"{sourceLinkRoot ?? "/_/"}*\":\"https://raw.example.com/org/repo/{revision}/*\"}}}}");
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
        "/noconfig", "/nullable:enable", "/deterministic+", $"/reference:{c.Reference}", "/out:obj/Lib.dll", "/refout:obj/refint/Lib.dll",
        "/analyzerconfig:obj/Lib.editorconfig", "/sourcelink:obj/Lib.sourcelink.json", $"/pathmap:{c.Root}{Path.DirectorySeparatorChar}=/_/",
        "A.cs", "obj/Lib.AssemblyInfo.cs", .. extra,
    ];

    private static CompilationKey Key(Checkout c, bool relocatable = true, string? revision = Sha1, string[]? extra = null, IEnumerable<string>? arguments = null, string runtime = "Microsoft.NETCore.App 10.0.1 x64", bool volatileVersions = false, CompilerLanguage language = CompilerLanguage.CSharp, string? sourceControlCommit = null)
    {
        var line = CompilerCommandLine.Parse(arguments ?? Arguments(c, extra ?? []), c.Project, language);
        return new CompilationKeyBuilder(new FileHasher()).Build(line, new KeyContext
        {
            RepositoryRoot = relocatable ? c.Root : null,
            SourceRevisionId = revision,
            // As CacheCompile passes them: the commit source control found, which Source Link writes, outside strict mode.
            SourceControlCommit = sourceControlCommit ?? revision,
            GeneratedAssemblyInfoFile = "obj/Lib.AssemblyInfo.cs",
            IntermediateDirectory = "obj",
            CompilerFiles = [c.Compiler],
            CompilerRuntime = runtime,
            VolatileVersions = volatileVersions,
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
    public void Each_file_of_a_vbc_reference_list_is_keyed_by_name_and_content_wherever_it_lives()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b", referenceFolder: "other-nuget-folder");
        string[] VbcArguments(Checkout c) => [.. Arguments(c).Where(x => !x.StartsWith("/reference:", StringComparison.Ordinal)), $"/reference:{c.Reference},{c.Compiler}", "/vbruntime:" + c.Reference];

        var key = Key(a, arguments: VbcArguments(a));
        Assert.Equal(key.Value, Key(b, arguments: VbcArguments(b)).Value);
        Assert.Contains(key.Inputs, i => i.Name == "/reference:{any}/System.Runtime.dll");
        Assert.Contains(key.Inputs, i => i.Name == "/vbruntime:{any}/System.Runtime.dll");

        File.WriteAllBytes(b.Reference, [1, 2, 3, 5]);
        Assert.NotEqual(key.Value, Key(b, arguments: VbcArguments(b)).Value);
    }

    private static CompilationKey FSharpKey(Checkout c, string[] sources)
    {
        string[] arguments = ["-o:obj/Lib.dll", "-g", "--debug:portable", "--deterministic+", $"-r:{c.Reference}", $"--pathmap:{c.Root}{Path.DirectorySeparatorChar}=/_/", .. sources];
        return Key(c, arguments: arguments, language: CompilerLanguage.FSharp);
    }

    [Fact]
    public void An_fsc_key_holds_the_source_order_and_the_unmapped_pdb_paths_length_but_not_the_folder()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b", referenceFolder: "elsewhere");
        var longer = CreateCheckout("abc");
        foreach (var c in new[] { a, b, longer })
        {
            File.WriteAllText(Path.Combine(c.Project, "A.fsi"), "module A\nval x: int\n");
        }

        var key = FSharpKey(a, ["A.fsi", "A.cs"]);
        Assert.Equal(key.Value, FSharpKey(b, ["A.fsi", "A.cs"]).Value);
        Assert.Contains(key.Inputs, i => i.Name == "/_//src/Lib/A.fsi");
        Assert.NotEqual(key.Value, FSharpKey(a, ["A.cs", "A.fsi"]).Value);

        var elsewhere = FSharpKey(longer, ["A.fsi", "A.cs"]);
        Assert.NotEqual(key.Value, elsewhere.Value);
        Assert.Equal(["length of the unmapped pdb path"], KeyDiff.Compare(key.Inputs, elsewhere.Inputs).Select(c => c.Input));
    }

    [Fact]
    public void An_fsharp_type_provider_reference_makes_the_compilation_not_cacheable()
    {
        var c = CreateCheckout("a");
        Assert.DoesNotContain(FSharpKey(c, ["A.cs"]).Inputs, i => i.Hash == CompilationKeyBuilder.NotCacheable);

        var provider = CSharpCompilation.Create(
            "Provider",
            [CSharpSyntaxTree.ParseText("[assembly: Microsoft.FSharp.Core.CompilerServices.TypeProviderAssembly]\nnamespace Microsoft.FSharp.Core.CompilerServices { public sealed class TypeProviderAssemblyAttribute : System.Attribute { } }")],
            [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var result = provider.Emit(c.Reference);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));

        var input = Assert.Single(FSharpKey(c, ["A.cs"]).Inputs, i => i.Hash == CompilationKeyBuilder.NotCacheable);
        Assert.Contains("System.Runtime.dll is an F# type provider", input.Name, StringComparison.Ordinal);
        // The same assembly referenced by a C# compilation is an ordinary reference.
        Assert.DoesNotContain(Key(c).Inputs, i => i.Hash == CompilationKeyBuilder.NotCacheable);
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

        Assert.Contains(key.Inputs, i => i.Name == "/_/src/Lib/Missing.cs" && i.Hash == CompilationKeyBuilder.MissingFile);
    }

    [Fact]
    public void The_manifest_names_each_input_with_machine_paths_normalised()
    {
        var c = CreateCheckout("a");
        var key = Key(c);

        // A source is named as the compiler writes it into the pdb: through the path map.
        Assert.Contains(key.Inputs, i => i.Name == "/_/src/Lib/A.cs" && i.Hash.Length == 64);
        Assert.Contains(key.Inputs, i => i.Name == "/reference:{any}/System.Runtime.dll");
        Assert.Contains(key.Inputs, i => i.Name == "/nullable:enable");
        Assert.DoesNotContain(key.Inputs, i => i.Name.Contains(c.Root, StringComparison.Ordinal));
    }

    [Fact]
    public void A_checkout_path_in_a_generated_source_is_keyed_and_named_as_not_relocatable()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b");
        foreach (var c in new[] { a, b })
        {
            File.AppendAllText(Path.Combine(c.Project, "obj", "Lib.AssemblyInfo.cs"), $"[assembly: System.Reflection.AssemblyMetadataAttribute(\"ProjectDir\", \"{c.Project}\")]\r\n");
        }

        var keyA = Key(a);
        Assert.NotEqual(keyA.Value, Key(b).Value);
        Assert.Contains(keyA.Inputs, i => i.Name == "not relocatable: {root}/src/Lib/obj/Lib.AssemblyInfo.cs holds the checkout path");
    }

    [Fact]
    public void The_commit_is_left_out_only_where_the_sdk_stamps_it()
    {
        // The same commit in the user's own attribute is an ordinary input: a new commit changes the key.
        var a = CreateCheckout("a", revision: Sha1, extraAttributes: $"[assembly: System.Reflection.AssemblyMetadataAttribute(\"Commit\", \"{Sha1}\")]");
        var b = CreateCheckout("b", revision: Sha2, extraAttributes: $"[assembly: System.Reflection.AssemblyMetadataAttribute(\"Commit\", \"{Sha2}\")]");

        Assert.NotEqual(Key(a, revision: Sha1).Value, Key(b, revision: Sha2).Value);
    }

    [Fact]
    public void A_source_link_map_of_local_paths_is_keyed_as_it_is()
    {
        var a = CreateCheckout("a", sourceLinkRoot: Path.Combine(_scratch.FullName, "a") + "/");
        var b = CreateCheckout("b", sourceLinkRoot: Path.Combine(_scratch.FullName, "b") + "/");

        Assert.NotEqual(Key(a).Value, Key(b).Value);
    }

    [Fact]
    public void Sources_are_named_by_the_mapping_the_compiler_applies()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b");
        var sep = Path.DirectorySeparatorChar;

        // No path map: the outputs hold absolute paths, so the key does.
        var unmapped = Arguments(a).Where(x => !x.StartsWith("/pathmap:", StringComparison.Ordinal)).ToList();
        var unmappedB = Arguments(b).Where(x => !x.StartsWith("/pathmap:", StringComparison.Ordinal)).ToList();
        Assert.NotEqual(Key(a, arguments: unmapped).Value, Key(b, arguments: unmappedB).Value);
        Assert.Contains(Key(a, arguments: unmapped).Inputs, i => i.Name == Path.Combine(a.Project, "A.cs"));

        // A user's entry for a folder inside the root, listed first, decides for that folder under either rule.
        var user = $"/pathmap:{a.Root}{sep}src{sep}=/custom/,{a.Root}{sep}=/_/";
        Assert.Contains(Key(a, arguments: [.. unmapped, user]).Inputs, i => i.Name == "/custom/Lib/A.cs");

        // Listed after the root's entry, older compilers (first entry wins) and current ones (longest prefix wins)
        // disagree, and the key names both.
        var late = $"/pathmap:{a.Root}{sep}=/_/,{a.Root}{sep}src{sep}=/custom/";
        Assert.Contains(Key(a, arguments: [.. unmapped, late]).Inputs, i => i.Name == "/custom/Lib/A.cs | first entry: /_/src/Lib/A.cs");
    }

    [Fact]
    public void The_runtime_that_runs_the_compiler_is_part_of_the_key()
    {
        var c = CreateCheckout("a");

        Assert.NotEqual(Key(c).Value, Key(c, runtime: "Microsoft.NETCore.App 10.0.2 x64").Value);
        Assert.NotEqual(Key(c).Value, Key(c, runtime: "Microsoft.NETCore.App 10.0.1 arm64").Value);
    }

    [Fact]
    public void Git_height_versions_are_an_input_of_their_own_left_out_only_when_volatile()
    {
        var a = CreateCheckout("a", extraAttributes: "[assembly: System.Reflection.AssemblyFileVersionAttribute(\"1.0.0.4\")]\r\n");
        var b = CreateCheckout("b", extraAttributes: "[assembly: System.Reflection.AssemblyFileVersionAttribute(\"1.0.0.5\")]\r\n");
        var c = CreateCheckout("c", extraAttributes: "[assembly: System.Reflection.AssemblyVersionAttribute(\"2.0.0.0\")]\r\n[assembly: System.Reflection.AssemblyFileVersionAttribute(\"1.0.0.5\")]\r\n");

        var changes = KeyDiff.Compare(Key(a).Inputs, Key(b).Inputs);
        Assert.Equal("version stamps in src/Lib/obj/Lib.AssemblyInfo.cs: the version changed (ArtifactCacheVolatileVersion=true leaves it out of the key)", Assert.Single(changes).Input);

        Assert.Equal(Key(a, volatileVersions: true).Value, Key(b, volatileVersions: true).Value);
        // The assembly version is what dependents bind to: never left out.
        Assert.NotEqual(Key(b, volatileVersions: true).Value, Key(c, volatileVersions: true).Value);
    }

    [Fact]
    public void An_analyzer_config_that_is_not_global_is_keyed_by_its_folder_whatever_its_name()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b");
        const string rules = "[*.cs]\ndotnet_diagnostic.CA1822.severity = error\n";
        File.WriteAllText(Path.Combine(a.Project, "Style.config"), rules);
        Directory.CreateDirectory(Path.Combine(b.Root, "src", "Other"));
        File.WriteAllText(Path.Combine(b.Root, "src", "Other", "Style.config"), rules);

        // In a, the config's sections apply to the project's sources; in b, it sits beside them and applies to none.
        var keyA = Key(a, extra: ["/analyzerconfig:Style.config"]);
        var keyB = Key(b, extra: ["/analyzerconfig:../Other/Style.config"]);

        Assert.NotEqual(keyA.Value, keyB.Value);
        Assert.Contains(keyA.Inputs, i => i.Name == "/analyzerconfig:{root}/src/Lib/Style.config");
        Assert.Contains(keyB.Inputs, i => i.Name == "/analyzerconfig:{root}/src/Other/Style.config");
    }

    [Theory]
    [InlineData("Style.config", "is_global = true\n[*.cs]\nkey = value\n", true)]
    [InlineData("Style.config", "# settings\n  IS_GLOBAL : false  \n", true)]
    [InlineData("Style.config", "root = true\r\nIs_Global=true\r\n", true)]
    [InlineData("any.GLOBALCONFIG", "key = value\n", false)]
    [InlineData(".GlobalConfig", "key = value\n", true)]
    [InlineData("Style.config", "[*.cs]\nis_global = true\n", false)]
    [InlineData("Style.config", "# is_global = true\n", false)]
    [InlineData("Style.config", "; is_global = true\n", false)]
    [InlineData("Style.config", "is_global_level = true\n", false)]
    [InlineData("Style.config", "i\u017f_global = true\n", false)]
    [InlineData(".editorconfig", "is_global = true\n", true)]
    [InlineData(".editorconfig", "root = true\n", false)]
    public void An_analyzer_config_is_global_by_the_compilers_rule(string name, string text, bool global)
    {
        Assert.Equal(global, AnalyzerConfigScope.IsGlobal(Path.Combine(_scratch.FullName, name), text));
    }

    [Fact]
    public void A_global_config_is_keyed_wherever_it_lives_with_the_root_replaced()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b");
        File.WriteAllText(Path.Combine(a.Project, "Style.config"), $"is_global = true\n[{Path.Combine(a.Project, "A.cs")}]\nkey = value\n");
        Directory.CreateDirectory(Path.Combine(b.Root, "src", "Other"));
        File.WriteAllText(Path.Combine(b.Root, "src", "Other", "Style.config"), $"is_global = true\n[{Path.Combine(b.Project, "A.cs")}]\nkey = value\n");

        var keyA = Key(a, extra: ["/analyzerconfig:Style.config"]);

        Assert.Equal(keyA.Value, Key(b, extra: ["/analyzerconfig:../Other/Style.config"]).Value);
        Assert.Contains(keyA.Inputs, i => i.Name == "/analyzerconfig:{any}/Style.config");
    }

    [Fact]
    public void A_folder_scoped_config_is_keyed_byte_for_byte_since_its_sections_are_relative_to_its_folder()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b");
        // "[<a>/src/Lib/A.cs]" in a config in a's project folder names <a>/src/Lib/<a>/src/Lib/A.cs; in b the same
        // position names another file, so replacing the root would equate two different rules.
        File.WriteAllText(Path.Combine(a.Project, ".editorconfig"), $"[{Path.Combine(a.Project, "A.cs")}]\nkey = value\n");
        File.WriteAllText(Path.Combine(b.Project, ".editorconfig"), $"[{Path.Combine(b.Project, "A.cs")}]\nkey = value\n");

        Assert.NotEqual(Key(a, extra: ["/analyzerconfig:.editorconfig"]).Value, Key(b, extra: ["/analyzerconfig:.editorconfig"]).Value);

        File.WriteAllText(Path.Combine(b.Project, ".editorconfig"), $"[{Path.Combine(a.Project, "A.cs")}]\nkey = value\n");
        Assert.Equal(Key(a, extra: ["/analyzerconfig:.editorconfig"]).Value, Key(b, extra: ["/analyzerconfig:.editorconfig"]).Value);
    }

    [Fact]
    public void A_build_stamp_in_place_of_the_commit_is_an_input_and_source_link_is_read_with_the_real_commit()
    {
        // $(SourceRevisionId) set to a build stamp: the SDK appends the stamp to the informational version, while Source
        // Link writes the commit source control found.
        var a = CreateCheckout("a", revision: Sha1, sourceRevisionId: "build41");
        var b = CreateCheckout("b", revision: Sha2, sourceRevisionId: "build42");
        var c = CreateCheckout("c", revision: Sha2, sourceRevisionId: "build41");
        CompilationKey StampKey(Checkout checkout, string stamp, string commit) =>
            Key(checkout, revision: CommitStamps.CommitOrNull(stamp, commit), sourceControlCommit: commit);

        var keyA = StampKey(a, "build41", Sha1);
        var changes = KeyDiff.Compare(keyA.Inputs, StampKey(b, "build42", Sha2).Inputs);

        Assert.Equal(["version stamps in src/Lib/obj/Lib.AssemblyInfo.cs: the version changed (ArtifactCacheVolatileVersion=true leaves it out of the key)"], changes.Select(x => x.Input));
        // Another commit with the same stamp: only the Source Link map's commit differs, and that is left out.
        Assert.Equal(keyA.Value, StampKey(c, "build41", Sha2).Value);
    }

    [Fact]
    public void A_mapped_folder_spelled_in_a_source_is_keyed_by_where_the_map_rewrites_it()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b");
        // A committed source generated in checkout a: there the compiler maps the #line file (and [CallerFilePath]) to
        // /_/gen/Foo.tt; in b the same text is outside the mapped folder and stays absolute.
        var text = $"#line 1 \"{Path.Combine(a.Root, "gen", "Foo.tt")}\"\nclass A {{ }}\n";
        File.WriteAllText(Path.Combine(a.Project, "A.cs"), text);
        File.WriteAllText(Path.Combine(b.Project, "A.cs"), text);

        var keyA = Key(a);
        var keyB = Key(b);

        Assert.NotEqual(keyA.Value, keyB.Value);
        Assert.Equal(["file names in directives of /_/src/Lib/A.cs", "paths /pathmap rewrites in /_/src/Lib/A.cs"], KeyDiff.Compare(keyB.Inputs, keyA.Inputs).Select(c => c.Input));
        Assert.DoesNotContain(keyA.Inputs, i => i.Name.Contains(a.Root, StringComparison.Ordinal));
    }

    [Fact]
    public void A_source_that_spells_the_mapped_value_itself_is_keyed_by_its_text_alone()
    {
        var a = CreateCheckout("a", source: "#line 1 \"/_/gen/Foo.tt\"\nclass A { }\n");
        var b = CreateCheckout("b", source: "#line 1 \"/_/gen/Foo.tt\"\nclass A { }\n");
        var c = CreateCheckout("c");

        Assert.Equal(Key(a).Value, Key(b).Value);
        Assert.NotEqual(Key(a).Value, Key(c).Value);
        Assert.DoesNotContain(Key(a).Inputs, i => i.Name.StartsWith("paths /pathmap rewrites", StringComparison.Ordinal));
    }

    [Fact]
    public void A_relative_directive_name_that_leaves_the_checkout_is_keyed_as_the_compiler_resolves_it()
    {
        var a = CreateCheckout("a");
        var b = CreateCheckout("b");
        // From src/Lib, "../../../a/gen/Foo.tt" is inside checkout a (mapped to /_/gen/Foo.tt) and outside checkout b
        // (the absolute path); the text holds no checkout folder at all.
        const string Text = "#line 1 \"../../../a/gen/Foo.tt\"\nclass A { }\n";
        File.WriteAllText(Path.Combine(a.Project, "A.cs"), Text);
        File.WriteAllText(Path.Combine(b.Project, "A.cs"), Text);

        var keyA = Key(a);
        var keyB = Key(b);

        Assert.NotEqual(keyA.Value, keyB.Value);
        Assert.Equal(["file names in directives of /_/src/Lib/A.cs"], KeyDiff.Compare(keyA.Inputs, keyB.Inputs).Select(c => c.Input));
        Assert.DoesNotContain(keyA.Inputs, i => i.Name.StartsWith("paths /pathmap rewrites", StringComparison.Ordinal));
    }
}
