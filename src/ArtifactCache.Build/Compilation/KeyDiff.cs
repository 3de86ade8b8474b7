namespace ArtifactCache.Build.Compilation;

/// <summary>One input that differs between two keys of the same project.</summary>
public sealed record InputChange(string Input, string Change);

/// <summary>
/// Compares two key manifests of the same project to say why a key changed: which named inputs were added, removed,
/// or changed (a file's content, or a switch's value).
/// </summary>
public static class KeyDiff
{
    /// <summary>
    /// The manifest input of a project that keeps absolute paths although the package would relocate it: it sets
    /// <c>DeterministicSourcePaths=false</c> itself.
    /// </summary>
    public const string ProjectKeepsAbsolutePaths = "relocation off: the project sets DeterministicSourcePaths=false";

    // Compiler switches by the MSBuild property a user sets, so the explanation speaks the user's language.
    private static readonly Dictionary<string, string> PropertyNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["/define"] = "DefineConstants",
        ["/langversion"] = "LangVersion",
        ["/nullable"] = "Nullable",
        ["/optimize"] = "Optimize",
        ["/optimize+"] = "Optimize",
        ["/optimize-"] = "Optimize",
        ["/debug"] = "DebugType",
        ["/debug+"] = "DebugSymbols",
        ["/debug-"] = "DebugSymbols",
        ["/deterministic"] = "Deterministic",
        ["/deterministic+"] = "Deterministic",
        ["/deterministic-"] = "Deterministic",
        ["/checked"] = "CheckForOverflowUnderflow",
        ["/checked+"] = "CheckForOverflowUnderflow",
        ["/checked-"] = "CheckForOverflowUnderflow",
        ["/unsafe"] = "AllowUnsafeBlocks",
        ["/unsafe+"] = "AllowUnsafeBlocks",
        ["/unsafe-"] = "AllowUnsafeBlocks",
        ["/doc"] = "GenerateDocumentationFile",
        ["/nowarn"] = "NoWarn",
        ["/warnaserror"] = "WarningsAsErrors",
        ["/warnaserror+"] = "TreatWarningsAsErrors",
        ["/warnaserror-"] = "TreatWarningsAsErrors",
        ["/features"] = "Features",
        ["/pathmap"] = "PathMap",
        ["/out"] = "AssemblyName",
        ["/refout"] = "ProduceReferenceAssembly",
        ["/target"] = "OutputType",
        ["/platform"] = "PlatformTarget",
        ["/warn"] = "WarningLevel",
        ["/keyfile"] = "AssemblyOriginatorKeyFile",
        ["/publicsign"] = "PublicSign",
        ["/delaysign"] = "DelaySign",
    };

    public static IReadOnlyList<InputChange> Compare(IReadOnlyList<KeyInput> previous, IReadOnlyList<KeyInput> current)
    {
        var before = Identify(previous);
        var after = Identify(current);
        var changes = new List<InputChange>();
        foreach (var (identity, input) in after)
        {
            if (!before.TryGetValue(identity, out var old))
            {
                changes.Add(new InputChange(Describe(identity, input), "added"));
            }
            else if (old.Hash != input.Hash || old.Name != input.Name)
            {
                changes.Add(new InputChange(Describe(identity, input), old.Hash != input.Hash && input.Hash.Length > 0 ? "content" : "value"));
            }
        }

        foreach (var (identity, input) in before)
        {
            if (!after.ContainsKey(identity))
            {
                changes.Add(new InputChange(Describe(identity, input), "removed"));
            }
        }

        // Several switches can map to one property (/debug+ and /debug:portable): name each property once.
        var named = changes.GroupBy(c => c.Input, StringComparer.Ordinal).Select(g => g.First()).ToList();
        return AbsolutePathsCause(current) is { } cause ? WithMovedFilesAsOne(named, before, after, cause) : named;
    }

    // Without relocation every file is keyed by its absolute path, so in another checkout each one is "removed" and
    // "added" again: name the setting that keeps paths absolute instead of every file.
    private static string? AbsolutePathsCause(IReadOnlyList<KeyInput> current) =>
        current.Any(i => i.Name == ProjectKeepsAbsolutePaths)
            ? "the checkout folder: paths are absolute because the project sets DeterministicSourcePaths=false"
            : current.Any(i => i.Name == "relocation" && i.Hash == "absolute paths")
                ? "the checkout folder: paths are absolute because ArtifactCacheRelocatable=false"
                : null;

    private static List<InputChange> WithMovedFilesAsOne(List<InputChange> changes, Dictionary<string, KeyInput> before, Dictionary<string, KeyInput> after, string cause)
    {
        var removed = before.Keys.Where(k => !after.ContainsKey(k) && Path.IsPathFullyQualified(k)).ToList();
        var added = after.Keys.Where(k => !before.ContainsKey(k) && Path.IsPathFullyQualified(k)).ToList();
        var moved = new List<(string Removed, string Added, string Tail)>();
        foreach (var name in added)
        {
            // The same file in another folder: the longest common tail that holds at least the file name.
            var match = removed
                .Select(r => (Removed: r, Tail: CommonTail(r, name)))
                .Where(m => m.Tail.Length > 0)
                .OrderByDescending(m => m.Tail.Length)
                .FirstOrDefault();
            if (match.Removed is not null)
            {
                removed.Remove(match.Removed);
                moved.Add((match.Removed, name, match.Tail));
            }
        }

        // Inputs whose value is an absolute path (the pdb path in the assembly, the generated sources folder) moved too.
        var movedValues = after
            .Where(a => before.TryGetValue(a.Key, out var b) && b.Hash != a.Value.Hash &&
                        Path.IsPathFullyQualified(b.Hash) && Path.IsPathFullyQualified(a.Value.Hash) && CommonTail(b.Hash, a.Value.Hash).Length > 0)
            .Select(a => Describe(a.Key, a.Value))
            .ToHashSet(StringComparer.Ordinal);
        if (moved.Count == 0 && movedValues.Count == 0)
        {
            return changes;
        }

        var result = new List<InputChange> { new(cause, "value") };
        var movedNames = moved.SelectMany(m => new[] { Describe(m.Removed, before[m.Removed]), Describe(m.Added, after[m.Added]) }).ToHashSet(StringComparer.Ordinal);
        result.AddRange(moved.Where(m => before[m.Removed].Hash != after[m.Added].Hash).Select(m => new InputChange(m.Tail, "content")));
        result.AddRange(changes.Where(c => !(c.Change is "added" or "removed" && movedNames.Contains(c.Input)) && !movedValues.Contains(c.Input)));
        return result;
    }

    // "/a/repo/src/A.cs" and "/b/repo/src/A.cs" share "repo/src/A.cs": whole segments only, the file name at least.
    private static string CommonTail(string left, string right)
    {
        var l = left.Split('/', '\\');
        var r = right.Split('/', '\\');
        var count = 0;
        while (count < l.Length && count < r.Length && l[^(count + 1)] == r[^(count + 1)])
        {
            count++;
        }

        return count == 0 || count == l.Length || count == r.Length ? "" : string.Join("/", l[^count..]);
    }

    /// <summary>"src/Parser.cs (content), DefineConstants" for a log line.</summary>
    public static string Summarise(IReadOnlyList<InputChange> changes, int max)
    {
        var shown = changes.Take(max).Select(c => c.Change == "value" ? c.Input : $"{c.Input} ({c.Change})");
        var text = string.Join(", ", shown);
        return changes.Count > max ? $"{text}, and {changes.Count - max} more" : text;
    }

    // An input's identity is what it is about, not its value: the switch for an option (numbered when it repeats),
    // the normalised path for a file.
    private static Dictionary<string, KeyInput> Identify(IReadOnlyList<KeyInput> inputs)
    {
        var identified = new Dictionary<string, KeyInput>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            var identity = IsOption(input) ? SwitchOf(input.Name) : input.Name;
            var count = seen.TryGetValue(identity, out var n) ? n + 1 : 1;
            seen[identity] = count;
            identified[count == 1 ? identity : $"{identity}#{count}"] = input;
        }

        return identified;
    }

    private static bool IsOption(KeyInput input) => input.Hash.Length == 0 && (input.Name.StartsWith('/') || input.Name.StartsWith('-'));

    private static string SwitchOf(string name)
    {
        var colon = name.IndexOf(':');
        return (colon < 0 ? name : name[..colon]).ToLowerInvariant();
    }

    private static readonly System.Text.RegularExpressions.Regex MappedRoot = new("^/_[0-9]*//?", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static string Describe(string identity, KeyInput input)
    {
        var bare = identity.Split('#')[0];
        if (PropertyNames.TryGetValue(bare, out var property))
        {
            return property;
        }

        var name = input.Name;
        if (name.StartsWith("version stamps", StringComparison.Ordinal))
        {
            // A git-height version changes every commit; say which switch leaves it out.
            return name.Replace("{root}/", "", StringComparison.Ordinal) + ": the version changed (ArtifactCacheVolatileVersion=true leaves it out of the key)";
        }

        if (name.StartsWith("{root}/", StringComparison.Ordinal))
        {
            return name["{root}/".Length..];
        }

        // A source under the mapped repository root ("/_/src/Parser.cs", fsc's "/_//src/Parser.fs"): the part a person knows.
        if (MappedRoot.Match(name) is { Success: true } mapped)
        {
            return name[mapped.Length..];
        }

        // "/reference:{any}/Lib.dll" -> "reference Lib.dll"
        var colon = name.IndexOf(':');
        if (name.StartsWith('/') && colon > 0)
        {
            var value = name[(colon + 1)..].Replace("{any}/", "", StringComparison.Ordinal).Replace("{root}/", "", StringComparison.Ordinal);
            return $"{name[1..colon]} {value}";
        }

        return name;
    }
}
