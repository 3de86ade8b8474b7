using System.Diagnostics;
using System.Reflection.Metadata;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// The repository every soundness case starts from, written and built cold once: Lib (documented, with an XML doc
/// include and a constant shaped like a commit suffix), App (prints Lib's values), Gen (a generator that writes
/// <c>build_property.projectdir</c> into code and throws when <c>fail.txt</c> says so) and PathLib (the one project
/// that consumes Gen), with a GitHub origin so Source Link writes a map. Cases clone it into new folders.
/// </summary>
public sealed class SoundRepository : IDisposable
{
    public const string Origin = "https://github.com/contoso/shop.git";

    public const string Stamp = "+0123456789abcdef0123456789abcdef01234567";

    public const string FirstDocs = "Greets, as the first docs.xml says.";

    public static readonly string[] Projects = ["App", "Gen", "Lib", "PathLib"];

    public SoundRepository()
    {
        Source = Workspace.PathOf("origin");
        Write(Source);
        Workspace.Git(Source, "init", "-q");
        Workspace.Git(Source, "remote", "add", "origin", Origin);
        Workspace.Git(Source, "add", "-A");
        Workspace.Git(Source, "commit", "-q", "-m", "initial");

        var cold = Dotnet.Run(Source, Cache, ["build", "Shop.slnx"]);
        if (!cold.Succeeded || !cold.Misses.SequenceEqual(Projects) || !cold.Report.All(r => r.Stored))
        {
            throw new InvalidOperationException("The repository did not build cold as expected:\n" + cold);
        }
    }

    public Workspace Workspace { get; } = new();

    public string Source { get; }

    /// <summary>The cache the cold build filled, shared by the cases that add no entry another case could hit.</summary>
    public string Cache => Workspace.PathOf("cache");

    /// <summary>A fresh clone in a new folder (of the repository, or of another clone), with the GitHub origin back.</summary>
    public string Clone(string name, string? from = null)
    {
        var clone = Workspace.PathOf("clones", name);
        Directory.CreateDirectory(Path.GetDirectoryName(clone)!);
        Workspace.Git(Workspace.Root, "clone", "-q", from ?? Source, clone);
        Workspace.Git(clone, "remote", "set-url", "origin", Origin);
        return clone;
    }

    /// <summary>A copy of the warm cache, for a case whose store would replace an entry other cases hit.</summary>
    public string CopyOfCache(string name)
    {
        var copy = Workspace.PathOf("caches", name);
        foreach (var file in Directory.EnumerateFiles(Cache, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(Cache, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }

    public void Dispose() => Workspace.Dispose();

    private static void Write(string root)
    {
        Workspace.ImportPackageFromRepo(root);
        Workspace.Write(Path.Combine(root, ".gitignore"), "bin/\nobj/\n");
        Workspace.Write(Path.Combine(root, "README.md"), "# shop\n");
        Workspace.Write(Path.Combine(root, "Shop.slnx"), """
            <Solution>
              <Project Path="App/App.csproj" />
              <Project Path="Gen/Gen.csproj" />
              <Project Path="Lib/Lib.csproj" />
              <Project Path="PathLib/PathLib.csproj" />
            </Solution>
            """);

        SampleSolution.WriteProject(root, "Lib");
        Workspace.Write(Path.Combine(root, "Lib", "Values.cs"), $$"""
            namespace Lib;

            /// <summary>Values the app prints.</summary>
            public static class Values
            {
                /// <summary>The library's own constant, shaped like the SDK's commit suffix.</summary>
                public const string Stamp = "{{Stamp}}";

                /// <include file="docs.xml" path="doc/member[@name='Greeting']/*" />
                public static string Greeting() => Helper.Decorate("hello");
            }
            """);
        Workspace.Write(Path.Combine(root, "Lib", "Helper.cs"), """
            namespace Lib;

            internal static class Helper
            {
                internal static string Decorate(string text) => "[" + text + "]";
            }
            """);
        Workspace.Write(Path.Combine(root, "Lib", "Edited.cs"), """
            namespace Lib;

            internal static class Edited
            {
                internal const int Version = 1;
            }
            """);
        Workspace.Write(Path.Combine(root, "Lib", "docs.xml"), Docs(FirstDocs));

        SampleSolution.WriteProject(root, "App", """<ProjectReference Include="../Lib/Lib.csproj" />""", "<OutputType>Exe</OutputType>");
        Workspace.Write(Path.Combine(root, "App", "Program.cs"), """
            System.Console.WriteLine("Stamp " + Lib.Values.Stamp);
            System.Console.WriteLine(Lib.Values.Greeting());
            """);

        SampleSolution.WriteGeneratorProject(root, "Gen");
        Workspace.Write(Path.Combine(root, "Gen", "BuildInfoGenerator.cs"), """
            using System.Linq;
            using Microsoft.CodeAnalysis;

            [Generator]
            public sealed class BuildInfoGenerator : IIncrementalGenerator
            {
                public void Initialize(IncrementalGeneratorInitializationContext context)
                {
                    // The absolute project folder, from the analyzer config the SDK generates: a path PathMap cannot map.
                    var projectDir = context.AnalyzerConfigOptionsProvider
                        .Select((options, _) => options.GlobalOptions.TryGetValue("build_property.projectdir", out var value) ? value : "");
                    var fail = context.AdditionalTextsProvider
                        .Where(f => f.Path.EndsWith("fail.txt"))
                        .Select((f, ct) => f.GetText(ct)?.ToString() ?? "")
                        .Collect();
                    context.RegisterSourceOutput(projectDir.Combine(fail), (output, pair) =>
                    {
                        if (pair.Right.Any(text => text.Contains("throw")))
                        {
                            throw new System.InvalidOperationException("fail.txt asks the generator to fail");
                        }

                        output.AddSource("BuildInfo.g.cs",
                            "namespace Generated { internal static class BuildInfo { public const string ProjectDir = @\"" +
                            pair.Left.Replace("\"", "\"\"") + "\"; } }");
                    });
                }
            }
            """);

        SampleSolution.WriteProject(root, "PathLib", """
            <ProjectReference Include="../Gen/Gen.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
            <CompilerVisibleProperty Include="ProjectDir" />
            """);
        Workspace.Write(Path.Combine(root, "PathLib", "Where.cs"), """
            namespace PathLib;

            /// <summary>Where the generator saw this project.</summary>
            public static class Where
            {
                /// <summary>The project folder the generator wrote into the code.</summary>
                public static string ProjectDir => Generated.BuildInfo.ProjectDir;
            }
            """);
    }

    public static string Docs(string summary) => $"""
        <doc>
          <member name="Greeting">
            <summary>{summary}</summary>
          </member>
        </doc>
        """;
}

/// <summary>
/// Every hit must equal a local compile in the same place. Each case is a way an earlier design restored outputs that a
/// local compile would not have produced (or stored outputs its key did not describe); the comment on each says how.
/// </summary>
public sealed class SoundnessTests : IClassFixture<SoundRepository>
{
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    private static readonly Guid Sha256Algorithm = new("8829d00f-11b8-4213-878b-770e8597ac16");
    private static readonly string[] OutputFiles = ["Lib.dll", "Lib.pdb", "Lib.xml", "ref/Lib.dll", "refint/Lib.dll"];

    private readonly SoundRepository _repo;

    public SoundnessTests(SoundRepository repo)
    {
        _repo = repo;
    }

    // Old design: the generated AssemblyInfo was keyed with the checkout root replaced, so clone 2 hit and its Lib.dll
    // named clone 1's folder.
    [Fact]
    public void A_checkout_path_in_an_assembly_attribute_misses_in_another_checkout_and_says_why()
    {
        var first = _repo.Clone("relocate-first");
        var second = _repo.Clone("relocate-second");
        foreach (var clone in new[] { first, second })
        {
            AddToLib(clone, """<ItemGroup><AssemblyMetadata Include="ProjectDir" Value="$(MSBuildProjectDirectory)" /></ItemGroup>""");
        }

        var stored = Build(Path.Combine(first, "Lib"), _repo.Cache);
        Assert.True(Entry(stored, "Lib").Stored, stored.ToString());

        var run = Build(Path.Combine(second, "Lib"), _repo.Cache);

        var lib = Entry(run, "Lib");
        Assert.False(lib.IsHit, run.ToString());
        Assert.Contains("not relocatable", lib.Explanation ?? "", StringComparison.Ordinal);
        var dll = File.ReadAllBytes(Output(second, "Lib.dll"));
        Assert.True(ContainsText(dll, Path.Combine(second, "Lib")), "Lib.dll must name its own checkout\n" + run);
        Assert.False(ContainsText(dll, Path.Combine(first, "Lib")), "Lib.dll must not name the first checkout\n" + run);
    }

    // Old design: the Source Link map was keyed and written for the local root while the pdb held /_/ paths, so no
    // debugger could map a document to the repository.
    [Fact]
    public void Source_link_maps_every_document_of_a_local_build_and_a_hit_equals_that_local_compile()
    {
        var clone = _repo.Clone("source-link");
        var commit = Head(clone);

        var hit = Build(Path.Combine(clone, "Lib"), _repo.Cache);
        AssertProjects(["Lib"], hit.Hits, hit);
        var restored = Outputs(clone);

        DeleteBuildOutputs(clone, "Lib");
        var local = Build(Path.Combine(clone, "Lib"), _repo.Workspace.PathOf("caches", "empty-source-link"));
        AssertProjects(["Lib"], local.Misses, local);

        using (var pdb = File.OpenRead(Output(clone, "Lib.pdb")))
        using (var provider = MetadataReaderProvider.FromPortablePdbStream(pdb))
        {
            var reader = provider.GetMetadataReader();
            var documents = reader.Documents.Select(reader.GetDocument).ToList();
            Assert.NotEmpty(documents);
            foreach (var document in documents)
            {
                var name = reader.GetString(document.Name);
                Assert.StartsWith("/_/", name, StringComparison.Ordinal);
                var file = Path.Combine(clone, name["/_/".Length..]);
                Assert.True(File.Exists(file), $"{name} maps to {file}, which does not exist\n{local}");
                Assert.Equal(Sha256Algorithm, reader.GetGuid(document.HashAlgorithm));
                Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))), Convert.ToHexString(reader.GetBlobBytes(document.Hash)));
            }

            var sourceLink = reader.CustomDebugInformation.Select(reader.GetCustomDebugInformation).Single(c => reader.GetGuid(c.Kind) == SourceLinkKind);
            using var json = JsonDocument.Parse(reader.GetBlobBytes(sourceLink.Value));
            Assert.Equal($"https://raw.githubusercontent.com/contoso/shop/{commit}/*", json.RootElement.GetProperty("documents").GetProperty("/_/*").GetString());
        }

        var compiled = Outputs(clone);
        Assert.Equal(OutputFiles, compiled.Keys.ToArray());
        Assert.Equal(OutputFiles, restored.Keys.ToArray());
        foreach (var (file, bytes) in compiled)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(restored[file]), $"{file}: the hit's bytes differ from a local compile in the same place\n{hit}\n{local}");
        }
    }

    // Old design: docs.xml is no compiler argument, so the key did not change and the hit restored the old text.
    [Fact]
    public void A_changed_xml_doc_include_misses_and_the_next_checkout_of_it_hits()
    {
        // This case's store replaces the entry every other case's Lib hits: it gets a cache of its own.
        var cache = _repo.CopyOfCache("docs");
        var edited = _repo.Clone("docs-edited");
        const string NewDocs = "Greets, as the second docs.xml says.";
        File.WriteAllText(Path.Combine(edited, "Lib", "docs.xml"), SoundRepository.Docs(NewDocs));
        Workspace.Git(edited, "commit", "-q", "-am", "docs");

        var miss = Build(Path.Combine(edited, "Lib"), cache);

        AssertProjects(["Lib"], miss.Misses, miss);
        Assert.True(Entry(miss, "Lib").Stored, miss.ToString());
        Assert.True(Entry(miss, "Lib").Explanation?.Contains("docs.xml", StringComparison.Ordinal), "the miss must name docs.xml\n" + miss);
        Assert.Contains(NewDocs, File.ReadAllText(Output(edited, "Lib.xml")), StringComparison.Ordinal);

        var next = _repo.Clone("docs-next", from: edited);
        var hit = Build(Path.Combine(next, "Lib"), cache);

        AssertProjects(["Lib"], hit.Hits, hit);
        Assert.Contains(NewDocs, File.ReadAllText(Output(next, "Lib.xml")), StringComparison.Ordinal);
    }

    // Old design: reference assemblies were hashed with every "+<40 hex>" string blanked, so App hit and printed the
    // old constant it had inlined.
    [Fact]
    public void A_public_constant_shaped_like_a_commit_suffix_is_an_input_of_its_dependents()
    {
        var clone = _repo.Clone("stamp");
        const string NewStamp = "+fedcba9876543210fedcba9876543210fedcba98";
        var values = Path.Combine(clone, "Lib", "Values.cs");
        File.WriteAllText(values, File.ReadAllText(values).Replace(SoundRepository.Stamp, NewStamp, StringComparison.Ordinal));
        Workspace.Git(clone, "commit", "-q", "-am", "stamp");

        var run = Build(Path.Combine(clone, "App"), _repo.Cache);
        var app = Dotnet.Run(clone, _repo.Cache, ["run", "--no-build", "--project", "App"]);

        Assert.True(app.Succeeded, app.ToString());
        // Fails with this branch's product: StampNeutralHash still blanks every "+" and 40 hex digits in the reference
        // assemblies of in-repo projects (UTF-8 and UTF-16 byte patterns), the constant's included, so App hits.
        Assert.True(app.Output.Contains("Stamp " + NewStamp, StringComparison.Ordinal), $"App must print the new constant: App hit the entry compiled against the old one\n{app}\n{run}");
        AssertProjects(["App", "Lib"], run.Misses, run);
    }

    // Old design: every occurrence of the commit in the generated AssemblyInfo was left out of the key, so a commit that
    // touched only the README hit and restored a Lib.dll stamped with the previous commit.
    [Fact]
    public void The_commit_in_a_users_own_attribute_is_an_input()
    {
        var clone = _repo.Clone("commit-attribute");
        // $(SourceRevisionId) is only known once source control information is read, so the item is added in a target.
        AddToLib(clone, """
            <Target Name="AddCommitMetadata" BeforeTargets="GetAssemblyAttributes" DependsOnTargets="InitializeSourceControlInformation">
              <ItemGroup><AssemblyMetadata Include="Commit" Value="$(SourceRevisionId)" /></ItemGroup>
            </Target>
            """);
        Workspace.Git(clone, "commit", "-q", "-am", "commit metadata");
        var before = Head(clone);
        var first = Build(Path.Combine(clone, "Lib"), _repo.Cache);
        Assert.True(Entry(first, "Lib").Stored, first.ToString());
        Assert.True(ContainsText(File.ReadAllBytes(Output(clone, "Lib.dll")), before), "the attribute must hold the commit\n" + first);

        File.AppendAllText(Path.Combine(clone, "README.md"), "more\n");
        Workspace.Git(clone, "commit", "-q", "-am", "readme");
        var after = Head(clone);
        var run = Build(Path.Combine(clone, "Lib"), _repo.Cache);

        Assert.False(Entry(run, "Lib").IsHit, run.ToString());
        var dll = File.ReadAllBytes(Output(clone, "Lib.dll"));
        Assert.True(ContainsText(dll, after), "Lib.dll must hold the new commit\n" + run);
        Assert.False(ContainsText(dll, before), "Lib.dll must not hold the previous commit\n" + run);
    }

    // Old design: a source was keyed by its text and the root's mapping only, so a committed #line naming the first
    // checkout's folder (mapped there to /_/, absolute anywhere else) gave the same key in the second, which hit and
    // carried /_/gen/Foo.tt where its own compile writes the absolute path.
    [Fact]
    public void A_mapped_folder_spelled_in_a_source_misses_in_a_checkout_where_the_map_does_not_rewrite_it()
    {
        var first = _repo.Clone("line-first");
        var second = _repo.Clone("line-second");
        var generatedFrom = Path.Combine(first, "gen", "Foo.tt");
        foreach (var clone in new[] { first, second })
        {
            File.WriteAllText(Path.Combine(clone, "Lib", "Origin.cs"), $$"""
                namespace Lib;

                /// <summary>Where the generated code came from.</summary>
                public static class Origin
                {
                #line 1 "{{generatedFrom}}"
                    /// <summary>The file the compiler names for the caller.</summary>
                    public static string File([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

                    /// <summary>The file the compiler names here.</summary>
                    public static string Here => File();
                #line default
                }
                """);
        }

        var stored = Build(Path.Combine(first, "Lib"), _repo.Cache);
        Assert.True(Entry(stored, "Lib").Stored, stored.ToString());
        Assert.True(ContainsText(File.ReadAllBytes(Output(first, "Lib.dll")), "/_/gen/Foo.tt"), "the first checkout maps its own folder\n" + stored);

        var run = Build(Path.Combine(second, "Lib"), _repo.Cache);

        var lib = Entry(run, "Lib");
        Assert.False(lib.IsHit, run.ToString());
        Assert.Contains("paths /pathmap rewrites", lib.Explanation ?? "", StringComparison.Ordinal);
        var dll = File.ReadAllBytes(Output(second, "Lib.dll"));
        Assert.True(ContainsText(dll, generatedFrom), "outside the mapped folder the path stays absolute\n" + run);
        Assert.False(ContainsText(dll, "/_/gen/Foo.tt"), "Lib.dll must not hold the first checkout's mapped path\n" + run);
    }

    // Old design: the same, with a relative #line name that reaches the first checkout from the second: the text names
    // no checkout folder, yet the compiler resolves it inside the mapped folder in one and outside it in the other.
    [Fact]
    public void A_relative_directive_name_that_leaves_the_checkout_misses_in_the_other_checkout()
    {
        var first = _repo.Clone("relative-line-first");
        var second = _repo.Clone("relative-line-second");
        foreach (var clone in new[] { first, second })
        {
            File.WriteAllText(Path.Combine(clone, "Lib", "Origin.cs"), """
                namespace Lib;

                /// <summary>Where the generated code came from.</summary>
                public static class Origin
                {
                #line 1 "../../relative-line-first/gen/Foo.tt"
                    /// <summary>The file the compiler names for the caller.</summary>
                    public static string File([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

                    /// <summary>The file the compiler names here.</summary>
                    public static string Here => File();
                #line default
                }
                """);
        }

        var stored = Build(Path.Combine(first, "Lib"), _repo.Cache);
        Assert.True(Entry(stored, "Lib").Stored, stored.ToString());
        Assert.True(ContainsText(File.ReadAllBytes(Output(first, "Lib.dll")), "/_/gen/Foo.tt"), "the first checkout maps its own folder\n" + stored);

        var run = Build(Path.Combine(second, "Lib"), _repo.Cache);

        Assert.False(Entry(run, "Lib").IsHit, run.ToString());
        var dll = File.ReadAllBytes(Output(second, "Lib.dll"));
        Assert.True(ContainsText(dll, Path.Combine(first, "gen", "Foo.tt")), "outside the mapped folder the path is absolute\n" + run);
        Assert.False(ContainsText(dll, "/_/gen/Foo.tt"), "Lib.dll must not hold the first checkout's mapped path\n" + run);
    }

    // Old design: $(SourceRevisionId) was taken for the commit and its suffix of the informational version left out of
    // the key, so a build that set it to a build stamp hit another build's entry and carried that build's stamp.
    [Fact]
    public void A_build_stamp_in_source_revision_id_is_an_input()
    {
        var clone = _repo.Clone("build-stamp");
        // When it is the commit source control found, a new commit alone still hits.
        File.AppendAllText(Path.Combine(clone, "README.md"), "more\n");
        Workspace.Git(clone, "commit", "-q", "-am", "readme");
        var commit = Build(Path.Combine(clone, "Lib"), _repo.Cache);
        AssertProjects(["Lib"], commit.Hits, commit);

        var first = Build(Path.Combine(clone, "Lib"), _repo.Cache, "-p:SourceRevisionId=build41");
        Assert.True(Entry(first, "Lib").Stored, first.ToString());
        Assert.True(ContainsText(File.ReadAllBytes(Output(clone, "Lib.dll")), "+build41"), "the informational version must hold the stamp\n" + first);

        var run = Build(Path.Combine(clone, "Lib"), _repo.Cache, "-p:SourceRevisionId=build42");

        var lib = Entry(run, "Lib");
        Assert.False(lib.IsHit, run.ToString());
        Assert.Contains("AssemblyInfo", lib.Explanation ?? "", StringComparison.Ordinal);
        var dll = File.ReadAllBytes(Output(clone, "Lib.dll"));
        Assert.True(ContainsText(dll, "+build42"), "Lib.dll must hold its own stamp\n" + run);
        Assert.False(ContainsText(dll, "+build41"), "Lib.dll must not hold the first build's stamp\n" + run);
    }

    // Old design: the key was computed once, before compiling, and the outputs of the edited source were stored under
    // the key of the unedited one.
    [Fact]
    public void An_input_edited_while_the_compiler_runs_is_not_stored()
    {
        if (OperatingSystem.IsWindows())
        {
            // The wrapper compiler is a shell script.
            return;
        }

        var clone = _repo.Clone("edited-while-compiling");
        var tools = Path.Combine(clone, "tools");
        var wrapper = Path.Combine(tools, "csc-wrapper.sh");
        Workspace.Write(wrapper, $"""
            #!/bin/sh
            printf '// edited while the compiler ran\n' >> '{Path.Combine(clone, "Lib", "Edited.cs")}'
            exec dotnet exec '{Path.Combine(SdkCompilerFolder(), "csc.dll")}' "$@"

            """);
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AddToLib(clone, $"<PropertyGroup><CscToolPath>{tools}</CscToolPath><CscToolExe>csc-wrapper.sh</CscToolExe></PropertyGroup>");
        var entriesBefore = CacheEntries(_repo.Cache);

        var run = Build(Path.Combine(clone, "Lib"), _repo.Cache);

        Assert.True(run.Succeeded, run.ToString());
        var lib = Entry(run, "Lib");
        Assert.False(lib.IsHit, run.ToString());
        Assert.False(lib.Stored, run.ToString());
        Assert.StartsWith("an input changed while it compiled", lib.Reason ?? "", StringComparison.Ordinal);
        Assert.Contains("Edited.cs", lib.Reason, StringComparison.Ordinal);
        Assert.Contains("edited while the compiler ran", File.ReadAllText(Path.Combine(clone, "Lib", "Edited.cs")), StringComparison.Ordinal);
        Assert.NotNull(lib.Key);
        Assert.False(File.Exists(Path.Combine(_repo.Cache, "v1", lib.Key[..2], lib.Key + ".acb")), run.ToString());
        Assert.Equal(entriesBefore, CacheEntries(_repo.Cache));
    }

    // Old design: the check after the compile took each input's hash from the build's memo (path, length, time stamp),
    // so an edit that kept the length and put the time stamp back (cp -p, rsync -t) was stored under the old key.
    [Fact]
    public void A_same_length_edit_while_the_compiler_runs_that_puts_the_time_stamp_back_is_not_stored()
    {
        if (OperatingSystem.IsWindows())
        {
            // The wrapper compiler is a shell script.
            return;
        }

        var clone = _repo.Clone("edited-keeping-stamp");
        var cache = _repo.CopyOfCache("edited-keeping-stamp");
        var edited = Path.Combine(clone, "Lib", "Edited.cs");
        var tools = Path.Combine(clone, "tools");
        var wrapper = Path.Combine(tools, "csc-wrapper.sh");
        Workspace.Write(wrapper, $"""
            #!/bin/sh
            touch -r '{edited}' '{Path.Combine(tools, "stamp")}'
            sed -i 's/Version = 1/Version = 2/' '{edited}'
            touch -r '{Path.Combine(tools, "stamp")}' '{edited}'
            exec dotnet exec '{Path.Combine(SdkCompilerFolder(), "csc.dll")}' "$@"

            """);
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AddToLib(clone, $"<PropertyGroup><CscToolPath>{tools}</CscToolPath><CscToolExe>csc-wrapper.sh</CscToolExe></PropertyGroup>");
        var (length, stamp) = (new FileInfo(edited).Length, File.GetLastWriteTimeUtc(edited));
        var entriesBefore = CacheEntries(cache);

        var run = Build(Path.Combine(clone, "Lib"), cache);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("Version = 2", File.ReadAllText(edited), StringComparison.Ordinal);
        Assert.Equal((length, stamp), (new FileInfo(edited).Length, File.GetLastWriteTimeUtc(edited)));
        var lib = Entry(run, "Lib");
        Assert.False(lib.Stored, run.ToString());
        Assert.StartsWith("an input changed while it compiled", lib.Reason ?? "", StringComparison.Ordinal);
        Assert.Contains("Edited.cs", lib.Reason, StringComparison.Ordinal);
        Assert.Equal(entriesBefore, CacheEntries(cache));
    }

    // Old design: the compiler's upper-cased read list was matched to the key's files by upper-casing them, so Docs.xml,
    // read through an include, counted as the docs.xml the key covers, and a later edit of Docs.xml hit the old docs.
    [Fact]
    public void A_file_the_compiler_read_whose_name_differs_only_in_case_from_a_keyed_one_is_not_taken_as_keyed()
    {
        var clone = _repo.Clone("case-twins");
        var twin = Path.Combine(clone, "Lib", "Docs.xml");
        File.WriteAllText(twin, SoundRepository.Docs("Greets, as Docs.xml says."));
        if (File.ReadAllText(Path.Combine(clone, "Lib", "docs.xml")).Contains("Docs.xml says", StringComparison.Ordinal))
        {
            // A file system that ignores case holds one file under both names.
            return;
        }

        var cache = _repo.CopyOfCache("case-twins");
        var values = Path.Combine(clone, "Lib", "Values.cs");
        File.WriteAllText(values, File.ReadAllText(values).Replace("file=\"docs.xml\"", "file=\"Docs.xml\"", StringComparison.Ordinal));
        AddToLib(clone, """<ItemGroup><AdditionalFiles Include="docs.xml" /></ItemGroup>""");
        var entriesBefore = CacheEntries(cache);

        var run = Build(Path.Combine(clone, "Lib"), cache);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("Docs.xml says", File.ReadAllText(Output(clone, "Lib.xml")), StringComparison.Ordinal);
        var lib = Entry(run, "Lib");
        Assert.False(lib.IsHit, run.ToString());
        Assert.False(lib.Stored, run.ToString());
        Assert.Contains("more than one file differing only in case", lib.Reason ?? "", StringComparison.Ordinal);
        Assert.Equal(entriesBefore, CacheEntries(cache));
    }

    // Old design: a generator that threw (CS8785, a warning) gave outputs without its code, stored for everyone; and
    // Deterministic=false outputs were stored though no two compiles give the same bytes.
    [Fact]
    public void Failed_generators_are_not_stored_and_nondeterministic_compiles_are_not_cached()
    {
        var clone = _repo.Clone("degraded");
        File.WriteAllText(Path.Combine(clone, "Lib", "fail.txt"), "throw");
        AddToLib(clone, """
            <ItemGroup>
              <ProjectReference Include="../Gen/Gen.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              <AdditionalFiles Include="fail.txt" />
            </ItemGroup>
            """);
        SampleSolution.AddToProject(Path.Combine(clone, "App", "App.csproj"), "<PropertyGroup><Deterministic>false</Deterministic></PropertyGroup>");

        // The second build recompiles everything again: nothing was stored, so it must miss the same way.
        foreach (var arguments in new[] { Array.Empty<string>(), ["--no-incremental"] })
        {
            var run = Build(Path.Combine(clone, "App"), _repo.Cache, arguments);

            Assert.True(run.Succeeded, run.ToString());
            Assert.Contains("warning CS8785", run.Output, StringComparison.Ordinal);
            var lib = Entry(run, "Lib");
            Assert.False(lib.IsHit, run.ToString());
            Assert.False(lib.Stored, run.ToString());
            Assert.StartsWith("a generator or analyzer failed (CS8785)", lib.Reason ?? "", StringComparison.Ordinal);
            var app = Entry(run, "App");
            Assert.False(app.IsHit, run.ToString());
            Assert.Null(app.Key);
            Assert.False(app.Stored, run.ToString());
            Assert.Contains("Deterministic=false", app.Reason ?? "", StringComparison.Ordinal);
        }
    }

    // Old design: every analyzer config not named .editorconfig was keyed as global (by file name and content), so a
    // config that applies to Lib's sources in one checkout and, placed in another folder, to none in the next gave the
    // same key, and the second hit without the warning its own compile reports.
    [Fact]
    public void An_analyzer_config_that_is_not_global_is_keyed_by_the_folder_it_applies_to()
    {
        var first = _repo.Clone("config-first");
        var second = _repo.Clone("config-second");
        const string Rules = "[*.cs]\ndotnet_diagnostic.CS0219.severity = none\n";
        File.WriteAllText(Path.Combine(first, "Lib", "Rules.config"), Rules);
        Workspace.Write(Path.Combine(second, "Other", "Rules.config"), Rules);
        foreach (var (clone, config) in new[] { (first, "Rules.config"), (second, "../Other/Rules.config") })
        {
            File.WriteAllText(Path.Combine(clone, "Lib", "Unused.cs"), "namespace Lib;\n\ninternal static class Unused\n{\n    internal static void M() { int unused = 1; }\n}\n");
            AddToLib(clone, $"<ItemGroup><EditorConfigFiles Include=\"{config}\" /></ItemGroup>");
        }

        var stored = Build(Path.Combine(first, "Lib"), _repo.Cache);
        Assert.True(Entry(stored, "Lib").Stored, stored.ToString());
        Assert.DoesNotContain("CS0219", stored.Output, StringComparison.Ordinal);

        var run = Build(Path.Combine(second, "Lib"), _repo.Cache);

        var lib = Entry(run, "Lib");
        Assert.False(lib.IsHit, run.ToString());
        Assert.Contains("Rules.config", lib.Explanation ?? "", StringComparison.Ordinal);
        Assert.Contains("warning CS0219", run.Output, StringComparison.Ordinal);
    }

    // Old design: the key assumed the repository root was mapped to /_/, but with a longer user PathMap entry the
    // compiler keeps the absolute path, and clone 2 hit with clone 1's paths in its pdb.
    [Fact]
    public void A_longer_user_path_map_keeps_absolute_paths_and_another_checkout_misses()
    {
        var first = _repo.Clone("pathmap-first");
        var second = _repo.Clone("pathmap-second");
        foreach (var clone in new[] { first, second })
        {
            AddToLib(clone, "<PropertyGroup><PathMap>$(MSBuildProjectDirectory)/=$(MSBuildProjectDirectory)/</PathMap></PropertyGroup>");
        }

        var stored = Build(Path.Combine(first, "Lib"), _repo.Cache);
        Assert.True(Entry(stored, "Lib").Stored, stored.ToString());

        var run = Build(Path.Combine(second, "Lib"), _repo.Cache);

        Assert.False(Entry(run, "Lib").IsHit, run.ToString());
        var documents = PdbDocuments(Output(second, "Lib.pdb"));
        Assert.Contains(Path.Combine(second, "Lib", "Values.cs"), documents);
        Assert.DoesNotContain(documents, d => d.StartsWith(first + "/", StringComparison.Ordinal));
    }

    // Old design: there was no verify mode; a hit was trusted.
    [Fact]
    public void Verify_mode_confirms_a_sound_hit()
    {
        var clone = _repo.Clone("verify-sound");

        var run = Build(Path.Combine(clone, "App"), _repo.Cache, "-p:ArtifactCacheVerify=true");

        Assert.True(run.Succeeded, run.ToString());
        AssertProjects(["App", "Lib"], run.Hits, run);
        Assert.All(run.Report, r => Assert.True(r.Verified == true, run.ToString()));
        Assert.DoesNotContain("ACB5004", run.Output, StringComparison.Ordinal);
    }

    // Old design: PathLib's hit carried the first checkout's folder (README "Limits") and nothing noticed.
    [Fact]
    public void Verify_mode_catches_a_difference_the_key_cannot_see_and_replaces_the_entry()
    {
        var clone = _repo.Clone("verify-difference");
        var projectDir = Path.Combine(clone, "PathLib") + Path.DirectorySeparatorChar;
        var firstProjectDir = Path.Combine(_repo.Source, "PathLib") + Path.DirectorySeparatorChar;

        var run = Build(Path.Combine(clone, "PathLib"), _repo.Cache, "-p:ArtifactCacheVerify=true");

        Assert.True(run.Succeeded, run.ToString());
        var warnings = run.Output.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("warning ACB5004", StringComparison.Ordinal)).Distinct().ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("PathLib", warning, StringComparison.Ordinal);
        var pathLib = Entry(run, "PathLib");
        Assert.True(pathLib.IsHit, run.ToString());
        Assert.False(pathLib.Verified, run.ToString());
        Assert.True(ContainsText(File.ReadAllBytes(Output(clone, "PathLib.dll", "PathLib")), projectDir), "the local compile's PathLib.dll must be used\n" + run);

        DeleteBuildOutputs(clone, "PathLib");
        var again = Build(Path.Combine(clone, "PathLib"), _repo.Cache);

        AssertProjects(["PathLib"], again.Hits, again);
        var dll = File.ReadAllBytes(Output(clone, "PathLib.dll", "PathLib"));
        Assert.True(ContainsText(dll, projectDir), "the entry must have been replaced by the local compile\n" + again);
        Assert.False(ContainsText(dll, firstProjectDir), again.ToString());
    }

    private static BuildRun Build(string directory, string cache, params string[] arguments) =>
        Dotnet.Run(directory, cache, ["build", .. arguments]);

    private static void AssertProjects(string[] expected, IReadOnlyList<string> actual, BuildRun run) =>
        Assert.True(expected.SequenceEqual(actual), $"expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]\n{run}");

    private static ReportEntry Entry(BuildRun run, string project)
    {
        var entry = run.Report.SingleOrDefault(r => r.ProjectName == project);
        Assert.True(entry is not null, $"no report line for {project}\n{run}");
        return entry;
    }

    private static void AddToLib(string clone, string xml) => SampleSolution.AddToProject(Path.Combine(clone, "Lib", "Lib.csproj"), xml);

    private static string Output(string clone, string file, string project = "Lib") =>
        Path.Combine(clone, project, "obj", "Debug", SampleSolution.Tfm, file);

    private static Dictionary<string, byte[]> Outputs(string clone) =>
        OutputFiles.Where(f => File.Exists(Output(clone, f))).ToDictionary(f => f, f => File.ReadAllBytes(Output(clone, f)));

    private static void DeleteBuildOutputs(string clone, string project)
    {
        Directory.Delete(Path.Combine(clone, project, "obj"), recursive: true);
        Directory.Delete(Path.Combine(clone, project, "bin"), recursive: true);
    }

    private static List<string> PdbDocuments(string pdb)
    {
        using var stream = File.OpenRead(pdb);
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        var reader = provider.GetMetadataReader();
        return reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();
    }

    private static List<string> CacheEntries(string cache) =>
        Directory.Exists(Path.Combine(cache, "v1"))
            ? Directory.EnumerateFiles(Path.Combine(cache, "v1"), "*.acb", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Whether the bytes hold the text in UTF-8 (attribute blobs, the pdb path) or UTF-16 (string literals).</summary>
    private static bool ContainsText(byte[] bytes, string text) =>
        bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0 || bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(text)) >= 0;

    private static string Head(string clone)
    {
        var start = new ProcessStartInfo("git", ["rev-parse", "HEAD"]) { WorkingDirectory = clone, RedirectStandardOutput = true, UseShellExecute = false };
        using var git = Process.Start(start)!;
        var head = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        Assert.Matches("^[0-9a-f]{40}$", head);
        return head;
    }

    // The SDK's own compiler, found as the edit matrix's "the compiler itself" row finds it.
    private static string SdkCompilerFolder()
    {
        var sdk = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", "..", "sdk");
        return Directory.GetDirectories(sdk).Select(d => Path.Combine(d, "Roslyn", "bincore")).First(Directory.Exists);
    }
}
