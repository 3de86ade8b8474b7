using System.Text;
using ArtifactCache.Build.Remote;

namespace ArtifactCache.Build.Tests.Remote;

public class ArtifactSignatureTests
{
    [Theory]
    [InlineData("x3vq8mFz0J", "tH7sL1Rn9K", "d5b7e4688f", new byte[] { 5, 72, 219, 39, 156 }, "GH54KmMv3D1zSobnHtPHeRcBZJnTzWqJ67hPycxR2Ic=")]
    [InlineData("r8cP5sTn0Y", "sL2vM9Qj1D", "a1c8f3e3d7", new byte[] { 128, 234, 49, 67, 96 }, "aM+KTVtBEpWV7tRvXewtrPZrcP0f5pH7tVru22NYRMY=")]
    public void ComputeTag_matches_the_pinned_vectors(string key, string team, string hash, byte[] body, string expected)
    {
        Assert.Equal(expected, ArtifactSignature.ComputeTag(Encoding.UTF8.GetBytes(key), hash, team, new MemoryStream(body)));
        Assert.True(ArtifactSignature.Verify(Encoding.UTF8.GetBytes(key), hash, team, new MemoryStream(body), expected));
    }

    [Fact]
    public void The_tag_the_real_turbo_cli_sent_verifies()
    {
        using var body = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Fixtures", "turbo-signed-artifact.bin"));
        Assert.Equal(328, body.Length);
        var key = Encoding.UTF8.GetBytes("sig-key-1");

        Assert.Equal("o/3MWWlka5Aithd4ffhVW6XfnNaMHtCAZB7HAExtOTg=", ArtifactSignature.ComputeTag(key, "658b7a12dd795c45", "team_x", body));
        body.Position = 0;
        Assert.True(ArtifactSignature.Verify(key, "658b7a12dd795c45", "team_x", body, "o/3MWWlka5Aithd4ffhVW6XfnNaMHtCAZB7HAExtOTg="));
    }

    [Fact]
    public void A_body_larger_than_the_read_buffer_is_hashed_whole()
    {
        var body = new byte[300_000];
        new Random(7).NextBytes(body);
        var key = Encoding.UTF8.GetBytes("k");
        var tag = ArtifactSignature.ComputeTag(key, "h", "t", new MemoryStream(body));

        body[^1] ^= 1;
        Assert.NotEqual(tag, ArtifactSignature.ComputeTag(key, "h", "t", new MemoryStream(body)));
    }

    public static TheoryData<string, string, string, byte[], string?> Tampered => new()
    {
        { "x3vq8mFz0J", "tH7sL1Rn9K", "d5b7e4688f", new byte[] { 5, 72, 219, 39, 157 }, "GH54KmMv3D1zSobnHtPHeRcBZJnTzWqJ67hPycxR2Ic=" }, // body changed
        { "x3vq8mFz0J", "tH7sL1Rn9K", "d5b7e4688f", new byte[] { 5, 72, 219, 39 }, "GH54KmMv3D1zSobnHtPHeRcBZJnTzWqJ67hPycxR2Ic=" }, // body truncated
        { "x3vq8mFz0J", "tH7sL1Rn9K", "d5b7e4688f", new byte[] { 5, 72, 219, 39, 156 }, "HH54KmMv3D1zSobnHtPHeRcBZJnTzWqJ67hPycxR2Ic=" }, // tag changed
        { "x3vq8mFz0J", "tH7sL1Rn9K", "d5b7e4688e", new byte[] { 5, 72, 219, 39, 156 }, "GH54KmMv3D1zSobnHtPHeRcBZJnTzWqJ67hPycxR2Ic=" }, // other hash
        { "x3vq8mFz0J", "tH7sL1Rn9L", "d5b7e4688f", new byte[] { 5, 72, 219, 39, 156 }, "GH54KmMv3D1zSobnHtPHeRcBZJnTzWqJ67hPycxR2Ic=" }, // other team
        { "x3vq8mFz0K", "tH7sL1Rn9K", "d5b7e4688f", new byte[] { 5, 72, 219, 39, 156 }, "GH54KmMv3D1zSobnHtPHeRcBZJnTzWqJ67hPycxR2Ic=" }, // other key
        { "x3vq8mFz0J", "tH7sL1Rn9K", "d5b7e4688f", new byte[] { 5, 72, 219, 39, 156 }, null }, // no tag
        { "x3vq8mFz0J", "tH7sL1Rn9K", "d5b7e4688f", new byte[] { 5, 72, 219, 39, 156 }, "not base64 at all" },
    };

    [Theory]
    [MemberData(nameof(Tampered))]
    public void Verify_fails_when_anything_was_changed(string key, string team, string hash, byte[] body, string? tag) =>
        Assert.False(ArtifactSignature.Verify(Encoding.UTF8.GetBytes(key), hash, team, new MemoryStream(body), tag));

    [Fact]
    public void Moving_bytes_between_fields_changes_the_tag()
    {
        // The length prefixes are why v2 exists: ("ab", "c") and ("a", "bc") must not collide.
        var key = Encoding.UTF8.GetBytes("k");
        Assert.NotEqual(
            ArtifactSignature.ComputeTag(key, "ab", "c", new MemoryStream()),
            ArtifactSignature.ComputeTag(key, "a", "bc", new MemoryStream()));
    }
}
