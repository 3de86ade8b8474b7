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
}
