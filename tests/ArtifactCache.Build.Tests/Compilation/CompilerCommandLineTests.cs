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

    [Fact]
    public void A_vbc_reference_list_names_each_file_and_the_compiler_gets_them_in_the_same_order()
    {
        var a = Path.Combine(Project, "refs", "a.dll");
        var spaced = Path.Combine(Project, "my refs", "b,c.dll");
        var d = Path.Combine(Project, "refs", "d.dll");
        var line = CompilerCommandLine.Parse(["/out:a.dll", $"/reference:{a},\"{spaced}\";{d}", "/addmodule:m1.netmodule,m2.netmodule", "/reference:Alias=x.dll"], Project);

        var references = line.Arguments.Where(r => r.Switch == "reference").ToList();
        Assert.Equal([a, spaced, d, Path.Combine(Project, "x.dll")], references.Select(r => r.Path));
        Assert.All(references, r => Assert.Equal(ArgumentKind.LocationFreeInput, r.Kind));
        Assert.Equal([$"/reference:{a}", $"/reference:\"{spaced}\"", $"/reference:{d}"], line.RawArguments.Skip(1).Take(3));
        Assert.Equal([Path.Combine(Project, "m1.netmodule"), Path.Combine(Project, "m2.netmodule")], line.Arguments.Where(r => r.Switch == "addmodule").Select(r => r.Path));
        Assert.Equal("Alias=", references[^1].Prefix);
    }

    [Fact]
    public void Vbc_switches_that_name_files_are_keyed_by_content_and_the_others_verbatim()
    {
        var runtime = Path.Combine(Project, "packs", "Microsoft.VisualBasic.dll");
        var line = CompilerCommandLine.Parse(
            [
                "/out:obj/Lib.dll", $"/vbruntime:{runtime}", "/vbruntime-", "/vbruntime*", "/win32resource:app.res", "/win32icon:app.ico",
                "/resource:obj/Lib.Strings.resources,Lib.Strings.resources,public", "/linkresource:data.bin,Data", "/doc:obj/Lib.xml",
                "/imports:Microsoft.VisualBasic,System.Linq", "/rootnamespace:Lib", "/sdkpath:/opt/sdk", "/optionstrict:custom", "/nosdkpath", "Class1.vb",
            ],
            Project);

        CompilerArgument Single(string name) => Assert.Single(line.Arguments, a => a.Switch == name);
        Assert.Equal(ArgumentKind.LocationFreeInput, Single("vbruntime").Kind);
        Assert.Equal(runtime, Single("vbruntime").Path);
        Assert.Equal(ArgumentKind.Option, Single("vbruntime-").Kind);
        Assert.Equal(ArgumentKind.Option, Single("vbruntime*").Kind);
        Assert.Equal((ArgumentKind.Input, Path.Combine(Project, "app.res")), (Single("win32resource").Kind, Single("win32resource").Path));
        Assert.Equal(ArgumentKind.Input, Single("win32icon").Kind);
        Assert.Equal((ArgumentKind.Input, ",Lib.Strings.resources,public"), (Single("resource").Kind, Single("resource").Suffix));
        Assert.Equal((ArgumentKind.Input, ",Data"), (Single("linkresource").Kind, Single("linkresource").Suffix));
        Assert.Equal(Path.Combine(Project, "obj", "Lib.xml"), line.OutputPath("doc"));
        foreach (var option in new[] { "imports", "rootnamespace", "sdkpath", "optionstrict", "nosdkpath" })
        {
            Assert.Equal(ArgumentKind.Option, Single(option).Kind);
        }

        Assert.Equal(Path.Combine(Project, "Class1.vb"), Assert.Single(line.Arguments, a => a.Kind == ArgumentKind.Source).Path);
    }

    [Fact]
    public void A_vbc_define_whose_escapes_msbuild_turned_into_slashes_on_unix_gets_them_back()
    {
        // The Vbc task writes CONFIG="Debug" as CONFIG=\"Debug\"; MSBuild on Unix hands the item over with '/' for '\'.
        var line = CompilerCommandLine.Parse(["/out:a.dll", "/define:\"CONFIG=/\"Debug/\",DEBUG=-1,PATH=/\"a//\"\""], Project);

        var expected = OperatingSystem.IsWindows()
            ? "/define:\"CONFIG=/\"Debug/\",DEBUG=-1,PATH=/\"a//\"\""
            : "/define:\"CONFIG=\\\"Debug\\\",DEBUG=-1,PATH=\\\"a/\\\"\"";
        Assert.Equal(expected, line.RawArguments.Last());
    }

    [Fact]
    public void Fsc_switches_are_read_by_their_long_names_and_sources_keep_their_order()
    {
        var core = Path.Combine(Project, "packages", "FSharp.Core.dll");
        var line = CompilerCommandLine.Parse(
            [
                "-o:obj/Debug/net10.0/Lib.dll", "-g", "--debug:portable", "--define:DEBUG", "--doc:obj/Debug/net10.0/Lib.xml", $"-r:{core}",
                "--resource:obj/Lib.Strings.resources,Lib.Strings.resources,private", "--pathmap:/repo/=/_/", "--deterministic+",
                "--refout:obj/Debug/net10.0/refint/Lib.dll", "Api.fsi", "Api.fs", "Program.fs",
            ],
            Project,
            CompilerLanguage.FSharp);

        Assert.Null(line.UnsupportedReason);
        Assert.Equal(Path.Combine(Project, "obj", "Debug", "net10.0", "Lib.dll"), line.OutputPath("out"));
        Assert.Equal(Path.Combine(Project, "obj", "Debug", "net10.0", "refint", "Lib.dll"), line.OutputPath("refout"));
        Assert.Equal(Path.Combine(Project, "obj", "Debug", "net10.0", "Lib.xml"), line.OutputPath("doc"));
        Assert.True(line.WritesPdbFile);
        Assert.False(line.ListsReads);
        var reference = Assert.Single(line.Arguments, a => a.Switch == "reference");
        Assert.Equal((ArgumentKind.LocationFreeInput, core), (reference.Kind, reference.Path));
        Assert.Equal(",Lib.Strings.resources,private", Assert.Single(line.Arguments, a => a.Switch == "resource").Suffix);
        Assert.Equal(ArgumentKind.Option, Assert.Single(line.Arguments, a => a.Switch == "define").Kind);
        Assert.Equal(["Api.fsi", "Api.fs", "Program.fs"], line.Arguments.Where(a => a.Kind == ArgumentKind.Source).Select(a => Path.GetFileName(a.Path!)));
        Assert.Equal("--pdb:x.pdb", line.Switch("pdb", "x.pdb"));
    }

    [Theory]
    [InlineData(new[] { "--deterministic-" }, "Deterministic=false")]
    [InlineData(new string[0], "Deterministic=false")]
    [InlineData(new[] { "--deterministic+", "--compilertool:/tools/typeproviders" }, "type providers")]
    [InlineData(new[] { "--deterministic+", "--sig:obj/Lib.fsi" }, "'sig'")]
    public void An_fsc_compilation_that_is_not_deterministic_or_runs_design_time_code_is_not_cacheable(string[] switches, string reason)
    {
        var line = CompilerCommandLine.Parse(["-o:a.dll", .. switches, "a.fs"], Project, CompilerLanguage.FSharp);

        Assert.Contains(reason, line.UnsupportedReason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_fsc_dry_run_gets_back_the_refout_the_task_leaves_out_just_before_the_sources()
    {
        string[] reported = ["-o:obj/Lib.dll", "--deterministic+", "Api.fsi", "Api.fs"];

        Assert.Equal(["-o:obj/Lib.dll", "--deterministic+", "--refout:obj/refint/Lib.dll", "Api.fsi", "Api.fs"], CompilerCommandLine.WithFSharpReferenceAssembly(reported, "obj/refint/Lib.dll"));
        Assert.Equal(reported, CompilerCommandLine.WithFSharpReferenceAssembly(reported, null));
        string[] withRefout = ["-o:obj/Lib.dll", "--refout:obj/other.dll", "Api.fs"];
        Assert.Equal(withRefout, CompilerCommandLine.WithFSharpReferenceAssembly(withRefout, "obj/refint/Lib.dll"));
    }
}
