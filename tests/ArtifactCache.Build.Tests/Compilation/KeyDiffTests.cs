using ArtifactCache.Build.Compilation;

namespace ArtifactCache.Build.Tests.Compilation;

public sealed class KeyDiffTests
{
    private static readonly KeyInput[] Baseline =
    [
        new("format", "v1"),
        new("/define:TRACE;DEBUG", ""),
        new("/nullable:enable", ""),
        new("/reference:{any}/Lib.dll", "aaaa"),
        new("{root}/src/Parser.cs", "1111"),
        new("{root}/src/Lexer.cs", "2222"),
    ];

    [Fact]
    public void Names_exactly_the_edited_inputs()
    {
        var edited = Baseline.ToArray();
        edited[1] = new("/define:TRACE;DEBUG;EXTRA", "");
        edited[4] = new("{root}/src/Parser.cs", "1112");

        var changes = KeyDiff.Compare(Baseline, edited);

        Assert.Equal(
            [new InputChange("DefineConstants", "value"), new InputChange("src/Parser.cs", "content")],
            changes);
        Assert.Equal("DefineConstants, src/Parser.cs (content)", KeyDiff.Summarise(changes, 5));
    }

    [Fact]
    public void Reports_added_and_removed_files_and_reference_changes()
    {
        var edited = Baseline.Where(i => i.Name != "{root}/src/Lexer.cs")
            .Append(new KeyInput("{root}/src/Scanner.cs", "3333"))
            .Select(i => i.Name == "/reference:{any}/Lib.dll" ? i with { Hash = "bbbb" } : i)
            .ToArray();

        var changes = KeyDiff.Compare(Baseline, edited);

        Assert.Contains(new InputChange("src/Scanner.cs", "added"), changes);
        Assert.Contains(new InputChange("src/Lexer.cs", "removed"), changes);
        Assert.Contains(new InputChange("reference Lib.dll", "content"), changes);
        Assert.Equal(3, changes.Count);
    }

    [Theory]
    [InlineData("/_/src/Parser.cs")]
    [InlineData("/_//src/Parser.cs")]
    public void A_mapped_source_is_named_by_its_path_in_the_repository_as_csc_or_fsc_maps_it(string mapped)
    {
        Assert.Equal([new InputChange("src/Parser.cs", "content")], KeyDiff.Compare([new KeyInput(mapped, "1")], [new KeyInput(mapped, "2")]));
    }

    [Fact]
    public void Another_checkout_of_a_project_that_keeps_absolute_paths_names_that_setting_first_instead_of_every_file()
    {
        KeyInput[] Checkout(string root, string parser) =>
        [
            new("relocation", "names under the repository root are relative to it"),
            new(KeyDiff.ProjectKeepsAbsolutePaths, ""),
            new("/nullable:enable", ""),
            new($"{root}/src/Parser.cs", parser),
            new($"{root}/src/Lexer.cs", "2222"),
            new("{root}/src/.editorconfig", "3333"),
            new("pdb path in the assembly", $"{root}/src/obj/Debug/Lib.pdb"),
        ];

        var changes = KeyDiff.Compare(Checkout("/work/one", "1111"), Checkout("/work/two", "1112"));

        Assert.Equal(
            [
                new InputChange("the checkout folder: paths are absolute because the project sets DeterministicSourcePaths=false", "value"),
                new InputChange("src/Parser.cs", "content"),
            ],
            changes);
        Assert.StartsWith("the checkout folder: paths are absolute because the project sets DeterministicSourcePaths=false, ", KeyDiff.Summarise(changes, 5), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_relocation_a_new_file_in_the_same_checkout_is_only_added()
    {
        KeyInput[] before = [new("relocation", "absolute paths"), new("/work/one/src/Parser.cs", "1111")];
        KeyInput[] after = [.. before, new("/work/one/src/Lexer.cs", "2222")];

        Assert.Equal([new InputChange("/work/one/src/Lexer.cs", "added")], KeyDiff.Compare(before, after));

        KeyInput[] moved = [new("relocation", "absolute paths"), new("/work/two/src/Parser.cs", "1111")];
        Assert.Equal([new InputChange("the checkout folder: paths are absolute because ArtifactCacheRelocatable=false", "value")], KeyDiff.Compare(before, moved));
    }

    [Fact]
    public void Identical_manifests_have_no_changes() => Assert.Empty(KeyDiff.Compare(Baseline, Baseline.ToArray()));

    [Fact]
    public void History_remembers_the_last_manifest_per_project()
    {
        var directory = Directory.CreateTempSubdirectory("acb-history-");
        try
        {
            var history = new KeyHistory(directory.FullName);
            var a = KeyHistory.ProjectIdentity(Path.Combine(directory.FullName, "a", "Lib", "Lib.csproj"), Path.Combine(directory.FullName, "a"), "net10.0", "Debug");
            var b = KeyHistory.ProjectIdentity(Path.Combine(directory.FullName, "b", "Lib", "Lib.csproj"), Path.Combine(directory.FullName, "b"), "net10.0", "Debug");
            Assert.Equal(a, b);
            Assert.Null(history.Previous(a));

            history.Record(a, Baseline);

            Assert.Equal(Baseline, history.Previous(b));
            Assert.Null(history.Previous(KeyHistory.ProjectIdentity("/x/Lib/Lib.csproj", "/x", "net10.0", "Release")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Recording_the_manifest_a_project_already_has_keeps_it_and_marks_it_recently_used()
    {
        var directory = Directory.CreateTempSubdirectory("acb-history-");
        try
        {
            var history = new KeyHistory(directory.FullName);
            var project = KeyHistory.ProjectIdentity("/x/Lib/Lib.csproj", "/x", "net10.0", "Debug");
            history.Record(project, Baseline);
            var file = Assert.Single(directory.GetFiles());
            var longAgo = DateTime.UtcNow.AddDays(-30);
            File.SetLastWriteTimeUtc(file.FullName, longAgo);

            history.Record(project, [.. Baseline]);

            Assert.Equal(Baseline, history.Previous(project));
            Assert.True(File.GetLastWriteTimeUtc(file.FullName) > longAgo.AddDays(29), "the trim forgets the least recently built projects first");
            Assert.Single(directory.GetFiles());

            IReadOnlyList<KeyInput> changed = [.. Baseline.Skip(1)];
            history.Record(project, changed);
            Assert.Equal(changed, history.Previous(project));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
