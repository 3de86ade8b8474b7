using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Local;
using ArtifactCache.Build.Tests.Infrastructure;

namespace ArtifactCache.Build.Tests.Compilation;

/// <summary>
/// The decisions of one cached compilation (key, look up, restore or verify, compile, store or not), driven through a
/// fake compiler over a small checkout of real files and a local cache in a temp folder.
/// </summary>
public sealed class CachedCompilationTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("acb-cc-");
    private readonly RecordingLog _log = new();
    private readonly FakeCompiler _compiler = new();
    private readonly string _root;
    private readonly string _project;
    private readonly string _reference;
    private readonly string _compilerFile;
    private readonly string _cacheDirectory;

    public CachedCompilationTests()
    {
        _root = Path.Combine(_scratch.FullName, "repo");
        _project = Path.Combine(_root, "src", "Lib");
        Directory.CreateDirectory(Path.Combine(_project, "obj"));
        File.WriteAllText(Path.Combine(_project, "A.cs"), "class A {}");
        var references = Path.Combine(_scratch.FullName, "refs");
        Directory.CreateDirectory(references);
        _reference = Path.Combine(references, "System.Runtime.dll");
        File.WriteAllBytes(_reference, [1, 2, 3, 4]);
        _compilerFile = Path.Combine(_scratch.FullName, "compiler", "csc.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(_compilerFile)!);
        File.WriteAllBytes(_compilerFile, [9, 9, 9]);
        _cacheDirectory = Path.Combine(_scratch.FullName, "cache");
    }

    public void Dispose() => _scratch.Delete(recursive: true);

    private string Out => Path.Combine(_project, "obj", "Lib.dll");

    private string RefOut => Path.Combine(_project, "obj", "refint", "Lib.dll");

    private string Pdb => Path.Combine(_project, "obj", "Lib.pdb");

    private string Doc => Path.Combine(_project, "obj", "Lib.xml");

    private string[] AllOutputs => [Out, RefOut, Pdb, Doc];

    private string[] Arguments(bool deterministic = true, params string[] extra) =>
    [
        "/noconfig", "/nullable:enable", .. deterministic ? new[] { "/deterministic+" } : [], "/debug:portable", $"/reference:{_reference}",
        "/out:obj/Lib.dll", "/refout:obj/refint/Lib.dll", "/doc:obj/Lib.xml", $"/pathmap:{_root}{Path.DirectorySeparatorChar}=/_/", "A.cs", .. extra,
    ];

    private string[] FSharpArguments() =>
    [
        "-o:obj/Lib.dll", "-g", "--debug:portable", "--deterministic+", $"-r:{_reference}", "--refout:obj/refint/Lib.dll", "--doc:obj/Lib.xml",
        $"--pathmap:{_root}{Path.DirectorySeparatorChar}=/_/", "A.cs",
    ];

    private CompilationRequest Request(IEnumerable<string>? arguments = null, CompilerLanguage language = CompilerLanguage.CSharp) => new()
    {
        CommandLine = CompilerCommandLine.Parse(arguments ?? Arguments(), _project, language),
        KeyContext = new KeyContext { RepositoryRoot = _root, IntermediateDirectory = "obj", CompilerFiles = [_compilerFile], CompilerRuntime = "test runtime" },
        Invocation = new CompilerInvocation { CompilerPath = _compilerFile, WorkingDirectory = _project },
        ProjectName = "Lib.csproj",
    };

    private CacheSettings Settings(double verify = 0) => new() { LocalDirectory = _cacheDirectory, VerifyFraction = verify };

    private LocalCache Local() => new(_cacheDirectory, CacheSettings.DefaultLocalMaxBytes, _log);

    // A new CachedCompilation per run, as each build gets; the cache folder is what carries over.
    private CompilationOutcome Run(CompilationRequest? request = null, double verify = 0, Func<double>? sample = null, DerivedHashes? derived = null)
    {
        var settings = Settings(verify);
        var cached = new CachedCompilation(
            new ArtifactStore(settings, Local(), null), settings, _log, new CompilationKeyBuilder(new FileHasher(), derived ?? NewDerived("derived-" + Guid.NewGuid().ToString("N"))), compiler: _compiler, sample: sample ?? (() => throw new InvalidOperationException("not sampled")));
        return cached.Run(request ?? Request(), CancellationToken.None);
    }

    private CompilationOutcome RunWith(FileHasher hasher, IOutputPlacement? placement = null)
    {
        var settings = Settings();
        var cached = new CachedCompilation(
            new ArtifactStore(settings, Local(), null), settings, _log, new CompilationKeyBuilder(hasher, NewDerived("derived-" + Guid.NewGuid().ToString("N"))), compiler: _compiler)
        {
            Placement = placement ?? FileSystemPlacement.Instance,
        };
        return cached.Run(Request(), CancellationToken.None);
    }

    // A machine's derived-hash folder, with a memory of its own (never the process-wide one other tests share).
    private DerivedHashes NewDerived(string name) => new(Path.Combine(_scratch.FullName, name), new System.Collections.Concurrent.ConcurrentDictionary<string, string>());

    private CompilationRequest CommitRequest()
    {
        var request = Request();
        return request with { KeyContext = request.KeyContext with { SourceRevisionId = new string('c', 40) } };
    }

    private string KeyOf(CompilationRequest request) => new CompilationKeyBuilder(new FileHasher()).Build(request.CommandLine, request.KeyContext).Value;

    private ArtifactMetadata StoredMetadata(CompilationRequest request) =>
        ArtifactReader.ReadMetadata(Local().TryGet(KeyOf(request)) ?? throw new InvalidOperationException("nothing stored"), ArchiveLimits.From(Settings()), _log)!;

    private void DeleteOutputs()
    {
        foreach (var output in AllOutputs)
        {
            File.Delete(output);
        }
    }

    private static ToolDiagnostic Diagnostic(string severity, string code) => new(severity, code, "message", null, 0, 0, 0, 0);

    private static void AssertHit(CompilationOutcome outcome)
    {
        Assert.True(outcome.Succeeded);
        Assert.Equal("hit", outcome.Result);
        Assert.Equal(CacheSource.Local, outcome.Source);
    }

    private void AssertMissNotStored(CompilationOutcome outcome, string reasonContains)
    {
        Assert.Equal("miss", outcome.Result);
        Assert.False(outcome.Stored);
        Assert.Contains(reasonContains, outcome.Reason, StringComparison.Ordinal);
        Assert.Null(outcome.Verified);
    }

    [Fact]
    public void A_cold_miss_is_stored_and_later_runs_hit_and_restore_the_same_bytes()
    {
        var first = Run();

        Assert.True(first.Succeeded);
        Assert.Equal("miss", first.Result);
        Assert.True(first.Stored);
        Assert.Null(first.Reason);
        Assert.Null(first.Verified);
        Assert.Equal(4, first.Files);
        Assert.Single(_compiler.Calls);
        Assert.Contains(_compiler.Calls[0], a => a.StartsWith("/touchedfiles:", StringComparison.Ordinal));
        // -v:d shows where a miss's own time went, beside the compiler's.
        Assert.Single(_log.Entries, e => e.Level == "detail" && e.Message.Contains("inputs checked again at", StringComparison.Ordinal) && e.Message.Contains("stored at", StringComparison.Ordinal));
        Assert.Single(_log.Entries, e => e.Level == "detail" && e.Message.StartsWith("ArtifactCache: hashes for dependents: ", StringComparison.Ordinal));
        var compiled = AllOutputs.ToDictionary(p => p, File.ReadAllBytes);

        // Outputs overwritten since: the hit puts the stored bytes back.
        foreach (var output in AllOutputs)
        {
            File.WriteAllText(output, "edited");
        }

        var second = Run();
        AssertHit(second);
        Assert.Equal(4, second.Files);
        Assert.Null(second.Verified);
        Assert.Single(_compiler.Calls);
        Assert.All(AllOutputs, p => Assert.Equal(compiled[p], File.ReadAllBytes(p)));

        DeleteOutputs();
        var third = Run();
        AssertHit(third);
        Assert.Single(_compiler.Calls);
        Assert.All(AllOutputs, p => Assert.Equal(compiled[p], File.ReadAllBytes(p)));
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void A_key_that_cannot_be_computed_is_one_warning_and_a_compile_that_is_not_stored()
    {
        // Another process holds A.cs exclusively: hashing it throws.
        using (new FileStream(Path.Combine(_project, "A.cs"), FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var outcome = Run();

            Assert.True(outcome.Succeeded);
            AssertMissNotStored(outcome, "the key could not be computed");
            Assert.Null(outcome.Key);
            Assert.Equal([DiagnosticCodes.CacheStepFailed], _log.WarningCodes);
            Assert.Single(_compiler.Calls);
            Assert.Equal(Request().CommandLine.RawArguments, _compiler.Calls[0]);
        }

        Assert.Equal("miss", Run().Result);
    }

    [Fact]
    public void An_input_that_does_not_exist_is_compiled_and_not_stored()
    {
        var request = Request(Arguments(extra: "Missing.cs"));
        var outcome = Run(request);

        Assert.True(outcome.Succeeded);
        AssertMissNotStored(outcome, "Missing.cs");
        Assert.Single(_compiler.Calls);
        Assert.Equal("miss", Run(request).Result);
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void A_compilation_that_is_not_deterministic_is_compiled_and_not_stored()
    {
        var request = Request(Arguments(deterministic: false));
        var outcome = Run(request);

        Assert.True(outcome.Succeeded);
        AssertMissNotStored(outcome, "Deterministic=false");
        Assert.Single(_compiler.Calls);
        Assert.Equal("miss", Run(request).Result);
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void An_artifact_made_for_another_key_is_warned_about_and_compiled_over()
    {
        var request = Request();
        PutForeignArtifact(request);

        var outcome = Run(request);

        Assert.Equal("miss", outcome.Result);
        Assert.True(outcome.Succeeded);
        Assert.True(outcome.Stored);
        Assert.Equal([DiagnosticCodes.ArchiveManifestMismatch], _log.WarningCodes);
        Assert.Single(_compiler.Calls);
        Assert.Equal("out v1", File.ReadAllText(Out));
        AssertHit(Run(request));
    }

    [Fact]
    public void An_artifact_made_for_another_key_never_reaches_the_outputs()
    {
        var request = Request();
        PutForeignArtifact(request);
        // A compile that fails writes no outputs, as csc does: whatever is on disk afterwards came from the cache step.
        _compiler.ExitCode = 1;
        _compiler.Diagnostics.Add(Diagnostic("error", "CS0103"));
        _compiler.SkipRoles.UnionWith(["out", "refout", "pdb", "doc"]);

        var outcome = Run(request);

        Assert.False(outcome.Succeeded);
        Assert.Equal([DiagnosticCodes.ArchiveManifestMismatch], _log.WarningCodes);
        Assert.All(AllOutputs, p => Assert.False(File.Exists(p), p));
    }

    private void PutForeignArtifact(CompilationRequest request)
    {
        var foreign = Path.Combine(_scratch.FullName, "foreign");
        Directory.CreateDirectory(foreign);
        var files = new List<ArtifactFile>();
        foreach (var role in new[] { "out", "refout", "pdb", "doc" })
        {
            var path = Path.Combine(foreign, role);
            File.WriteAllText(path, "foreign " + role);
            files.Add(new ArtifactFile(role, path));
        }

        var artifact = Path.Combine(_scratch.FullName, "foreign.acb");
        using (var stream = File.Create(artifact))
        {
            ArtifactWriter.Write(stream, new string('e', 64), [], [], 1, files);
        }

        Assert.True(Local().TryPut(KeyOf(request), artifact));
    }

    [Fact]
    public void A_stored_artifact_carries_the_hash_dependents_key_its_reference_assembly_by_and_a_hit_remembers_it()
    {
        var request = CommitRequest();
        var storing = NewDerived("derived-storing");
        Assert.True(Run(request, derived: storing).Stored);

        var reference = File.ReadAllBytes(RefOut);
        var content = DerivedHashes.ContentHash(reference);
        var expected = StampNeutralHash.Hash([.. reference], VolatileStamps.CommitSuffix | VolatileStamps.Versions);
        var derived = Assert.Single(StoredMetadata(request).Derived);
        Assert.Equal(new ArtifactDerivedHash("refout", "stamp-neutral-3", DerivedHashes.CodeVersion, content, expected), derived);
        // The storing machine's dependents find it without deriving it again.
        Assert.Equal(expected, storing.Get("stamp-neutral-3", reference, _ => throw new InvalidOperationException("derived again")));

        // Another machine: a hit, and its dependents' key finds the hash without walking the reference's metadata.
        DeleteOutputs();
        var restoring = NewDerived("derived-restoring");
        AssertHit(Run(request, derived: restoring));
        Assert.Equal(expected, restoring.Get("stamp-neutral-3", File.ReadAllBytes(RefOut), _ => throw new InvalidOperationException("derived again")));
        Assert.Equal(expected, NewDerived("derived-restoring").Get("stamp-neutral-3", reference, _ => throw new InvalidOperationException("not in the folder")));
    }

    [Fact]
    public void Without_a_commit_or_volatile_versions_dependents_hash_the_bytes_and_nothing_is_derived()
    {
        Assert.True(Run().Stored);

        Assert.Empty(StoredMetadata(Request()).Derived);
    }

    [Fact]
    public void A_derived_hash_for_other_bytes_another_package_build_or_another_derivation_is_not_remembered()
    {
        var request = CommitRequest();
        Assert.True(Run(request).Stored);
        var files = AllOutputs.Zip(new[] { "out", "refout", "pdb", "doc" }, (path, role) => new ArtifactFile(role, path)).ToList();
        var content = DerivedHashes.ContentHash(File.ReadAllBytes(RefOut));
        var value = new string('a', 64);
        var stored = StoredMetadata(request);
        var artifact = Path.Combine(_scratch.FullName, "claims.acb");
        using (var stream = File.Create(artifact))
        {
            ArtifactWriter.Write(stream, KeyOf(request), stored.Inputs, [], 1, files, derived:
            [
                new("refout", "stamp-neutral-3", DerivedHashes.CodeVersion, new string('b', 64), value),
                new("out", "stamp-neutral-3", DerivedHashes.CodeVersion, content, value),
                new("refout", "stamp-neutral-3", new string('0', 16), content, value),
                new("refout", "type-provider", DerivedHashes.CodeVersion, content, value),
                new("refout", "stamp-neutral-3", DerivedHashes.CodeVersion, content, "not a hash"),
            ]);
        }

        Assert.True(Local().TryPut(KeyOf(request), artifact));
        DeleteOutputs();
        var restoring = NewDerived("derived-restoring");

        AssertHit(Run(request, derived: restoring));
        var folder = Path.Combine(_scratch.FullName, "derived-restoring");
        Assert.Empty(Directory.Exists(folder) ? Directory.GetFiles(folder) : []);
        Assert.Equal("derived", restoring.Get("stamp-neutral-3", File.ReadAllBytes(RefOut), _ => "derived"));
    }

    [Fact]
    public void A_pdb_left_by_an_older_build_is_not_stored()
    {
        File.WriteAllText(Pdb, "stale pdb");
        File.SetLastWriteTimeUtc(Pdb, DateTime.UtcNow.AddHours(-1));
        _compiler.SkipRoles.Add("pdb");

        var outcome = Run();

        Assert.Equal("miss", outcome.Result);
        Assert.True(outcome.Stored);
        Assert.Equal(3, outcome.Files);
        Assert.DoesNotContain(StoredMetadata(Request()).Outputs, o => o.Name == "pdb");

        DeleteOutputs();
        var hit = Run();
        AssertHit(hit);
        Assert.Equal(3, hit.Files);
        Assert.False(File.Exists(Pdb));
    }

    [Theory]
    [InlineData("CS8785")]
    [InlineData("AD0001")]
    [InlineData("BC42502")]
    [InlineData("BC42378")]
    public void A_compile_whose_generator_or_analyzer_failed_succeeds_and_is_not_stored(string code)
    {
        _compiler.Diagnostics.Add(Diagnostic("warning", code));

        var outcome = Run();

        Assert.True(outcome.Succeeded);
        AssertMissNotStored(outcome, code);
        Assert.Contains(outcome.Diagnostics, d => d.Code == code);
        Assert.True(File.Exists(Out));

        _compiler.Diagnostics.Clear();
        var next = Run();
        Assert.Equal("miss", next.Result);
        Assert.True(next.Stored);
    }

    [Fact]
    public void A_compile_during_which_an_input_changed_is_not_stored()
    {
        _compiler.During = () => File.WriteAllText(Path.Combine(_project, "A.cs"), "class A { int edited; }");

        var outcome = Run();

        Assert.True(outcome.Succeeded);
        AssertMissNotStored(outcome, "an input changed while it compiled");
        Assert.Contains("A.cs", outcome.Reason, StringComparison.Ordinal);
        // The reason is why it was not stored; the report line says "not stored: " before it, once.
        Assert.StartsWith("an input changed while it compiled", outcome.Reason, StringComparison.Ordinal);

        _compiler.During = null;
        var next = Run();
        Assert.Equal("miss", next.Result);
        Assert.True(next.Stored);
    }

    [Fact]
    public void A_same_length_edit_during_the_compile_that_puts_the_time_stamp_back_is_not_stored()
    {
        // One hasher for the whole build, as an MSBuild node has: the key before the compile fills its memo.
        var hasher = FileHasher.ForBuild(new FileHasher(), []);
        var source = Path.Combine(_project, "A.cs");
        var stamp = File.GetLastWriteTimeUtc(source);
        _compiler.During = () =>
        {
            // cp -p or rsync -t: other content, same length, same time stamp.
            File.WriteAllText(source, "class B {}");
            File.SetLastWriteTimeUtc(source, stamp);
        };

        var outcome = RunWith(hasher);

        Assert.True(outcome.Succeeded);
        AssertMissNotStored(outcome, "an input changed while it compiled");
        Assert.Contains("A.cs", outcome.Reason, StringComparison.Ordinal);
        Assert.Null(Local().TryGet(outcome.Key!));
    }

    [Fact]
    public void A_same_length_edit_during_the_compile_of_a_file_the_compiler_read_by_itself_is_not_stored()
    {
        var docs = Path.Combine(_project, "docs.xml");
        File.WriteAllText(docs, "<doc>one</doc>");
        var stamp = DateTime.UtcNow.AddMinutes(-10);
        File.SetLastWriteTimeUtc(docs, stamp);
        _compiler.ExtraReads.Add(docs);
        var hasher = FileHasher.ForBuild(new FileHasher(), []);
        // The build read the file before this compile, as the check of an earlier entry's reads does.
        hasher.Hash(docs);
        _compiler.During = () =>
        {
            File.WriteAllText(docs, "<doc>two</doc>");
            File.SetLastWriteTimeUtc(docs, stamp);
        };

        var outcome = RunWith(hasher);

        Assert.True(outcome.Succeeded);
        AssertMissNotStored(outcome, "docs.xml, which the compiler read, changed while it compiled");
        Assert.Null(Local().TryGet(outcome.Key!));
    }

    [Fact]
    public void An_output_held_open_for_a_moment_is_replaced_on_a_later_try()
    {
        Assert.True(Run().Stored);
        File.WriteAllText(Out, "edited");
        var placement = new FakePlacement { HeldOpen = { [Out] = 2 } };

        var hit = RunWith(new FileHasher(), placement);

        AssertHit(hit);
        Assert.Equal("out v1", File.ReadAllText(Out));
        Assert.Equal(ArtifactReader.PlacementRetryDelays, placement.Pauses);
        Assert.Single(_compiler.Calls);
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void An_output_held_open_through_every_try_is_one_coded_warning_and_a_compile_and_the_entry_stays()
    {
        var stored = Run();
        Assert.True(stored.Stored);
        var placement = new FakePlacement { HeldOpen = { [Pdb] = int.MaxValue } };

        var outcome = RunWith(new FileHasher(), placement);

        Assert.True(outcome.Succeeded);
        Assert.Equal("miss", outcome.Result);
        Assert.Equal(2, _compiler.Calls.Count);
        Assert.Equal([DiagnosticCodes.OutputInUse], _log.WarningCodes);
        Assert.Equal(ArtifactReader.PlacementRetryDelays.Length, placement.Pauses.Count);
        Assert.True(placement.Pauses.Sum(p => p.TotalMilliseconds) <= 250);
        // The entry is not at fault: it is still there, and the next build (the file closed) hits.
        Assert.NotNull(Local().TryGet(stored.Key!));
        AssertHit(Run());
        Assert.Equal(2, _compiler.Calls.Count);
    }

    [Fact]
    public void A_read_only_output_is_replaced_by_a_writable_restored_one()
    {
        Assert.True(Run().Stored);
        File.WriteAllText(Out, "edited");
        new FileInfo(Out).IsReadOnly = true;
        var placement = new FakePlacement();

        var hit = RunWith(new FileHasher(), placement);

        AssertHit(hit);
        Assert.Equal("out v1", File.ReadAllText(Out));
        Assert.False(new FileInfo(Out).IsReadOnly);
        File.AppendAllText(Out, " and written again by a later step");
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void A_file_the_compiler_read_by_itself_is_part_of_the_outputs_key_and_each_content_has_its_entry()
    {
        var docs = Path.Combine(_project, "docs.xml");
        File.WriteAllText(docs, "<doc>one</doc>");
        File.SetLastWriteTimeUtc(docs, DateTime.UtcNow.AddMinutes(-10));
        _compiler.ExtraReads.Add(docs);

        var first = Run();
        Assert.Equal("miss", first.Result);
        Assert.True(first.Stored);
        Assert.Null(first.Reason);
        Assert.Contains(StoredMetadata(Request()).Reads, r => r.Name == "{root}/src/Lib/docs.xml");
        AssertHit(Run());

        File.WriteAllText(docs, "<doc>two, longer</doc>");
        File.SetLastWriteTimeUtc(docs, DateTime.UtcNow.AddMinutes(-5));
        var changed = Run();
        Assert.Equal("miss", changed.Result);
        Assert.NotNull(changed.Changes);
        Assert.Contains(changed.Changes, c => c.Input.Contains("docs.xml", StringComparison.Ordinal));
        Assert.True(changed.Stored);
        Assert.Equal(2, _compiler.Calls.Count);
        AssertHit(Run());

        // Each content of the file has its own entry (the entry under the key only names what to read): going back to
        // the first content hits, with no compile.
        File.WriteAllText(docs, "<doc>one</doc>");
        File.SetLastWriteTimeUtc(docs, DateTime.UtcNow.AddMinutes(-1));
        AssertHit(Run());
        Assert.Equal(2, _compiler.Calls.Count);

        // And a file that is gone is a miss, never a hit.
        File.Delete(docs);
        Assert.Equal("miss", Run().Result);
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void A_file_the_compiler_read_that_differs_only_in_case_from_a_covered_one_is_not_taken_as_covered()
    {
        var docs = Path.Combine(_project, "docs.xml");
        var twin = Path.Combine(_project, "Docs.xml");
        File.WriteAllText(docs, "<doc>covered</doc>");
        File.WriteAllText(twin, "<doc>one</doc>");
        if (File.ReadAllText(docs) != "<doc>covered</doc>")
        {
            // A file system that ignores case has one file under both names: nothing here can differ only in case.
            return;
        }

        // The key covers docs.xml (an additional file); an XML doc <include> made the compiler read Docs.xml, which the
        // read list names upper-cased, as it names docs.xml.
        var request = Request(Arguments(extra: "/additionalfile:docs.xml"));
        _compiler.ExtraReads.Add(twin);

        var outcome = Run(request);

        AssertMissNotStored(outcome, "more than one file differing only in case");
        File.WriteAllText(twin, "<doc>two</doc>");
        DeleteOutputs();
        Assert.Equal("miss", Run(request).Result);
        Assert.Equal(2, _compiler.Calls.Count);
    }

    [Fact]
    public void A_read_list_naming_a_file_that_does_not_exist_is_not_stored()
    {
        _compiler.ExtraReads.Add(Path.Combine(_project, "Gone.xml"));

        var outcome = Run();

        Assert.True(outcome.Succeeded);
        AssertMissNotStored(outcome, "names a file that cannot be found");
        Assert.Equal("miss", Run().Result);
    }

    [Fact]
    public void A_compile_without_a_read_list_is_not_stored()
    {
        _compiler.WriteReadList = false;

        var outcome = Run();

        Assert.True(outcome.Succeeded);
        AssertMissNotStored(outcome, "list of the files it read is missing");
        Assert.Equal("miss", Run().Result);
    }

    [Fact]
    public void A_failed_compile_is_not_stored()
    {
        _compiler.ExitCode = 1;
        _compiler.Diagnostics.Add(Diagnostic("error", "CS0103"));

        var outcome = Run();

        Assert.False(outcome.Succeeded);
        AssertMissNotStored(outcome, "the compilation failed");
        Assert.Contains(outcome.Diagnostics, d => d.Code == "CS0103");

        _compiler.ExitCode = 0;
        _compiler.Diagnostics.Clear();
        var next = Run();
        Assert.Equal("miss", next.Result);
        Assert.True(next.Succeeded);
    }

    [Fact]
    public void Verify_mode_with_the_same_local_outputs_confirms_the_hit()
    {
        Run();
        var stored = AllOutputs.ToDictionary(p => p, File.ReadAllBytes);

        var verified = Run(verify: 1);

        AssertHit(verified);
        Assert.True(verified.Verified);
        Assert.Equal(2, _compiler.Calls.Count);
        Assert.Empty(_log.WarningCodes);
        Assert.All(AllOutputs, p => Assert.Equal(stored[p], File.ReadAllBytes(p)));
    }

    [Fact]
    public void Verify_mode_with_other_local_outputs_warns_uses_them_and_replaces_the_entry()
    {
        Run();
        _compiler.Version = "v2";

        var verified = Run(verify: 1);

        AssertHit(verified);
        Assert.False(verified.Verified);
        var warning = Assert.Single(_log.Entries, e => e.Level == "warning");
        Assert.Equal(DiagnosticCodes.VerifyMismatch, warning.Code);
        Assert.Contains("Lib.csproj", warning.Message, StringComparison.Ordinal);
        Assert.All(AllOutputs, p => Assert.EndsWith(" v2", File.ReadAllText(p), StringComparison.Ordinal));

        DeleteOutputs();
        var next = Run();
        AssertHit(next);
        Assert.Equal(2, _compiler.Calls.Count);
        Assert.All(AllOutputs, p => Assert.EndsWith(" v2", File.ReadAllText(p), StringComparison.Ordinal));
    }

    [Fact]
    public void An_entry_replaced_by_verify_mode_still_checks_the_files_the_compiler_read_by_itself()
    {
        var docs = Path.Combine(_project, "docs.xml");
        File.WriteAllText(docs, "<doc>one</doc>");
        File.SetLastWriteTimeUtc(docs, DateTime.UtcNow.AddMinutes(-10));
        _compiler.ExtraReads.Add(docs);
        Run();
        _compiler.Version = "v2";
        Assert.False(Run(verify: 1).Verified);

        File.WriteAllText(docs, "<doc>two, longer</doc>");
        File.SetLastWriteTimeUtc(docs, DateTime.UtcNow.AddMinutes(-5));
        var changed = Run();

        Assert.Equal("miss", changed.Result);
        Assert.Contains(changed.Changes!, c => c.Input.Contains("docs.xml", StringComparison.Ordinal));
    }

    [Fact]
    public void A_verify_compile_whose_analyzer_failed_does_not_replace_the_entry()
    {
        Run();
        _compiler.Version = "v2";
        _compiler.Diagnostics.Add(Diagnostic("warning", "AD0001"));

        var verified = Run(verify: 1);

        Assert.False(verified.Verified);
        Assert.Equal([DiagnosticCodes.VerifyMismatch], _log.WarningCodes);
        Assert.Equal("out v2", File.ReadAllText(Out));

        DeleteOutputs();
        AssertHit(Run());
        Assert.Equal("out v1", File.ReadAllText(Out));
    }

    [Theory]
    [InlineData(0.4, true)]
    [InlineData(0.6, null)]
    public void Verify_mode_checks_the_share_of_hits_the_sample_falls_in(double sample, bool? expected)
    {
        Run();

        var hit = Run(verify: 0.5, sample: () => sample);

        AssertHit(hit);
        Assert.Equal(expected, hit.Verified);
        Assert.Equal(expected is null ? 1 : 2, _compiler.Calls.Count);
        Assert.Empty(_log.WarningCodes);
    }

    [Fact]
    public void The_verify_compile_writes_every_output_into_a_scratch_folder_mapped_to_the_builds_own()
    {
        Run();
        Run(verify: 1);

        var arguments = _compiler.Calls[1];
        var output = arguments.Single(a => a.StartsWith("/out:", StringComparison.Ordinal))["/out:".Length..];
        var scratch = Path.GetDirectoryName(Path.GetDirectoryName(output))!;
        Assert.StartsWith(Path.GetTempPath(), scratch, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(scratch, "out", "Lib.dll"), output);
        Assert.Contains($"/refout:{Path.Combine(scratch, "refout", "Lib.dll")}", arguments);
        Assert.Contains($"/doc:{Path.Combine(scratch, "doc", "Lib.xml")}", arguments);
        Assert.DoesNotContain(arguments, a => a.Contains("obj/Lib", StringComparison.Ordinal));
        Assert.Equal($"/touchedfiles:{Path.Combine(scratch, "touched")}", arguments[^2]);
        Assert.Equal($"/pathmap:{Path.Combine(scratch, "out")}{Path.DirectorySeparatorChar}=/_/src/Lib/obj/", arguments[^1]);
        // Everything else is the build's own command line, in order.
        static bool Redirected(string a) => a.StartsWith("/out:", StringComparison.Ordinal) || a.StartsWith("/refout:", StringComparison.Ordinal) || a.StartsWith("/doc:", StringComparison.Ordinal);
        Assert.Equal(Request().CommandLine.RawArguments.Where(a => !Redirected(a)), arguments.SkipLast(2).Where(a => !Redirected(a)));
        Assert.False(Directory.Exists(scratch));
    }

    [Fact]
    public void An_fsharp_miss_is_stored_without_a_read_list_and_the_next_run_hits()
    {
        var request = Request(FSharpArguments(), CompilerLanguage.FSharp);

        var miss = Run(request);
        Assert.True(miss.Stored, miss.Reason);
        Assert.Equal(4, miss.Files);
        Assert.DoesNotContain(_compiler.Calls[0], a => a.Contains("touchedfiles", StringComparison.Ordinal));

        DeleteOutputs();
        AssertHit(Run(request));
        Assert.All(AllOutputs, p => Assert.True(File.Exists(p)));
    }

    [Fact]
    public void The_fsharp_verify_compile_speaks_fsc_and_writes_a_pdb_path_exactly_as_long_as_the_builds()
    {
        var request = Request(FSharpArguments(), CompilerLanguage.FSharp);
        Run(request);
        var hit = Run(request, verify: 1);

        Assert.True(hit.Verified);
        var arguments = _compiler.Calls[1];
        Assert.DoesNotContain(arguments, a => a.StartsWith('/'));
        Assert.Single(arguments, a => a.StartsWith("--out:", StringComparison.Ordinal));
        var pdb = arguments.Single(a => a.StartsWith("--pdb:", StringComparison.Ordinal))["--pdb:".Length..];
        Assert.Equal(Pdb.Length, pdb.Length);
        Assert.StartsWith(Path.GetTempPath(), pdb, StringComparison.Ordinal);
        Assert.StartsWith("--pathmap:", arguments[^1], StringComparison.Ordinal);
        Assert.Contains($"{Path.GetDirectoryName(pdb)}{Path.DirectorySeparatorChar}=/_//src/Lib/obj", arguments[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void An_fsharp_assembly_that_holds_its_checkout_folder_is_a_hit_in_that_checkout_only_and_a_miss_elsewhere_says_why()
    {
        // As fsc writes an incomplete match's source file, unmapped, into the assembly.
        _compiler.Version = "MatchFailureException " + Path.Combine(_project, "A.fs");
        var request = Request(FSharpArguments(), CompilerLanguage.FSharp);

        Assert.True(Run(request).Stored);
        var pointer = StoredMetadata(request);
        Assert.Empty(pointer.Outputs);
        Assert.Equal(CachedCompilation.CheckoutFolderRead, Assert.Single(pointer.Reads!).Name);
        DeleteOutputs();
        AssertHit(Run(request));

        // The same files in another folder of the same length: the same key, but not the same assembly.
        var other = Path.Combine(_scratch.FullName, "rep2");
        Directory.CreateDirectory(Path.Combine(other, "src", "Lib", "obj"));
        File.Copy(Path.Combine(_project, "A.cs"), Path.Combine(other, "src", "Lib", "A.cs"));
        var elsewhere = request with
        {
            CommandLine = CompilerCommandLine.Parse(FSharpArguments().Select(a => a.Replace(_root, other, StringComparison.Ordinal)), Path.Combine(other, "src", "Lib"), CompilerLanguage.FSharp),
            KeyContext = request.KeyContext with { RepositoryRoot = other },
            Invocation = request.Invocation with { WorkingDirectory = Path.Combine(other, "src", "Lib") },
        };
        Assert.Equal(KeyOf(request), KeyOf(elsewhere));
        var miss = Run(elsewhere);
        Assert.Equal("miss", miss.Result);
        Assert.Equal("the checkout folder, which fsc wrote into the outputs", Assert.Single(miss.Changes!).Input);
    }
}
