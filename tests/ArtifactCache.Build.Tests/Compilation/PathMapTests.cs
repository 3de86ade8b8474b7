using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class PathMapTests
{
    [Fact]
    public void Doubled_separators_are_literal_characters_and_both_sides_get_a_trailing_separator()
    {
        var map = PathMap.Parse(["/src,,v2/=/_/,/a==b=/c"]);

        Assert.Equal(new KeyValuePair<string, string>("/src,v2/", "/_/"), map.Entries[0]);
        Assert.Equal(new KeyValuePair<string, string>("/a=b/", "/c/"), map.Entries[1]);
    }

    [Fact]
    public void Entries_without_two_sides_are_ignored_as_the_compiler_rejects_them()
    {
        Assert.Empty(PathMap.Parse(["/a/", "=/x/", "/a/=", ""]).Entries);
    }

    [Fact]
    public void A_path_outside_every_prefix_is_not_mapped()
    {
        var map = PathMap.Parse(["/repo/=/_/"]);

        Assert.Null(map.KeyForm("/other/a.cs"));
        // A prefix is a whole folder: /repository is not under /repo/.
        Assert.Null(map.KeyForm("/repository/a.cs"));
        Assert.Equal("/_/src/a.cs", map.KeyForm("/repo/src/a.cs"));
    }

    [Fact]
    public void Matching_is_case_sensitive_on_every_platform()
    {
        Assert.Null(PathMap.Parse(["/Repo/=/_/"]).KeyForm("/repo/a.cs"));
    }

    [Fact]
    public void The_replacement_decides_the_separators()
    {
        Assert.Equal("/_/src/a.cs", PathMap.Parse(["C:\\repo\\=/_/"]).KeyForm("C:\\repo\\src\\a.cs"));
        Assert.Equal("X:\\src\\a.cs", PathMap.Parse(["/repo/=X:\\"]).KeyForm("/repo/src/a.cs"));
    }

    [Fact]
    public void When_the_first_entry_and_the_longest_prefix_disagree_both_are_named()
    {
        var map = PathMap.Parse(["/repo/=/_/,/repo/src/=/custom/"]);

        Assert.Equal("/custom/a.cs | first entry: /_/src/a.cs", map.KeyForm("/repo/src/a.cs"));
        Assert.Equal("/custom/a.cs", map.Apply("/repo/src/a.cs"));
        Assert.Equal("/_/b.cs", map.KeyForm("/repo/b.cs"));
    }

    [Fact]
    public void Fsc_keeps_the_prefix_separator_lets_a_later_entry_replace_an_earlier_and_takes_the_entry_that_sorts_first()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // Measured with SDK 10.0.401's fsc: /repo/=/_/ writes /repo/Lib/a.fs as /_//Lib/a.fs.
        var map = PathMap.ParseFSharp(["/repo/=/old/,/repo/sub/=/s/", "/repo=/_/"]);

        Assert.Equal("/_//Lib/a.fs", map.KeyForm("/repo/Lib/a.fs"));
        Assert.Equal("/_//sub/b.fs", map.KeyForm("/repo/sub/b.fs"));
        Assert.Null(map.KeyForm("/repository/a.fs"));
    }

    [Fact]
    public void A_verify_entry_makes_the_scratch_folder_read_as_the_builds_own_under_either_rule()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var roslyn = PathMap.Parse(["/repo/=/_/"]);
        var withScratch = PathMap.Parse(["/repo/=/_/", roslyn.EntryFor("/tmp/s/out", "/repo/Lib/obj")]);
        Assert.Equal(roslyn.KeyForm("/repo/Lib/obj/Lib.pdb"), withScratch.KeyForm("/tmp/s/out/Lib.pdb"));

        var fsharp = PathMap.ParseFSharp(["/repo/=/_/"]);
        var fsharpWithScratch = PathMap.ParseFSharp(["/repo/=/_/", fsharp.EntryFor("/tmp/s/out", "/repo/Lib/obj")]);
        Assert.Equal("/_//Lib/obj/Lib.pdb", fsharpWithScratch.KeyForm("/tmp/s/out/Lib.pdb"));
        Assert.Equal(fsharp.KeyForm("/repo/Lib/obj/Lib.pdb"), fsharpWithScratch.KeyForm("/tmp/s/out/Lib.pdb"));
    }
}
