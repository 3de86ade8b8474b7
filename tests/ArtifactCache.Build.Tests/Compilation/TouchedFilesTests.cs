using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.Tests.Compilation;

/// <summary>
/// What the compiler's upper-cased list of the files it read says about the key: a line is covered only by the file it
/// can really name, never because a covered path upper-cases the same.
/// </summary>
public sealed class TouchedFilesTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("acb-touched-");

    public void Dispose() => _root.Delete(recursive: true);

    public static TheoryData<bool> BothRules => new() { true, false };

    private static (HashSet<string> Covered, HashSet<string> Exactly) Covered(PathPolicy policy, params string[] paths) =>
        (new HashSet<string>(paths, policy.Comparer), new HashSet<string>(paths, StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(BothRules))]
    public void One_matching_file_is_covered_by_the_policys_rule(bool ignoreCase)
    {
        var policy = PathPolicy.WindowsShaped(ignoreCase);
        var (covered, exactly) = Covered(policy, @"C:\repo\src\docs.xml", @"\\server\share\refs\System.Runtime.dll");

        Assert.Equal(TouchedFiles.Coverage.Covered, TouchedFiles.Classify([@"C:\repo\src\docs.xml"], covered, exactly));
        Assert.Equal(TouchedFiles.Coverage.Covered, TouchedFiles.Classify([@"\\server\share\refs\System.Runtime.dll"], covered, exactly));
        Assert.Equal(
            ignoreCase ? TouchedFiles.Coverage.Covered : TouchedFiles.Coverage.Outside,
            TouchedFiles.Classify([@"C:\repo\src\Docs.xml"], covered, exactly));
        Assert.Equal(TouchedFiles.Coverage.Outside, TouchedFiles.Classify([@"C:\repo\src\other.xml"], covered, exactly));
        Assert.Equal(TouchedFiles.Coverage.NotFound, TouchedFiles.Classify([], covered, exactly));
    }

    [Theory]
    [MemberData(nameof(BothRules))]
    public void Several_files_differing_only_in_case_are_covered_only_when_the_key_names_each_exactly(bool ignoreCase)
    {
        var policy = PathPolicy.WindowsShaped(ignoreCase);
        var deep = @"C:\repo\" + string.Join('\\', Enumerable.Repeat("a-rather-long-folder-name", 12));
        var (covered, exactly) = Covered(policy, deep + @"\docs.xml");

        // The exact wrong hit: the key covers docs.xml, the compiler read Docs.xml (an XML doc include); even where the
        // policy says case does not count, two files on disk mean the volume does not agree.
        Assert.Equal(TouchedFiles.Coverage.Ambiguous, TouchedFiles.Classify([deep + @"\docs.xml", deep + @"\Docs.xml"], covered, exactly));

        var (both, bothExactly) = Covered(policy, deep + @"\docs.xml", deep + @"\Docs.xml");
        Assert.Equal(TouchedFiles.Coverage.Covered, TouchedFiles.Classify([deep + @"\docs.xml", deep + @"\Docs.xml"], both, bothExactly));

        // Too many to tell.
        Assert.Equal(TouchedFiles.Coverage.Ambiguous, TouchedFiles.Classify(null, both, bothExactly));
    }

    private string ReadList(params string[] paths)
    {
        var prefix = Path.Combine(_root.FullName, "touched");
        File.WriteAllLines(prefix + ".read", paths.Select(p => p.ToUpperInvariant()));
        return prefix;
    }

    // Whether this machine's temp folder can hold two names that differ only in case (Linux, and case-sensitive volumes).
    private bool HoldsCaseTwins(string folder)
    {
        File.WriteAllText(Path.Combine(folder, "twin"), "a");
        File.WriteAllText(Path.Combine(folder, "TWIN"), "b");
        var twins = Directory.GetFiles(folder, "*", new EnumerationOptions { MatchCasing = MatchCasing.CaseInsensitive }).Count(f => Path.GetFileName(f).Equals("twin", StringComparison.OrdinalIgnoreCase));
        foreach (var name in new[] { "twin", "TWIN" })
        {
            File.Delete(Path.Combine(folder, name));
        }

        return twins == 2;
    }

    [Fact]
    public void A_read_of_a_case_twin_of_a_covered_file_is_not_taken_as_covered()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root.FullName, "src")).FullName;
        if (!HoldsCaseTwins(folder))
        {
            return;
        }

        var covered = Path.Combine(folder, "docs.xml");
        var twin = Path.Combine(folder, "Docs.xml");
        File.WriteAllText(covered, "<doc>covered</doc>");
        File.WriteAllText(twin, "<doc>read by an include</doc>");

        foreach (var ignoreCase in new[] { true, false })
        {
            var reads = TouchedFiles.ReadsOutside(ReadList(twin), [covered], PathPolicy.UnixShaped(ignoreCase));

            Assert.Null(reads.Outside);
            Assert.Contains("more than one file differing only in case", reads.Problem, StringComparison.Ordinal);
        }

        // Both on the command line, each spelled exactly: whichever was read, the key covers it, under either rule.
        foreach (var ignoreCase in new[] { true, false })
        {
            var both = TouchedFiles.ReadsOutside(ReadList(twin, covered), [covered, twin], PathPolicy.UnixShaped(ignoreCase));
            Assert.Equal([], both.Outside);
        }
    }

    [Fact]
    public void A_read_outside_the_key_is_resolved_to_its_real_spelling_and_a_missing_one_is_a_problem()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root.FullName, "Src", "Docs")).FullName;
        var source = Path.Combine(folder, "A.cs");
        var include = Path.Combine(folder, "Api.Xml");
        File.WriteAllText(source, "class A {}");
        File.WriteAllText(include, "<doc/>");

        var reads = TouchedFiles.ReadsOutside(ReadList(source, include), [source]);
        Assert.Equal([include], reads.Outside);

        var missing = TouchedFiles.ReadsOutside(ReadList(source, Path.Combine(folder, "Gone.xml")), [source]);
        Assert.Null(missing.Outside);
        Assert.Contains("cannot be found", missing.Problem, StringComparison.Ordinal);

        var noList = TouchedFiles.ReadsOutside(Path.Combine(_root.FullName, "none"), [source]);
        Assert.Contains("missing", noList.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_through_linked_folders_and_files_resolve_and_count_as_covered()
    {
        var real = Directory.CreateDirectory(Path.Combine(_root.FullName, "packages", "Lib", "1.0.0")).FullName;
        var reference = Path.Combine(real, "Lib.dll");
        File.WriteAllText(reference, "reference");
        var linkedFolder = Path.Combine(_root.FullName, "nuget");
        Directory.CreateSymbolicLink(linkedFolder, Path.Combine(_root.FullName, "packages"));
        var linkedFile = Path.Combine(_root.FullName, "Linked.dll");
        File.CreateSymbolicLink(linkedFile, reference);
        var throughFolder = Path.Combine(linkedFolder, "Lib", "1.0.0", "Lib.dll");

        var reads = TouchedFiles.ReadsOutside(ReadList(throughFolder, linkedFile), [throughFolder, linkedFile]);

        Assert.Equal([], reads.Outside);
        Assert.Null(reads.Problem);
    }
}
