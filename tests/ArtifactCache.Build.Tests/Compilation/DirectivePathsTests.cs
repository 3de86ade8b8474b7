using System.Text;
using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class DirectivePathsTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "repo") + Path.DirectorySeparatorChar;
    private static readonly string Source = Path.Combine(Root, "src", "Lib", "A.cs");
    private static readonly PathMap Map = PathMap.Parse([Root + "=/_/"]);

    private static string? Describe(string text, CompilerLanguage language = CompilerLanguage.CSharp) =>
        DirectivePaths.Describe(Encoding.UTF8.GetBytes(text), Source, language, Map);

    [Fact]
    public void A_relative_name_is_resolved_against_the_sources_folder_then_mapped()
    {
        Assert.Equal("0: /_/src/Lib/gen/Foo.tt", Describe("#line 1 \"gen/Foo.tt\"\nclass A { }\n"));
        Assert.Equal("0: /_/gen/Foo.tt", Describe("#line 1 \"../../gen/Foo.tt\"\n"));
    }

    [Fact]
    public void A_name_that_leaves_the_mapped_folder_is_keyed_absolute()
    {
        var outside = Path.GetFullPath(Path.Combine(Root, "..", "other", "gen", "Foo.tt"));

        Assert.Equal("0: " + outside, Describe("#line 1 \"../../../other/gen/Foo.tt\"\n"));
    }

    [Fact]
    public void An_absolute_name_is_made_a_full_path_before_it_is_mapped()
    {
        var spelled = Root + "gen" + Path.DirectorySeparatorChar + ".." + Path.DirectorySeparatorChar + "gen" + Path.DirectorySeparatorChar + "Foo.tt";

        Assert.Equal("5: /_/gen/Foo.tt", Describe($"// x\n  # line (1,1)-(1,5) 7 \"{spelled}\"\n"));
    }

    [Fact]
    public void Checksum_pragmas_and_visual_basic_directives_count_and_other_lines_do_not()
    {
        Assert.Equal("0: /_/src/Lib/Page.razor", Describe("#pragma checksum \"Page.razor\" \"{8829d00f-11b8-4213-878b-770e8597ac16}\" \"ab\"\n"));
        Assert.Equal("0: /_/src/Lib/B.vb\n47: /_/src/Lib/C.vb", Describe("#ExternalSource(\"B.vb\", 1)\n#End ExternalSource\n#externalchecksum(\"C.vb\", \"{x}\", \"ab\")\n", CompilerLanguage.VisualBasic));
        Assert.Null(Describe("#line default\n#line hidden\nvar s = \"#line 1 \\\"x\\\"\";\n"));
        Assert.Null(Describe("#line 1 \"Foo.tt\"\n", CompilerLanguage.FSharp));
        Assert.Equal("0: https://example.com/Foo.tt", Describe("#line 1 \"https://example.com/Foo.tt\"\n"));
    }
}
