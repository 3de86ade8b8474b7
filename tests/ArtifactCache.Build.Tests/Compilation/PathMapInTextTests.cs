using System.Text;
using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class PathMapInTextTests
{
    private static readonly PathMap Map = PathMap.Parse(["/work/repo/=/_/,/home/u/.nuget/packages/=/_1/"]);

    [Fact]
    public void A_text_without_a_mapped_folder_has_nothing_to_describe()
    {
        Assert.Null(PathMapInText.Describe("#line 1 \"/_/gen/Foo.tt\"\n#line 2 \"/work/repo\"\n"u8, Map));
        Assert.Null(PathMapInText.Describe("class A { }"u8, PathMap.Empty));
    }

    [Fact]
    public void Each_occurrence_is_described_by_place_and_replacement_never_by_the_folder()
    {
        var described = PathMapInText.Describe("#line 1 \"/work/repo/gen/Foo.tt\"\n// /home/u/.nuget/packages/x\n"u8, Map);

        Assert.Equal("9+11: entry 0 -> /_/\n35+24: entry 1 -> /_1/", described);
    }

    [Theory]
    [InlineData("#line 1 \"\\\\work\\\\repo\\\\gen\\\\Foo.tt\"", "9+14: entry 0 -> /_/")]
    [InlineData("#line 1 \"\\work\\repo\\gen\\Foo.tt\"", "9+11: entry 0 -> /_/")]
    [InlineData("#line 1 \"/work/repo/gen/Foo.tt\"", "9+11: entry 0 -> /_/")]
    public void The_folder_is_found_with_either_separator_and_with_backslashes_doubled(string text, string expected)
    {
        Assert.Equal(expected, PathMapInText.Describe(Encoding.UTF8.GetBytes(text), Map));
    }

    [Fact]
    public void A_utf16_source_is_searched_in_its_encoding()
    {
        var described = PathMapInText.Describe(Encoding.Unicode.GetBytes("#line 1 \"/work/repo/gen/Foo.tt\""), Map);

        // (The big-endian pattern of an ASCII folder also matches one byte earlier: more places keyed, never fewer.)
        Assert.Contains("18+22: entry 0 -> /_/", (described ?? "").Split('\n'));
    }

    [Fact]
    public void Nested_entries_are_each_described_so_either_rule_of_choosing_one_is_keyed()
    {
        var nested = PathMap.Parse(["/work/repo/=/_/,/work/repo/src/=/custom/"]);

        Assert.Equal("0+11: entry 0 -> /_/\n0+15: entry 1 -> /custom/", PathMapInText.Describe("/work/repo/src/a.cs"u8, nested));
    }
}
