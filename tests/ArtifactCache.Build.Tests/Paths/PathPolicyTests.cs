using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.Tests.Paths;

/// <summary>
/// The one path policy under both case rules, with Windows-shaped paths (drive letters, UNC shares, both separators,
/// paths past 260 characters) and Unix-shaped ones, whatever machine runs the tests.
/// </summary>
public sealed class PathPolicyTests
{
    public static TheoryData<bool> BothRules => new() { true, false };

    [Fact]
    public void This_platforms_default_file_system_decides_the_rule()
    {
        Assert.Equal(OperatingSystem.IsWindows() || OperatingSystem.IsMacOS(), PathPolicy.Current.IgnoresCase);
        Assert.Equal(PathPolicy.Current.IgnoresCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal, PathPolicy.Current.Comparison);
    }

    [Theory]
    [MemberData(nameof(BothRules))]
    public void Paths_that_differ_only_in_case_are_one_file_only_where_case_does_not_count(bool ignoreCase)
    {
        var policy = PathPolicy.WindowsShaped(ignoreCase);

        Assert.True(policy.Equals(@"C:\repo\docs.xml", @"C:\repo\docs.xml"));
        Assert.Equal(ignoreCase, policy.Equals(@"C:\repo\docs.xml", @"c:\REPO\Docs.xml"));
        Assert.Equal(ignoreCase, policy.Equals(@"\\server\share\a.cs", @"\\SERVER\Share\A.cs"));
        Assert.False(policy.Equals(@"C:\repo\docs.xml", @"C:\repo\docs.xml2"));
        Assert.Equal(ignoreCase, policy.Comparer.Equals("/repo/Docs.xml", "/repo/docs.xml"));
        Assert.Equal(ignoreCase, policy.Comparer.GetHashCode("/repo/Docs.xml") == policy.Comparer.GetHashCode("/repo/docs.xml"));

        var set = new HashSet<string>(policy.Comparer) { @"C:\repo\docs.xml", @"C:\repo\Docs.xml" };
        Assert.Equal(ignoreCase ? 1 : 2, set.Count);
    }

    [Theory]
    [MemberData(nameof(BothRules))]
    public void A_memo_of_file_contents_never_takes_case_twins_for_one_file(bool ignoreCase)
    {
        var policy = PathPolicy.WindowsShaped(ignoreCase);
        var memo = new Dictionary<string, string>(policy.MemoComparer) { [@"C:epo\docs.xml"] = "hash of docs.xml" };

        Assert.False(memo.ContainsKey(@"C:epo\Docs.xml"));
    }

    [Theory]
    [MemberData(nameof(BothRules))]
    public void A_path_is_under_a_root_by_whole_parts_with_either_separator(bool ignoreCase)
    {
        var policy = PathPolicy.WindowsShaped(ignoreCase);

        Assert.True(policy.IsUnder(@"C:\repo\src\A.cs", @"C:\repo"));
        Assert.True(policy.IsUnder(@"C:\repo\src\A.cs", @"C:\repo\"));
        Assert.True(policy.IsUnder(@"C:\repo/src/A.cs", @"C:\repo"));
        Assert.True(policy.IsUnder(@"C:\repo", @"C:\repo\"));
        Assert.True(policy.IsUnder(@"C:\repo\A.cs", @"C:\"));
        Assert.False(policy.IsUnder(@"C:\repo-other\A.cs", @"C:\repo"));
        Assert.False(policy.IsUnder(@"C:\rep", @"C:\repo"));
        Assert.False(policy.IsUnder(@"D:\repo\A.cs", @"C:\repo"));
        Assert.Equal(ignoreCase, policy.IsUnder(@"c:\Repo\src\A.cs", @"C:\repo"));
    }

    [Theory]
    [MemberData(nameof(BothRules))]
    public void A_UNC_share_is_a_root_of_its_own(bool ignoreCase)
    {
        var policy = PathPolicy.WindowsShaped(ignoreCase);

        Assert.True(policy.IsUnder(@"\\server\share\repo\A.cs", @"\\server\share"));
        Assert.True(policy.IsUnder(@"\\server\share\repo\A.cs", @"\\server\share\repo\"));
        Assert.False(policy.IsUnder(@"\\server\share2\A.cs", @"\\server\share"));
        Assert.False(policy.IsUnder(@"\\server2\share\A.cs", @"\\server\share"));
        Assert.Equal(ignoreCase, policy.IsUnder(@"\\SERVER\SHARE\repo\A.cs", @"\\server\share"));
    }

    [Theory]
    [MemberData(nameof(BothRules))]
    public void Paths_longer_than_260_characters_compare_the_same_way(bool ignoreCase)
    {
        var policy = PathPolicy.WindowsShaped(ignoreCase);
        var deep = @"C:\repo\" + string.Join('\\', Enumerable.Repeat("a-rather-long-folder-name", 14));
        var file = deep + @"\Generated.g.cs";
        Assert.True(file.Length > 260);

        Assert.True(policy.IsUnder(file, deep));
        Assert.True(policy.IsUnder(file, @"C:\repo"));
        Assert.False(policy.IsUnder(file, deep + "x"));
        Assert.Equal(ignoreCase, policy.Equals(file, file.ToUpperInvariant()));
        Assert.Equal(ignoreCase, policy.IsUnder(file.ToUpperInvariant(), deep));
    }

    [Theory]
    [MemberData(nameof(BothRules))]
    public void Unix_paths_have_one_separator_and_the_root_holds_everything(bool ignoreCase)
    {
        var policy = PathPolicy.UnixShaped(ignoreCase);

        Assert.True(policy.IsUnder("/repo/src/A.cs", "/"));
        Assert.True(policy.IsUnder("/repo/src/A.cs", "/repo/"));
        Assert.False(policy.IsUnder("/repo-other/A.cs", "/repo"));
        // A backslash is part of a Unix file name, not a separator.
        Assert.False(policy.IsUnder(@"/repo\evil/A.cs", "/repo"));
        Assert.Equal(ignoreCase, policy.IsUnder("/Repo/A.cs", "/repo"));
    }

    [Fact]
    public void A_policy_without_separators_is_refused() =>
        Assert.Throws<ArgumentException>(() => new PathPolicy(ignoreCase: true, []));
}
