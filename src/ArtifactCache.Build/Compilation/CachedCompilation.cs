using System.Diagnostics;
using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.Compilation;

/// <summary>What happened to one compilation.</summary>
public sealed record CompilationOutcome
{
    public required bool Succeeded { get; init; }

    /// <summary>"hit" or "miss".</summary>
    public required string Result { get; init; }

    public CacheSource? Source { get; init; }

    public bool Stored { get; init; }

    /// <summary>Why a miss was not stored, or why the cache was not used.</summary>
    public string? Reason { get; init; }

    public string? Key { get; init; }

    public IReadOnlyList<KeyInput> Inputs { get; init; } = [];

    /// <summary>The compiler's diagnostics, from this run or replayed from the artifact, with local paths.</summary>
    public IReadOnlyList<ToolDiagnostic> Diagnostics { get; init; } = [];

    /// <summary>Lines the compiler printed that are not diagnostics.</summary>
    public IReadOnlyList<string> OtherOutput { get; init; } = [];

    public int Files { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>On a hit, how long the compilation took where it was first done.</summary>
    public long? SavedMs { get; init; }

    /// <summary>On a miss, which inputs changed since this project's last key on this machine (null when unknown).</summary>
    public IReadOnlyList<InputChange>? Changes { get; init; }

    /// <summary>On a hit checked by verify mode: true when a local compile gave the same outputs; null when not checked.</summary>
    public bool? Verified { get; init; }

    public bool IsHit => Result == "hit";
}

/// <summary>The inputs of one cached compilation, gathered by the MSBuild task.</summary>
public sealed record CompilationRequest
{
    public required CompilerCommandLine CommandLine { get; init; }

    public required KeyContext KeyContext { get; init; }

    public required CompilerInvocation Invocation { get; init; }

    /// <summary>Names this project's compilations across checkouts, for the key history (see <see cref="KeyHistory"/>).</summary>
    public string? HistoryIdentity { get; init; }

    /// <summary>The project, as warnings name it.</summary>
    public string ProjectName { get; init; } = "";
}

/// <summary>Starts the compiler: the seam between the cache's decisions and the process it launches.</summary>
public interface ICompiler
{
    CompilerResult Run(CompilerInvocation invocation, IReadOnlyList<string> arguments, CancellationToken cancellationToken);
}

/// <summary>The real compiler, as a process (through the compiler server unless it is turned off).</summary>
public sealed class ProcessCompiler : ICompiler
{
    public static ProcessCompiler Instance { get; } = new();

    public CompilerResult Run(CompilerInvocation invocation, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        CompilerRunner.Run(invocation, arguments, cancellationToken);
}


/// <summary>
/// One C#, Visual Basic or F# compilation through the cache: key, look up, restore on a hit; on a miss compile with
/// exactly CoreCompile's arguments and store the outputs. Any cache fault is a warning and a normal compile, never a
/// failed build. Nothing is stored that the key may not fully describe: a compile whose inputs changed while it ran, one
/// whose generators or analyzers failed, one that read a file it cannot name.
/// </summary>
public sealed class CachedCompilation
{
    /// <summary>The output files of a compilation, by the role the archive names them with.</summary>
    internal static readonly string[] OutputRoles = ["out", "refout", "pdb", "doc"];

    /// <summary>
    /// The compiler's own reports that a generator or analyzer did not run as it should: such outputs may lack generated
    /// code or diagnostics, and must never become everyone's hit.
    /// </summary>
    internal static readonly HashSet<string> DegradedCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        "CS8032", // an analyzer or generator could not be created
        "CS8034", // an analyzer assembly could not be loaded
        "CS8784", // a generator failed to initialize
        "CS8785", // a generator failed to generate source
        "CS9057", // an analyzer needs a newer compiler and was skipped
        "BC42376", // Visual Basic: an analyzer or generator could not be created
        "BC42378", // Visual Basic: an analyzer assembly could not be loaded
        "BC42501", // Visual Basic: a generator failed to initialize
        "BC42502", // Visual Basic: a generator failed to generate source
        "BC42506", // Visual Basic: an analyzer needs a newer compiler and was skipped
        "AD0001", // an analyzer threw
    };

    private readonly ArtifactStore _store;
    private readonly CacheSettings _settings;
    private readonly ICacheLog _log;
    private readonly CompilationKeyBuilder _keyBuilder;
    private readonly KeyHistory? _history;
    private readonly ICompiler _compiler;
    private readonly Func<double> _sample;

    public CachedCompilation(
        ArtifactStore store,
        CacheSettings settings,
        ICacheLog log,
        CompilationKeyBuilder keyBuilder,
        KeyHistory? history = null,
        ICompiler? compiler = null,
        Func<double>? sample = null)
    {
        _store = store;
        _settings = settings;
        _log = log;
        _keyBuilder = keyBuilder;
        _history = history;
        _compiler = compiler ?? ProcessCompiler.Instance;
        _sample = sample ?? Random.Shared.NextDouble;
    }

    /// <summary>Puts restored outputs in place: the file system, or a test's stand-in for Windows' locked and read-only files.</summary>
    internal IOutputPlacement Placement { get; init; } = FileSystemPlacement.Instance;

    public CompilationOutcome Run(CompilationRequest request, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var commandLine = request.CommandLine;
        if (!_settings.Enabled)
        {
            return Compile(request, null, "the cache is switched off (ArtifactCacheEnabled)", stopwatch, cancellationToken);
        }

        if (commandLine.UnsupportedReason is { } unsupported)
        {
            return Compile(request, null, "not cacheable: " + unsupported, stopwatch, cancellationToken);
        }

        CompilationKey key;
        try
        {
            key = _keyBuilder.Build(commandLine, request.KeyContext);
            _log.Detail($"ArtifactCache: key of {key.Inputs.Count} inputs in {stopwatch.ElapsedMilliseconds} ms");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Warning(DiagnosticCodes.CacheStepFailed, $"Could not compute the cache key ({e.GetType().Name}: {e.Message}); compiling without the cache.");
            return Compile(request, null, "the key could not be computed", stopwatch, cancellationToken);
        }

        if (key.Inputs.FirstOrDefault(i => i.Hash == CompilationKeyBuilder.MissingFile) is { } missing)
        {
            // A key that cannot see a file's content could hit for other content: compile, and store nothing.
            return Compile(request, null, $"not cacheable: the input {missing.Name} does not exist", stopwatch, cancellationToken);
        }

        if (key.Inputs.FirstOrDefault(i => i.Hash == CompilationKeyBuilder.NotCacheable) is { } uncacheable)
        {
            return Compile(request, null, "not cacheable: " + uncacheable.Name, stopwatch, cancellationToken);
        }

        // The key history serves a miss's explanation: a hit only records its key, which is as a rule the one already
        // recorded, and reads nothing.
        string? declined = null;
        try
        {
            var (hit, declinedReason) = TryRestore(key, request, stopwatch, cancellationToken);
            if (hit is not null)
            {
                RecordHistory(request, key);
                return hit;
            }

            declined = declinedReason;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Warning(DiagnosticCodes.CacheStepFailed, $"Looking up the cache failed ({e.GetType().Name}: {e.Message}); compiling without it.");
        }

        var previous = request.HistoryIdentity is null ? null : _history?.Previous(request.HistoryIdentity);
        RecordHistory(request, key);
        var missed = Compile(request, key, null, stopwatch, cancellationToken);
        var changes = declined is not null ? [new InputChange(declined, "changed")]
            : previous is null ? null
            : KeyDiff.Compare(previous, key.Inputs);
        return missed with { Changes = changes };
    }

    private void RecordHistory(CompilationRequest request, CompilationKey key)
    {
        if (request.HistoryIdentity is not null)
        {
            _history?.Record(request.HistoryIdentity, key.Inputs);
        }
    }

    // A compilation that read files its key does not name (an XML doc include) is stored in two entries: under its key,
    // a small one that only names those files; under a key that adds their content, the outputs. So each content of
    // those files has its own entry, and switching between branches that differ only there hits both ways.
    private (CompilationOutcome? Hit, string? Declined) TryRestore(CompilationKey key, CompilationRequest request, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var (hit, pointer, declined) = TryRestoreEntry(key.Value, key, request, stopwatch, cancellationToken);
        if (pointer is null)
        {
            return (hit, declined);
        }

        var root = request.KeyContext.RepositoryRoot;
        var current = CurrentReads(pointer, root);
        var changed = pointer.Zip(current).FirstOrDefault(p => p.First.Hash != p.Second.Hash).First?.Name;
        if (WithReads(key, current) is not { } full)
        {
            return (null, Declined(changed));
        }

        var (outputs, _, _) = TryRestoreEntry(full.Value, key, request, stopwatch, cancellationToken);
        return outputs is not null ? (outputs, null) : (null, changed is null ? null : Declined(changed));
    }

    /// <summary>The key of the outputs of a compilation that read <paramref name="reads"/> as well; null when one is missing.</summary>
    internal static CompilationKey? WithReads(CompilationKey key, IReadOnlyList<ArtifactInput>? reads) =>
        reads is null || reads.Any(r => r.Hash == CompilationKeyBuilder.MissingFile)
            ? null
            : CompilationKey.FromInputs([.. key.Inputs, .. reads.Select(r => new KeyInput("read by the compiler: " + r.Name, r.Hash))]);

    private IReadOnlyList<ArtifactInput> CurrentReads(IReadOnlyList<ArtifactInput> reads, string? root) =>
        reads.Select(r => r with { Hash = ReadHash(r.Name, root) ?? CompilationKeyBuilder.MissingFile }).ToList();

    private static string Declined(string? read) =>
        read == CheckoutFolderRead ? "the checkout folder, which fsc wrote into the outputs" : $"{read} (a file the compiler read by itself)";

    // What a recorded read is in this checkout: the content of the file, or for the checkout folder, its path.
    private string? ReadHash(string name, string? root) =>
        name == CheckoutFolderRead ? (root is null ? null : FileHasher.HashText(Path.GetFullPath(root).TrimEnd('/', '\\')))
        : ReadPath(name, root) is { } path ? _keyBuilder.Hasher.Hash(path) : null;

    /// <summary>
    /// fsc writes some absolute source paths into IL that <c>--pathmap</c> does not map (measured with F# 10: an
    /// incomplete match's <c>MatchFailureException</c> names its file): outputs that hold the checkout folder are stored
    /// as if the compiler had read it, under a key that adds the folder, so only that checkout hits them.
    /// </summary>
    internal const string CheckoutFolderRead = "{checkout folder}";

    private (CompilationOutcome? Hit, IReadOnlyList<ArtifactInput>? Pointer, string? Declined) TryRestoreEntry(string entryKey, CompilationKey key, CompilationRequest request, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var artifact = _store.TryFetch(entryKey, cancellationToken);
        _log.Detail($"ArtifactCache: {(artifact is null ? "not found" : "found " + artifact.Source.ToString().ToLowerInvariant())} at {stopwatch.ElapsedMilliseconds} ms");
        if (artifact is null)
        {
            return (null, null, null);
        }

        try
        {
            var root = request.KeyContext.RepositoryRoot;
            string? changedRead = null;
            IReadOnlyList<ArtifactInput>? pointer = null;
            var foreign = false;
            var destinations = OutputDestinations(request.CommandLine);
            var result = ArtifactReader.Restore(
                artifact.Path,
                name => destinations.TryGetValue(name, out var path) ? path : null,
                ArchiveLimits.From(_settings),
                _log,
                Placement,
                cancellationToken,
                metadata =>
                {
                    // Checked before any file is written: an artifact for another key must never reach the outputs.
                    foreign = !string.Equals(metadata.Key, entryKey, StringComparison.Ordinal);
                    if (!foreign && metadata.Outputs.Count == 0 && metadata.Reads is { Count: > 0 } reads)
                    {
                        pointer = reads;
                        return false;
                    }

                    return !foreign && (changedRead = FirstChangedRead(metadata.Reads ?? [], root)) is null;
                });
            if (foreign)
            {
                // The artifact is for another key (a server that mixed up hashes): never restore someone else's outputs.
                _log.Warning(DiagnosticCodes.ArchiveManifestMismatch, $"The artifact stored under {entryKey} was made for another key; ignoring it.");
                _store.Reject(artifact);
                return (null, null, null);
            }

            if (pointer is not null)
            {
                return (null, pointer, null);
            }

            if (result.Declined)
            {
                return (null, null, Declined(changedRead));
            }

            if (!result.Success || result.Metadata is null)
            {
                if (result.ArtifactAtFault)
                {
                    _store.Reject(artifact);
                }

                return (null, null, null);
            }

            // Dependents key this project's reference assembly by a hash the storing build already derived from it.
            _keyBuilder.RememberDerived(result.Metadata);

            var hit = new CompilationOutcome
            {
                Succeeded = true,
                Result = "hit",
                Source = artifact.Source,
                Key = key.Value,
                Inputs = key.Inputs,
                Diagnostics = result.Metadata.Diagnostics.Select(d => FromStored(d, root)).ToList(),
                Files = result.RestoredFiles.Count,
                Duration = stopwatch.Elapsed,
                SavedMs = artifact.TaskDurationMs ?? result.Metadata.DurationMs,
            };
            return (ShouldVerify() ? Verify(hit, key, request, stopwatch, cancellationToken) : hit, null, null);
        }
        finally
        {
            _store.Release(artifact);
        }
    }

    private bool ShouldVerify() => _settings.VerifyFraction >= 1 || (_settings.VerifyFraction > 0 && _sample() < _settings.VerifyFraction);

    // A file the compiler read on its own (not named on the command line) that no longer has the content it had.
    private string? FirstChangedRead(IReadOnlyList<ArtifactInput> reads, string? root)
    {
        foreach (var read in reads)
        {
            if (ReadHash(read.Name, root) != read.Hash)
            {
                return read.Name;
            }
        }

        return null;
    }

    // "{root}/docs/api.xml" in this checkout, or an absolute path as it was recorded.
    private static string? ReadPath(string name, string? root) =>
        name.StartsWith(RootToken + "/", StringComparison.Ordinal)
            ? (root is null ? null : Path.GetFullPath(Path.Combine(root, name[(RootToken.Length + 1)..])))
            : Path.GetFullPath(name);

    /// <summary>Compiles exactly as CoreCompile would, with no cache involved: the fallback when the cache step itself failed.</summary>
    public static CompilationOutcome CompileWithoutCache(CompilationRequest request, string reason, CancellationToken cancellationToken)
    {
        var compiled = CompilerRunner.Run(request.Invocation, request.CommandLine.RawArguments.ToList(), cancellationToken);
        return Outcome(compiled, null, compiled.Succeeded ? reason : "the compilation failed", compiled.Duration);
    }

    private static CompilationOutcome Outcome(CompilerResult compiled, CompilationKey? key, string? reason, TimeSpan duration) =>
        new()
        {
            Succeeded = compiled.Succeeded,
            Result = "miss",
            Key = key?.Value,
            Inputs = key?.Inputs ?? [],
            Diagnostics = compiled.Diagnostics,
            OtherOutput = compiled.OtherOutput,
            Reason = reason,
            Duration = duration,
        };

    private CompilationOutcome Compile(CompilationRequest request, CompilationKey? key, string? notCachedReason, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var compileStart = DateTime.UtcNow;
        var arguments = request.CommandLine.RawArguments.ToList();
        // The compiler lists every file it reads: the check that the key named them all (csc and vbc; fsc cannot).
        var touched = key is null || !request.CommandLine.ListsReads ? null : Path.Combine(Path.GetTempPath(), "artifactcache-touched-" + Guid.NewGuid().ToString("N"));
        if (touched is not null)
        {
            arguments.Add("/touchedfiles:" + touched);
        }

        try
        {
            var compiled = _compiler.Run(request.Invocation, arguments, cancellationToken);
            var compiledAt = stopwatch.ElapsedMilliseconds;
            var outcome = Outcome(compiled, key, notCachedReason, stopwatch.Elapsed);
            if (!compiled.Succeeded)
            {
                return outcome with { Reason = "the compilation failed" };
            }

            if (key is null)
            {
                return outcome;
            }

            var outputs = ProducedOutputs(request.CommandLine, compileStart);
            if (!outputs.Any(o => o.Name == "out"))
            {
                return outcome with { Reason = "the compiler wrote no assembly" };
            }

            if (NotStorableReason(key, request, compiled, touched, compileStart, out var reads) is { } notStorable)
            {
                return outcome with { Reason = notStorable, Files = outputs.Count, Duration = stopwatch.Elapsed };
            }

            var checkedAt = stopwatch.ElapsedMilliseconds;
            var store = StoreArtifact(key, request, compiled.Diagnostics, compiled.Duration, outputs, reads, cancellationToken);
            // Where a miss's own time went, beside the compiler's: for whoever weighs the miss overhead at -v:d.
            _log.Detail($"ArtifactCache: compiled at {compiledAt} ms (the compiler {compiled.Duration.TotalMilliseconds:F0} ms), inputs checked again at {checkedAt} ms, stored at {stopwatch.ElapsedMilliseconds} ms");
            return outcome with
            {
                Stored = store.Stored,
                Reason = store.NotStoredReason,
                Files = outputs.Count,
                Duration = stopwatch.Elapsed,
            };
        }
        finally
        {
            if (touched is not null)
            {
                TouchedFiles.Delete(touched);
            }
        }
    }

    // Why outputs that compiled fine must still not be stored under this key; null when they may be.
    private string? NotStorableReason(CompilationKey key, CompilationRequest request, CompilerResult compiled, string? touched, DateTime compileStartUtc, out IReadOnlyList<ArtifactInput> reads)
    {
        reads = [];
        if (compiled.Diagnostics.FirstOrDefault(d => d.Code is not null && DegradedCodes.Contains(d.Code)) is { } degraded)
        {
            return $"a generator or analyzer failed ({degraded.Code})";
        }

        // An input saved while the compiler ran: the outputs may be of the new content, the key is of the old. The content
        // is read again, not taken from this build's memo: an edit that kept the length and put the time stamp back looks
        // unchanged to it. Derived hashes are found by content (the process-wide memory the key just filled), so nothing
        // is derived twice.
        var rereading = _keyBuilder.Hasher.Rereading();
        var after = new CompilationKeyBuilder(rereading).Build(request.CommandLine, request.KeyContext);
        if (after.Value != key.Value)
        {
            var changed = KeyDiff.Compare(key.Inputs, after.Inputs).FirstOrDefault();
            return $"an input changed while it compiled ({changed?.Input ?? "unknown"})";
        }

        if (touched is null)
        {
            // fsc lists nothing it read: the key covers the command line only (the README's limits say what that leaves out).
            reads = HoldsCheckoutFolder(request) is { } folder ? [new ArtifactInput(CheckoutFolderRead, FileHasher.HashText(folder))] : [];
            return null;
        }

        var covered = request.CommandLine.Arguments.Where(a => a.Path is not null).Select(a => a.Path!).Concat(request.KeyContext.CompilerFiles);
        var readList = TouchedFiles.ReadsOutside(touched, covered);
        if (readList.Outside is not { } extra)
        {
            return readList.Problem ?? "the compiler's list of the files it read could not be used";
        }

        var root = request.KeyContext.RepositoryRoot is null ? null : Path.GetFullPath(request.KeyContext.RepositoryRoot);
        var hashed = new List<ArtifactInput>();
        foreach (var path in extra)
        {
            if (File.GetLastWriteTimeUtc(path) >= compileStartUtc)
            {
                return $"{path}, which the compiler read, changed while it compiled";
            }

            // A time stamp put back hides an edit from the check above; content this build read before the compile
            // (checking an earlier entry's reads) shows it. Which content the compiler saw is then unknown.
            var hash = rereading.Hash(path) ?? CompilationKeyBuilder.MissingFile;
            if (_keyBuilder.Hasher.Remembered(path) is { } before && before != hash)
            {
                return $"{path}, which the compiler read, changed while it compiled";
            }

            hashed.Add(new ArtifactInput(ReadName(path, root), hash));
        }

        reads = hashed;
        return null;
    }

    // The checkout folder when an output this compile wrote spells it out (UTF-16 in IL strings, UTF-8 elsewhere).
    private static string? HoldsCheckoutFolder(CompilationRequest request)
    {
        if (request.KeyContext.RepositoryRoot is not { } root)
        {
            return null;
        }

        var folder = Path.GetFullPath(root).TrimEnd('/', '\\');
        var spellings = new[] { System.Text.Encoding.Unicode.GetBytes(folder), System.Text.Encoding.UTF8.GetBytes(folder) };
        foreach (var path in OutputDestinations(request.CommandLine).Values)
        {
            if (File.Exists(path))
            {
                var bytes = File.ReadAllBytes(path);
                if (spellings.Any(s => bytes.AsSpan().IndexOf(s) >= 0))
                {
                    return folder;
                }
            }
        }

        return null;
    }

    private static string ReadName(string path, string? root) =>
        CompilationKeyBuilder.RelativeName(path, root is null ? null : root.TrimEnd('/', '\\') + Path.DirectorySeparatorChar);

    /// <summary>
    /// Verify mode: compiles the hit's command line into a scratch folder, with the path map extended so the scratch
    /// outputs carry the same paths as this build's, and compares. A difference is one warning; the local outputs win
    /// and replace the entry.
    /// </summary>
    private CompilationOutcome Verify(CompilationOutcome hit, CompilationKey key, CompilationRequest request, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        // Short, so that an F# pdb path as long as the build's fits under it (see VerifyArguments).
        var scratch = Path.Combine(Path.GetTempPath(), "acb-verify-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var (arguments, local) = VerifyArguments(request.CommandLine, scratch);
            // As on a miss, the compiler lists what it read, so a replacement entry is checked like any other.
            var touched = request.CommandLine.ListsReads ? Path.Combine(scratch, "touched") : null;
            if (touched is not null)
            {
                arguments.Insert(arguments.Count - 1, "/touchedfiles:" + Quote(touched));
            }

            var compileStart = DateTime.UtcNow;
            var compiled = _compiler.Run(request.Invocation, arguments, cancellationToken);
            var restored = OutputDestinations(request.CommandLine).Where(d => File.Exists(d.Value)).ToDictionary(d => d.Key, d => d.Value);
            if (!compiled.Succeeded)
            {
                _log.Warning(DiagnosticCodes.VerifyMismatch, $"Verify: {request.ProjectName} restored from the cache, but a local compile of the same inputs failed; the build takes the local compile's result.");
                return hit with { Succeeded = false, Verified = false, Diagnostics = compiled.Diagnostics, OtherOutput = compiled.OtherOutput, Duration = stopwatch.Elapsed };
            }

            var produced = local.Where(d => File.Exists(d.Value)).ToDictionary(d => d.Key, d => d.Value);
            var differences = OutputComparison.Compare(produced, restored);
            if (differences.Count == 0)
            {
                return hit with { Verified = true, Duration = stopwatch.Elapsed };
            }

            var destinations = OutputDestinations(request.CommandLine);
            var now = DateTime.UtcNow;
            foreach (var (role, path) in produced)
            {
                File.Copy(path, destinations[role], overwrite: true);
                File.SetLastWriteTimeUtc(destinations[role], now);
            }

            // Only a compile the key fully describes replaces the entry, with the files it read, as on a miss.
            var notStorable = NotStorableReason(key, request, compiled, touched, compileStart, out var reads);
            if (notStorable is null)
            {
                var outputs = produced.Keys.Select(role => new ArtifactFile(role, destinations[role])).ToList();
                StoreArtifact(key, request, compiled.Diagnostics, compiled.Duration, outputs, reads, cancellationToken);
            }

            _log.Warning(
                DiagnosticCodes.VerifyMismatch,
                $"Verify: the cached outputs of {request.ProjectName} differ from a local compile: " +
                string.Join("; ", differences.Select(d => $"{d.File}: {d.Kind}: {d.Detail}")) +
                ". The local compile's outputs are used" +
                (notStorable is null ? " and replace the cache entry" : $"; the cache entry stays, as this compile may not be stored ({notStorable})") +
                ". See the README's \"Deliberate differences\" and \"Verify mode\".");
            return hit with { Verified = false, Diagnostics = compiled.Diagnostics, OtherOutput = compiled.OtherOutput, Duration = stopwatch.Elapsed };
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>
    /// The command line with every output redirected into <paramref name="scratch"/> (one folder per role, file names
    /// kept) and a path map entry per folder that names it as this build's own output folder would be named, so that
    /// paths written into the outputs (the pdb path, generated sources' names) are the same as the build's.
    /// </summary>
    internal static (List<string> Arguments, Dictionary<string, string> Outputs) VerifyArguments(CompilerCommandLine commandLine, string scratch)
    {
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        var mappings = new List<string>();
        var arguments = new List<string>();
        foreach (var argument in commandLine.Arguments)
        {
            if (argument.Kind == ArgumentKind.Output && argument.Path is { } path)
            {
                if (argument.Switch == "pdb" && commandLine.Language == CompilerLanguage.FSharp)
                {
                    // Given again below, as long as this one.
                    continue;
                }

                var redirected = Path.Combine(scratch, argument.Switch!, Path.GetFileName(path));
                arguments.Add(commandLine.Switch(argument.Switch!, Quote(redirected)));
                continue;
            }

            arguments.Add(argument.Text);
        }

        foreach (var (role, path) in OutputDestinations(commandLine))
        {
            // Without /pdb: the compiler puts the pdb beside the assembly.
            var folder = role == "pdb" && commandLine.OutputPath("pdb") is null ? "out" : role;
            if (role == "pdb" && commandLine.Language == CompilerLanguage.FSharp)
            {
                // fsc reserves room in the assembly for the pdb path before mapping it: a pdb path of another length would
                // move what follows in the image. So the scratch pdb path is exactly as long as the build's (when the
                // scratch folder's own path leaves room for that; verify then reports a difference in the headers).
                folder = SameLengthFolder(scratch, path) ?? "pdb";
                arguments.Add(commandLine.Switch("pdb", Quote(Path.Combine(scratch, folder, Path.GetFileName(path)))));
            }

            var redirected = Path.Combine(scratch, folder, Path.GetFileName(path));
            Directory.CreateDirectory(Path.GetDirectoryName(redirected)!);
            outputs[role] = redirected;
            if (role is "out" or "pdb")
            {
                mappings.Add(commandLine.PathMap.EntryFor(Path.Combine(scratch, folder), Path.GetDirectoryName(path)!));
            }
        }

        arguments.Add(commandLine.Switch("pathmap", Quote(string.Join(",", mappings.Distinct(StringComparer.Ordinal)))));
        return (arguments, outputs);
    }

    // A folder name under the scratch folder that makes the scratch copy of pdbPath exactly as long; null when it cannot.
    private static string? SameLengthFolder(string scratch, string pdbPath)
    {
        var length = pdbPath.Length - scratch.Length - 2 - Path.GetFileName(pdbPath).Length;
        return length < 1 ? null : new string('p', length);
    }

    private static string Quote(string value) => value.Contains(' ', StringComparison.Ordinal) ? "\"" + value + "\"" : value;

    private StoreOutcome StoreArtifact(CompilationKey key, CompilationRequest request, IReadOnlyList<ToolDiagnostic> diagnostics, TimeSpan duration, IReadOnlyList<ArtifactFile> outputs, IReadOnlyList<ArtifactInput> reads, CancellationToken cancellationToken)
    {
        var stored = diagnostics.Select(d => ToStored(d, request.KeyContext.RepositoryRoot)).ToList();
        var deriving = Stopwatch.StartNew();
        var derived = _keyBuilder.DeriveForDependents(outputs, request.KeyContext);
        _log.Detail($"ArtifactCache: hashes for dependents: {derived.Count} derived in {deriving.ElapsedMilliseconds} ms");
        if (reads.Count == 0)
        {
            return WriteAndStore(key, stored, duration, outputs, [], derived, cancellationToken);
        }

        // Outputs of a compile that read a file now gone have no key that describes them: never under the bare key.
        if (WithReads(key, reads) is not { } full)
        {
            return new StoreOutcome(false, false, "a file the compiler read is gone");
        }

        // The outputs under the key that adds what the compiler read; under the key itself, what to read (see TryRestore).
        var outcome = WriteAndStore(full, stored, duration, outputs, reads, derived, cancellationToken);
        if (!outcome.Stored)
        {
            return outcome;
        }

        var pointer = WriteAndStore(key, [], duration, [], reads, [], cancellationToken);
        return pointer.Stored ? outcome : pointer;
    }

    private StoreOutcome WriteAndStore(CompilationKey key, IReadOnlyList<ToolDiagnostic> diagnostics, TimeSpan duration, IReadOnlyList<ArtifactFile> outputs, IReadOnlyList<ArtifactInput> reads, IReadOnlyList<ArtifactDerivedHash> derived, CancellationToken cancellationToken) =>
        _store.WriteAndStore(key, diagnostics, duration, outputs, reads, _log, cancellationToken, derived);

    /// <summary>Where each output role goes in this build: the paths come from this build's command line, never from the artifact.</summary>
    internal static Dictionary<string, string> OutputDestinations(CompilerCommandLine commandLine)
    {
        var destinations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var role in OutputRoles)
        {
            var path = role == "pdb" ? (commandLine.WritesPdbFile ? commandLine.PdbPath : null) : commandLine.OutputPath(role);
            if (path is not null)
            {
                destinations[role] = path;
            }
        }

        return destinations;
    }

    // Only files this compiler run wrote: a stale pdb from an older build with other settings must not be stored.
    private static List<ArtifactFile> ProducedOutputs(CompilerCommandLine commandLine, DateTime compileStartUtc)
    {
        var produced = new List<ArtifactFile>();
        foreach (var (role, path) in OutputDestinations(commandLine))
        {
            var info = new FileInfo(path);
            if (info.Exists && info.LastWriteTimeUtc >= compileStartUtc.AddSeconds(-2))
            {
                produced.Add(new ArtifactFile(role, path));
            }
        }

        return produced;
    }

    // Diagnostics are stored with the repository root replaced, and replayed with this checkout's root.
    private static ToolDiagnostic ToStored(ToolDiagnostic diagnostic, string? root) =>
        diagnostic with { File = MapFile(diagnostic.File, root, toStored: true) };

    private static ToolDiagnostic FromStored(ToolDiagnostic diagnostic, string? root) =>
        diagnostic with { File = MapFile(diagnostic.File, root, toStored: false) };

    private const string RootToken = "{root}";

    private static string? MapFile(string? file, string? root, bool toStored)
    {
        if (file is null || root is null)
        {
            return file;
        }

        var bare = Path.GetFullPath(root).TrimEnd('/', '\\');
        if (toStored)
        {
            return PathPolicy.Current.IsUnder(file, bare) && file.Length > bare.Length ? RootToken + file[bare.Length..] : file;
        }

        return file.StartsWith(RootToken, StringComparison.Ordinal) ? bare + file[RootToken.Length..] : file;
    }
}
