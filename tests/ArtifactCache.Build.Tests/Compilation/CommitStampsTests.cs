using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class CommitStampsTests
{
    private const string Sha = "0123456789abcdef0123456789abcdef01234567";

    [Theory]
    [InlineData("1.0.0+" + Sha, "1.0.0+{revision}")]
    // MinVer's version already has build metadata: the SDK appends ".<commit>".
    [InlineData("1.2.3-alpha.0.4+" + Sha + "." + Sha, "1.2.3-alpha.0.4+" + Sha + ".{revision}")]
    // A version without the commit suffix is left as it is.
    [InlineData("1.0.0", "1.0.0")]
    [InlineData("1.0.0-" + Sha, "1.0.0-" + Sha)]
    public void Only_the_commit_suffix_of_the_informational_version_is_replaced(string version, string expected)
    {
        Assert.Equal(expected, CommitStamps.WithoutCommitSuffix(version, Sha));
    }

    [Fact]
    public void The_source_link_commit_is_replaced_in_urls_only()
    {
        var map = $"{{\"documents\":{{\"/_/{Sha}/*\":\"https://raw.githubusercontent.com/org/repo/{Sha}/*\"}}}}";

        var neutral = CommitStamps.WithoutSourceLinkCommit(map, Sha);

        Assert.Contains($"\"/_/{Sha}/*\"", neutral, StringComparison.Ordinal);
        Assert.Contains("https://raw.githubusercontent.com/org/repo/{revision}/*", neutral, StringComparison.Ordinal);
        Assert.Equal("not json " + Sha, CommitStamps.WithoutSourceLinkCommit("not json " + Sha, Sha));
    }
}
