using System.Diagnostics;
using System.Security.Cryptography;
using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Caching;
using ArtifactCache.Build.Compilation;
using ArtifactCache.Build.Configuration;
using ArtifactCache.Build.Diagnostics;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.DeclaredTargets;

/// <summary>What the lookup before a declared target decided, kept until the step after it.</summary>
public enum TargetLookupState
{
    /// <summary>The cache was not used (switched off, or the cache step failed); the target runs as without the package.</summary>
    Off,

    /// <summary>The outputs were restored, fresh, so MSBuild finds the target up to date and skips it.</summary>
    Restored,

    /// <summary>The outputs on disk already are the cached ones, newer than every input: nothing to do (a no-op build).</summary>
    InPlace,

    /// <summary>No entry: the target runs and its outputs are stored after it.</summary>
    Miss,

    /// <summary>Verify mode: an entry exists but is not restored; the target runs and its outputs are compared with it.</summary>
    Verify,
}

/// <summary>The lookup's decision and what the step after the target needs from it.</summary>
public sealed record TargetLookup
{
    public required TargetLookupState State { get; init; }

    public string? Key { get; init; }

    /// <summary>The key's manifest, to name the input that changed while the target ran.</summary>
    public IReadOnlyList<KeyInput> Inputs { get; init; } = [];

    /// <summary>When the lookup started: outputs written after it were written by this run of the target.</summary>
    public DateTime StartedUtc { get; init; }

    /// <summary>When the lookup ended, so the step after the target knows how long the target took.</summary>
    public DateTime EndedUtc { get; init; }

    /// <summary>The outcome to report now (a restore); null when the step after the target reports.</summary>
    public CompilationOutcome? Outcome { get; init; }

    /// <summary>Restored files and the time they were given, to tell whether the target ran anyway.</summary>
    public IReadOnlyList<string> Restored { get; init; } = [];

    /// <summary>Verify mode: the entry's files (name, length, SHA-256), where it came from and what it saved.</summary>
    public IReadOnlyList<ArtifactOutput> Expected { get; init; } = [];

    public CacheSource? Source { get; init; }

    public long? SavedMs { get; init; }

    public IReadOnlyList<InputChange>? Changes { get; init; }
}

/// <summary>One declared target through the cache.</summary>
public sealed record TargetRequest
{
    public required TargetDeclaration Declaration { get; init; }

    /// <summary>Names this project's target across checkouts, for the key history.</summary>
    public string? HistoryIdentity { get; init; }

    /// <summary>"Lib (net10.0) GenerateClient", as log lines and warnings name it.</summary>
    public string DisplayName { get; init; } = "";
}

/// <summary>
/// A declared target through the cache, in two steps around it. Before it: key, look up; on a hit restore every output
/// with a fresh time stamp, so MSBuild's own up-to-date check (the target's Inputs and Outputs) skips it, and the
/// item and property groups inside it still run, by MSBuild's output inference. After it: on a miss, store the files
/// its Outputs match now, if it wrote them in this build and its inputs did not change meanwhile. Every fault is a
/// warning and the target running as it would without the package.
/// </summary>
public sealed class CachedTarget
{
    /// <summary>Artifact entry names of outputs under the project folder, and of those elsewhere in the repository.</summary>
    internal const string ProjectPrefix = "project/";
    internal const string RootPrefix = "root/";

    private readonly ArtifactStore _store;
    private readonly CacheSettings _settings;
    private readonly ICacheLog _log;
    private readonly FileHasher _hasher;
    private readonly KeyHistory? _history;
    private readonly Func<double> _sample;

    public CachedTarget(ArtifactStore store, CacheSettings settings, ICacheLog log, FileHasher hasher, KeyHistory? history = null, Func<double>? sample = null)
    {
        _store = store;
        _settings = settings;
        _log = log;
        _hasher = hasher;
        _history = history;
        _sample = sample ?? Random.Shared.NextDouble;
    }

    /// <summary>The step before the target.</summary>
    public TargetLookup Lookup(TargetRequest request, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        if (!_settings.Enabled)
        {
            return new TargetLookup { State = TargetLookupState.Off, StartedUtc = started, EndedUtc = DateTime.UtcNow };
        }

        var declaration = request.Declaration;
        var key = TargetKey.Build(declaration, _hasher);
        if (key.Inputs.FirstOrDefault(i => i.Hash == CompilationKeyBuilder.MissingFile) is { } missing)
        {
            // The file was there when the declaration was checked and is gone now: no key can describe the outputs.
            return new TargetLookup
            {
                State = TargetLookupState.Off,
                StartedUtc = started,
                EndedUtc = DateTime.UtcNow,
                Outcome = NotCached($"not cacheable: {missing.Name} does not exist", stopwatch.Elapsed),
            };
        }

        var previous = request.HistoryIdentity is null ? null : _history?.Previous(request.HistoryIdentity);
        if (request.HistoryIdentity is not null)
        {
            _history?.Record(request.HistoryIdentity, key.Inputs);
        }

        var miss = new TargetLookup
        {
            State = TargetLookupState.Miss,
            Key = key.Value,
            Inputs = key.Inputs,
            StartedUtc = started,
            Changes = previous is null ? null : KeyDiff.Compare(previous, key.Inputs),
        };

        var artifact = _store.TryFetch(key.Value, cancellationToken);
        if (artifact is null)
        {
            return miss with { EndedUtc = DateTime.UtcNow };
        }

        try
        {
            var verify = ShouldVerify();
            var foreign = false;
            var inPlace = false;
            var newestInput = declaration.Inputs.Concat(declaration.Tools).Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max();
            var result = ArtifactReader.Restore(
                artifact.Path,
                name => Destination(name, declaration),
                ArchiveLimits.From(_settings),
                _log,
                cancellationToken,
                metadata =>
                {
                    // Checked before any file is written: an artifact for another key must never reach the outputs.
                    foreign = !string.Equals(metadata.Key, key.Value, StringComparison.Ordinal);
                    inPlace = !foreign && !verify && AreInPlace(metadata.Outputs, declaration, newestInput);
                    return !foreign && !verify && !inPlace;
                });
            if (foreign)
            {
                _log.Warning(DiagnosticCodes.ArchiveManifestMismatch, $"The artifact stored under {key.Value} was made for another key; ignoring it.");
                _store.Reject(artifact);
                return miss with { EndedUtc = DateTime.UtcNow };
            }

            if (result.Declined && result.Metadata is { } declined)
            {
                return inPlace
                    ? new TargetLookup { State = TargetLookupState.InPlace, Key = key.Value, StartedUtc = started, EndedUtc = DateTime.UtcNow }
                    : miss with
                    {
                        State = TargetLookupState.Verify,
                        Expected = declined.Outputs,
                        Source = artifact.Source,
                        SavedMs = artifact.TaskDurationMs ?? declined.DurationMs,
                        EndedUtc = DateTime.UtcNow,
                    };
            }

            if (!result.Success || result.Metadata is null)
            {
                // An output the build could not replace (held open) is no fault of the entry: it stays.
                if (result.ArtifactAtFault)
                {
                    _store.Reject(artifact);
                }

                return miss with { EndedUtc = DateTime.UtcNow };
            }

            return new TargetLookup
            {
                State = TargetLookupState.Restored,
                Key = key.Value,
                StartedUtc = started,
                EndedUtc = DateTime.UtcNow,
                Restored = result.RestoredFiles,
                Outcome = new CompilationOutcome
                {
                    Succeeded = true,
                    Result = "hit",
                    Source = artifact.Source,
                    Key = key.Value,
                    Inputs = key.Inputs,
                    Files = result.RestoredFiles.Count,
                    Duration = stopwatch.Elapsed,
                    SavedMs = artifact.TaskDurationMs ?? result.Metadata.DurationMs,
                },
            };
        }
        finally
        {
            _store.Release(artifact);
        }
    }

    /// <summary>The step after the target: store a miss, compare a verified hit; null when there is nothing to report.</summary>
    public CompilationOutcome? AfterTarget(TargetRequest request, TargetLookup lookup, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var declaration = request.Declaration;
        if (lookup.State == TargetLookupState.Restored)
        {
            // MSBuild skips a target as up to date only by its own Inputs and Outputs: one without them runs anyway.
            var now = lookup.EndedUtc;
            if (lookup.Restored.Any(f => !File.Exists(f) || File.GetLastWriteTimeUtc(f) > now))
            {
                _log.Warning(
                    DiagnosticCodes.TargetRanAfterRestore,
                    $"{request.DisplayName}: the target ran although its outputs were restored from the cache, so the cache saved nothing. Give the target Inputs and Outputs that cover the declared ones, so MSBuild skips it when they are up to date (see the README's \"Declared targets\").");
            }

            return null;
        }

        if (lookup.State is not (TargetLookupState.Miss or TargetLookupState.Verify) || lookup.Key is null)
        {
            return null;
        }

        var targetTime = DateTime.UtcNow - lookup.EndedUtc;
        var produced = declaration.Outputs.SelectMany(o => o.Match()).Distinct(PathPolicy.Current.Comparer).Order(StringComparer.Ordinal).ToList();
        var miss = new CompilationOutcome
        {
            Succeeded = true,
            Result = "miss",
            Key = lookup.Key,
            Changes = lookup.Changes,
            Files = produced.Count,
        };

        // Read again, not from this build's memo: an edit that kept the length and put the time stamp back looks unchanged to it.
        var after = TargetKey.Build(declaration, _hasher.Rereading());
        if (after.Value != lookup.Key)
        {
            var changed = KeyDiff.Compare(lookup.Inputs, after.Inputs).FirstOrDefault();
            return miss with { Inputs = after.Inputs, Reason = $"an input changed while the target ran{(changed is null ? "" : $" ({changed.Input})")}", Duration = stopwatch.Elapsed };
        }

        // Files older than the lookup were not written by this run (the target was up to date, or its condition false).
        if (!produced.Any(f => File.GetLastWriteTimeUtc(f) >= lookup.StartedUtc.AddSeconds(-2)))
        {
            // Verify mode has nothing to compare when the target did not run: the files on disk are an earlier build's.
            return lookup.State == TargetLookupState.Verify
                ? null
                : miss with { Inputs = after.Inputs, Reason = "the target did not run (up to date, or its condition was false)", Duration = stopwatch.Elapsed };
        }

        if (produced.Count == 0)
        {
            return miss with { Inputs = after.Inputs, Reason = "the target wrote no file its Outputs match", Duration = stopwatch.Elapsed };
        }

        var files = new List<ArtifactFile>();
        foreach (var path in produced)
        {
            if (EntryName(path, declaration) is not { } name)
            {
                return miss with { Inputs = after.Inputs, Reason = $"the output {path} has a name an artifact cannot hold", Duration = stopwatch.Elapsed };
            }

            files.Add(new ArtifactFile(name, path));
        }

        if (lookup.State == TargetLookupState.Verify)
        {
            return Verify(request, lookup, after, files, targetTime, stopwatch, cancellationToken);
        }

        var stored = _store.WriteAndStore(after, [], targetTime, files, [], _log, cancellationToken);
        return miss with { Inputs = after.Inputs, Stored = stored.Stored, Reason = stored.NotStoredReason, Duration = targetTime + stopwatch.Elapsed };
    }

    // Verify mode: the target ran instead of a restore; its outputs are compared with the entry's, by name and SHA-256.
    private CompilationOutcome Verify(TargetRequest request, TargetLookup lookup, CompilationKey key, List<ArtifactFile> files, TimeSpan targetTime, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var expected = lookup.Expected.ToDictionary(o => o.Name, o => o.Sha256, StringComparer.Ordinal);
        var actual = files.ToDictionary(f => f.Name, f => Sha256(f.SourcePath), StringComparer.Ordinal);
        var differences = expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal)
            .Where(name => !expected.TryGetValue(name, out var e) || !actual.TryGetValue(name, out var a) || e != a)
            .Select(name => !expected.ContainsKey(name) ? $"{name} (only in the local run)" : !actual.ContainsKey(name) ? $"{name} (only in the cache)" : $"{name} (content)")
            .ToList();
        var hit = new CompilationOutcome
        {
            Succeeded = true,
            Result = "hit",
            Source = lookup.Source,
            Key = key.Value,
            Inputs = key.Inputs,
            Files = files.Count,
            SavedMs = lookup.SavedMs,
            Duration = targetTime + stopwatch.Elapsed,
            Verified = differences.Count == 0,
        };
        if (differences.Count == 0)
        {
            return hit;
        }

        var stored = _store.WriteAndStore(key, [], targetTime, files, [], _log, cancellationToken);
        _log.Warning(
            DiagnosticCodes.VerifyMismatch,
            $"Verify: the cached outputs of {request.DisplayName} differ from running the target: {string.Join("; ", differences.Take(10))}. " +
            $"The target's own outputs are used{(stored.Stored ? " and replace the cache entry" : "")}. An input its declaration does not name changed: see the README's \"Declared targets\".");
        return hit;
    }

    private bool ShouldVerify() => _settings.VerifyFraction >= 1 || (_settings.VerifyFraction > 0 && _sample() < _settings.VerifyFraction);

    // A no-op build: the outputs on disk are the entry's, newer than every input, so MSBuild would skip the target by
    // itself. Restoring them would only give them new time stamps, and make everything after the target run again.
    private static bool AreInPlace(IReadOnlyList<ArtifactOutput> outputs, TargetDeclaration declaration, DateTime newestInput)
    {
        try
        {
            return AllMatch(outputs, declaration, newestInput);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An output that cannot be read now is simply not in place: restore it (never reject a good entry for it).
            return false;
        }
    }

    private static bool AllMatch(IReadOnlyList<ArtifactOutput> outputs, TargetDeclaration declaration, DateTime newestInput)
    {
        foreach (var output in outputs)
        {
            if (Destination(output.Name, declaration) is not { } path)
            {
                return false;
            }

            var info = new FileInfo(path);
            if (!info.Exists || info.Length != output.Length || info.LastWriteTimeUtc < newestInput || Sha256(path) != output.Sha256)
            {
                return false;
            }
        }

        return outputs.Count > 0;
    }

    /// <summary>
    /// Where an artifact entry goes in this build: under the project folder or the repository root, and only where one of
    /// the declaration's output patterns matches. Anything else is no place in this build (a hostile or foreign
    /// artifact), and the restore refuses the whole artifact.
    /// </summary>
    internal static string? Destination(string name, TargetDeclaration declaration)
    {
        string? baseDirectory = name.StartsWith(ProjectPrefix, StringComparison.Ordinal) ? declaration.ProjectDirectory
            : name.StartsWith(RootPrefix, StringComparison.Ordinal) ? declaration.RepositoryRoot
            : null;
        if (baseDirectory is null)
        {
            return null;
        }

        var relative = name[(name.IndexOf('/', StringComparison.Ordinal) + 1)..];
        var path = Path.GetFullPath(Path.Combine(baseDirectory, relative.Replace('/', Path.DirectorySeparatorChar)));
        return PathPolicy.Current.IsUnder(Path.GetDirectoryName(path)!, baseDirectory) && declaration.Outputs.Any(o => o.IsMatch(path)) ? path : null;
    }

    /// <summary>The artifact entry name of an output: relative to the project folder, else to the repository root.</summary>
    internal static string? EntryName(string path, TargetDeclaration declaration)
    {
        var name = PathPolicy.Current.IsUnder(path, declaration.ProjectDirectory) ? ProjectPrefix + path[declaration.ProjectDirectory.Length..].Replace('\\', '/')
            : declaration.RepositoryRoot is { } root && PathPolicy.Current.IsUnder(path, root) ? RootPrefix + path[root.Length..].Replace('\\', '/')
            : null;
        return name is not null && ArtifactNames.IsSafe(name) ? name : null;
    }

    private static CompilationOutcome NotCached(string reason, TimeSpan duration) => new()
    {
        Succeeded = true,
        Result = "miss",
        Reason = reason,
        Duration = duration,
    };

    private static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return ArtifactWriter.Hex(SHA256.HashData(stream));
    }

}
