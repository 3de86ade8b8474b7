using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// The warm tree every row starts from: the rich chain (App -> Lib2 -> Core, Core with a generator, resources, a key
/// and a package) as a git repository, built cold once so the cache holds every project.
/// </summary>
public sealed class WarmRepository : IDisposable
{
    public WarmRepository()
    {
        Source = Workspace.PathOf("origin");
        SampleSolution.WriteChain(Source, rich: true);
        Workspace.Write(Path.Combine(Source, "README.md"), "# sample\n");
        Workspace.Git(Source, "init", "-q");
        Workspace.Git(Source, "add", "-A");
        Workspace.Git(Source, "commit", "-q", "-m", "initial");

        var cold = Dotnet.Run(Path.Combine(Source, "App"), Cache, ["build"]);
        if (!cold.Succeeded || cold.Misses.Count != 4)
        {
            throw new InvalidOperationException("The warm repository did not build cold as expected:\n" + cold);
        }

        BaseReferenceAssemblies = ReferenceAssemblies(Source);
    }

    public Workspace Workspace { get; } = new();

    public string Source { get; }

    public string Cache => Workspace.PathOf("cache");

    public IReadOnlyDictionary<string, byte[]> BaseReferenceAssemblies { get; }

    /// <summary>A fresh clone in a new folder.</summary>
    public string Clone(string name)
    {
        var clone = Workspace.PathOf("clones", name);
        Directory.CreateDirectory(Path.GetDirectoryName(clone)!);
        Workspace.Git(Workspace.Root, "clone", "-q", Source, clone);
        // Directory.Build.* import the repo's build files by absolute path, so they are the same in every clone.
        return clone;
    }

    /// <summary>Each project's reference assembly by project name, from whichever configuration and framework it built.</summary>
    public static Dictionary<string, byte[]> ReferenceAssemblies(string tree)
    {
        var result = new Dictionary<string, byte[]>();
        foreach (var project in new[] { "Core", "Lib2", "App", "Gen" })
        {
            var obj = Path.Combine(tree, project, "obj");
            if (!Directory.Exists(obj))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(obj, "*.dll", SearchOption.AllDirectories)
                         .Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == "ref")
                         .OrderByDescending(File.GetLastWriteTimeUtc))
            {
                result.TryAdd(project, File.ReadAllBytes(file));
            }
        }

        return result;
    }

    public void Dispose() => Workspace.Dispose();
}

/// <summary>
/// Every kind of edit must miss for the project it affects, and for each project that references one whose reference
/// assembly changed; everything else must hit. Every non-change must hit everywhere.
/// </summary>
public sealed class EditMatrixTests : IClassFixture<WarmRepository>
{
    private static readonly Dictionary<string, string[]> References = new()
    {
        ["Gen"] = [],
        ["Core"] = [],
        ["Lib2"] = ["Core"],
        ["App"] = ["Lib2", "Core"],
    };

    private readonly WarmRepository _warm;

    public EditMatrixTests(WarmRepository warm)
    {
        _warm = warm;
    }

    /// <summary>An edit: which project it is aimed at, what it does to a clone, and extra build arguments.</summary>
    public sealed record Edit(string Project, Action<string> Apply, string[]? Arguments = null, string[]? ExpectedMisses = null);

    private static string Core(string clone, string file) => Path.Combine(clone, "Core", file);

    private static void CoreProperty(string clone, string xml) =>
        SampleSolution.AddToProject(Core(clone, "Core.csproj"), $"<PropertyGroup>{xml}</PropertyGroup>");

    private static void CoreItem(string clone, string xml) =>
        SampleSolution.AddToProject(Core(clone, "Core.csproj"), $"<ItemGroup>{xml}</ItemGroup>");

    private static void Replace(string file, string from, string to)
    {
        var text = File.ReadAllText(file);
        Assert.Contains(from, text, StringComparison.Ordinal);
        File.WriteAllText(file, text.Replace(from, to, StringComparison.Ordinal));
    }

    public static TheoryData<string> Kinds => new(EditsByName.Keys);

    private static readonly Dictionary<string, Edit> EditsByName = new()
    {
        ["source text"] = new("Core", c => Replace(Core(c, "Helper.cs"), "\"[\"", "\"<\"")),
        ["added file"] = new("Core", c => File.WriteAllText(Core(c, "Added.cs"), "namespace Core;\ninternal static class Added { }\n")),
        ["removed file"] = new("Core", c =>
        {
            Replace(Core(c, "Greeter.cs"), "Helper.Decorate(\"Hello \" + name)", "\"[Hello \" + name + \"]\"");
            File.Delete(Core(c, "Helper.cs"));
        }),
        ["renamed file"] = new("Core", c => File.Move(Core(c, "Helper.cs"), Core(c, "Helpers.cs"))),
        ["DefineConstants"] = new("Core", c => CoreProperty(c, "<DefineConstants>$(DefineConstants);EXTRA</DefineConstants>")),
        ["LangVersion"] = new("Core", c => CoreProperty(c, "<LangVersion>12</LangVersion>")),
        ["Nullable"] = new("Core", c => CoreProperty(c, "<Nullable>disable</Nullable>")),
        ["Optimize"] = new("Core", c => CoreProperty(c, "<Optimize>true</Optimize>")),
        ["DebugType"] = new("Core", c => CoreProperty(c, "<DebugType>embedded</DebugType>")),
        ["Deterministic"] = new("Core", c => CoreProperty(c, "<Deterministic>false</Deterministic>")),
        ["CheckForOverflowUnderflow"] = new("Core", c => CoreProperty(c, "<CheckForOverflowUnderflow>true</CheckForOverflowUnderflow>")),
        ["AllowUnsafeBlocks"] = new("Core", c => CoreProperty(c, "<AllowUnsafeBlocks>true</AllowUnsafeBlocks>")),
        ["GenerateDocumentationFile"] = new("Core", c => CoreProperty(c, "<GenerateDocumentationFile>false</GenerateDocumentationFile>")),
        ["NoWarn"] = new("Core", c => CoreProperty(c, "<NoWarn>$(NoWarn);CS0168</NoWarn>")),
        ["WarningsAsErrors"] = new("Core", c => CoreProperty(c, "<WarningsAsErrors>$(WarningsAsErrors);CS0219</WarningsAsErrors>")),
        ["TreatWarningsAsErrors"] = new("Core", c => CoreProperty(c, "<TreatWarningsAsErrors>true</TreatWarningsAsErrors>")),
        ["AssemblyName"] = new("Lib2", c => SampleSolution.AddToProject(Path.Combine(c, "Lib2", "Lib2.csproj"), "<PropertyGroup><AssemblyName>Lib2.Renamed</AssemblyName></PropertyGroup>")),
        ["RootNamespace"] = new("Core", c => CoreProperty(c, "<RootNamespace>Renamed</RootNamespace>")),
        ["AssemblyVersion"] = new("Core", c => CoreProperty(c, "<AssemblyVersion>2.0.0.0</AssemblyVersion>")),
        ["InternalsVisibleTo"] = new("Core", c => CoreItem(c, "<InternalsVisibleTo Include=\"Lib2\" Key=\"0024000004800000940000000602000000240000525341310004000001000100\" />")),
        ["PathMap"] = new("Core", c => CoreProperty(c, "<PathMap>/nonexistent/=/elsewhere/</PathMap>")),
        ["TargetFramework"] = new("Core", c => Replace(Core(c, "Core.csproj"), "<TargetFramework>net10.0</TargetFramework>", "<TargetFramework>netstandard2.0</TargetFramework><LangVersion>latest</LangVersion>")),
        ["Configuration"] = new("Core", _ => { }, ["-c", "Release"], ["App", "Core", "Gen", "Lib2"]),
        ["package reference version"] = new("Core", c => Replace(Core(c, "Core.csproj"), "Version=\"13.0.1\"", "Version=\"13.0.3\""), ExpectedMisses: ["App", "Core", "Lib2"]),
        ["project reference public API"] = new("Core", c => Replace(Core(c, "Greeter.cs"), "public static class Greeter\n{", "public static class Greeter\n{\n    /// <summary>New.</summary>\n    public static int Added => 1;\n")),
        ["analyzer added"] = new("Lib2", c => SampleSolution.AddToProject(Path.Combine(c, "Lib2", "Lib2.csproj"), "<ItemGroup><ProjectReference Include=\"../Gen/Gen.csproj\" OutputItemType=\"Analyzer\" ReferenceOutputAssembly=\"false\" /></ItemGroup>")),
        ["source generator code"] = new("Gen", c => Replace(Path.Combine(c, "Gen", "NamesGenerator.cs"), "string.Join(\";\", all)", "string.Join(\",\", all)"), ExpectedMisses: ["Core", "Gen"]),
        ["generator additional file"] = new("Core", c => File.WriteAllText(Core(c, "names.txt"), "Ada;Grace;Edsger")),
        [".editorconfig severity"] = new("Core", c => File.WriteAllText(Core(c, ".editorconfig"), "[*.cs]\ndotnet_diagnostic.CA1822.severity = warning\n")),
        [".globalconfig"] = new("Core", c =>
        {
            File.WriteAllText(Core(c, "extra.globalconfig"), "is_global = true\ndotnet_diagnostic.CA1050.severity = suggestion\n");
            CoreItem(c, "<GlobalAnalyzerConfigFiles Include=\"extra.globalconfig\" />");
        }),
        ["embedded resource"] = new("Core", c => File.WriteAllText(Core(c, "data.txt"), "embedded data v2")),
        [".resx"] = new("Core", c => File.WriteAllText(Core(c, "Strings.resx"), SampleSolution.Resx("Greeting", "Hi from resx"))),
        ["strong-name key file"] = new("Core", c => File.WriteAllBytes(Core(c, "key.snk"), SampleSolution.StrongNameKey())),
        ["Features"] = new("Core", c => CoreProperty(c, "<Features>strict</Features>")),
        // Soundness (see README, "How a key is made"): each of these was once a stale hit.
        ["XML doc include file"] = new("Core", c => Replace(Core(c, "docs.xml"), "Stamps v1.", "Stamps v2.")),
        ["checkout path in an assembly attribute"] = new("Core", c => CoreItem(c, "<AssemblyMetadata Include=\"ProjectDir\" Value=\"$(MSBuildProjectDirectory)\" />")),
        ["public constant shaped like a commit suffix"] = new("Core", c => Replace(Core(c, "Stamps.cs"), "const string Build = \"+0123", "const string Build = \"+9123")),
        ["attribute argument shaped like a commit suffix"] = new("Core", c => Replace(Core(c, "Stamps.cs"), "Description(\"+0123", "Description(\"+9123")),
        ["default parameter shaped like a commit suffix"] = new("Core", c => Replace(Core(c, "Stamps.cs"), "string value = \"+0123", "string value = \"+9123")),
        ["PathMap for the project folder"] = new("Core", c => CoreProperty(c, "<PathMap>$(MSBuildProjectDirectory)/=/custom/</PathMap>")),
        ["EmbedAllSources"] = new("Core", c => CoreProperty(c, "<EmbedAllSources>true</EmbedAllSources>")),
        ["AssemblyInformationalVersion"] = new("Core", c => CoreProperty(c, "<InformationalVersion>2.0.0-beta</InformationalVersion>")),
        ["FileVersion"] = new("Core", c => CoreProperty(c, "<FileVersion>2.0.0.7</FileVersion>")),
        ["Copyright"] = new("Core", c => CoreProperty(c, "<Copyright>Copyright 2027</Copyright>")),
        ["analyzer config value (CompilerVisibleProperty)"] = new("Core", c => CoreItem(c, "<CompilerVisibleProperty Include=\"RootNamespace\" />")),
        ["WarningLevel"] = new("Core", c => CoreProperty(c, "<WarningLevel>4</WarningLevel>")),
        ["PlatformTarget"] = new("Core", c => CoreProperty(c, "<PlatformTarget>x64</PlatformTarget>")),
        ["the compiler itself"] = new("Core", c =>
        {
            // A copy of the SDK's compiler with one assembly changed by a trailing byte: still runs, is another compiler.
            var sdkCompiler = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", "..", "sdk");
            var bincore = Directory.GetDirectories(sdkCompiler).Select(d => Path.Combine(d, "Roslyn", "bincore")).First(Directory.Exists);
            var copy = Path.Combine(c, "compiler");
            Workspace.CopyTree(bincore, copy);
            File.AppendAllText(Path.Combine(copy, "Microsoft.CodeAnalysis.CSharp.dll"), "\0");
            CoreProperty(c, $"<CscToolPath>{copy}</CscToolPath><CscToolExe>csc.dll</CscToolExe>");
        }),
    };

    private static readonly Dictionary<string, Action<string>> NonChanges = new()
    {
        ["fresh clone in another directory"] = _ => { },
        ["touching every file"] = c =>
        {
            foreach (var file in Directory.EnumerateFiles(c, "*", SearchOption.AllDirectories).Where(f => !f.Contains(Path.DirectorySeparatorChar + ".git" + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            {
                File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(5));
            }
        },
        ["a new commit that does not touch the projects"] = c =>
        {
            File.AppendAllText(Path.Combine(c, "README.md"), "more\n");
            Workspace.Git(c, "commit", "-q", "-am", "docs");
        },
        // CI builds map source paths the same way (DeterministicSourcePaths), so they share entries with local builds.
        ["ContinuousIntegrationBuild"] = c => File.WriteAllText(
            Path.Combine(c, "Directory.Build.props"),
            File.ReadAllText(Path.Combine(c, "Directory.Build.props")).Replace("<PropertyGroup>", "<PropertyGroup><ContinuousIntegrationBuild>true</ContinuousIntegrationBuild>", StringComparison.Ordinal)),
    };

    public static TheoryData<string> NonChangeKinds => new(NonChanges.Keys);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void An_edit_misses_exactly_where_it_must(string kind)
    {
        var edit = EditsByName[kind];
        var clone = _warm.Clone(Slug(kind));
        edit.Apply(clone);

        var run = Dotnet.Run(Path.Combine(clone, "App"), _warm.Cache, ["build", .. edit.Arguments ?? []]);

        Assert.True(run.Succeeded, run.ToString());
        var expected = edit.ExpectedMisses ?? ExpectedMisses(edit.Project, WarmRepository.ReferenceAssemblies(clone));
        Assert.True(expected.Order().SequenceEqual(run.Misses), $"expected misses [{string.Join(", ", expected.Order())}]\n{run}");
        Assert.Equal(4, run.Report.Count);
    }

    [Theory]
    [MemberData(nameof(NonChangeKinds))]
    public void A_non_change_hits_everywhere(string kind)
    {
        var clone = _warm.Clone(Slug(kind));
        NonChanges[kind](clone);

        var run = Dotnet.Run(Path.Combine(clone, "App"), _warm.Cache, ["build"]);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(["App", "Core", "Gen", "Lib2"], run.Hits);
        Assert.Empty(run.Misses);
    }

    [Fact]
    public void Another_nuget_packages_folder_still_hits()
    {
        var clone = _warm.Clone("nuget-folder");
        var packages = _warm.Workspace.PathOf("other-packages");

        var run = Dotnet.Run(Path.Combine(clone, "App"), _warm.Cache, ["build"], new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages });

        Assert.True(run.Succeeded, run.ToString());
        Assert.True(Directory.Exists(Path.Combine(packages, "newtonsoft.json")), "the build must have restored into the other folder");
        Assert.Equal(["App", "Core", "Gen", "Lib2"], run.Hits);
    }

    [Fact]
    public void A_method_body_change_below_lets_every_dependent_hit()
    {
        var clone = _warm.Clone("body-only");
        Replace(Core(clone, "Helper.cs"), "\"]\"", "\"}\"");
        Workspace.Git(clone, "commit", "-q", "-am", "body only");

        var run = Dotnet.Run(Path.Combine(clone, "App"), _warm.Cache, ["build"]);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(["Core"], run.Misses);
        Assert.Equal(["App", "Gen", "Lib2"], run.Hits);
    }

    // The edited project misses; so does every project that references one whose reference assembly changed.
    private string[] ExpectedMisses(string edited, IReadOnlyDictionary<string, byte[]> references)
    {
        var changed = References.Keys
            .Where(p => !references.TryGetValue(p, out var now) || !_warm.BaseReferenceAssemblies.TryGetValue(p, out var before) || !now.AsSpan().SequenceEqual(before))
            .ToHashSet();
        return References.Keys.Where(p => p == edited || References[p].Any(changed.Contains)).ToArray();
    }

    private static string Slug(string kind) => new(kind.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());
}

/// <summary>
/// Targets that get no reference assembly (the SDK makes one only for .NET 5 and later): a library multi-targeted to
/// netstandard2.0 and net472, and a dependent with the same targets, which is handed the library's implementation
/// assembly. Built cold once, as a git repository.
/// </summary>
public sealed class WarmMultiTargetedRepository : IDisposable
{
    public const string Frameworks = "netstandard2.0;net472";

    public WarmMultiTargetedRepository()
    {
        Source = Workspace.PathOf("origin");
        Workspace.ImportPackageFromRepo(Source);
        WriteProject("Lib", "");
        Workspace.Write(Path.Combine(Source, "Lib", "Texts.cs"), """
            namespace Lib
            {
                /// <summary>Texts.</summary>
                public static class Texts
                {
                    /// <summary>A constant dependents compile into themselves.</summary>
                    public const string Name = "lib";

                    /// <summary>A greeting.</summary>
                    public static string Greeting() => "hello";
                }
            }
            """);
        WriteProject("App", """<ProjectReference Include="../Lib/Lib.csproj" />""");
        Workspace.Write(Path.Combine(Source, "App", "Uses.cs"), """
            namespace App
            {
                /// <summary>Uses the library.</summary>
                public static class Uses
                {
                    /// <summary>The library's texts.</summary>
                    public static string Both() => Lib.Texts.Name + Lib.Texts.Greeting();
                }
            }
            """);
        Workspace.Git(Source, "init", "-q");
        Workspace.Git(Source, "add", "-A");
        Workspace.Git(Source, "commit", "-q", "-m", "initial");

        var cold = Dotnet.Run(Path.Combine(Source, "App"), Cache, ["build"]);
        if (!cold.Succeeded || cold.Misses.Count != 4)
        {
            throw new InvalidOperationException("The multi-targeted repository did not build cold as expected:\n" + cold);
        }
    }

    public Workspace Workspace { get; } = new();

    public string Source { get; }

    public string Cache => Workspace.PathOf("cache");

    public string Clone(string name)
    {
        var clone = Workspace.PathOf("clones", name);
        Directory.CreateDirectory(Path.GetDirectoryName(clone)!);
        Workspace.Git(Workspace.Root, "clone", "-q", Source, clone);
        return clone;
    }

    public void Dispose() => Workspace.Dispose();

    private void WriteProject(string name, string items) =>
        SampleSolution.WriteProject(Source, name, items, $"<TargetFrameworks>{Frameworks}</TargetFrameworks><LangVersion>latest</LangVersion>", tfm: "");
}

/// <summary>
/// A dependent of a library without a reference assembly is keyed by what its compiler reads from the library's
/// implementation assembly: its metadata, not its IL or the string literals the IL loads.
/// </summary>
public sealed class MultiTargetedEditMatrixTests : IClassFixture<WarmMultiTargetedRepository>
{
    private readonly WarmMultiTargetedRepository _warm;

    public MultiTargetedEditMatrixTests(WarmMultiTargetedRepository warm)
    {
        _warm = warm;
    }

    [Theory]
    // A string literal in a method body lives in the #US heap, which only IL reads.
    [InlineData("method body string literal", "=> \"hello\"", "=> \"hello, and a longer greeting\"", false)]
    // A constant is metadata, and dependents compile its value into themselves.
    [InlineData("public constant", "Name = \"lib\"", "Name = \"lib2\"", true)]
    public void A_committed_edit_of_a_library_without_a_reference_assembly_misses_its_dependents_only_if_their_compiler_reads_it(
        string kind, string from, string to, bool dependentsMiss)
    {
        var clone = _warm.Clone(kind.Replace(' ', '-'));
        var texts = Path.Combine(clone, "Lib", "Texts.cs");
        var text = File.ReadAllText(texts);
        Assert.Contains(from, text, StringComparison.Ordinal);
        File.WriteAllText(texts, text.Replace(from, to, StringComparison.Ordinal));
        Workspace.Git(clone, "commit", "-q", "-am", kind);

        var run = Dotnet.Run(Path.Combine(clone, "App"), _warm.Cache, ["build"]);

        Assert.True(run.Succeeded, run.ToString());
        string[] expected = dependentsMiss
            ? ["App netstandard2.0", "App net472", "Lib netstandard2.0", "Lib net472"]
            : ["Lib netstandard2.0", "Lib net472"];
        var misses = run.Report.Where(r => !r.IsHit).Select(r => r.ProjectName + " " + r.TargetFramework).Order(StringComparer.Ordinal);
        Assert.True(expected.Order(StringComparer.Ordinal).SequenceEqual(misses), $"expected misses [{string.Join(", ", expected)}]\n{run}");
        Assert.Equal(4, run.Report.Count);
    }
}
