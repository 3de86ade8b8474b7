using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

/// <summary>The warm-up hashes, ahead of the first key, the files an earlier build's keys hashed; it never fails.</summary>
public sealed class HitWarmUpTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("acb-warmup-");

    public void Dispose() => _folder.Delete(recursive: true);

    private string Derived => Path.Combine(_folder.FullName, "derived");

    private string WriteFile(string name, string text)
    {
        var path = Path.Combine(_folder.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_files_one_process_hashed_are_hashed_by_the_next_ones_warm_up()
    {
        var reference = WriteFile("System.Runtime.dll", "reference bytes");
        var compiler = WriteFile("csc.dll", "compiler bytes");
        var earlier = new FileHasher();
        var referenceHash = earlier.Hash(reference);
        earlier.Hash(compiler);
        HitWarmUp.SaveList(Derived, earlier.RememberedFiles());

        var later = new FileHasher();
        HitWarmUp.Run(Derived, later);

        Assert.Equal(new[] { compiler, reference }.Order(StringComparer.Ordinal), later.RememberedFiles().Order(StringComparer.Ordinal));
        Assert.Equal(referenceHash, later.Hash(reference));
    }

    [Fact]
    public void A_file_changed_since_the_warm_up_is_hashed_again_by_the_key()
    {
        var reference = WriteFile("Lib.dll", "before");
        HitWarmUp.SaveList(Derived, [reference]);
        var hasher = new FileHasher();
        HitWarmUp.Run(Derived, hasher);

        File.WriteAllText(reference, "after, longer");

        Assert.Equal(new FileHasher().Hash(reference), hasher.Hash(reference));
    }

    [Fact]
    public void Lines_that_are_not_existing_absolute_files_are_skipped_and_nothing_throws()
    {
        var real = WriteFile("real.dll", "bytes");
        var reachedRelatively = WriteFile("relative.dll", "bytes");
        Directory.CreateDirectory(Derived);
        File.WriteAllLines(Path.Combine(Derived, HitWarmUp.ListFileName),
        [
            // An existing file, named relative to the working folder: never resolved.
            Path.GetRelativePath(Environment.CurrentDirectory, reachedRelatively),
            "",
            Path.Combine(_folder.FullName, "missing.dll"),
            _folder.FullName,
            Path.Combine(_folder.FullName, "bad\0name.dll"),
            real,
        ]);
        var hasher = new FileHasher();

        HitWarmUp.Run(Derived, hasher);

        Assert.Equal([real], hasher.RememberedFiles());
    }

    [Fact]
    public void No_list_no_folder_or_an_unreadable_list_is_a_warm_up_with_nothing_to_hash()
    {
        var hasher = new FileHasher();
        HitWarmUp.Run(null, hasher);
        HitWarmUp.Run(Path.Combine(_folder.FullName, "absent"), hasher);
        Directory.CreateDirectory(Path.Combine(Derived, HitWarmUp.ListFileName));
        HitWarmUp.Run(Derived, hasher);

        Assert.Empty(hasher.RememberedFiles());
    }

    [Fact]
    public void The_saved_list_is_sorted_capped_and_replaces_the_previous_one()
    {
        HitWarmUp.SaveList(Derived, [WriteFile("old.dll", "x")]);
        var many = Enumerable.Range(0, HitWarmUp.MaxFiles + 10).Select(i => Path.Combine(_folder.FullName, $"f{i:D5}.dll")).Reverse().ToList();

        HitWarmUp.SaveList(Derived, many);

        var saved = File.ReadAllLines(Path.Combine(Derived, HitWarmUp.ListFileName));
        Assert.Equal(many.Order(StringComparer.Ordinal).Take(HitWarmUp.MaxFiles), saved);
        Assert.Single(Directory.GetFiles(Derived));
    }

    [Fact]
    public void Only_plain_hashes_are_listed_not_derived_ones()
    {
        var plain = WriteFile("a.dll", "a");
        var derived = WriteFile("b.dll", "b");
        var hasher = new FileHasher();
        hasher.Hash(plain);
        hasher.Hash(derived, "stamp-neutral-3", _ => new string('0', 64));

        Assert.Equal([plain], hasher.RememberedFiles());
    }
}
