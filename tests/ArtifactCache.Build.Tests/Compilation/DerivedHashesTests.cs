using System.Collections.Concurrent;
using System.Text;
using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

/// <summary>Derived hashes are remembered by content: across builds and processes, and never for other bytes.</summary>
public sealed class DerivedHashesTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("acb-derived-");
    private int _derivations;

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void A_content_is_derived_once_per_process_and_once_per_machine()
    {
        var content = Encoding.UTF8.GetBytes("reference image one");
        var first = new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>());

        Assert.Equal(Derive(content), first.Get("neutral-3", content, Derive));
        Assert.Equal(Derive(content), first.Get("neutral-3", [.. content], Derive));
        Assert.Equal(1 + 2, _derivations);

        // Another process (a new MSBuild node, a later build) finds it in the folder.
        var later = new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>());
        Assert.Equal(Derive(content), later.Get("neutral-3", [.. content], Derive));
        Assert.Equal(1 + 3, _derivations);
    }

    [Fact]
    public void Other_bytes_or_another_derivation_are_derived_again()
    {
        var hashes = new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>());
        var one = Encoding.UTF8.GetBytes("reference image one");
        var two = Encoding.UTF8.GetBytes("reference image two");

        var a = hashes.Get("neutral-3", one, Derive);
        var b = hashes.Get("neutral-3", two, Derive);
        var c = hashes.Get("neutral-1", one, bytes => Derive([.. bytes, 1]));

        Assert.Equal(3, new[] { a, b, c }.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(3, _derivations);
    }

    [Fact]
    public void A_damaged_remembered_value_is_derived_again_and_replaced()
    {
        var content = Encoding.UTF8.GetBytes("reference image three");
        new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>()).Get("neutral-3", content, Derive);
        var file = Assert.Single(_folder.GetFiles());
        File.WriteAllText(file.FullName, "not a hash");

        var again = new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>()).Get("neutral-3", content, Derive);

        Assert.Equal(Derive(content), again);
        Assert.Equal(Derive(content), File.ReadAllText(file.FullName));
    }

    [Fact]
    public void A_derivation_that_changes_its_input_does_not_change_what_it_is_remembered_by()
    {
        var hashes = new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>());
        var content = Encoding.UTF8.GetBytes("reference image four");
        string Blanking(byte[] bytes)
        {
            Array.Clear(bytes);
            return Derive(bytes);
        }

        var blanked = hashes.Get("neutral-3", [.. content], Blanking);
        Assert.Equal(blanked, hashes.Get("neutral-3", [.. content], Blanking));
        // The blanked bytes are other content: remembered under the original's hash, the value does not answer for them.
        var forZeros = new string('a', 64);
        Assert.Equal(forZeros, hashes.Get("neutral-3", new byte[content.Length], _ => forZeros));
    }

    [Fact]
    public void A_value_derived_elsewhere_answers_for_its_content_here_and_in_later_processes()
    {
        var content = Encoding.UTF8.GetBytes("reference image five");
        var hashes = new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>());

        Assert.True(hashes.Remember("neutral-3", DerivedHashes.ContentHash(content), Derive(content)));

        Assert.Equal(Derive(content), hashes.Get("neutral-3", [.. content], _ => throw new InvalidOperationException("derived again")));
        var later = new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>());
        Assert.Equal(Derive(content), later.Get("neutral-3", [.. content], _ => throw new InvalidOperationException("derived again")));
        Assert.Equal("other", later.Get("neutral-1", [.. content], _ => "other"));
    }

    [Fact]
    public void A_value_this_machine_derived_is_not_replaced_by_one_derived_elsewhere()
    {
        var content = Encoding.UTF8.GetBytes("reference image six");
        var hashes = new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>());
        var own = hashes.Get("neutral-3", content, Derive);

        Assert.True(new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>()).Remember("neutral-3", DerivedHashes.ContentHash(content), new string('f', 64)));

        Assert.Equal(own, new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>()).Get("neutral-3", content, _ => throw new InvalidOperationException("derived again")));
    }

    [Theory]
    [InlineData("neutral/3", "c", "d")]
    [InlineData("", "c", "d")]
    [InlineData("neutral-3", "C", "d")]
    [InlineData("neutral-3", "c", "x")]
    [InlineData("neutral-3", "c", "")]
    public void A_value_of_the_wrong_shape_is_not_remembered(string kind, string contentDigit, string valueDigit)
    {
        var hashes = new DerivedHashes(_folder.FullName, new ConcurrentDictionary<string, string>());

        Assert.False(hashes.Remember(kind, new string(contentDigit[0], 64), valueDigit.Length == 0 ? "" : new string(valueDigit[0], 64)));

        Assert.Empty(_folder.GetFiles());
    }

    private string Derive(byte[] bytes)
    {
        _derivations++;
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();
    }
}
