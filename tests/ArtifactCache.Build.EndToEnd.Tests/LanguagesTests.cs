using ArtifactCache.Build.EndToEnd.Tests.Infrastructure;

namespace ArtifactCache.Build.EndToEnd.Tests;

/// <summary>
/// A repository of the SDK's own Visual Basic and F# templates (classlib and console in each language, xunit in F#) and
/// a C# console that references both libraries, with a GitHub origin so Source Link writes a map, built cold once. Each
/// library has one warning the cases check is replayed. Clones go to sibling folders with names as long as the first
/// checkout's: fsc's outputs depend on the length of the checkout path (see the README).
/// </summary>
public sealed class LanguagesRepository : IDisposable
{
    public static readonly string[] Projects = ["CsApp", "FsApp", "FsLib", "FsTests", "VbApp", "VbLib"];

    public LanguagesRepository()
    {
        Source = Workspace.PathOf("repo-a");
        Directory.CreateDirectory(Source);
        foreach (var (template, language, name) in new[]
                 {
                     ("classlib", "VB", "VbLib"), ("console", "VB", "VbApp"), ("classlib", "F#", "FsLib"), ("console", "F#", "FsApp"),
                     ("xunit", "F#", "FsTests"), ("console", "C#", "CsApp"),
                 })
        {
            New(template, language, name);
        }

        Reference("VbApp/VbApp.vbproj", "VbLib/VbLib.vbproj");
        Reference("FsApp/FsApp.fsproj", "FsLib/FsLib.fsproj");
        Reference("FsTests/FsTests.fsproj", "FsLib/FsLib.fsproj");
        Reference("CsApp/CsApp.csproj", "VbLib/VbLib.vbproj");
        Reference("CsApp/CsApp.csproj", "FsLib/FsLib.fsproj");
        Workspace.Write(Path.Combine(Source, "VbLib", "Warn.vb"), "Public Class Warn\n    Public Shared Function Twice(x As Integer) As Integer\n        Dim unused As Integer\n        Return x * 2\n    End Function\nEnd Class\n");
        Workspace.Write(Path.Combine(Source, "FsLib", "Library.fs"), "namespace FsLib\n\nmodule Say =\n    let hello name = \"Hello \" + name\n\n    let twice (x: int) =\n        x + 1\n        x * 2\n");
        Workspace.Write(Path.Combine(Source, "CsApp", "Program.cs"), "System.Console.WriteLine(FsLib.Say.hello(\"C#\") + \" \" + VbLib.Warn.Twice(21));\n");
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

    private static string Extension(string project) => project[..2] switch { "Vb" => "vbproj", "Fs" => "fsproj", _ => "csproj" };

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
        Assert.Contains("Hello C# 42", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_committed_body_edit_in_each_library_misses_exactly_those_libraries_and_warnings_as_errors_fail_the_fsharp_build()
    {
        var clone = _repository.Clone("repo-c");
        File.WriteAllText(Path.Combine(clone, "VbLib", "Warn.vb"), File.ReadAllText(Path.Combine(clone, "VbLib", "Warn.vb")).Replace("x * 2", "x + x", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(clone, "FsLib", "Library.fs"), File.ReadAllText(Path.Combine(clone, "FsLib", "Library.fs")).Replace("\"Hello \" + name", "\"Hello \" + name + \"!\"", StringComparison.Ordinal));

        // Committed: every project's generated AssemblyInfo and Source Link map now carry another commit, which a key leaves out.
        Workspace.Git(clone, "commit", "-q", "-am", "body edits");
        var run = Dotnet.Run(clone, _repository.Cache, ["build", "Languages.slnx"]);

        Assert.True(run.Succeeded, run.ToString());
        // A body edit leaves each library's reference assembly as it was (F# in Debug: see the README), so nothing above them compiles.
        Assert.Equal(["FsLib", "VbLib"], run.Misses);
        Assert.Equal(["CsApp", "FsApp", "FsTests", "VbApp"], run.Hits);
        Assert.Contains("Library.fs (content)", run.Report.Single(r => r.ProjectName == "FsLib").Explanation, StringComparison.Ordinal);
        Assert.Contains("Warn.vb (content)", run.Report.Single(r => r.ProjectName == "VbLib").Explanation, StringComparison.Ordinal);

        var strict = Dotnet.Run(clone, _repository.Cache, ["build", "FsLib/FsLib.fsproj", "--no-incremental", "-p:TreatWarningsAsErrors=true"]);
        Assert.False(strict.Succeeded, strict.ToString());
        Assert.Contains("error FS0020", strict.Output, StringComparison.Ordinal);
        Assert.False(Assert.Single(strict.Report).Stored, strict.ToString());
    }
}
