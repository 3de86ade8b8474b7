using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class CommitStampsTests
{
    private const string Sha = "0123456789abcdef0123456789abcdef01234567";
    private const string Sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

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

    [Theory]
    [InlineData(Sha, Sha, Sha)]
    [InlineData("0123456789ABCDEF0123456789ABCDEF01234567", Sha, "0123456789ABCDEF0123456789ABCDEF01234567")]
    [InlineData(Sha256, Sha256, Sha256)]
    [InlineData("build42", Sha, null)]
    [InlineData("0123456", Sha, null)]
    [InlineData(Sha, "fedcba9876543210fedcba9876543210fedcba98", null)]
    [InlineData(Sha, null, null)]
    [InlineData(Sha, Sha + ";" + Sha, null)]
    [InlineData(null, Sha, null)]
    public void Source_revision_id_is_the_commit_only_when_it_is_the_full_commit_source_control_found(string? sourceRevisionId, string? commit, string? expected)
    {
        Assert.Equal(expected, CommitStamps.CommitOrNull(sourceRevisionId, commit));
    }

    [Theory]
    [InlineData(Sha, Sha, Sha)]
    [InlineData("build42", Sha, Sha + "+build42")]
    [InlineData("build42", "", "build42")]
    [InlineData("", Sha, Sha)]
    [InlineData("", "", null)]
    public void A_prediction_is_named_by_the_commit_and_any_stamp_the_key_holds(string sourceRevisionId, string commit, string? expected)
    {
        Assert.Equal(expected, CommitStamps.PredictionRevision(sourceRevisionId, commit));
    }
}
