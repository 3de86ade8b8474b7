using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// A repository of the SDK's own Visual Basic and F# templates (classlib and console in each language, xunit in F#), a
/// C# classlib that the F# and VB libraries reference, and a C# console that references both of them (so C# sits below
/// and above each other language), with a GitHub origin so Source Link writes a map, built cold once. Each F# or VB
/// library has one warning the cases check is replayed. Clones go to sibling folders with names as long as the first
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
        Workspace.Write(Path.Combine(Source, "FsLib", "Library.fs"), "namespace FsLib\n\nmodule Say =\n    let hello name = \"Hello \" + name\n\n    let twice (x: int) =\n        x + 1\n        x * 2\n\n    let half (x: int) = CsLib.Numbers.Half x\n");
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
    }

    public Workspace Workspace { get; } = new();

    public string Source { get; }

    public string Cache => Workspace.PathOf("cache");

    public BuildRun Cold { get; }

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

/// <summary>Visual Basic and F# compilations hit, miss and replay warnings as C# ones do.</summary>
public sealed class LanguagesTests : IClassFixture<LanguagesRepository>
{
    private readonly LanguagesRepository _repository;

    public LanguagesTests(LanguagesRepository repository)
    {
        _repository = repository;
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
        File.WriteAllText(Path.Combine(clone, "CsLib", "Numbers.cs"), File.ReadAllText(Path.Combine(clone, "CsLib", "Numbers.cs")).Replace("x / 2", "x >> 1", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(clone, "VbLib", "Warn.vb"), File.ReadAllText(Path.Combine(clone, "VbLib", "Warn.vb")).Replace("x * 2", "x + x", StringComparison.Ordinal));
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
    public void A_public_api_edit_in_the_csharp_library_misses_it_and_every_fsharp_vb_and_csharp_project_above_it()
    {
        var clone = _repository.Clone("repo-d");
        var numbers = Path.Combine(clone, "CsLib", "Numbers.cs");
        File.WriteAllText(numbers, File.ReadAllText(numbers).Replace("{\n", "{\n    public static int Third(int x) => x / 3;\n\n", StringComparison.Ordinal));
        Workspace.Git(clone, "commit", "-q", "-am", "api edit");

        var run = Dotnet.Run(clone, _repository.Cache, ["build", "Languages.slnx"]);

        Assert.True(run.Succeeded, run.ToString());
        // Every other project sees CsLib: the F# and VB libraries directly, the rest through the SDK's transitive project
        // references (F# projects get them too).
        Assert.Equal(LanguagesRepository.Projects, run.Misses);
        foreach (var above in LanguagesRepository.Projects.Where(p => p != "CsLib"))
        {
            Assert.Contains("CsLib.dll", Explanation(run, above), StringComparison.Ordinal);
        }
    }

    private static string Explanation(BuildRun run, string project) =>
        run.Report.Single(r => r.ProjectName == project).Explanation ?? throw new InvalidOperationException($"{project} has no explanation\n{run}");
}
