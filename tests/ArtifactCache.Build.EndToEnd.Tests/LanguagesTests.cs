using System.Text.RegularExpressions;
using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// A repository of the SDK's own Visual Basic and F# templates (classlib and console in each language, xunit in F#), a
/// C# classlib that the F# and VB libraries reference, and a C# console that references both of them (so C# sits below
/// and above each other language), with a GitHub origin so Source Link writes a map, built cold once. Each F# or VB
/// library has one warning the cases check is replayed. FsLib has a signature file and a second source, so the edit
/// matrix can edit a signature and reorder sources. Clones go to sibling folders with names as long as the first
/// checkout's: fsc's outputs depend on the length of the checkout path (see the README).
/// </summary>
public sealed class LanguagesRepository : IDisposable
{
    public static readonly string[] Projects = ["CsApp", "CsLib", "FsApp", "FsLib", "FsTests", "VbApp", "VbLib"];

    public LanguagesRepository()
    {
        Source = Workspace.PathOf("repo-a");
        Directory.CreateDirectory(Source);
        foreach (var (template, language, name) in new[]
                 {
                     ("classlib", "VB", "VbLib"), ("console", "VB", "VbApp"), ("classlib", "F#", "FsLib"), ("console", "F#", "FsApp"),
                     ("xunit", "F#", "FsTests"), ("console", "C#", "CsApp"), ("classlib", "C#", "CsLib"),
                 })
        {
            New(template, language, name);
        }

        Reference("VbApp/VbApp.vbproj", "VbLib/VbLib.vbproj");
        Reference("FsApp/FsApp.fsproj", "FsLib/FsLib.fsproj");
        Reference("FsTests/FsTests.fsproj", "FsLib/FsLib.fsproj");
        Reference("CsApp/CsApp.csproj", "VbLib/VbLib.vbproj");
        Reference("CsApp/CsApp.csproj", "FsLib/FsLib.fsproj");
        Reference("FsLib/FsLib.fsproj", "CsLib/CsLib.csproj");
        Reference("VbLib/VbLib.vbproj", "CsLib/CsLib.csproj");
        File.Delete(Path.Combine(Source, "CsLib", "Class1.cs"));
        Workspace.Write(Path.Combine(Source, "CsLib", "Numbers.cs"), "namespace CsLib;\n\npublic static class Numbers\n{\n    public static int Half(int x) => x / 2;\n}\n");
        Workspace.Write(Path.Combine(Source, "VbLib", "Warn.vb"), "Public Class Warn\n    Public Shared Function Twice(x As Integer) As Integer\n        Dim unused As Integer\n        Return x * 2\n    End Function\n\n    Public Shared Function Half(x As Integer) As Integer\n        Return CsLib.Numbers.Half(x)\n    End Function\nEnd Class\n");
        Workspace.Write(Path.Combine(Source, "FsLib", "Library.fs"), "namespace FsLib\n\nmodule Say =\n    let hello name = \"Hello \" + name\n\n    let twice (x: int) =\n        x + 1\n        x * 2\n\n    let half (x: int) = CsLib.Numbers.Half x\n\n    let inline triple (x: int) = x * 3\n");
        Workspace.Write(Path.Combine(Source, "FsLib", "Library.fsi"), "namespace FsLib\n\nmodule Say =\n    val hello: name: string -> string\n    val twice: x: int -> int\n    val half: x: int -> int\n    val inline triple: x: int -> int\n");
        Workspace.Write(Path.Combine(Source, "FsLib", "Extra.fs"), "module FsLib.Extra\n\nlet answer = 42\n");
        var fsLib = Path.Combine(Source, "FsLib", "FsLib.fsproj");
        var fsLibProject = File.ReadAllText(fsLib);
        if (!fsLibProject.Contains("<Compile Include=\"Library.fs\" />", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The F# classlib template no longer compiles Library.fs by itself:\n" + fsLibProject);
        }

        File.WriteAllText(fsLib, fsLibProject.Replace("<Compile Include=\"Library.fs\" />", FsLibSources, StringComparison.Ordinal));
        // FsApp compiles FsLib's inline function into itself: only FsLib's optimization data (a resource) holds its body.
        Workspace.Write(Path.Combine(Source, "FsApp", "Program.fs"), "printfn \"triple %d\" (FsLib.Say.triple 14)\n");
        Workspace.Write(Path.Combine(Source, "README.md"), "# Languages\n\nNot compiled.\n");
        Workspace.Write(Path.Combine(Source, "CsApp", "Program.cs"), "System.Console.WriteLine(FsLib.Say.hello(\"C#\") + \" \" + VbLib.Warn.Twice(21) + \" \" + FsLib.Say.half(42) + \" \" + VbLib.Warn.Half(42));\n");
        Workspace.Write(Path.Combine(Source, "Languages.slnx"), "<Solution>\n" + string.Concat(Projects.Select(p => $"  <Project Path=\"{p}/{p}.{Extension(p)}\" />\n")) + "</Solution>\n");
        Workspace.ImportPackageFromRepo(Source);
        Workspace.Write(Path.Combine(Source, ".gitignore"), "bin/\nobj/\n");
        Workspace.Git(Source, "init", "-q");
        Workspace.Git(Source, "remote", "add", "origin", SoundRepository.Origin);
        Workspace.Git(Source, "add", "-A");
        Workspace.Git(Source, "commit", "-q", "-m", "initial");

        Cold = Dotnet.Run(Source, Cache, ["build", "Languages.slnx"]);
        if (!Cold.Succeeded || !Cold.Misses.SequenceEqual(Projects) || !Cold.Report.All(r => r.Stored))
        {
            throw new InvalidOperationException("The repository did not build cold as expected:\n" + Cold);
        }

        BaseReferenceAssemblies = ReferenceAssemblies(Source);
    }

    public Workspace Workspace { get; } = new();

    public string Source { get; }

    public string Cache => Workspace.PathOf("cache");

    public BuildRun Cold { get; }

    /// <summary>FsLib's sources in compile order, as the fixture writes them into FsLib.fsproj.</summary>
    public const string FsLibSources = "<Compile Include=\"Library.fsi\" />\n    <Compile Include=\"Library.fs\" />\n    <Compile Include=\"Extra.fs\" />";

    /// <summary>The libraries' reference assemblies after the cold build, by project name.</summary>
    public IReadOnlyDictionary<string, byte[]> BaseReferenceAssemblies { get; }

    /// <summary>Each library's reference assembly (obj/Debug/net10.0/ref/X.dll) in a tree, by project name.</summary>
    public static Dictionary<string, byte[]> ReferenceAssemblies(string tree) =>
        new[] { "CsLib", "FsLib", "VbLib" }
            .Select(p => (Project: p, File: Path.Combine(tree, p, "obj", "Debug", "net10.0", "ref", p + ".dll")))
            .Where(r => File.Exists(r.File))
            .ToDictionary(r => r.Project, r => File.ReadAllBytes(r.File));

    /// <summary>A fresh clone beside the first checkout, its folder name as long ("repo-b", "repo-c"...).</summary>
    public string Clone(string name)
    {
        Assert.Equal(Path.GetFileName(Source).Length, name.Length);
        var clone = Workspace.PathOf(name);
        Workspace.Git(Workspace.Root, "clone", "-q", Source, clone);
        Workspace.Git(clone, "remote", "set-url", "origin", SoundRepository.Origin);
        return clone;
    }

    public void Dispose() => Workspace.Dispose();

    public static string Extension(string project) => project[..2] switch { "Vb" => "vbproj", "Fs" => "fsproj", _ => "csproj" };

    private void New(string template, string language, string name)
    {
        var run = Dotnet.Run(Source, Cache, ["new", template, "-lang", language, "-n", name, "-o", name]);
        if (!run.Succeeded)
        {
            throw new InvalidOperationException($"dotnet new {template} -lang {language} failed:\n{run}");
        }
    }

    private void Reference(string project, string reference) =>
        SampleSolution.AddToProject(Path.Combine(Source, project), $"<ItemGroup><ProjectReference Include=\"../{reference}\" /></ItemGroup>");
}

/// <summary>
/// Visual Basic and F# compilations hit, miss and replay warnings as C# ones do, and the edit matrix's F# and VB rows: each
/// kind of edit misses the project it is aimed at and every project handed a reference assembly that changed, no other.
/// </summary>
public sealed class LanguagesTests : IClassFixture<LanguagesRepository>
{
    private readonly LanguagesRepository _repository;
    private readonly ITestOutputHelper _output;

    public LanguagesTests(LanguagesRepository repository, ITestOutputHelper output)
    {
        _repository = repository;
        _output = output;
    }

    [Fact]
    public void Every_template_hits_in_a_fresh_clone_elsewhere_equals_a_local_compile_there_and_replays_its_warnings()
    {
        var clone = _repository.Clone("repo-b");

        // Verify mode compiles every hit again in this clone and compares each output with the restored one.
        var run = Dotnet.Run(clone, _repository.Cache, ["build", "Languages.slnx", "-p:ArtifactCacheVerify=true"]);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(LanguagesRepository.Projects, run.Hits);
        Assert.All(run.Report, r => Assert.True(r.Verified, $"{r.ProjectName} was not verified equal to a local compile\n{run}"));
        Assert.DoesNotContain("ACB5004", run.Output, StringComparison.Ordinal);
        // Each library's warning, with its code and position (vbc's column read from its squiggle line), as the cold build
        // logged it, in this clone's paths.
        foreach (var code in new[] { "warning BC42024", "warning FS0020" })
        {
            var logged = _repository.Cold.Output.Split('\n').First(l => l.Contains(code, StringComparison.Ordinal)).Trim();
            Assert.Matches(@"\(\d+,\d+\): " + code, logged);
            Assert.Contains(logged.Replace(_repository.Source, clone, StringComparison.Ordinal), run.Output, StringComparison.Ordinal);
        }

        var app = Dotnet.Run(clone, _repository.Cache, ["run", "--no-build", "--project", "CsApp"]);
        // C# above F# and VB above C#: each language's call reached the one below it.
        Assert.Contains("Hello C# 42 21 21", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_committed_body_edit_in_each_library_misses_exactly_those_libraries_and_warnings_as_errors_fail_the_fsharp_build()
    {
        var clone = _repository.Clone("repo-c");
        // Edits no edit-matrix row makes: the cache is shared, and a row's identical edit would already be stored.
        File.WriteAllText(Path.Combine(clone, "CsLib", "Numbers.cs"), File.ReadAllText(Path.Combine(clone, "CsLib", "Numbers.cs")).Replace("x / 2", "x / 2 + 0", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(clone, "VbLib", "Warn.vb"), File.ReadAllText(Path.Combine(clone, "VbLib", "Warn.vb")).Replace("x * 2", "2 * x", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(clone, "FsLib", "Library.fs"), File.ReadAllText(Path.Combine(clone, "FsLib", "Library.fs")).Replace("\"Hello \" + name", "\"Hello \" + name + \"!\"", StringComparison.Ordinal));

        // Committed: every project's generated AssemblyInfo and Source Link map now carry another commit, which a key leaves out.
        Workspace.Git(clone, "commit", "-q", "-am", "body edits");
        var run = Dotnet.Run(clone, _repository.Cache, ["build", "Languages.slnx"]);

        Assert.True(run.Succeeded, run.ToString());
        // A body edit leaves each library's reference assembly as it was (F# in Debug: see the README), so nothing above them
        // compiles for it: the F# and VB libraries miss for their own edits only, not for the C# one below them.
        Assert.Equal(["CsLib", "FsLib", "VbLib"], run.Misses);
        Assert.Equal(["CsApp", "FsApp", "FsTests", "VbApp"], run.Hits);
        Assert.Contains("Numbers.cs (content)", Explanation(run, "CsLib"), StringComparison.Ordinal);
        Assert.Contains("Library.fs (content)", Explanation(run, "FsLib"), StringComparison.Ordinal);
        Assert.Contains("Warn.vb (content)", Explanation(run, "VbLib"), StringComparison.Ordinal);
        Assert.DoesNotContain("CsLib", Explanation(run, "FsLib"), StringComparison.Ordinal);
        Assert.DoesNotContain("CsLib", Explanation(run, "VbLib"), StringComparison.Ordinal);

        var strict = Dotnet.Run(clone, _repository.Cache, ["build", "FsLib/FsLib.fsproj", "--no-incremental", "-p:TreatWarningsAsErrors=true"]);
        Assert.False(strict.Succeeded, strict.ToString());
        Assert.Contains("error FS0020", strict.Output, StringComparison.Ordinal);
        // FsLib's reference to CsLib builds CsLib too (it compiles cleanly under the same switch).
        Assert.False(strict.Report.Single(r => r.ProjectName == "FsLib").Stored, strict.ToString());
    }

    [Fact]
    public void With_the_compiler_server_on_csharp_and_vb_misses_compile_in_the_build_process_and_store_what_a_compiler_process_writes()
    {
        // Body edits no other case makes, so both libraries miss.
        static void Edit(string clone)
        {
            Replace(In(clone, "CsLib", "Numbers.cs"), "x / 2", "x / 2 * 1");
            Replace(In(clone, "VbLib", "Warn.vb"), "x * 2", "x * 2 * 1");
        }

        var serverClone = _repository.Clone("repo-d");
        Edit(serverClone);
        try
        {
            var run = Dotnet.Run(serverClone, _repository.Cache, ["build", "Languages.slnx", "-v:detailed"], new Dictionary<string, string> { ["UseSharedCompilation"] = "true" });

            Assert.True(run.Succeeded, run.ToString());
            Assert.Equal(["CsLib", "VbLib"], run.Misses);
            Assert.All(run.Report.Where(r => !r.IsHit), r => Assert.True(r.Stored, $"{r.ProjectName} was not stored\n{run}"));
            Assert.Contains("ArtifactCache: compiled through the compiler server by the SDK's Csc task in this process.", run.Output, StringComparison.Ordinal);
            Assert.Contains("ArtifactCache: compiled through the compiler server by the SDK's Vbc task in this process.", run.Output, StringComparison.Ordinal);
            // The Vbc task reads the column from vbc's squiggle line; the cache keeps the diagnostic as the task logged it.
            var warning = Regex.Match(run.Output, Regex.Escape(serverClone) + @"\S*Warn\.vb\(\d+,[1-9]\d*\): warning BC42024: [^\[\r\n]*");
            Assert.True(warning.Success, run.ToString());

            // Verify mode, with the server off as in every other case here: each hit is compiled again by a compiler
            // process and compared with what the entry restored, the two stored by the server route among them.
            var processClone = _repository.Clone("repo-e");
            Edit(processClone);
            var verified = Dotnet.Run(processClone, _repository.Cache, ["build", "Languages.slnx", "-p:ArtifactCacheVerify=true"]);

            Assert.True(verified.Succeeded, verified.ToString());
            Assert.Equal(LanguagesRepository.Projects, verified.Hits);
            Assert.All(verified.Report, r => Assert.True(r.Verified, $"{r.ProjectName} was not verified equal to a local compile\n{verified}"));
            Assert.Contains(warning.Value.Replace(serverClone, processClone, StringComparison.Ordinal), verified.Output, StringComparison.Ordinal);
        }
        finally
        {
            Dotnet.ShutDownBuildServer(_repository.Workspace.Root, "--vbcscompiler");
        }
    }

    /// <summary>
    /// Each compilation's references as the compiler is handed them: the SDK passes project references on transitively,
    /// in F# and VB projects as in C# ones.
    /// </summary>
    private static readonly Dictionary<string, string[]> References = new()
    {
        ["CsLib"] = [],
        ["FsLib"] = ["CsLib"],
        ["VbLib"] = ["CsLib"],
        ["FsApp"] = ["FsLib", "CsLib"],
        ["FsTests"] = ["FsLib", "CsLib"],
        ["VbApp"] = ["VbLib", "CsLib"],
        ["CsApp"] = ["FsLib", "VbLib", "CsLib"],
    };

    /// <summary>
    /// An edit aimed at one project. <paramref name="ApiChanged"/>, when given, is whether the edit must change that
    /// library's reference assembly (a body edit must not, a public API edit must), so the row cannot pass vacuously.
    /// <paramref name="Prints"/>, when given, is what FsApp must print after the build: what a stale hit would get wrong.
    /// </summary>
    public sealed record Edit(string Project, Action<string> Apply, bool? ApiChanged = null, string? Prints = null);

    private static string In(string clone, string project, string file) => Path.Combine(clone, project, file);

    private static void Property(string clone, string project, string xml) =>
        SampleSolution.AddToProject(In(clone, project, project + "." + LanguagesRepository.Extension(project)), $"<PropertyGroup>{xml}</PropertyGroup>");

    private static void Replace(string file, string from, string to)
    {
        var text = File.ReadAllText(file);
        Assert.Contains(from, text, StringComparison.Ordinal);
        File.WriteAllText(file, text.Replace(from, to, StringComparison.Ordinal));
    }

    // An array, not a dictionary: a row's position names its clone folder ("edit01"), as long as the first checkout's.
    private static readonly (string Kind, Edit Edit)[] Edits =
    [
        ("F# body", new("FsLib", c => Replace(In(c, "FsLib", "Library.fs"), "\"Hello \" + name", "\"Hello, \" + name"), ApiChanged: false)),
        ("F# public API", new("FsLib", c =>
        {
            Replace(In(c, "FsLib", "Library.fs"), "    let half", "    let thrice (x: int) = x * 3\n\n    let half");
            Replace(In(c, "FsLib", "Library.fsi"), "    val half", "    val thrice: x: int -> int\n    val half");
        }, ApiChanged: true)),
        // Independent files, so both orders compile; F# resolves names in file order, so order is meaning in general.
        ("F# source order", new("FsLib", c => Replace(In(c, "FsLib", "FsLib.fsproj"), LanguagesRepository.FsLibSources, "<Compile Include=\"Extra.fs\" /><Compile Include=\"Library.fsi\" /><Compile Include=\"Library.fs\" />"))),
        // Before managed resources were keyed, FsApp hit here and printed "triple 42": a stale hit.
        ("F# inline function body", new("FsLib", c => Replace(In(c, "FsLib", "Library.fs"), "x * 3", "x * 3 + 1"), ApiChanged: true, Prints: "triple 43")),
        ("F# signature file doc comment", new("FsLib", c => Replace(In(c, "FsLib", "Library.fsi"), "    val hello", "    /// Greets someone.\n    val hello"))),
        ("F# signature file hides a value", new("FsLib", c => Replace(In(c, "FsLib", "Library.fsi"), "    val twice: x: int -> int\n", ""), ApiChanged: true)),
        ("F# DefineConstants", new("FsLib", c => Property(c, "FsLib", "<DefineConstants>$(DefineConstants);EXTRA</DefineConstants>"))),
        ("F# WarningsAsErrors", new("FsLib", c => Property(c, "FsLib", "<WarningsAsErrors>$(WarningsAsErrors);FS0064</WarningsAsErrors>"))),
        // On the console: FsLib's FS0020 would fail the build (the body-edit fact checks that).
        ("F# TreatWarningsAsErrors", new("FsApp", c => Property(c, "FsApp", "<TreatWarningsAsErrors>true</TreatWarningsAsErrors>"))),
        ("VB body", new("VbLib", c => Replace(In(c, "VbLib", "Warn.vb"), "x * 2", "x + x"), ApiChanged: false)),
        ("VB public API", new("VbLib", c => Replace(In(c, "VbLib", "Warn.vb"), "End Class", "\n    Public Shared Function Thrice(x As Integer) As Integer\n        Return x * 3\n    End Function\nEnd Class"), ApiChanged: true)),
        ("VB OptionStrict", new("VbLib", c => Property(c, "VbLib", "<OptionStrict>On</OptionStrict>"))),
        ("VB OptionInfer", new("VbLib", c => Property(c, "VbLib", "<OptionInfer>Off</OptionInfer>"))),
        ("VB DefineConstants", new("VbLib", c => Property(c, "VbLib", "<DefineConstants>EXTRA=True</DefineConstants>"))),
        ("VB added file", new("VbLib", c => File.WriteAllText(In(c, "VbLib", "Added.vb"), "Friend Module Added\n    Friend Const Name As String = \"added\"\nEnd Module\n"))),
        ("C# body below F# and VB", new("CsLib", c => Replace(In(c, "CsLib", "Numbers.cs"), "x / 2", "x >> 1"), ApiChanged: false)),
        ("C# public API below F# and VB", new("CsLib", c => Replace(In(c, "CsLib", "Numbers.cs"), "{\n", "{\n    public static int Third(int x) => x / 3;\n\n"), ApiChanged: true)),
    ];

    private static readonly (string Kind, Action<string> Apply)[] NonChanges =
    [
        ("a committed edit of a file nothing compiles", c =>
        {
            Replace(Path.Combine(c, "README.md"), "Not compiled.", "Not compiled, and never will be.");
            Workspace.Git(c, "commit", "-q", "-am", "docs");
        }),
        ("a clone in another folder of the same name length", _ => { }),
    ];

    public static TheoryData<string> EditKinds => new(Edits.Select(e => e.Kind));

    public static TheoryData<string> NonChangeKinds => new(NonChanges.Select(e => e.Kind));

    [Theory]
    [MemberData(nameof(EditKinds))]
    public void An_edit_misses_exactly_where_it_must(string kind)
    {
        var index = Array.FindIndex(Edits, e => e.Kind == kind);
        var edit = Edits[index].Edit;
        var clone = _repository.Clone($"edit{index:00}");
        edit.Apply(clone);

        var run = Dotnet.Run(clone, _repository.Cache, ["build", "Languages.slnx"]);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(LanguagesRepository.Projects.Length, run.Report.Count);
        _output.WriteLine($"{kind}: misses [{string.Join(", ", run.Misses)}]");
        var changed = LanguagesRepository.ReferenceAssemblies(clone)
            .Where(r => !r.Value.AsSpan().SequenceEqual(_repository.BaseReferenceAssemblies[r.Key]))
            .Select(r => r.Key)
            .ToHashSet();
        if (edit.ApiChanged is { } apiChanged)
        {
            Assert.True(apiChanged == changed.Contains(edit.Project), $"{edit.Project}'s reference assembly {(apiChanged ? "did not change" : "changed")}\n{run}");
        }

        // The edited project misses, and so does every project handed a reference assembly that changed; all others hit.
        var expected = References.Keys.Where(p => p == edit.Project || References[p].Any(changed.Contains)).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(run.Misses), $"expected misses [{string.Join(", ", expected)}]\n{run}");
        // A miss above the edit says which reference assembly it was handed anew.
        foreach (var above in expected.Where(p => p != edit.Project))
        {
            Assert.Contains(References[above].Where(changed.Contains), r => Explanation(run, above).Contains(r + ".dll", StringComparison.Ordinal));
        }

        if (edit.Prints is { } prints)
        {
            var app = Dotnet.Run(clone, _repository.Cache, ["run", "--no-build", "--project", "FsApp"]);
            Assert.Contains(prints, app.Output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(NonChangeKinds))]
    public void A_non_change_hits_everywhere(string kind)
    {
        var index = Array.FindIndex(NonChanges, e => e.Kind == kind);
        var clone = _repository.Clone($"same{index:00}");
        NonChanges[index].Apply(clone);

        var run = Dotnet.Run(clone, _repository.Cache, ["build", "Languages.slnx"]);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(LanguagesRepository.Projects, run.Hits);
        Assert.Empty(run.Misses);
    }

    private static string Explanation(BuildRun run, string project) =>
        run.Report.Single(r => r.ProjectName == project).Explanation ?? throw new InvalidOperationException($"{project} has no explanation\n{run}");
}
