using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class CompilerCommandLineTests
{
    private static readonly string Project = Path.Combine(Path.GetTempPath(), "acb-cl", "Lib");

    [Fact]
    public void Classifies_what_the_sdk_passes()
    {
        var reference = Path.Combine(Path.GetTempPath(), "packs", "System.Runtime.dll");
        var line = CompilerCommandLine.Parse(
            [
                "/noconfig", "/nullable:enable", "/define:TRACE;DEBUG", $"/reference:{reference}", "/debug+", "/debug:portable", "/deterministic+",
                "/out:obj/Debug/net10.0/Lib.dll", "/refout:obj/Debug/net10.0/refint/Lib.dll", "/doc:obj/Debug/net10.0/Lib.xml",
                "/analyzerconfig:obj/Debug/net10.0/Lib.GeneratedMSBuildEditorConfig.editorconfig", "Class1.cs",
                "/resource:obj/Debug/net10.0/Lib.Strings.resources,Lib.Strings.resources", "/reference:Alias=\"" + reference + "\"",
            ],
            Project);

        Assert.Null(line.UnsupportedReason);
        Assert.Equal(Path.Combine(Project, "obj", "Debug", "net10.0", "Lib.dll"), line.OutputPath("out"));
        Assert.Equal(Path.Combine(Project, "obj", "Debug", "net10.0", "refint", "Lib.dll"), line.OutputPath("refout"));
        Assert.Equal(Path.Combine(Project, "obj", "Debug", "net10.0", "Lib.xml"), line.OutputPath("doc"));
        Assert.True(line.WritesPdbFile);
        Assert.Equal(Path.Combine(Project, "obj", "Debug", "net10.0", "Lib.pdb"), line.PdbPath);

        var source = Assert.Single(line.Arguments, a => a.Kind == ArgumentKind.Source);
        Assert.Equal(Path.Combine(Project, "Class1.cs"), source.Path);

        var resource = Assert.Single(line.Arguments, a => a.Switch == "resource");
        Assert.Equal(ArgumentKind.Input, resource.Kind);
        Assert.Equal(Path.Combine(Project, "obj", "Debug", "net10.0", "Lib.Strings.resources"), resource.Path);
        Assert.Equal(",Lib.Strings.resources", resource.Suffix);

        var aliased = line.Arguments.Last(a => a.Switch == "reference");
        Assert.Equal(ArgumentKind.LocationFreeInput, aliased.Kind);
        Assert.Equal("Alias=", aliased.Prefix);
        Assert.Equal(reference, aliased.Path);

        Assert.Equal(ArgumentKind.Option, line.Arguments.Single(a => a.Switch == "define").Kind);
    }

    [Theory]
    [InlineData(new[] { "/debug:embedded" }, false)]
    [InlineData(new[] { "/debug-" }, false)]
    [InlineData(new[] { "/debug+", "/debug:portable" }, true)]
    [InlineData(new[] { "/debug-", "/debug:portable" }, true)]
    [InlineData(new[] { "/debug+", "/debug:embedded" }, false)]
    [InlineData(new string[0], false)]
    public void Knows_when_a_separate_pdb_is_written(string[] debugArguments, bool writesPdb)
    {
        var line = CompilerCommandLine.Parse(debugArguments.Append("/out:a.dll"), Project);
        Assert.Equal(writesPdb, line.WritesPdbFile);
    }

    [Theory]
    [InlineData("/errorlog:obj/log.sarif")]
    [InlineData("/generatedfilesout:obj/generated")]
    [InlineData("src/*.cs")]
    [InlineData("@extra.rsp")]
    [InlineData("/keycontainer:MyKeys")]
    public void Arguments_whose_effects_cannot_be_restored_make_the_compilation_uncacheable(string argument)
    {
        var line = CompilerCommandLine.Parse(["/out:a.dll", argument], Project);
        Assert.NotNull(line.UnsupportedReason);
    }

    [Fact]
    public void A_command_line_without_an_output_is_uncacheable()
    {
        Assert.NotNull(CompilerCommandLine.Parse(["a.cs"], Project).UnsupportedReason);
    }

    [Fact]
    public void An_absolute_unix_source_path_is_a_source_not_a_switch()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var directory = Directory.CreateTempSubdirectory("acb-cl-");
        try
        {
            var file = Path.Combine(directory.FullName, "Generated.cs");
            File.WriteAllText(file, "class G {}");
            var line = CompilerCommandLine.Parse(["/out:a.dll", file], Project);
            Assert.Equal(ArgumentKind.Source, line.Arguments[1].Kind);
            Assert.Equal(file, line.Arguments[1].Path);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "/deterministic+" }, true)]
    [InlineData(new[] { "/deterministic" }, true)]
    [InlineData(new[] { "/deterministic-" }, false)]
    [InlineData(new[] { "/deterministic+", "/deterministic-" }, false)]
    [InlineData(new string[0], false)]
    public void Only_a_deterministic_compilation_is_cacheable(string[] switches, bool cacheable)
    {
        var line = CompilerCommandLine.Parse(["/out:a.dll", .. switches, "a.cs"], Project);

        Assert.Equal(cacheable, line.UnsupportedReason is null);
        if (!cacheable)
        {
            Assert.Contains("Deterministic=false", line.UnsupportedReason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_pathmap_switch_adds_entries_in_order()
    {
        var line = CompilerCommandLine.Parse(["/out:a.dll", "/pathmap:\"/a/=/x/,/b=/y\"", "/pathmap:/c/=/z/", "a.cs"], Project);

        Assert.Equal(["/a/", "/b/", "/c/"], line.PathMap.Entries.Select(e => e.Key));
        Assert.Equal(["/x/", "/y/", "/z/"], line.PathMap.Entries.Select(e => e.Value));
    }
}
