using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using ArtifactCache.Build.Archive;
using ArtifactCache.Build.Paths;

namespace ArtifactCache.Build.Compilation;

/// <summary>
/// Builds the key of one C#, Visual Basic or F# compilation from its complete command line: every switch's text, and the content of every
/// file the command line names, hashed in parallel.
/// <para>
/// The rule: normalise only what the compiler itself maps, and nothing that reaches the outputs verbatim. Source text
/// (generated sources included) is keyed byte for byte. A path the compiler writes into the outputs (a source's path in
/// the pdb and in <c>[CallerFilePath]</c>, the pdb path in the assembly) is keyed as the final <c>/pathmap</c> makes it,
/// so a checkout in another folder hits only where the compiler really writes the same thing. Other paths are keyed
/// relative to the repository root: the compiler does not copy them (an <c>.editorconfig</c>'s folder, an additional
/// file's, an output's), or keys them by content (references and analyzers, by file name).
/// </para>
/// <para>
/// Two deliberate exceptions, both listed in the README: outside strict mode the commit id the SDK stamps into the
/// informational version and the Source Link map is left out (found by parsing those two generated files, never by
/// pattern); and global analyzer configs are keyed with the repository root replaced, because only analyzers and
/// generators read them (the one place the key relies on relocation without seeing the output, which verify mode checks).
/// </para>
/// </summary>
public sealed class CompilationKeyBuilder
{
    /// <summary>
    /// Changes whenever a fix shows that entries an earlier package stored may be wrong (a check after the step that let
    /// an edit through, inputs the key did not see): those entries must never be looked up again.
    /// </summary>
    public const string KeyFormat = "artifactcache-csc-v3";

    /// <summary>The hash given to a named file that does not exist; such a key must never be used.</summary>
    public const string MissingFile = "missing";

    /// <summary>The hash of an input that makes the compilation uncacheable (an F# type provider); such a key must never be used.</summary>
    public const string NotCacheable = "not cacheable";

    private static readonly StringComparison PathComparison = PathPolicy.Current.Comparison;

    internal static readonly StringComparer PathComparer = PathPolicy.Current.Comparer;

    private readonly FileHasher _hasher;
    private readonly DerivedHashes _derived;

    /// <param name="hasher">Hashes files (and remembers them as long as it is safe to).</param>
    /// <param name="derived">Remembers references' version-neutral hashes by content; null: in this process only.</param>
    public CompilationKeyBuilder(FileHasher hasher, DerivedHashes? derived = null)
    {
        _hasher = hasher;
        _derived = derived ?? new DerivedHashes(null);
    }

    /// <summary>The hasher the key reads files with, for callers that must hash a file the same way.</summary>
    public FileHasher Hasher => _hasher;

    public CompilationKey Build(CompilerCommandLine commandLine, KeyContext context)
    {
        var root = context.RepositoryRoot is null ? null : WithTrailingSeparator(Path.GetFullPath(context.RepositoryRoot));
        var pathMap = commandLine.PathMap;
        var files = commandLine.Arguments
            .Where(a => a.Path is not null && a.Kind is not ArgumentKind.Output)
            .Select(a => a.Path!)
            .Concat(context.CompilerFiles)
            .Distinct(PathComparer)
            .ToList();

        var generated = context.IntermediateDirectory is null
            ? null
            : WithTrailingSeparator(Path.GetFullPath(Path.Combine(commandLine.ProjectDirectory, context.IntermediateDirectory)));
        var mapIdentity = pathMap.Entries.Count == 0 ? null : "pathmap-in-text:" + PathMapInText.MapIdentity(pathMap);
        var contentHashes = new ConcurrentDictionary<string, string>(PathComparer);
        var extraInputs = new ConcurrentBag<(string Path, KeyInput Input)>();
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, path =>
        {
            contentHashes[path] = HashContent(path, root, generated, context, commandLine, mapIdentity, extraInputs);
        });

        var inputs = new List<KeyInput>
        {
            new("format", KeyFormat),
            // Path separators inside mapped paths differ between Windows and Unix outputs.
            new("platform", OperatingSystem.IsWindows() ? "windows" : "unix"),
            new("relocation", root is null ? "absolute paths" : "names under the repository root are relative to it"),
            new("compiler", FileHasher.HashText(string.Join("\n", context.CompilerFiles.Select(f => Path.GetFileName(f) + "=" + contentHashes[f])))),
            new("compiler runtime", context.CompilerRuntime),
            new("compiler environment", FileHasher.HashText(context.CompilerEnvironment)),
        };
        inputs.AddRange(context.Extra);

        foreach (var argument in commandLine.Arguments)
        {
            switch (argument.Kind)
            {
                case ArgumentKind.Option when argument.Switch == "pathmap":
                    // The map reaches the outputs only through the paths it rewrites, and each of those is keyed as mapped
                    // (sources, embedded files, the pdb path, the folder generated sources are named after). So a prefix
                    // outside the repository (the NuGet folder the SDK maps to /_1/) need not be spelled out.
                    inputs.Add(new KeyInput("/pathmap:" + string.Join(",", commandLine.PathMapOf([argument]).Entries.Select(e => (root is not null && IsUnder(e.Key, root) ? RelativeName(e.Key, root) : "{elsewhere}") + "=" + e.Value)), ""));
                    break;
                case ArgumentKind.Option:
                    inputs.Add(new KeyInput(argument.Text, ""));
                    break;
                case ArgumentKind.Source:
                    inputs.Add(new KeyInput(MappedName(argument.Path!, pathMap), contentHashes[argument.Path!]));
                    break;
                case ArgumentKind.Output:
                    inputs.Add(new KeyInput($"/{argument.Switch}:{RelativeName(argument.Path!, root)}", ""));
                    break;
                case ArgumentKind.LocationFreeInput:
                case ArgumentKind.Input:
                    inputs.Add(new KeyInput(InputName(argument, root, pathMap), contentHashes[argument.Path!]));
                    break;
                default:
                    inputs.Add(new KeyInput(argument.Text, "unsupported"));
                    break;
            }
        }

        // The assembly's debug directory names its pdb, and generated sources are named after the output folder: both
        // through the path map.
        if (commandLine.PdbPath is { } pdb)
        {
            inputs.Add(new KeyInput("pdb path in the assembly", MappedName(pdb, pathMap)));
        }

        // fsc reserves room in the assembly for the pdb path before it maps it (measured with F# 10: a longer unmapped path
        // moves the debug directory's data), so the assembly depends on that path's length, and only on that.
        if (commandLine.Language == CompilerLanguage.FSharp && commandLine.PdbPath is { } unmappedPdb)
        {
            inputs.Add(new KeyInput("length of the unmapped pdb path", unmappedPdb.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (commandLine.OutputPath("out") is { } output)
        {
            inputs.Add(new KeyInput("generated sources folder", MappedName(WithTrailingSeparator(Path.GetDirectoryName(output)!), pathMap)));
        }

        // Version stamps and relocation notes, in command-line order so the manifest does not depend on thread timing.
        var order = files.Select((f, i) => (f, i)).ToDictionary(x => x.f, x => x.i, PathComparer);
        inputs.AddRange(extraInputs.OrderBy(e => order[e.Path]).ThenBy(e => e.Input.Name, StringComparer.Ordinal).Select(e => e.Input));
        return CompilationKey.FromInputs(inputs);
    }

    private string InputName(CompilerArgument argument, string? root, PathMap pathMap)
    {
        var path = argument.Switch switch
        {
            // Embedded files become pdb documents under their mapped path.
            "embed" => MappedName(argument.Path!, pathMap),
            _ when argument.Kind == ArgumentKind.LocationFreeInput || (argument.Switch == "analyzerconfig" && IsGlobalConfig(argument.Path!)) => "{any}/" + Path.GetFileName(argument.Path!),
            _ => RelativeName(argument.Path!, root),
        };
        return argument.Switch == "@" ? "@" + path : $"/{argument.Switch}:{argument.Prefix}{path}{argument.Suffix}";
    }

    // A global config applies wherever it lives; any other analyzer config, whatever its name, applies to the sources
    // under its own folder, so its folder is part of what it means. The compiler decides by name and content, and so
    // does the key (remembered with the file's hash, so the file is read once).
    private bool IsGlobalConfig(string path) =>
        _hasher.Hash(path, "analyzerconfig-scope", p => AnalyzerConfigScope.IsGlobal(p, File.ReadAllText(p)) ? "global" : "folder") == "global";

    private string HashContent(string path, string? root, string? generated, KeyContext context, CompilerCommandLine commandLine, string? mapIdentity, ConcurrentBag<(string, KeyInput)> extraInputs)
    {
        if (!File.Exists(path))
        {
            return MissingFile;
        }

        var roles = commandLine.Arguments.Where(a => a.Path is not null && string.Equals(a.Path, path, PathComparison)).Select(a => a.Switch).ToList();

        // The compiler maps a path written in a source (#line, #pragma checksum, and so [CallerFilePath] and the pdb) by
        // its prefix: whether the text spells out a mapped folder, and where, decides what the outputs hold, while the
        // text alone is the same in every checkout. And a directive's file name is resolved and made a full path before
        // it is mapped, so a relative name, or one with "..", can land inside the mapped folder in one checkout and
        // outside it in another. Both are derived from one read of the file and remembered with its hash.
        if (mapIdentity is not null && roles.Contains(null) &&
            _hasher.Hash(path, mapIdentity + ":" + commandLine.Language, p => DescribeMappedText(p, commandLine)) is { } described)
        {
            var (spelled, directives) = (described[..64], described[65..]);
            if (spelled != NoneHash)
            {
                extraInputs.Add((path, new KeyInput($"paths /pathmap rewrites in {MappedName(path, commandLine.PathMap)}", spelled)));
            }

            if (directives != NoneHash)
            {
                extraInputs.Add((path, new KeyInput($"file names in directives of {MappedName(path, commandLine.PathMap)}", directives)));
            }
        }

        // An F# type provider runs code inside the compiler that may read any file (a JSON sample, a database schema):
        // nothing lists those reads, so no key can cover them.
        if (commandLine.Language == CompilerLanguage.FSharp && roles.Contains("reference") &&
            _hasher.Hash(path, "type-provider", p => AssemblyAttributes.IsTypeProvider(p) ? "yes" : "no") == "yes")
        {
            extraInputs.Add((path, new KeyInput($"the reference {Path.GetFileName(path)} is an F# type provider, whose file reads the cache cannot see", NotCacheable)));
        }

        // A reference built in this repository carries stamps of the commit it was built at; its dependents must not
        // care. Its version stamps are an input of their own (a miss they cause says so), left out when volatile.
        if (root is not null && IsUnder(path, root) && roles.Any(r => r is "reference" or "r") && ReferenceStamps(context) is { } neutral)
        {
            var commit = neutral & VolatileStamps.CommitSuffix;
            var kind = ReferenceDerivation(neutral);
            var withoutVersions = _hasher.Hash(path, kind, p => _derived.Get(kind, File.ReadAllBytes(p), bytes => StampNeutralHash.Hash(bytes, neutral)));
            if (!context.VolatileVersions)
            {
                // The hash above has the version rows as placeholders; their values complete it (read cheaply, not by a
                // second walk of the metadata).
                var versions = _hasher.Hash(path, "versions:" + (int)commit, p => FileHasher.HashText(AssemblyAttributes.VersionValues(p, commit == VolatileStamps.CommitSuffix) ?? StampNeutralHash.Hash(p, commit)));
                extraInputs.Add((path, new KeyInput($"version stamps of the reference {Path.GetFileName(path)}", versions ?? MissingFile)));
            }

            return withoutVersions ?? MissingFile;
        }

        // A generated source: keyed exactly, but for its version stamps, which are an input of their own (see above),
        // with the SDK's commit suffix of the informational version left out outside strict mode.
        if (generated is not null && roles.Contains(null) && IsUnder(path, generated))
        {
            var text = File.ReadAllText(path);
            if (root is not null && RootSpellings(root).Any(text.Contains))
            {
                extraInputs.Add((path, new KeyInput($"not relocatable: {RelativeName(path, root)} holds the checkout path", FileHasher.HashText(root))));
            }

            var split = VersionStamps.Split(text);
            if (split.Stamps.Count == 0)
            {
                return FileHasher.HashText(text);
            }

            var isAssemblyInfo = context.GeneratedAssemblyInfoFile is { } assemblyInfo &&
                string.Equals(path, Path.GetFullPath(Path.Combine(commandLine.ProjectDirectory, assemblyInfo)), PathComparison);
            var values = split.Stamps.Select(v => v.Name + "=" + (isAssemblyInfo && context.SourceRevisionId is { } revision && v.Name == "AssemblyInformationalVersion"
                ? CommitStamps.WithoutCommitSuffix(v.Value, revision)
                : v.Value));
            if (!context.VolatileVersions)
            {
                extraInputs.Add((path, new KeyInput($"version stamps in {RelativeName(path, root)}", FileHasher.HashText(string.Join("\n", values)))));
            }

            return FileHasher.HashText(split.Text);
        }

        if ((context.SourceControlCommit ?? context.SourceRevisionId) is { } sourceLinkCommit && roles.Contains("sourcelink"))
        {
            return FileHasher.HashText(CommitStamps.WithoutSourceLinkCommit(File.ReadAllText(path), sourceLinkCommit));
        }

        // A global config's sections name sources by absolute path and the SDK's generated one holds the project folder:
        // with the root replaced they mean the same in every checkout. A folder-scoped config's section names are globs
        // relative to its own folder, where the root's text would mean another file: it is keyed byte for byte.
        if (root is not null && roles.Contains("analyzerconfig") && IsUnder(path, root) && IsGlobalConfig(path))
        {
            return FileHasher.HashText(WithoutRoot(File.ReadAllText(path), root));
        }

        return _hasher.Hash(path) ?? MissingFile;
    }

    // Stands for "nothing to describe" in DescribeMappedText's pair, which is two hashes of 64 characters.
    private static readonly string NoneHash = new('0', 64);

    private static string DescribeMappedText(string path, CompilerCommandLine commandLine)
    {
        var bytes = File.ReadAllBytes(path);
        var spelled = PathMapInText.Describe(bytes, commandLine.PathMap);
        var directives = DirectivePaths.Describe(bytes, path, commandLine.Language, commandLine.PathMap);
        return (spelled is null ? NoneHash : FileHasher.HashText(spelled)) + " " + (directives is null ? NoneHash : FileHasher.HashText(directives));
    }

    /// <summary>
    /// The stamps a dependent in <paramref name="context"/> neutralises in a reference built in this repository (hashing
    /// it through a derived, stamp-neutral hash); null when it keys such a reference by its bytes.
    /// </summary>
    private static VolatileStamps? ReferenceStamps(KeyContext context) =>
        context.SourceRevisionId is null && !context.VolatileVersions
            ? null
            : (context.SourceRevisionId is null ? VolatileStamps.None : VolatileStamps.CommitSuffix) | VolatileStamps.Versions;

    private static string ReferenceDerivation(VolatileStamps neutral) => "stamp-neutral-" + ((int)neutral).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The stamp-neutral hash a dependent in the same context will key the just-compiled reference assembly by, derived
    /// now (and remembered, so this machine's dependents do not derive it again), to travel in the artifact: a machine
    /// that restores the artifact then does not walk the assembly's metadata either. Empty when dependents key it by its
    /// bytes, or when the file cannot be read (the dependent derives it then, as always).
    /// </summary>
    public IReadOnlyList<ArtifactDerivedHash> DeriveForDependents(IReadOnlyList<ArtifactFile> outputs, KeyContext context)
    {
        if (ReferenceStamps(context) is not { } neutral || outputs.FirstOrDefault(o => o.Name == "refout") is not { } reference)
        {
            return [];
        }

        try
        {
            var bytes = File.ReadAllBytes(reference.SourcePath);
            var content = DerivedHashes.ContentHash(bytes);
            var kind = ReferenceDerivation(neutral);
            var value = _derived.Get(kind, content, bytes, b => StampNeutralHash.Hash(b, neutral));
            return [new ArtifactDerivedHash(reference.Name, kind, DerivedHashes.CodeVersion, content, value)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// Remembers the hashes a restored artifact's build derived from its outputs (see <see cref="DeriveForDependents"/>):
    /// only for bytes the artifact holds and a derivation this package build makes; anything else is ignored.
    /// </summary>
    public void RememberDerived(ArtifactMetadata metadata)
    {
        foreach (var derived in metadata.Derived ?? [])
        {
            if (derived is { Output: { } output, Kind: { } kind, CodeVersion: { } version, Content: { } content, Value: { } value } &&
                version == DerivedHashes.CodeVersion &&
                (kind == ReferenceDerivation(VolatileStamps.Versions) || kind == ReferenceDerivation(VolatileStamps.CommitSuffix | VolatileStamps.Versions)) &&
                metadata.Outputs.Any(o => o?.Name == output && o.Sha256 == content))
            {
                _derived.Remember(kind, content, value);
            }
        }
    }

    /// <summary>How the compiler writes the path into the outputs: mapped, else absolute.</summary>
    private static string MappedName(string fullPath, PathMap pathMap) => pathMap.KeyForm(fullPath) ?? fullPath;

    /// <summary>A path the outputs do not contain: relative to the repository root when under it, else absolute.</summary>
    internal static string RelativeName(string fullPath, string? root) =>
        root is not null && IsUnder(fullPath, root) ? "{root}/" + fullPath[root.Length..].Replace('\\', '/') : fullPath;

    private static bool IsUnder(string fullPath, string rootWithSeparator) => fullPath.StartsWith(rootWithSeparator, PathComparison);

    /// <summary>Replaces the repository root, in the spellings tools write it, with a placeholder.</summary>
    internal static string WithoutRoot(string text, string root)
    {
        var builder = new StringBuilder(text);
        foreach (var spelling in RootSpellings(root))
        {
            builder.Replace(spelling, "{root}");
        }

        return builder.ToString();
    }

    private static IEnumerable<string> RootSpellings(string root)
    {
        var bare = root.TrimEnd('/', '\\');
        return new[] { bare.Replace("\\", "\\\\", StringComparison.Ordinal), bare, bare.Replace('\\', '/') }.Distinct();
    }

    private static string WithTrailingSeparator(string path) =>
        path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar) ? path : path + Path.DirectorySeparatorChar;
}
