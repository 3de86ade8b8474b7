using System.Text;
using ArtifactCache.Build.Caching;

namespace ArtifactCache.Build.Tests.Caching;

public sealed class CommitIndexTests
{
    private static string Key(int i) => i.ToString("x64");

    [Fact]
    public void A_body_reads_back_as_the_same_entries_in_the_same_order()
    {
        var index = new CommitIndex([new IndexEntry(Key(3), Key(1)), new IndexEntry(Key(2), Key(4))]);

        var read = CommitIndex.Parse(index.Body());

        Assert.NotNull(read);
        Assert.Equal(index.Entries, read.Entries);
        Assert.True(read.TryGetKey(Key(2), out var key));
        Assert.Equal(Key(4), key);
        Assert.False(read.TryGetKey(Key(1), out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("artifactcache-commit-index-v2\n")]
    [InlineData("artifactcache-commit-index-v1")]
    [InlineData("artifactcache-commit-index-v1\n0000000000000000000000000000000000000000000000000000000000000001 0000000000000000000000000000000000000000000000000000000000000002")]
    [InlineData("artifactcache-commit-index-v1\n0000000000000000000000000000000000000000000000000000000000000001\n")]
    [InlineData("artifactcache-commit-index-v1\n0000000000000000000000000000000000000000000000000000000000000001  0000000000000000000000000000000000000000000000000000000000000002\n")]
    [InlineData("artifactcache-commit-index-v1\n0000000000000000000000000000000000000000000000000000000000000001 000000000000000000000000000000000000000000000000000000000000000G\n")]
    [InlineData("artifactcache-commit-index-v1\n0000000000000000000000000000000000000000000000000000000000000001 0000000000000000000000000000000000000000000000000000000000000002\n\n")]
    public void Anything_but_exactly_an_index_is_not_one(string body)
    {
        Assert.Null(CommitIndex.Parse(Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void An_empty_index_is_one()
    {
        Assert.Empty(CommitIndex.Parse(Encoding.UTF8.GetBytes("artifactcache-commit-index-v1\n"))!.Entries);
    }

    [Fact]
    public void A_merge_puts_this_builds_entries_first_and_keeps_the_earlier_ones_it_did_not_make()
    {
        var earlier = new CommitIndex([new IndexEntry(Key(1), Key(10)), new IndexEntry(Key(2), Key(20))]);

        var merged = earlier.Merge([new IndexEntry(Key(3), Key(30)), new IndexEntry(Key(1), Key(11))]);

        Assert.Equal([new IndexEntry(Key(3), Key(30)), new IndexEntry(Key(1), Key(11)), new IndexEntry(Key(2), Key(20))], merged.Entries);
    }

    [Fact]
    public void An_index_covers_a_build_only_when_it_has_each_of_its_entries_with_the_same_key()
    {
        var index = new CommitIndex([new IndexEntry(Key(1), Key(10)), new IndexEntry(Key(2), Key(20))]);

        Assert.True(index.Covers(new CommitIndex([new IndexEntry(Key(2), Key(20)), new IndexEntry(Key(1), Key(10))])));
        Assert.True(index.Covers(new CommitIndex([new IndexEntry(Key(2), Key(20))])));
        Assert.False(index.Covers(new CommitIndex([new IndexEntry(Key(2), Key(21))])));
        Assert.False(index.Covers(new CommitIndex([new IndexEntry(Key(3), Key(30))])));
    }

    [Fact]
    public void An_index_longer_than_any_solution_is_not_read()
    {
        var entries = Enumerable.Range(0, CommitIndex.MaxEntries + 1).Select(i => new IndexEntry(Key(i), Key(i)));

        Assert.Null(CommitIndex.Parse(new CommitIndex(entries).Body()));
    }

    [Fact]
    public void Index_names_differ_by_commit_configuration_solution_and_the_settings_that_shape_keys()
    {
        var names = new[]
        {
            RemotePrefetch.IndexKey("a", "Debug", "App.sln", strict: false, volatileVersions: false),
            RemotePrefetch.IndexKey("b", "Debug", "App.sln", strict: false, volatileVersions: false),
            RemotePrefetch.IndexKey("a", "Release", "App.sln", strict: false, volatileVersions: false),
            RemotePrefetch.IndexKey("a", "Debug", "Other.sln", strict: false, volatileVersions: false),
            RemotePrefetch.IndexKey("a", "Debug", null, strict: false, volatileVersions: false),
            RemotePrefetch.IndexKey("a", "Debug", "App.sln", strict: true, volatileVersions: false),
            RemotePrefetch.IndexKey("a", "Debug", "App.sln", strict: false, volatileVersions: true),
        };

        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.True(CommitIndex.IsKey(n)));
    }
}
