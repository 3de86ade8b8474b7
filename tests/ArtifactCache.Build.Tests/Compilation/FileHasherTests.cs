using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

/// <summary>
/// What a hasher may remember. A reused MSBuild node runs many builds; a file edited between two of them without its
/// length or time stamp changing (coarse time stamps, tools that restore them) must still be read again.
/// </summary>
public sealed class FileHasherTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("acb-hasher-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void A_later_builds_hasher_reads_again_a_same_size_edit_that_kept_its_time_stamp()
    {
        var durable = new FileHasher();
        var immutable = Directory.CreateDirectory(Path.Combine(_root.FullName, "packs")).FullName;
        var source = Path.Combine(_root.FullName, "repo", "Greeter.cs");
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        File.WriteAllText(source, "class A { string S = \"one\"; }");
        var stamp = File.GetLastWriteTimeUtc(source);

        var first = FileHasher.ForBuild(durable, [immutable]).Hash(source);
        File.WriteAllText(source, "class A { string S = \"two\"; }");
        File.SetLastWriteTimeUtc(source, stamp);
        var second = FileHasher.ForBuild(durable, [immutable]).Hash(source);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void The_rereading_hasher_reads_a_same_size_edit_with_its_time_stamp_put_back_within_one_build_and_keeps_immutable_files_remembered()
    {
        var durable = new FileHasher();
        var immutable = Directory.CreateDirectory(Path.Combine(_root.FullName, "packs")).FullName;
        var reference = Path.Combine(immutable, "System.Runtime.dll");
        var source = Path.Combine(_root.FullName, "Greeter.cs");
        File.WriteAllText(reference, "one");
        File.WriteAllText(source, "one");
        var build = FileHasher.ForBuild(durable, [immutable]);
        var reads = 0;
        string Count(string path)
        {
            reads++;
            return "hash of " + File.ReadAllText(path);
        }

        var before = build.Hash(source);
        build.Hash(reference, "counted", Count);
        var stamp = File.GetLastWriteTimeUtc(source);
        File.WriteAllText(source, "two");
        File.SetLastWriteTimeUtc(source, stamp);

        Assert.Equal(before, build.Hash(source));
        var reread = build.Rereading().Hash(source);
        Assert.NotEqual(before, reread);
        Assert.Equal(FileHasher.HashText("two"), reread);
        Assert.Equal(before, build.Remembered(source));

        build.Rereading().Hash(reference, "counted", Count);
        Assert.Equal(1, reads);
    }

    [Fact]
    public void Files_under_an_immutable_folder_are_remembered_across_builds_and_others_only_within_one()
    {
        var durable = new FileHasher();
        var immutable = Directory.CreateDirectory(Path.Combine(_root.FullName, "packs")).FullName;
        var reference = Path.Combine(immutable, "System.Runtime.dll");
        var source = Path.Combine(_root.FullName, "Greeter.cs");
        File.WriteAllText(reference, "one");
        File.WriteAllText(source, "one");
        var build = FileHasher.ForBuild(durable, [immutable + Path.DirectorySeparatorChar]);
        var reads = 0;
        string Count(string path)
        {
            reads++;
            return "hash of " + File.ReadAllText(path);
        }

        build.Hash(reference, "counted", Count);
        build.Hash(source, "counted", Count);
        build.Hash(reference, "counted", Count);
        build.Hash(source, "counted", Count);
        Assert.Equal(2, reads);

        var nextBuild = FileHasher.ForBuild(durable, [immutable]);
        nextBuild.Hash(reference, "counted", Count);
        Assert.Equal(2, reads);
        nextBuild.Hash(source, "counted", Count);
        Assert.Equal(3, reads);
    }

    [Fact]
    public void A_folder_that_only_shares_a_prefix_with_an_immutable_one_is_not_immutable()
    {
        var durable = new FileHasher();
        var immutable = Directory.CreateDirectory(Path.Combine(_root.FullName, "packs")).FullName;
        var lookalike = Directory.CreateDirectory(Path.Combine(_root.FullName, "packs-local")).FullName;
        var file = Path.Combine(lookalike, "A.dll");
        File.WriteAllText(file, "one");
        var reads = 0;
        string Count(string path)
        {
            reads++;
            return "h";
        }

        FileHasher.ForBuild(durable, [immutable]).Hash(file, "counted", Count);
        FileHasher.ForBuild(durable, [immutable]).Hash(file, "counted", Count);
        Assert.Equal(2, reads);
    }
}
