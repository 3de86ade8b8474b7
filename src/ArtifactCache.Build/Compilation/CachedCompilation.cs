using System.Diagnostics;
using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;

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
}

/// <summary>
/// One C# compilation through the cache: key, look up, restore on a hit; on a miss compile with exactly CoreCompile's
/// arguments and store the outputs. Any cache fault is a warning and a normal compile, never a failed build.
/// </summary>
public sealed class CachedCompilation
{
    /// <summary>The output files of a compilation, by the role the archive names them with.</summary>
    internal static readonly string[] OutputRoles = ["out", "refout", "pdb", "doc"];

    private readonly ArtifactStore _store;
    private readonly CacheSettings _settings;
    private readonly ICacheLog _log;
    private readonly CompilationKeyBuilder _keyBuilder;
    private readonly KeyHistory? _history;

    public CachedCompilation(ArtifactStore store, CacheSettings settings, ICacheLog log, CompilationKeyBuilder keyBuilder, KeyHistory? history = null)
    {
        _store = store;
        _settings = settings;
        _log = log;
        _keyBuilder = keyBuilder;
        _history = history;
    }

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

        var previous = request.HistoryIdentity is null ? null : _history?.Previous(request.HistoryIdentity);
        if (request.HistoryIdentity is not null)
        {
            _history?.Record(request.HistoryIdentity, key.Inputs);
        }

        try
        {
            if (TryRestore(key, request, stopwatch, cancellationToken) is { } hit)
            {
                return hit;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Warning(DiagnosticCodes.CacheStepFailed, $"Looking up the cache failed ({e.GetType().Name}: {e.Message}); compiling without it.");
        }

        var missed = Compile(request, key, null, stopwatch, cancellationToken);
        return missed with { Changes = previous is null ? null : KeyDiff.Compare(previous, key.Inputs) };
    }

    private CompilationOutcome? TryRestore(CompilationKey key, CompilationRequest request, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var artifact = _store.TryFetch(key.Value, cancellationToken);
        if (artifact is null)
        {
            return null;
        }

        try
        {
            var destinations = OutputDestinations(request.CommandLine);
            var result = ArtifactReader.Restore(
                artifact.Path,
                name => destinations.TryGetValue(name, out var path) ? path : null,
                ArchiveLimits.From(_settings),
                _log,
                cancellationToken);
            if (!result.Success || result.Metadata is null)
            {
                _store.Reject(artifact);
                return null;
            }

            if (!string.Equals(result.Metadata.Key, key.Value, StringComparison.Ordinal))
            {
                // The artifact is for another key (a server that mixed up hashes): never restore someone else's outputs.
                _log.Warning(DiagnosticCodes.ArchiveManifestMismatch, $"The artifact stored under {key.Value} was made for another key; ignoring it.");
                _store.Reject(artifact);
                return null;
            }

            var root = request.KeyContext.RepositoryRoot;
            return new CompilationOutcome
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
        }
        finally
        {
            _store.Release(artifact);
        }
    }

    /// <summary>Compiles exactly as CoreCompile would, with no cache involved: the fallback when the cache step itself failed.</summary>
    public static CompilationOutcome CompileWithoutCache(CompilationRequest request, string reason, CancellationToken cancellationToken)
    {
        var compiled = CompilerRunner.Run(request.Invocation, request.CommandLine.RawArguments, cancellationToken);
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
        var compiled = CompilerRunner.Run(request.Invocation, request.CommandLine.RawArguments, cancellationToken);
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

        var store = StoreArtifact(key, request, compiled, outputs, cancellationToken);
        return outcome with
        {
            Stored = store.Stored,
            Reason = store.NotStoredReason,
            Files = outputs.Count,
            Duration = stopwatch.Elapsed,
        };
    }

    private StoreOutcome StoreArtifact(CompilationKey key, CompilationRequest request, CompilerResult compiled, IReadOnlyList<ArtifactFile> outputs, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(_store.ScratchDirectory, key.Value + "." + Guid.NewGuid().ToString("N") + ".artifact");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                ArtifactWriter.Write(
                    stream,
                    key.Value,
                    key.Inputs.Select(i => new ArtifactInput(i.Name, i.Hash)).ToList(),
                    compiled.Diagnostics.Select(d => ToStored(d, request.KeyContext.RepositoryRoot)).ToList(),
                    (long)compiled.Duration.TotalMilliseconds,
                    outputs);
            }

            return _store.Store(key.Value, temporary, (long)compiled.Duration.TotalMilliseconds, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Warning(DiagnosticCodes.LocalWriteFailed, $"Could not write the artifact ({e.GetType().Name}: {e.Message}); the build goes on without storing it.");
            return new StoreOutcome(false, false, "the artifact could not be written");
        }
        finally
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

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
            var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            return file.StartsWith(bare + Path.DirectorySeparatorChar, comparison) ? RootToken + file[bare.Length..] : file;
        }

        return file.StartsWith(RootToken, StringComparison.Ordinal) ? bare + file[RootToken.Length..] : file;
    }
}
